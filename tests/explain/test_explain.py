"""What the network sees: every layer's output, the saliency, the preprocessing steps, the figures
and `python -m mnist_core explain`."""

import json

import keras
import numpy as np
import pytest
from PIL import Image

from mnist_core.cli import commands as cli
from mnist_core.explain import pictures as explain_plots
from mnist_core.constants import TUTORIAL_PARAM_COUNT
from mnist_core.explain.explainer import Explainer
from mnist_core.reading.inference import Predictor
from mnist_core.reading.preprocess import naive_downscale, to_mnist_input
from mnist_core.explain.stages import preprocessing_stages
from tests.conftest import ROOT


@pytest.fixture
def tutorial(tutorial_model):
    return tutorial_model


@pytest.fixture
def strong(strong_model):
    return strong_model


@pytest.mark.parametrize("name", ["tutorial", "strong"])
def test_feature_maps_have_each_layers_output_shape(name, request, mnist):
    model = request.getfixturevalue(name)
    explainer = Explainer(model)
    seen = explainer.explain(mnist[1][0][0] / 255.0)
    assert [info.output_shape for info in explainer.layers] == [
        tuple(layer.output.shape[1:]) for layer in model.layers]
    assert [o.shape for o in seen.outputs] == [info.output_shape for info in explainer.layers]
    assert all(o.dtype == np.float32 for o in seen.outputs)  # strong computes in bfloat16
    assert sum(info.params for info in explainer.layers) == explainer.total_params
    # The answer is the page's answer, and the last layer's output is the probabilities.
    np.testing.assert_allclose(seen.probabilities,
                               Predictor(model).probabilities(seen.image[None])[0], atol=1e-6)
    np.testing.assert_array_equal(seen.outputs[-1], seen.probabilities)
    assert seen.digit == 7


def test_the_tutorial_cnn_is_summarised_as_model_summary_counts_it(tutorial):
    explainer = Explainer(tutorial)
    assert explainer.total_params == TUTORIAL_PARAM_COUNT == 225_034
    assert [(i.class_name, i.params) for i in explainer.layers] == [
        ("Conv2D", 320), ("MaxPooling2D", 0), ("Conv2D", 18496), ("MaxPooling2D", 0),
        ("Flatten", 0), ("Dense", 204928), ("Dense", 1290)]
    assert explainer.filters.shape == (3, 3, 1, 32)
    np.testing.assert_array_equal(explainer.filters, tutorial.layers[0].get_weights()[0])


@pytest.mark.parametrize("name", ["tutorial", "strong"])
def test_the_saliency_of_clear_digits_lies_on_their_ink(name, request, mnist):
    (_, _), (x_test, y_test) = mnist
    explainer = Explainer(request.getfixturevalue(name))
    clear = 0
    for image, label in zip(x_test[:40] / 255.0, y_test[:40]):
        seen = explainer.explain(image)
        if seen.digit == label and seen.probabilities[label] > 0.9:  # clear digits only
            clear += 1
            assert seen.saliency.shape == (28, 28) and seen.saliency.max() == pytest.approx(1.0)
            assert seen.saliency[image == 0].sum() == 0  # no ink, no credit
            # Not one bright pixel: the credit is spread along the strokes.
            assert (seen.saliency > 0.1).sum() >= 10
    assert clear >= 30


def test_a_model_without_convolution_gets_its_exact_integrated_gradients():
    # For a linear score, integrated gradients are exact: the pixel times the score's weight.
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    explainer = Explainer(model)
    image = np.zeros((28, 28), np.float32)
    image[10:18, 12:15] = 1.0
    image[3:6, 3:6] = 0.5
    seen = explainer.explain(image)
    assert explainer.filters is None
    kernel = model.layers[-1].get_weights()[0]
    weight_of_score = (kernel[:, seen.digit] - kernel.mean(axis=1)).reshape(28, 28)
    expected = np.maximum(image * weight_of_score, 0)
    np.testing.assert_allclose(seen.saliency, expected / expected.max(), atol=1e-4)


def test_a_functional_model_with_a_branch_is_walked_without_naming_a_layer():
    inputs = keras.Input((28, 28, 1))
    a = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    b = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    merged = keras.layers.Add()([a, b])
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(merged))
    explainer = Explainer(keras.Model(inputs, outputs))
    seen = explainer.explain(np.random.default_rng(0).random((28, 28), dtype=np.float32))
    assert [i.class_name for i in explainer.layers] == ["Conv2D", "Conv2D", "Add", "Flatten",
                                                        "Dense"]
    assert [o.shape for o in seen.outputs] == [(26, 26, 4)] * 3 + [(2704,), (10,)]
    assert np.isfinite(seen.saliency).all() and seen.saliency.max() <= 1.0


def test_the_preprocessing_steps_end_in_what_the_model_reads(mnist):
    drawing = np.zeros((280, 280), np.uint8)
    drawing[30:110, 180:260] = np.asarray(Image.fromarray(mnist[1][0][0]).resize((80, 80)))
    stages = preprocessing_stages(drawing)
    np.testing.assert_array_equal(stages.centred, to_mnist_input(drawing))
    np.testing.assert_array_equal(stages.naive, naive_downscale(drawing))
    assert stages.ink.shape == (280, 280) and stages.fitted.shape == (20, 20)
    assert stages.crop.shape[0] <= 80 and stages.crop.shape[1] <= 80
    # The fitted digit touches the 20x20 box on its longer side.
    rows = np.flatnonzero(stages.fitted.max(axis=1) > 0)
    assert rows[0] <= 1 and rows[-1] >= 18


def test_feature_maps_are_tiled_with_each_map_at_its_own_scale():
    maps = np.zeros((3, 3, 5), np.float32)
    maps[1, 1] = [1, 2, 3, 4, 5]
    grid = explain_plots.tile_grid(maps, columns=4)
    assert grid.shape == (2 * 3 + 1, 4 * 3 + 3)
    assert grid[1, 1] == 1.0 and grid[5, 1] == 1.0  # the 1st and the 5th map, each its own max
    filters = explain_plots.filter_grid(np.array([[[[1.0, -1.0]]]]), tile_zoom=2)
    np.testing.assert_allclose(filters[0, 0], explain_plots.POSITIVE)
    np.testing.assert_allclose(filters[0, 3], explain_plots.NEGATIVE)
    assert filters.shape == (2, 5, 3) and (filters[:, 2] == 0).all()  # the black gap


@pytest.mark.process
def test_explain_writes_the_four_pictures_and_prints_the_layer_table(tmp_path, mnist, capsys):
    image = tmp_path / "seven.png"
    Image.fromarray(255 - mnist[1][0][0]).resize((60, 60)).save(image)  # small, dark on light
    out = tmp_path / "out"
    model = str(ROOT / "models" / "tutorial.keras")
    assert cli.main(["explain", model, str(image), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Total params: 225,034" in printed and "conv2d (Conv2D)" in printed
    assert "(None, 26, 26, 32)" in printed and "Predicted digit: 7" in printed
    for name in ("preprocess.png", "layers.png", "filters.png", "saliency.png"):
        assert Image.open(out / name).size[0] > 300
    assert cli.main(["explain", model, str(image), "--out", str(out), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["digit"] == 7 and len(answer["probabilities"]) == 10
    assert np.asarray(answer["input"]).shape == np.asarray(answer["saliency"]).shape == (28, 28)
    assert answer["layers"][0] == {"name": "conv2d", "class": "Conv2D",
                                   "output_shape": [26, 26, 32], "params": 320}


@pytest.mark.process
def test_explain_names_a_blank_image_in_one_sentence(tmp_path, capsys):
    blank = tmp_path / "blank.png"
    Image.new("L", (40, 40), 255).save(blank)
    assert cli.main(["explain", str(ROOT / "models" / "tutorial.keras"), str(blank),
                     "--out", str(tmp_path / "out")]) == 1
    assert "'" + str(blank) + "' holds no digit" in capsys.readouterr().err
