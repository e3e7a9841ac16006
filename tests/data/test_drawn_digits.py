"""The drawn-digits evaluation set and its script, on tiny synthetic sources and models."""

import importlib.util
import json

import numpy as np
import pytest

from mnist_core.data.drawn_digits import (CANVAS_SIZE, SCHEMES, TEMPLATE_EVERY, make_drawn_digits,
                                     origin_of, scheme_of)
from mnist_core.reading.ink import has_ink
from tests.conftest import ROOT, make_tiny_data

SOURCE = make_tiny_data(n_train=10, n_test=30)[1]  # (x, y): a bar per class, on noise


def load_bench_script():
    spec = importlib.util.spec_from_file_location("eval_drawn", ROOT / "bench" / "eval_drawn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ink_mask(image, scheme):
    if scheme == "white_on_black":
        return image[:, :, 0] > 127
    if scheme == "black_on_white":
        return image[:, :, 0] < 128
    return image[:, :, 3] > 127


def test_same_seed_gives_the_same_set_and_another_seed_another():
    images, labels = make_drawn_digits(12, seed=3, source=SOURCE)
    again, labels_again = make_drawn_digits(12, seed=3, source=SOURCE)
    other, _ = make_drawn_digits(12, seed=4, source=SOURCE)
    np.testing.assert_array_equal(labels, labels_again)
    assert all(np.array_equal(a, b) for a, b in zip(images, again))
    assert not any(np.array_equal(a, b) for a, b in zip(images, other))


def test_a_short_set_is_the_start_of_a_longer_one():
    short, short_labels = make_drawn_digits(5, seed=0, source=SOURCE)
    long, long_labels = make_drawn_digits(13, seed=0, source=SOURCE)
    np.testing.assert_array_equal(short_labels, long_labels[:5])
    assert all(np.array_equal(a, b) for a, b in zip(short, long))


def test_count_shapes_and_labels():
    images, labels = make_drawn_digits(24, seed=0, source=SOURCE)
    assert len(images) == 24 and labels.shape == (24,) and labels.dtype == np.int64
    assert labels.min() >= 0 and labels.max() <= 9
    for i, image in enumerate(images):
        channels = 3 if scheme_of(i) == "black_on_white" else 4
        assert image.shape == (CANVAS_SIZE, CANVAS_SIZE, channels) and image.dtype == np.uint8
        assert has_ink(image)


def test_redrawn_digits_keep_their_source_label_and_templates_cycle_through_digits():
    # Source "digits": 0 is a wide bar, 1 a tall bar; posing never turns one into the other.
    x = np.zeros((30, 28, 28), np.uint8)
    x[0::2, 12:16, 4:24] = 255
    x[1::2, 4:24, 12:16] = 255
    y = np.arange(30) % 2
    images, labels = make_drawn_digits(40, seed=0, source=(x, y))
    for i, (image, label) in enumerate(zip(images, labels)):
        if origin_of(i) == "template":
            assert label == i // TEMPLATE_EVERY % 10
        else:
            rows, cols = np.nonzero(ink_mask(image, scheme_of(i)))
            assert label == (0 if np.ptp(cols) > np.ptp(rows) else 1)
    assert [origin_of(i) for i in range(4)] == ["mnist"] * (TEMPLATE_EVERY - 1) + ["template"]


def test_without_a_source_every_drawing_is_a_template():
    _, labels = make_drawn_digits(20, seed=0)
    np.testing.assert_array_equal(labels, np.arange(20) % 10)
    assert origin_of(0, with_source=False) == "template"


def test_colour_schemes_are_as_documented():
    images, _ = make_drawn_digits(6, seed=0, source=SOURCE)
    assert [scheme_of(i) for i in range(6)] == list(SCHEMES) * 2
    for i, image in enumerate(images):
        border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
        background = np.median(border, axis=0)
        if scheme_of(i) == "white_on_black":
            np.testing.assert_array_equal(background, [0, 0, 0, 255])
            assert (image[:, :, 3] == 255).all() and image[:, :, 0].max() == 255
        elif scheme_of(i) == "black_on_white":
            np.testing.assert_array_equal(background, [255, 255, 255])
            assert image.min() == 0
        else:
            assert background[3] == 0 and image[:, :, 3].max() == 255


def test_drawings_differ_in_position_and_size():
    images, _ = make_drawn_digits(40, seed=0, source=SOURCE)
    boxes = []
    for i, image in enumerate(images):
        rows, cols = np.nonzero(ink_mask(image, scheme_of(i)))
        boxes.append((rows.min(), rows.max(), cols.min(), cols.max()))
    top, bottom, left, right = np.array(boxes).T
    heights, centres = bottom - top, (left + right) / 2
    assert heights.min() < 100 and heights.max() > 180  # small and large digits
    assert centres.min() < 100 and centres.max() > 180  # left and right of the canvas
    touching = (top == 0) | (left == 0) | (bottom == CANVAS_SIZE - 1) | (right == CANVAS_SIZE - 1)
    assert 5 <= touching.sum() < 40  # about one in five drawn against the border


class ConstantModel:
    """Answers `digit` for every image, whatever it shows."""

    def __init__(self, digit):
        self.digit = digit

    def predict(self, x, batch_size=None, verbose=0):
        assert x.shape[1:] == (28, 28, 1) and x.dtype == np.float32
        return np.eye(10, dtype=np.float32)[np.full(len(x), self.digit)]


def test_evaluate_scores_each_preparation_overall_and_per_group():
    bench = load_bench_script()
    images, labels = make_drawn_digits(20, seed=0)  # templates: labels 0..9 twice
    groups = {"scheme": [scheme_of(i) for i in range(20)]}
    result = bench.evaluate(ConstantModel(3), images, labels, groups)
    for name in ("naive", "mnist_style"):
        assert result[name]["all"] == pytest.approx(0.1)
        # the 3s are images 3 and 13: schemes 3 % 3 and 13 % 3
        assert result[name]["white_on_black"] == pytest.approx(1 / 7)
        assert result[name]["black_on_white"] == pytest.approx(1 / 7)
        assert result[name]["transparent"] == 0.0
    assert result["counts"] == {"all": 20, "white_on_black": 7, "black_on_white": 7,
                                "transparent": 6}


class CentredModel:
    """Answers 1 for an image whose centre of mass is MNIST's, 0 otherwise."""

    def predict(self, x, batch_size=None, verbose=0):
        rows = np.arange(28)[None, :, None, None]
        mass = x.sum(axis=(1, 2, 3))
        centre_row = (x * rows).sum(axis=(1, 2, 3)) / mass
        return np.eye(10, dtype=np.float32)[(np.abs(centre_row - 14) < 0.5).astype(int)]


def test_evaluate_prepares_mnist_style_with_to_mnist_input():
    bench = load_bench_script()
    images, _ = make_drawn_digits(12, seed=0)
    result = bench.evaluate(CentredModel(), images, np.ones(12, int), {})
    assert result["mnist_style"]["all"] == 1.0 and result["naive"]["all"] < 0.5


def test_script_prints_both_accuracies_and_json(tmp_path, monkeypatch, capsys):
    import keras

    bench = load_bench_script()
    monkeypatch.setattr(bench, "load_data", lambda: make_tiny_data(n_train=10, n_test=30))
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    model.save(tmp_path / "tiny.keras")

    bench.main(["--model", str(tmp_path / "tiny.keras"), "--set", "drawn", "--n", "20",
                "--seed", "1"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert "drawn set: 20 images, seed 1" in lines[0]
    header, total = lines[1], lines[2]
    assert header.split()[-2:] == ["naive", "mnist_style"]
    assert total.startswith("all") and total.count("%") == 2

    bench.main(["--model", str(tmp_path / "tiny.keras"), "--n", "20", "--json"])
    results = json.loads(capsys.readouterr().out)["results"][str(tmp_path / "tiny.keras")]
    drawn, european = results["drawn"], results["european"]
    assert drawn["counts"]["all"] == 20 and drawn["counts"]["template"] == 5
    assert european["counts"]["european"] == 10 and european["counts"]["digit 1"] == 2
    for result in (drawn, european):
        for name in ("naive", "mnist_style"):
            assert 0.0 <= result[name]["all"] <= 1.0 and result[name]["ms_per_image"] > 0
