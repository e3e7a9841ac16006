"""Untrusted model files: every attack class of issue #9 (A1-A6) is refused cheaply, in one sentence.

The attacks are built here from the project's real models (tests/model_attacks.py); each refusal
must name the visitor's file, never the server path, and the check must stay cheap in a fresh
process (peak memory and time), since it runs in the server before anything is loaded.
"""

import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from mnist_core import model_checks, model_config_checks, model_weight_layout
from mnist_core.errors import ModelFileError
from tests import model_attacks as attack
from tests.conftest import FIXTURES, ROOT

MAX_CHECK_RSS_MB = 150
MAX_CHECK_GROWTH_MB = 64
MAX_CHECK_SECONDS = 1.0


def _dense_kernel(f):
    return f["model_weights/dense/dense"]


ATTACKS = {
    # A1: legacy .h5 whose layer lists one name several times, pointing at a 3 GiB shape bomb
    "h5_repeated_names_to_shape_bomb": (".h5", lambda p: attack.h5_with(p, lambda f: (
        attack.shape_bomb(_dense_kernel(f), "bomb:0"),
        attack.set_names(f["model_weights/dense"], "weight_names", ["dense/bomb:0"] * 3))),
        "declares a weight of 3,072.0 MiB"),
    "h5_shape_bomb_of_the_right_shape": (".h5", lambda p: attack.h5_with(p, lambda f: (
        attack.replace_dataset(_dense_kernel(f), "kernel:0", shape=(1600, 128), dtype="f4",
                               chunks=(16, 128)))), "chunks"),
    "h5_weight_declared_not_stored": (".h5", lambda p: attack.h5_with(p, lambda f: (
        attack.replace_dataset(_dense_kernel(f), "kernel:0", shape=(1600, 128), dtype="f4"))),
        "does not store"),
    "h5_huge_weight_declared": (".h5", lambda p: attack.h5_with(p, lambda f: (
        attack.replace_dataset(_dense_kernel(f), "kernel:0", shape=(2**20, 1024), dtype="f4"))),
        "declares a weight of 4,096.0 MiB"),
    "h5_repeated_weight_name": (".h5", lambda p: attack.h5_with(p, lambda f: attack.set_names(
        f["model_weights/dense"], "weight_names", ["dense/kernel:0", "dense/kernel:0"])),
        "repeats a name in its weight_names list"),
    "h5_repeated_weight_name_in_parts": (".h5", lambda p: attack.h5_with(p, lambda f: (
        f["model_weights/dense"].attrs.__delitem__("weight_names"),
        attack.set_names(f["model_weights/dense"], "weight_names0", ["dense/kernel:0"]),
        attack.set_names(f["model_weights/dense"], "weight_names1", ["dense/kernel:0"]))),
        "repeats a name in its weight_names list"),
    "h5_repeated_layer_name": (".h5", lambda p: attack.h5_with(p, lambda f: attack.set_names(
        f["model_weights"], "layer_names", ["dense", "dense"])), "repeats a name in its layer_names"),
    "h5_two_names_for_one_weight": (".h5", lambda p: attack.h5_with(p, lambda f: (
        _dense_kernel(f).__setitem__("copy:0", _dense_kernel(f)["kernel:0"]),
        attack.set_names(f["model_weights/dense"], "weight_names",
                         ["dense/kernel:0", "dense/copy:0"]))), "more than one name"),
    "h5_link_to_another_file": (".h5", lambda p: attack.h5_with(p, lambda f: (
        _dense_kernel(f).__setitem__("elsewhere", h5py.ExternalLink("/etc/passwd.h5", "/x")))),
        "links to data elsewhere"),
    "h5_soft_link": (".h5", lambda p: attack.h5_with(p, lambda f: (
        _dense_kernel(f).__setitem__("again", h5py.SoftLink("/model_weights")))),
        "links to data elsewhere"),
    "h5_weight_of_the_wrong_shape": (".h5", lambda p: attack.h5_with(p, lambda f: (
        attack.replace_dataset(f["model_weights/dense_1/dense_1"], "kernel:0",
                               data=np.zeros((128, 11), "f4")))), "do not match"),
    "h5_top_level_weights_repeated": (".h5", lambda p: attack.h5_with(p, lambda f: attack.set_names(
        f["model_weights/top_level_model_weights"], "weight_names",
        ["/model_weights/dense/dense/kernel:0"] * 2)), "repeats a name in its weight_names list"),
    "h5_top_level_weights_read_twice": (".h5", lambda p: attack.h5_with(p, lambda f: attack.set_names(
        f["model_weights/top_level_model_weights"], "weight_names",
        ["/model_weights/dense/dense/kernel:0"])), "lists the same weight more than once"),
    "h5_weights_for_an_extra_layer": (".h5", lambda p: attack.h5_with(p, lambda f: (
        f.create_dataset("model_weights/extra/w:0", data=np.zeros(4, "f4")),
        attack.set_names(f["model_weights/extra"], "weight_names", ["w:0"]),
        attack.set_names(f["model_weights"], "layer_names", ["conv2d", "conv2d_1", "dense",
                                                             "dense_1", "extra"]))),
        "holds weights for 5 layers where its model declares 4"),
    "h5_weight_name_to_nothing": (".h5", lambda p: attack.h5_with(p, lambda f: attack.set_names(
        f["model_weights/dense"], "weight_names", ["dense/kernel:0", "dense/absent:0"])),
        "does not hold"),
    "h5_weight_of_text": (".h5", lambda p: attack.h5_with(p, lambda f: (
        _dense_kernel(f).create_dataset("notes", data=[b"hello"]))), "not numbers"),
    "h5_model_config_not_json": (".h5", lambda p: attack.h5_with(p, lambda f: (
        f.attrs.__setitem__("model_config", "{not json"))), "not valid JSON"),
    "h5_model_config_not_utf8": (".h5", lambda p: attack.h5_with(p, lambda f: (
        f.attrs.__setitem__("model_config", np.bytes_(b'{"class_name": "\xff\xfe"}')))),
        "not UTF-8"),
    "h5_model_config_too_long": (".h5", lambda p: attack.h5_with(p, lambda f: (
        f.attrs.__setitem__("model_config", " " * (2 * 2**20) + "{}"))), "over 256.0 KiB"),
    "h5_weights_only": (".h5", lambda p: attack.h5_with(p, lambda f: (
        f.attrs.__delitem__("model_config"))), "weights only"),
    "h5_optimizer_state_bomb": (".h5", lambda p: attack.h5_with(p, lambda f: (
        attack.shape_bomb(f["optimizer_weights"], "bomb"))),
        "declares a weight of 3,072.0 MiB"),
    # A2: .keras whose weights inflate to gigabytes
    "keras_weights_zip_bomb": (".keras", lambda p: attack.patch_member(attack.keras_with(
        p, zipfile.ZIP_DEFLATED, weights=bytes(60 * 2**20)), "model.weights.h5",
        size=int(3.5 * attack.GIB)), "3,584.0 MiB once expanded"),
    "keras_weights_high_ratio": (".keras", lambda p: attack.keras_with(
        p, zipfile.ZIP_DEFLATED, weights=bytes(60 * 2**20)), "once expanded"),
    "keras_weights_shape_bomb": (".keras", lambda p: attack.keras_with(p, weights=attack.keras_weights(
        lambda f: attack.replace_dataset(f["layers/dense/vars"], "0", shape=(2**28, 3), dtype="f4",
                                         chunks=(2**16, 3)))), "declares a weight of 3,072.0 MiB"),
    "keras_weight_of_the_wrong_shape": (".keras", lambda p: attack.keras_with(p, weights=attack.keras_weights(
        lambda f: attack.replace_dataset(f["layers/dense/vars"], "0", data=np.zeros((1600, 129), "f4")))),
        "do not match"),
    "keras_weights_of_an_undeclared_layer": (".keras", lambda p: attack.keras_with(p, weights=attack.keras_weights(
        lambda f: f.create_dataset("layers/lambda/vars/0", data=np.zeros(4, "f4")))),
        "a layer its model does not declare"),
    "keras_weights_not_hdf5": (".keras", lambda p: attack.keras_with(p, weights=b"\0" * 4096),
                               "not a readable HDF5 file"),
    # A3: config.json of 20 MiB of spaces around a valid config (the issue's: 2 GiB)
    "keras_config_of_spaces": (".keras", lambda p: attack.keras_with(
        p, zipfile.ZIP_DEFLATED, config_json=b" " * (20 * 2**20) + json.dumps(attack.config()).encode()),
        "member config.json of 20.0 MiB"),
    # A4: extra members (Keras would extract them to the temp folder)
    "keras_extra_member": (".keras", lambda p: attack.write_zip(
        p, {**attack.members(), "assets/junk.bin": bytes(1024)}), "not one Keras writes"),
    "keras_duplicate_member": (".keras", lambda p: attack.write_zip(
        p, list(attack.members().items()) + [("config.json", b"[]")]), "not one Keras writes"),
    "keras_without_weights": (".keras", lambda p: attack.write_zip(
        p, {"config.json": json.dumps(attack.config()).encode()}), "not one Keras writes"),
    # A5: malformed archives and configs
    "keras_corrupt_deflate": (".keras", lambda p: _corrupt_config(p), "damaged"),
    "keras_encrypted_flag": (".keras", lambda p: attack.patch_member(
        attack.keras_with(p), "config.json", flags=1), "encrypted"),
    "keras_unknown_compression": (".keras", lambda p: attack.patch_member(
        attack.keras_with(p), "config.json", method=99), "compression method"),
    "keras_truncated": (".keras", lambda p: p.write_bytes(
        attack.KERAS_MODEL.read_bytes()[:1_000_000]) and p, "truncated"),
    "keras_config_a_list": (".keras", lambda p: attack.keras_with(p, config_json=[1, 2]),
                            "does not describe a Keras Sequential"),
    "keras_config_without_keys": (".keras", lambda p: attack.keras_with(
        p, config_json={"class_name": "Sequential"}), "does not describe a Keras Sequential"),
    "keras_layer_config_a_string": (".keras", lambda p: attack.keras_with(p, config_json={
        "class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": "x"}]}}),
        "a layer that is not described as a Keras layer"),
    "keras_json_100000_deep": (".keras", lambda p: attack.keras_with(
        p, config_json=attack.nested(100_000).encode()), "nested deeper than 64 levels"),
    "keras_json_5000_deep": (".keras", lambda p: attack.keras_with(
        p, config_json=attack.nested(5000).encode()), "nested deeper than 64 levels"),
    "keras_config_nested_in_a_layer": (".keras", lambda p: attack.keras_with(
        p, config_json=attack.with_initializer(attack.config(), json.loads(attack.nested(100)))),
        "nested deeper than 64 levels"),
    "keras_config_not_utf8": (".keras", lambda p: attack.keras_with(
        p, config_json=b'{"class_name": "\xff"}'), "not UTF-8"),
    # A6: code hidden below the layer list, and containers that are two things at once
    "keras_lambda_in_an_initializer": (".keras", lambda p: attack.keras_with(
        p, config_json=attack.with_initializer(attack.config(), {
            "module": "keras.initializers", "class_name": "__lambda__",
            "config": {"code": "print('hi')"}, "registered_name": None})), "Lambda"),
    "keras_initializer_from_another_module": (".keras", lambda p: attack.keras_with(
        p, config_json=attack.with_initializer(attack.config(), {
            "module": "os", "class_name": "GlorotUniform", "config": {}, "registered_name": None})),
        "module 'os'"),
    "keras_custom_registered_name": (".keras", lambda p: attack.keras_with(
        p, config_json=attack.with_initializer(attack.config(), {
            "module": "keras.initializers", "class_name": "GlorotUniform", "config": {},
            "registered_name": "Custom>GlorotUniform"})), "registered class"),
    "keras_dense_of_a_billion_units": (".keras", lambda p: attack.keras_with(
        p, config_json=_edit_layer(7, units=10**9)), "at least 246,048.4 MiB"),
    "h5_config_wider_than_its_weights": (".h5", lambda p: attack.h5_with(p, lambda f: (
        f.attrs.__setitem__("model_config", json.dumps(_edit_layer(
            1, attack.config(attack.H5_MODEL), filters=100_000))))), "at least 112.2 MiB"),
    "keras_negative_units_to_offset_a_huge_layer": (".keras", lambda p: attack.keras_with(
        p, config_json=_edit_layers({6: {"units": -10**9}, 7: {"units": 10**9}})),
        "declares layers whose weights take at least"),
    "keras_unknown_activation": (".keras", lambda p: attack.keras_with(
        p, config_json=_edit_layer(1, activation="os.system")), "activation 'os.system'"),
    "keras_custom_layer": (".keras", lambda p: attack.keras_with(
        p, config_json=_edit_layer(1, class_name="MyLayer")), "class 'MyLayer'"),
    "keras_lambda_in_a_nested_model": (".keras", lambda p: attack.keras_with(p, config_json={
        "class_name": "Sequential", "config": {"layers": [{"class_name": "Sequential", "config": {
            "layers": [{"class_name": "Lambda", "config": {"name": "x"}}]}}]}}), "Lambda"),
    "h5_named_keras": (".keras", lambda p: p.write_bytes(attack.H5_MODEL.read_bytes()) and p,
                       "HDF5 \\(.h5\\) file named .keras"),
    "keras_named_h5": (".h5", lambda p: p.write_bytes(attack.KERAS_MODEL.read_bytes()) and p,
                       "Keras archive \\(.keras\\) named .h5"),
    "h5_with_a_zip_appended": (".h5", lambda p: p.write_bytes(
        attack.H5_MODEL.read_bytes() + attack.KERAS_MODEL.read_bytes()) and p, "both a zip"),
    "keras_with_hdf5_at_512": (".keras", lambda p: attack.write_zip(p, [
        ("metadata.json", b" " * (512 - 43) + attack.H5_MODEL.read_bytes()[:64])]
        + list(attack.members().items())[1:]), "both a zip"),
    "text_named_keras": (".keras", lambda p: p.write_bytes(b"hello, I am text") and p,
                         "is not a Keras model"),
    "png_named_h5": (".h5", lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100)) and p,
                     "is not a Keras model"),
    "pickle": (".pkl", lambda p: p.write_bytes(b"\x80\x04K\x01.") and p, "is not a Keras model"),
    "too_large": (".keras", lambda p: _sparse(p, 65 * 2**20), "more than the 64.0 MiB"),
}


def _corrupt_config(path):
    attack.keras_with(path, zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    start = data.find(b"config.json") + len("config.json") + 40  # inside its deflate stream
    data[start:start + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))
    return path


def _edit_layer(index, model_config=None, **changes):
    model_config = model_config or attack.config()
    layer = model_config["config"]["layers"][index]
    layer.update({k: v for k, v in changes.items() if k == "class_name"})
    layer["config"].update({k: v for k, v in changes.items() if k != "class_name"})
    return model_config


def _edit_layers(changes):
    model_config = attack.config()
    for index, settings in changes.items():
        model_config["config"]["layers"][index]["config"].update(settings)
    return model_config


def _sparse(path, size):
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def _build(tmp_path, attack_name):
    suffix, build, _ = ATTACKS[attack_name]
    path = tmp_path / f"srv-upload-7f3a{suffix}"
    build(path)
    return path, f"visitor's {attack_name}{suffix}"


@pytest.mark.parametrize("attack_name", sorted(ATTACKS))
def test_refuses_each_attack_in_one_sentence_naming_the_visitors_file(tmp_path, attack_name):
    path, display_name = _build(tmp_path, attack_name)
    with pytest.raises(ModelFileError, match=ATTACKS[attack_name][2]) as refused:
        model_checks.check_model_file(path, display_name)
    message = str(refused.value)
    assert message.startswith(display_name)
    assert str(tmp_path) not in message and "srv-upload" not in message
    assert message.count(". ") == 0 and message.endswith(".") and "\n" not in message


CHILD = """
import json, re, sys, time
from pathlib import Path
from mnist_core.model_checks import check_model_file
from mnist_core.errors import ModelFileError

def peak_mib():  # VmHWM: this process's own peak; ru_maxrss would include the parent it forked from
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text())[1]) / 1024

print(json.dumps(["imports", "", 0, peak_mib()]))
for path, name in json.loads(sys.argv[1]):
    start = time.perf_counter()
    try:
        check_model_file(path, name)
        outcome = "accepted"
    except ModelFileError:
        outcome = "refused"
    print(json.dumps([name, outcome, time.perf_counter() - start, peak_mib()]))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's VmHWM")
def test_every_attack_is_refused_cheaply_in_a_fresh_process(tmp_path):
    # One child checks every attack in turn: its peak memory only grows, so each line bounds its
    # own attack (and every one before it) without starting a process per attack.
    files = []
    for attack_name in sorted(ATTACKS):
        folder = tmp_path / attack_name
        folder.mkdir()
        files.append([str(p) for p in _build(folder, attack_name)])
    result = subprocess.run([sys.executable, "-c", CHILD, json.dumps(files)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    (_, _, _, imports_mib), *lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(ATTACKS)
    for name, outcome, seconds, peak_mib in lines:
        assert outcome == "refused", name
        assert peak_mib < MAX_CHECK_RSS_MB and peak_mib - imports_mib < MAX_CHECK_GROWTH_MB, (
            name, imports_mib, peak_mib)
        assert seconds < MAX_CHECK_SECONDS, (name, seconds)


@pytest.mark.parametrize("path, container", [
    (ROOT / "models" / "tutorial.keras", "keras"), (ROOT / "models" / "strong.keras", "keras"),
    (FIXTURES / "tutorial_tf_keras2.h5", "h5")])
def test_accepts_the_projects_models_and_a_keras_2_h5(path, container):
    checked = model_checks.check_model_file(path, path.name)
    assert checked.container == container
    assert checked.config["class_name"] == "Sequential"
    assert 2_000_000 < checked.weights_bytes < model_checks.MAX_WEIGHT_BYTES
    assert checked.datasets > 10
    assert checked.members == (("metadata.json", "config.json", "model.weights.h5")
                               if container == "keras" else ())


def test_refuses_the_keras_2_h5_with_a_lambda_layer():
    with pytest.raises(ModelFileError, match="lambda.h5 contains a Lambda layer"):
        model_checks.check_model_file(FIXTURES / "lambda_tf_keras2.h5", "lambda.h5")


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_accepts_a_bfloat16_model_saved_by_storage(tmp_path, suffix):
    from mnist_core import storage
    from mnist_core.model import build_tutorial_model

    storage.save_model(build_tutorial_model(dtype="mixed_bfloat16"), tmp_path / "m.keras", {}, h5=True)
    checked = model_checks.check_model_file(tmp_path / f"m{suffix}", f"m{suffix}")
    assert checked.weights_bytes >= 225_034 * 4  # float32 variables under a bfloat16 policy


def test_the_name_and_the_content_must_agree(tmp_path):
    path = tmp_path / "m.keras"
    path.write_bytes((ROOT / "models" / "tutorial.keras").read_bytes())
    with pytest.raises(ModelFileError, match="is not a Keras model"):
        model_checks.check_model_file(path, "model.h5")


def test_imports_neither_keras_nor_tensorflow():
    code = ("import sys, mnist_core.model_checks; "
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
    functional = keras.Model(inputs, layers.Dense(10, activation="softmax", kernel_regularizer="l2")(
        layers.Flatten()(layers.Concatenate()([merged, left]))))
    nested = keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(),
                               keras.Sequential([layers.Dense(8), layers.ReLU()]), layers.Dense(10)])
    varied = keras.Sequential([
        keras.Input((28, 28, 1)), layers.ZeroPadding2D(2), layers.SeparableConv2D(4, 3, strides=2),
        layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"),
        layers.Conv2D(8, (3, 5), groups=2, dilation_rate=(2, 1), use_bias=False),
        layers.LayerNormalization(), layers.PReLU(), layers.AveragePooling2D(3, strides=2, padding="same"),
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


@pytest.mark.parametrize("path", [ROOT / "models" / "strong.keras", FIXTURES / "tutorial_tf_keras2.h5"])
def test_parameters_counted_from_our_configs_match_keras(path):
    import keras

    config = model_checks.check_model_file(path, path.name).config
    model = keras.models.load_model(path, compile=False)
    assert model_weight_layout.least_parameters(config) == model.count_params()


@pytest.mark.parametrize("filler", [
    {"class_name": "Flatten", "config": {}},  # the most layers
    [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],  # the most JSON nodes
])
def test_a_config_at_the_size_limit_is_checked_within_a_second(tmp_path, filler):
    config = attack.config()
    room = model_checks.MAX_CONFIG_BYTES - len(json.dumps(config)) - 100
    config["config"]["layers"][1]["config"]["padding_list"] = []
    if isinstance(filler, dict):
        config["config"]["layers"] += [filler] * (room // len(json.dumps(filler) + ", "))
    else:
        config["config"]["layers"][1]["config"]["padding_list"] = [filler] * (
            room // len(json.dumps(filler) + ", "))
    path = attack.keras_with(tmp_path / "big.keras", config_json=config)
    assert model_checks.MAX_CONFIG_BYTES * 0.95 < len(json.dumps(config)) <= model_checks.MAX_CONFIG_BYTES
    start = time.perf_counter()
    model_checks.check_model_file(path, "big.keras")
    assert time.perf_counter() - start < MAX_CHECK_SECONDS
