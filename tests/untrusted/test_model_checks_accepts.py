"""Model files that must pass the checks: ours, Keras 2's, bfloat16 ones and other standard shapes.

Keras itself is the reference: a count of parameters derived from a config must equal its
`count_params()`. Also the pure helpers: JSON depth without recursion, short error reasons.
"""

import gc
import json
import subprocess
import sys

import pytest

from mnist_core.untrusted import checks as model_checks
from mnist_core.untrusted import config_checks as model_config_checks
from mnist_core.untrusted import weight_layout as model_weight_layout
from mnist_core.untrusted import hdf5_checks
from mnist_core.errors import ModelFileError
from tests import model_attacks as attack
from tests.conftest import FIXTURES, ROOT

MAX_CHECK_SECONDS = 1.0


@pytest.mark.parametrize("path, container", [
    (ROOT / "models" / "tutorial.keras", "keras"), (ROOT / "models" / "strong.keras", "keras"),
    (FIXTURES / "tutorial_tf_keras2.h5", "h5")])
def test_accepts_the_projects_models_and_a_keras_2_h5(path, container):
    checked = model_checks.check_model_file(path, path.name)
    assert checked.container == container
    assert checked.config["class_name"] == "Sequential"
    assert 2_000_000 < checked.weights_bytes < hdf5_checks.MAX_WEIGHT_BYTES
    assert checked.datasets > 10
    assert checked.members == (("metadata.json", "config.json", "model.weights.h5")
                               if container == "keras" else ())


def test_refuses_the_keras_2_h5_with_a_lambda_layer():
    with pytest.raises(ModelFileError, match="lambda.h5 contains a Lambda layer"):
        model_checks.check_model_file(FIXTURES / "lambda_tf_keras2.h5", "lambda.h5")


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_accepts_a_bfloat16_model_saved_by_storage(tmp_path, suffix):
    from mnist_core import storage
    from mnist_core.training.model import build_tutorial_model

    model = build_tutorial_model(dtype="mixed_bfloat16")
    storage.save_model(model, tmp_path / "m.keras", {}, h5=True)
    checked = model_checks.check_model_file(tmp_path / f"m{suffix}", f"m{suffix}")
    assert checked.weights_bytes >= 225_034 * 4  # float32 variables under a bfloat16 policy


def test_the_name_and_the_content_must_agree(tmp_path):
    path = tmp_path / "m.keras"
    path.write_bytes((ROOT / "models" / "tutorial.keras").read_bytes())
    with pytest.raises(ModelFileError, match="is not a Keras model"):
        model_checks.check_model_file(path, "model.h5")


@pytest.mark.process
def test_imports_neither_keras_nor_tensorflow():
    code = ("import sys, mnist_core.untrusted.checks; "
            "print(sorted({'keras', 'tensorflow'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr[-1000:]


@pytest.mark.parametrize("text, depth", [
    ("3", 0), ("[]", 1), ('[1, {"a": [2]}]', 3), ('{"a": "[[[{{"}', 1),
    ('{"a": "\\\\", "b": [["\\"]["]]}', 3), ('[[["unterminated', 3)])
def test_nesting_depth_counts_brackets_outside_strings(text, depth):
    assert model_config_checks.nesting_depth(text) == depth


def test_short_reason_keeps_one_sentence_cut_at_a_word_without_the_server_path():
    error = ValueError("Layer count mismatch in /srv/tmp/x1.keras: expected 4 layers. Found 5.\n"
                       "Traceback...")
    assert model_checks.short_reason(error, "/srv/tmp/x1.keras", "mine.keras") == (
        "Layer count mismatch in mine.keras: expected 4 layers")
    long = model_checks.short_reason(ValueError("word " * 100))
    assert long.endswith("word...") and len(long) <= 163
    assert model_checks.short_reason(KeyError()) == "KeyError"


def _other_models():
    """Small models of other shapes than ours: Functional, nested, separable, grouped, padded."""
    import keras
    from keras import layers

    inputs = keras.Input((28, 28, 1))
    left = layers.Conv2D(4, 3, padding="same")(inputs)
    right = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    merged = layers.BatchNormalization()(layers.Add()([left, right]))
    joined = layers.Flatten()(layers.Concatenate()([merged, left]))
    outputs = layers.Dense(10, activation="softmax", kernel_regularizer="l2")(joined)
    functional = keras.Model(inputs, outputs)
    inner = keras.Sequential([layers.Dense(8), layers.ReLU()])
    nested = keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(), inner, layers.Dense(10)])
    varied = keras.Sequential([
        keras.Input((28, 28, 1)), layers.ZeroPadding2D(2), layers.SeparableConv2D(4, 3, strides=2),
        layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"),
        layers.Conv2D(8, (3, 5), groups=2, dilation_rate=(2, 1), use_bias=False),
        layers.LayerNormalization(), layers.PReLU(),
        layers.AveragePooling2D(3, strides=2, padding="same"),
        layers.GlobalMaxPooling2D(), layers.Dropout(0.1), layers.Dense(10, activation="softmax")])
    return {"functional": functional, "nested": nested, "varied": varied}


@pytest.fixture(scope="module")
def other_models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("other_models")
    for name, model in _other_models().items():
        model.save(folder / f"{name}.keras")
        model.save(folder / f"{name}.h5")
    return folder, {name: model.count_params() for name, model in _other_models().items()}


@pytest.mark.parametrize("name", ["functional", "nested", "varied"])
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_accepts_models_of_other_standard_shapes(other_models, name, suffix):
    folder, _ = other_models
    checked = model_checks.check_model_file(folder / f"{name}{suffix}", f"{name}{suffix}")
    assert checked.weights_bytes > 0


@pytest.mark.parametrize("name", ["functional", "nested", "varied"])
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_parameters_counted_from_the_config_match_keras(other_models, name, suffix):
    # Keras itself is the reference: the shapes flowing through the config give its count.
    folder, counts = other_models
    config = model_checks.check_model_file(folder / f"{name}{suffix}", f"{name}{suffix}").config
    assert model_weight_layout.least_parameters(config) == counts[name]


@pytest.mark.parametrize("path", [ROOT / "models" / "strong.keras",
                                  FIXTURES / "tutorial_tf_keras2.h5"])
def test_parameters_counted_from_our_configs_match_keras(path):
    import keras

    config = model_checks.check_model_file(path, path.name).config
    model = keras.models.load_model(path, compile=False)
    assert model_weight_layout.least_parameters(config) == model.count_params()


CHECK_IN_A_FRESH_PROCESS = """
import sys, time
from mnist_core.untrusted.checks import check_model_file
start = time.process_time()
check_model_file(sys.argv[1], "big.keras")
print(time.process_time() - start)
"""


@pytest.fixture(params=[
    {"class_name": "Flatten", "config": {}},  # the most layers
    [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],  # the most JSON nodes
], ids=["most-layers", "most-nodes"])
def config_at_the_size_limit(tmp_path, request):
    filler = request.param
    config = attack.config()
    room = model_config_checks.MAX_CONFIG_BYTES - len(json.dumps(config)) - 100
    config["config"]["layers"][1]["config"]["padding_list"] = []
    if isinstance(filler, dict):
        config["config"]["layers"] += [filler] * (room // len(json.dumps(filler) + ", "))
    else:
        config["config"]["layers"][1]["config"]["padding_list"] = [filler] * (
            room // len(json.dumps(filler) + ", "))
    path = attack.keras_with(tmp_path / "big.keras", config_json=config)
    size = len(json.dumps(config))
    assert model_config_checks.MAX_CONFIG_BYTES * 0.95 < size <= model_config_checks.MAX_CONFIG_BYTES
    return path


@pytest.mark.process
def test_a_config_at_the_size_limit_is_checked_within_a_second(config_at_the_size_limit):
    # CPU seconds in a fresh process: the machine may be shared (its wall clock slowed), and in
    # this process the heap other tests left would be walked by every garbage collection.
    result = subprocess.run([sys.executable, "-c", CHECK_IN_A_FRESH_PROCESS,
                             str(config_at_the_size_limit)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert float(result.stdout) < MAX_CHECK_SECONDS


def test_parsing_a_config_at_the_size_limit_sets_off_no_garbage_collection(
        config_at_the_size_limit):
    # A config's ~100,000 lists would set off hundreds of collections, the full ones walking the
    # whole server's heap (a 0.1 s check took 1.1 s in a full test run): the parse pauses the
    # collector, since a JSON tree holds no cycles.
    collections = []
    record = lambda phase, info: phase == "start" and collections.append(info["generation"])  # noqa: E731
    gc.callbacks.append(record)
    try:
        model_checks.check_model_file(config_at_the_size_limit, "big.keras")
    finally:
        gc.callbacks.remove(record)
    assert len(collections) < 10 and 2 not in collections, collections
    assert gc.isenabled()


def test_accepts_an_archive_whose_weights_start_where_hdf5_looks_for_a_superblock(tmp_path):
    # Keras stores model.weights.h5 uncompressed after config.json; by chance it may start at
    # 8192, where HDF5 would find a superblock in the archive itself: those are the weights.
    entries = attack.members()
    before = sum(30 + len(n) + len(data) for n, data in entries.items() if n != "model.weights.h5")
    padding = 8192 - (before + 30 + len("model.weights.h5"))
    entries["config.json"] += b" " * padding
    path = attack.write_zip(tmp_path / "m.keras", entries)
    assert path.read_bytes()[8192:8200] == b"\x89HDF\r\n\x1a\n"
    assert model_checks.check_model_file(path, "m.keras").container == "keras"
