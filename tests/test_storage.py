"""Storage: atomic saves with metadata, identical predictions after reloading, and refusals."""

import json
import os

import keras
import numpy as np
import pytest

from mnist_core import storage
from mnist_core.errors import ModelFileError
from mnist_core.training.model import build_tutorial_model, compile_tutorial
from tests.conftest import FIXTURES
from mnist_core.untrusted.checked_load import load_model
from mnist_core.untrusted import checked_load
from tests.hang_guard import within

PROBE = np.linspace(0, 1, 4 * 28 * 28, dtype=np.float32).reshape(4, 28, 28, 1)


@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(0)
    model = compile_tutorial(build_tutorial_model())
    rng = np.random.default_rng(0)
    model.fit(rng.random((32, 28, 28, 1), dtype=np.float32),
              keras.utils.to_categorical(rng.integers(0, 10, 32), 10), epochs=1, verbose=0)
    return model


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_reloaded_model_gives_identical_predictions(tmp_path, trained, suffix):
    written = storage.save_model(trained, tmp_path / "m.keras", {"recipe": "tutorial"}, h5=True)
    assert [p.name for p in written] == ["m.keras", "m.h5", "m.json"]
    loaded = load_model(tmp_path / f"m{suffix}")
    np.testing.assert_array_equal(loaded.model.predict(PROBE, verbose=0),
                                  trained.predict(PROBE, verbose=0))
    assert loaded.metadata == {"recipe": "tutorial"}


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_bfloat16_model_reloads_in_bfloat16_with_identical_predictions(tmp_path, suffix):
    # What precision "auto" trains on a CPU with native bfloat16.
    model = compile_tutorial(build_tutorial_model(dtype="mixed_bfloat16"))
    storage.save_model(model, tmp_path / "m.keras", {"dtype_policy": "mixed_bfloat16"}, h5=True)
    loaded = load_model(tmp_path / f"m{suffix}").model
    assert loaded.layers[0].dtype_policy.name == "mixed_bfloat16"
    np.testing.assert_array_equal(loaded.predict(PROBE, verbose=0), model.predict(PROBE, verbose=0))


def test_loads_the_tutorial_script_h5_written_by_keras_2():
    loaded = load_model(FIXTURES / "tutorial_tf_keras2.h5")
    expected = np.load(FIXTURES / "tutorial_tf_keras2_expected.npy")
    np.testing.assert_allclose(loaded.model.predict(PROBE, verbose=0), expected, atol=1e-6)


def test_loads_the_tutorial_script_h5_written_by_keras_3(tmp_path, trained):
    trained.save(tmp_path / "mnist_model.h5")  # exactly what the tutorial's script does
    loaded = load_model(tmp_path / "mnist_model.h5")
    assert loaded.metadata == {}
    np.testing.assert_array_equal(loaded.model.predict(PROBE, verbose=0),
                                  trained.predict(PROBE, verbose=0))


def test_a_failed_save_leaves_no_file_behind(tmp_path, trained, monkeypatch):
    def broken_save(path, *args, **kwargs):
        open(path, "wb").write(b"half a model")
        raise OSError("disk full")

    monkeypatch.setattr(trained, "save", broken_save)
    with pytest.raises(OSError):
        storage.save_model(trained, tmp_path / "m.keras", {})
    assert list(tmp_path.iterdir()) == []


def test_save_replaces_an_older_model_in_one_step(tmp_path, trained):
    storage.save_model(trained, tmp_path / "m.keras", {"n": 1})
    storage.save_model(trained, tmp_path / "m.keras", {"n": 2})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.keras"]
    assert json.loads((tmp_path / "m.json").read_text()) == {"n": 2}


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_refuses_a_lambda_layer_before_running_anything(tmp_path, suffix):
    ran = []

    def spy(t):
        ran.append(1)
        return t

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Lambda(spy),
                              keras.layers.Flatten(), keras.layers.Dense(10)])
    model.save(tmp_path / f"lambda{suffix}")
    ran.clear()
    with pytest.raises(ModelFileError, match="Lambda layer.*refused for safety"):
        load_model(tmp_path / f"lambda{suffix}")
    assert ran == []


def test_refuses_a_keras_2_h5_with_a_lambda_layer():
    with pytest.raises(ModelFileError, match="Lambda"):
        load_model(FIXTURES / "lambda_tf_keras2.h5")


def test_refuses_a_model_of_the_wrong_shape(tmp_path):
    keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(),
                      keras.layers.Dense(10)]).save(tmp_path / "cifar.keras")
    keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                      keras.layers.Dense(2)]).save(tmp_path / "binary.keras")
    with pytest.raises(ModelFileError, match=r"maps \(32, 32, 3\) to \(10,\)"):
        load_model(tmp_path / "cifar.keras")
    with pytest.raises(ModelFileError, match=r"to \(2,\)"):
        load_model(tmp_path / "binary.keras")


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_refuses_a_truncated_file(tmp_path, trained, suffix):
    storage.save_model(trained, tmp_path / "m.keras", {}, h5=True)
    whole = (tmp_path / f"m{suffix}").read_bytes()
    (tmp_path / f"cut{suffix}").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ModelFileError, match="truncated"):
        load_model(tmp_path / f"cut{suffix}")


@pytest.mark.parametrize("content, words", [
    (b"", "is empty"), (b"hello, I am text", "is not a Keras model"),
    (b"\x89PNG\r\n\x1a\n" + bytes(100), "is not a Keras model")])
def test_refuses_files_that_are_not_models(tmp_path, content, words):
    path = tmp_path / "upload.keras"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=words):
        load_model(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ModelFileError, match="There is no model file at .*nothing.keras"):
        load_model(tmp_path / "nothing.keras")


def test_a_model_removed_just_before_it_is_read_is_one_sentence(tmp_path, monkeypatch, trained):
    # The page lists the folder, then loads the chosen file: a deployer may remove it between.
    path = tmp_path / "gone.keras"
    storage.save_model(trained, path, {})
    read = storage.file_digest
    monkeypatch.setattr(checked_load, "file_digest", lambda p: (path.unlink(), read(p))[1])
    with pytest.raises(ModelFileError, match=r"^There is no model file at .*gone\.keras\.$"):
        load_model(path)


def test_a_model_removed_while_keras_reads_it_loads_with_no_digest(tmp_path, monkeypatch,
                                                                     trained):
    # Keras has read every byte; the file then goes (a CI run's page showed the traceback).
    path = tmp_path / "gone.keras"
    storage.save_model(trained, path, {})
    load = checked_load._keras_load
    monkeypatch.setattr(checked_load, "_keras_load", lambda p: (load(p), path.unlink())[0])
    loaded = load_model(path)
    assert loaded.digest is None and loaded.model.output_shape == (None, 10)


def test_lists_models_best_first_without_h5_twins(tmp_path, trained):
    storage.save_model(trained, tmp_path / "low.keras", {"test_accuracy": 0.9}, h5=True)
    storage.save_model(trained, tmp_path / "high.keras", {"test_accuracy": 0.99})
    trained.save(tmp_path / "plain.h5")
    names = [p.name for p, _ in storage.list_models(tmp_path)]
    assert names == ["high.keras", "low.keras", "plain.h5"]
    assert storage.list_models(tmp_path / "absent") == []


def test_default_model_is_committed_with_its_metadata(default_model_path):
    loaded = load_model(default_model_path)
    meta = loaded.metadata
    assert meta["recipe"] == "tutorial" and meta["epochs"] == 10 and meta["batch_size"] == 64
    assert meta["train_images"] == 60000 and meta["test_accuracy"] >= 0.990
    assert {"seed", "training_seconds", "date", "keras_version", "tensorflow_version"} <= set(meta)


def _entry(tmp_path, name, **metadata):
    path = tmp_path / f"{name}.keras"
    path.write_bytes(b"PK")
    (tmp_path / f"{name}.json").write_text(json.dumps(metadata))
    return path


def test_the_default_model_is_the_best_reader_of_drawings_then_of_mnist(tmp_path):
    _entry(tmp_path, "tutorial", test_accuracy=0.9904, drawn_accuracy=0.975)
    _entry(tmp_path, "strong", test_accuracy=0.996, drawn_accuracy=0.99)
    _entry(tmp_path, "mnist_only", test_accuracy=0.999)  # no drawn figure: after those with one
    _entry(tmp_path, "twin", test_accuracy=0.995, drawn_accuracy=0.99)
    entries = storage.list_models(tmp_path)
    assert [p.stem for p, _ in entries] == ["strong", "twin", "tutorial", "mnist_only"]
    assert storage.default_entry(entries)[0].stem == "strong"
    assert storage.default_entry([]) is None


def test_the_shipped_models_carry_their_drawn_digit_accuracy_and_strong_is_the_default():
    from tests.conftest import ROOT

    entries = storage.list_models(ROOT / "models")
    assert all(isinstance(m.get("drawn_accuracy"), float) for _, m in entries)
    assert storage.default_entry(entries)[0].name == "strong.keras"


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_downloaded_bytes_load_back_with_the_same_predictions(tmp_path, trained, suffix):
    content = storage.model_bytes(trained, suffix)
    path = tmp_path / ("mnist_model.h5" if suffix == ".h5" else "m.keras")
    path.write_bytes(content)
    reloaded = keras.models.load_model(path, compile=False)
    np.testing.assert_array_equal(reloaded.predict(PROBE, verbose=0),
                                  trained.predict(PROBE, verbose=0))
    assert load_model(path).model is not None, "the page accepts it back as an upload"


def test_model_bytes_leave_no_temp_folder_behind(tmp_path, trained, monkeypatch):
    monkeypatch.setattr(storage.tempfile, "tempdir", str(tmp_path))
    storage.model_bytes(trained, ".h5")
    assert list(tmp_path.iterdir()) == []


def test_model_bytes_refuse_other_formats(trained):
    with pytest.raises(ValueError, match=".keras or .h5"):
        storage.model_bytes(trained, ".pkl")


def test_a_download_over_the_bound_is_refused_without_reading_it_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(storage, "MAX_DOWNLOAD_BYTES", 1000)
    big = tmp_path / "big.keras"
    big.write_bytes(b"x" * 5000)
    with pytest.raises(ModelFileError, match="big.keras is larger than"):
        storage.saved_file_bytes(big)
    small = tmp_path / "small.keras"
    small.write_bytes(b"y" * 1000)
    assert storage.saved_file_bytes(small) == b"y" * 1000


def test_a_saved_file_removed_meanwhile_is_one_sentence(tmp_path):
    with pytest.raises(ModelFileError, match="gone.keras is no longer on the server"):
        storage.saved_file_bytes(tmp_path / "gone.keras")


# issue 22 (B5): a FIFO in the models folder, chosen in the sidebar, showed a server path.
def test_a_fifo_in_the_models_folder_is_not_listed(tmp_path, trained):
    storage.save_model(trained, tmp_path / "real.keras", {})
    os.mkfifo(tmp_path / "fifo.keras")
    os.mkfifo(tmp_path / "fifo.h5")
    listed = within(5, storage.list_models, tmp_path,
                    fifos=[tmp_path / "fifo.keras", tmp_path / "fifo.h5"])
    assert [path.name for path, _ in listed] == ["real.keras"]


def test_a_fifo_named_as_a_models_metadata_counts_as_none(tmp_path, trained):
    storage.save_model(trained, tmp_path / "real.keras", {})
    (tmp_path / "real.json").unlink()
    os.mkfifo(tmp_path / "real.json")
    listed = within(5, storage.list_models, tmp_path, fifos=[tmp_path / "real.json"])
    assert listed == [(tmp_path / "real.keras", {})]


def test_loading_a_fifo_is_one_sentence_naming_only_its_name(tmp_path):
    folder = tmp_path / "srv" / "app-7f3a" / "models"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "fifo.keras")
    with pytest.raises(ModelFileError) as refused:
        within(5, load_model, folder / "fifo.keras", fifos=[folder / "fifo.keras"])
    message = str(refused.value)
    assert message == ("fifo.keras is a pipe (FIFO), not a model file; only regular files "
                       "are read.")
    assert "srv" not in message and str(tmp_path) not in message
