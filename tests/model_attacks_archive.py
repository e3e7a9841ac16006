"""Attacks on the archive and the config of a model file (issue #9, A2-A6), one case per file.

Each case is `name(path)` that writes the attack to `path`, registered with the suffix the file
gets and a regular expression its refusal must match.
"""

import json
import zipfile

from tests import model_attacks as attack
from tests.model_attacks import GIB, case, config, edit_layers, keras_with, members, write_zip


def _with_kernel_initializer(initializer):
    model_config = config()
    model_config["config"]["layers"][1]["config"]["kernel_initializer"] = initializer
    return model_config


@case(".keras", "3,584.0 MiB once expanded")
def keras_weights_zip_bomb(path):
    """A2 as found: weights declared as 3.5 GiB (here 60 MiB of zeros, deflated to 60 KiB)."""
    keras_with(path, zipfile.ZIP_DEFLATED, weights=bytes(60 * 2**20))
    return attack.patch_member(path, "model.weights.h5", size=int(3.5 * GIB))


@case(".keras", "once expanded")
def keras_weights_high_ratio(path):
    """Within the size limit, but expanding 1000 times: refused by the ratio."""
    return keras_with(path, zipfile.ZIP_DEFLATED, weights=bytes(60 * 2**20))


@case(".keras", "member config.json of 20.0 MiB")
def keras_config_of_spaces(path):
    """A3: a valid config after 20 MiB of spaces (the issue's: 2 GiB), deflated."""
    padded = b" " * (20 * 2**20) + json.dumps(config()).encode()
    return keras_with(path, zipfile.ZIP_DEFLATED, config_json=padded)


@case(".keras", "not one Keras writes")
def keras_extra_member(path):
    """A4: a member Keras would extract to the temp folder, and leave there on failure."""
    return write_zip(path, {**members(), "assets/junk.bin": bytes(1024)})


@case(".keras", "not one Keras writes")
def keras_duplicate_member(path):
    return write_zip(path, list(members().items()) + [("config.json", b"[]")])


@case(".keras", "not one Keras writes")
def keras_without_weights(path):
    return write_zip(path, {"config.json": json.dumps(config()).encode()})


@case(".keras", "damaged")
def keras_corrupt_deflate(path):
    """A5: bytes overwritten inside config.json's deflate stream."""
    keras_with(path, zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    start = data.find(b"config.json") + len("config.json") + 40
    data[start:start + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))
    return path


@case(".keras", "encrypted")
def keras_encrypted_flag(path):
    return attack.patch_member(keras_with(path), "config.json", flags=1)


@case(".keras", "compression method")
def keras_unknown_compression(path):
    return attack.patch_member(keras_with(path), "config.json", method=99)


@case(".keras", "truncated")
def keras_truncated(path):
    path.write_bytes(attack.KERAS_MODEL.read_bytes()[:1_000_000])
    return path


@case(".keras", "does not describe a Keras Sequential")
def keras_config_a_list(path):
    return keras_with(path, config_json=[1, 2])


@case(".keras", "does not describe a Keras Sequential")
def keras_config_without_keys(path):
    return keras_with(path, config_json={"class_name": "Sequential"})


@case(".keras", "a layer that is not described as a Keras layer")
def keras_layer_config_a_string(path):
    layers = [{"class_name": "Dense", "config": "x"}]
    return keras_with(path, config_json={"class_name": "Sequential", "config": {"layers": layers}})


@case(".keras", "nested deeper than 64 levels")
def keras_json_100000_deep(path):
    return keras_with(path, config_json=attack.nested(100_000).encode())


@case(".keras", "nested deeper than 64 levels")
def keras_json_5000_deep(path):
    return keras_with(path, config_json=attack.nested(5000).encode())


@case(".keras", "nested deeper than 64 levels")
def keras_config_nested_in_a_layer(path):
    """Valid JSON, shallow enough for Python, but 100 levels inside a layer's settings."""
    deep = _with_kernel_initializer(json.loads(attack.nested(100)))
    return keras_with(path, config_json=deep)


@case(".keras", "not UTF-8")
def keras_config_not_utf8(path):
    return keras_with(path, config_json=b'{"class_name": "\xff"}')


@case(".keras", "Lambda")
def keras_lambda_in_an_initializer(path):
    """A6: code below the layer list, where a top-level-only check never looked."""
    return keras_with(path, config_json=_with_kernel_initializer({
        "module": "keras.initializers", "class_name": "__lambda__",
        "config": {"code": "print('hi')"}, "registered_name": None}))


@case(".keras", "module 'os'")
def keras_initializer_from_another_module(path):
    return keras_with(path, config_json=_with_kernel_initializer({
        "module": "os", "class_name": "GlorotUniform", "config": {}, "registered_name": None}))


@case(".keras", "registered class")
def keras_custom_registered_name(path):
    return keras_with(path, config_json=_with_kernel_initializer({
        "module": "keras.initializers", "class_name": "GlorotUniform", "config": {},
        "registered_name": "Custom>GlorotUniform"}))


@case(".keras", "activation 'os.system'")
def keras_unknown_activation(path):
    return keras_with(path, config_json=edit_layers({1: {"activation": "os.system"}}))


def _python_function(module, function, kind="function"):
    """A Python function as Keras 3 serialises one (`os.system` is a built-in's kind)."""
    return {"module": module, "class_name": kind, "config": function, "registered_name": kind}


# issue 22 (B7): refused, but worded "contains a Lambda layer": say what it is.
@case(".keras", r"names the Python function 'builtins\.exec' as an activation; only Keras' own "
                r"activations are allowed\.$")
def keras_activation_builtins_exec(path):
    return keras_with(path, config_json=edit_layers({1: {
        "activation": _python_function("builtins", "exec")}}))


@case(".keras", r"names the Python function 'os\.system' as an activation")
def keras_activation_os_system_as_keras_writes_it(path):
    return keras_with(path, config_json=edit_layers({7: {
        "activation": _python_function("os", "system", "builtin_function_or_method")}}))


@case(".keras", r"names the Python function 'os\.system' where Keras expects one of its own")
def keras_initializer_os_system(path):
    return keras_with(path, config_json=_with_kernel_initializer(_python_function("os", "system")))


@case(".keras", "class 'MyLayer'")
def keras_custom_layer(path):
    model_config = config()
    model_config["config"]["layers"][1]["class_name"] = "MyLayer"
    return keras_with(path, config_json=model_config)


@case(".keras", "Lambda")
def keras_lambda_in_a_nested_model(path):
    inner = {"class_name": "Sequential", "config": {
        "layers": [{"class_name": "Lambda", "config": {"name": "x"}}]}}
    return keras_with(path, config_json={"class_name": "Sequential", "config": {"layers": [inner]}})


@case(".keras", "at least 246,048.4 MiB")
def keras_dense_of_a_billion_units(path):
    """Keras builds layers before it reads weights: the config alone would take gigabytes."""
    return keras_with(path, config_json=edit_layers({7: {"units": 10**9}}))


@case(".keras", "declares layers whose weights take at least")
def keras_negative_units_to_offset_a_huge_layer(path):
    return keras_with(path, config_json=edit_layers({6: {"units": -10**9}, 7: {"units": 10**9}}))


@case(".h5", "Keras archive \\(.keras\\) named .h5")
def keras_named_h5(path):
    path.write_bytes(attack.KERAS_MODEL.read_bytes())
    return path


@case(".keras", "is not a Keras model")
def text_named_keras(path):
    path.write_bytes(b"hello, I am text")
    return path


@case(".h5", "is not a Keras model")
def png_named_h5(path):
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    return path


@case(".pkl", "is not a Keras model")
def pickle(path):
    path.write_bytes(b"\x80\x04K\x01.")
    return path


@case(".keras", "more than the 64.0 MiB")
def too_large(path):
    """65 MiB that take no disk (a sparse file): refused by its size before any read."""
    with open(path, "wb") as f:
        f.truncate(65 * 2**20)
    return path
