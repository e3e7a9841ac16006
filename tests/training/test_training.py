"""Training: the recipe's defaults, live metrics through callbacks, reproducibility, cancel."""

import threading

import numpy as np
import pytest

from mnist_core.training.callbacks import ProgressCallback
from mnist_core.errors import MnistError, TrainingCancelled
from mnist_core.training.recipes import get_recipe
from mnist_core.training.trainer import train
from mnist_core.untrusted.checked_load import load_model


def test_tutorial_recipe_is_the_tutorials():
    recipe = get_recipe("tutorial")
    assert (recipe.epochs, recipe.batch_size) == (10, 64)
    model = recipe.build(10, 10)
    assert model.optimizer.__class__.__name__ == "Adam"
    assert model.loss == "categorical_crossentropy"
    assert {layer.dtype_policy.name for layer in model.layers} == {"float32"}


def test_in_bfloat16_the_tutorial_recipe_is_the_same_network_and_optimiser():
    exact, fast = (get_recipe("tutorial").build(10, 10, dtype) for dtype in ("float32", "mixed_bfloat16"))
    assert [type(layer) for layer in fast.layers] == [type(layer) for layer in exact.layers]
    assert fast.count_params() == exact.count_params() == 225_034
    assert fast.optimizer.__class__.__name__ == "Adam" and fast.loss == "categorical_crossentropy"
    assert {w.dtype for w in fast.weights} == {"float32"}  # weights stay float32
    assert fast.layers[0].compute_dtype == "bfloat16" and fast.layers[-1].compute_dtype == "float32"


@pytest.mark.parametrize("precision, cpu_dtype, expected", [
    ("float32", "mixed_bfloat16", "float32"), ("auto", "mixed_bfloat16", "mixed_bfloat16"),
    ("auto", "float32", "float32")])
def test_precision_decides_the_arithmetic_and_the_metadata_says_which(
        tiny_data, monkeypatch, precision, cpu_dtype, expected):
    from mnist_core.training import recipes

    monkeypatch.setattr(recipes, "fast_dtype", lambda cpuinfo=None: cpu_dtype)
    result = train(data=tiny_data, epochs=1, batch_size=16, precision=precision)
    assert result.model.layers[0].dtype_policy.name == expected
    assert result.metadata["dtype_policy"] == expected
    # The dtype the maths is actually done in, not only the policy's name: each hidden layer's
    # output, the weights (always float32) and the probabilities (always float32).
    computes = "float32" if expected == "float32" else "bfloat16"
    hidden = np.asarray(tiny_data[0][0][:2], "float32").reshape(-1, 28, 28, 1) / 255
    for layer in result.model.layers[:-1]:
        hidden = layer(hidden, training=True)
        assert hidden.dtype.name == computes, layer.name
    assert {w.dtype for w in result.model.weights} == {"float32"}
    assert result.model(np.zeros((1, 28, 28, 1), "float32")).dtype.name == "float32"


def test_rejects_an_unknown_precision_in_one_sentence(tiny_data):
    with pytest.raises(MnistError, match="Precision must be one of auto, float32, not 'half'"):
        train(data=tiny_data, precision="half")


def test_rejects_an_unknown_recipe_with_the_known_ones():
    with pytest.raises(ValueError, match="choose one of tutorial, quick, strong"):
        get_recipe("nope")


def test_callbacks_hear_every_batch_group_and_every_epoch(tiny_data):
    batches, epochs = [], []
    result = train(data=tiny_data, epochs=2, batch_size=8, seed=1, callbacks=[
        ProgressCallback(on_batch=lambda *a: batches.append(a), on_epoch=lambda *a: epochs.append(a))])
    assert [(e, n) for e, n, _ in epochs] == [(1, 2), (2, 2)]
    assert set(epochs[0][2]) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert batches[-1][:3] == (2, 8, 8)  # epoch 2, all 8 of its 8 batches done
    assert result.history["val_accuracy"] == [logs["val_accuracy"] for _, _, logs in epochs]
    assert 0 <= result.test_accuracy <= 1
    assert result.metadata["epochs"] == 2 and result.metadata["train_images"] == 64


def test_same_seed_gives_the_same_weights(tiny_data):
    first = train(data=tiny_data, epochs=1, batch_size=16, seed=7).model.get_weights()
    again = train(data=tiny_data, epochs=1, batch_size=16, seed=7).model.get_weights()
    other = train(data=tiny_data, epochs=1, batch_size=16, seed=8).model.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))


def test_limit_trains_on_the_first_images_only(tiny_data):
    result = train(data=tiny_data, epochs=1, batch_size=8, limit=16)
    assert result.metadata["train_images"] == 16


def test_cancel_stops_training_and_raises(tiny_data):
    event = threading.Event()
    seen = []

    def cancel_after_first(epoch, step, steps, logs):
        seen.append(step)
        event.set()

    with pytest.raises(TrainingCancelled):
        train(data=tiny_data, epochs=5, batch_size=1, cancel_event=event,
              callbacks=[ProgressCallback(on_batch=cancel_after_first)])
    assert len(seen) == 1  # stopped right after the first group of batches


@pytest.mark.parametrize("settings, words", [
    ({"epochs": 0}, "Epochs"), ({"batch_size": -1}, "Batch size"),
    ({"limit": 70000}, "training images"), ({"epochs": 2.5}, "Epochs")])
def test_rejects_settings_out_of_range_in_one_sentence(tiny_data, settings, words):
    with pytest.raises(MnistError, match=words):
        train(data=tiny_data, **settings)


def test_every_recipe_builds_a_28x28_to_10_model():
    for name in ("tutorial", "quick", "strong"):
        model = get_recipe(name).build(10, 2)
        assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 10)


def test_strong_augmentation_keeps_shape_and_range():
    import tensorflow as tf

    augment = get_recipe("strong").augmenter(0)
    images = np.zeros((8, 28, 28, 1), dtype=np.float32)
    images[:, 10:18, 12:16] = 1.0
    out = augment(tf.constant(images)).numpy()
    assert out.shape == images.shape and 0 <= out.min() and out.max() <= 1
    assert not np.array_equal(out, images)  # something moved, thickened or thinned
    assert np.all(out.sum(axis=(1, 2, 3)) > 0)  # no digit erased


@pytest.mark.parametrize("flags, expected", [
    ("fpu avx2 avx512f amx_bf16 amx_tile", "mixed_bfloat16"), ("fpu avx512_bf16", "mixed_bfloat16"),
    ("fpu sse4_2 avx2 fma", "float32")])
def test_auto_precision_is_bfloat16_only_where_the_cpu_has_it(tmp_path, flags, expected):
    from mnist_core.cpu import bfloat16_flags, fast_dtype
    from mnist_core.training.recipes import dtype_for

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
    assert fast_dtype(cpuinfo) == dtype_for("auto", cpuinfo) == expected
    assert dtype_for("float32", cpuinfo) == "float32"
    assert fast_dtype(tmp_path / "absent") == "float32"
    assert bool(bfloat16_flags(cpuinfo)) == (expected == "mixed_bfloat16")
    assert set(bfloat16_flags(cpuinfo)) <= set(flags.split())
    assert bfloat16_flags(tmp_path / "absent") == ()


@pytest.mark.parametrize("limit, native", [("AVX2", False), ("avx512_core", False), ("SSE41", False),
                                           ("AVX512_CORE_BF16", True), ("ALL", True), ("", True)])
def test_a_onednn_isa_limit_without_bfloat16_makes_auto_float32(tmp_path, monkeypatch, limit,
                                                                native):
    from mnist_core.cpu import bfloat16_flags, fast_dtype

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16\n")
    assert bool(bfloat16_flags(cpuinfo, {"ONEDNN_MAX_CPU_ISA": limit})) == native
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", limit)
    assert fast_dtype(cpuinfo) == ("mixed_bfloat16" if native else "float32")


def test_a_quick_model_saves_and_loads_with_the_same_answers(tmp_path, tiny_data):
    from mnist_core import storage
    from mnist_core.training.model import prepare_images

    model = train("quick", data=tiny_data, epochs=1, batch_size=16).model
    storage.save_model(model, tmp_path / "q.keras", {"recipe": "quick"})
    images = prepare_images(tiny_data[1][0][:4])
    np.testing.assert_array_equal(load_model(tmp_path / "q.keras").model.predict(images, verbose=0),
                                  model.predict(images, verbose=0))


def test_the_command_lines_progress_bar_never_counts_past_the_epochs_batches(tiny_data,
                                                                          monkeypatch):
    # 41 batches of 1 run in groups of 2 (`steps_per_execution`): Keras reports the last group
    # at index 41, and its own bar counted "42/41" (469 batches in groups of 29: "493/469").
    from mnist_core.training.callbacks import EpochProgbar

    seen = []
    batch_end = EpochProgbar.on_train_batch_end
    monkeypatch.setattr(EpochProgbar, "on_train_batch_end", lambda self, batch, logs=None: (
        batch_end(self, batch, logs), seen.append((self.seen, self.target))))
    train("tutorial", data=tiny_data, epochs=1, batch_size=1, limit=41, verbose=1)
    assert seen and all(done <= total == 41 for done, total in seen), seen
    assert seen[-1] == (41, 41)
