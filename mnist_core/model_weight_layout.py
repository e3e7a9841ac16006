"""Which weights a model config declares, layer by layer, and where Keras looks for them.

Pure functions over a config already walked by `model_config_checks`. A shape is a tuple whose
entries are ints, or None where the config alone does not say (a Dense layer's input width in a
Keras 2 file, which records no input shapes).
"""

import re

NO_WEIGHTS = frozenset({
    "InputLayer", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
    "GlobalMaxPooling2D", "Flatten", "Dropout", "SpatialDropout2D", "Activation", "ReLU",
    "LeakyReLU", "Softmax", "Reshape", "Rescaling", "ZeroPadding2D", "Add", "Concatenate", "ELU",
})
"""Allowed layers that own no weights: a file giving them some is not what Keras wrote."""


def snake_case(class_name):
    """Keras' `naming.to_snake_case`: the name `.keras` weight files give a layer's group."""
    name = re.sub(r"\W+", "", class_name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def layers_of(model_config):
    """The layer configs of a (walked) model config, in order."""
    return model_config["config"]["layers"]


def keras3_groups(model_config):
    """Maps each `layers/<group>` of a `.keras` weight file to the weight shapes it must hold.

    Keras 3 names a layer's group after its class (`conv2d`, `conv2d_1`, ...), not its name.

    Returns:
        dict: group name -> list of shapes, or None when not known (a nested model).
    """
    used, groups = {}, {}
    for layer in layers_of(model_config):
        base = snake_case(layer["class_name"])
        used[base] = used.get(base, -1) + 1
        groups[base if used[base] == 0 else f"{base}_{used[base]}"] = layer_weights(layer)
    return groups


def legacy_layers(model_config):
    """Maps each layer name of a legacy `.h5` file to the weight shapes it must hold.

    Returns:
        dict: layer name -> list of shapes, or None when not known (a nested model).
    """
    return {layer["config"].get("name"): layer_weights(layer)
            for layer in layers_of(model_config)}


def layer_weights(layer):
    """The shapes of one layer's weights, in Keras' order, or None when they cannot be known.

    Args:
        layer: a layer's `{"class_name", "config", ...}` object.

    Returns:
        list of shape tuples (entries int or None), or None for nested models and layers whose
        weights depend on more than the config says.
    """
    kind, c = layer["class_name"], layer["config"]
    if kind in NO_WEIGHTS:
        return []
    channels = _input_channels(layer)
    bias = c.get("use_bias", True) is not False
    try:
        if kind == "Dense":
            units = _int(c.get("units"))
            return [(channels, units)] + ([(units,)] if bias else [])
        if kind == "Conv2D":
            filters, groups = _int(c.get("filters")), _int(c.get("groups", 1)) or 1
            per_group = channels // groups if channels is not None else None
            return [(*_pair(c.get("kernel_size")), per_group, filters)] + ([(filters,)] if bias else [])
        if kind == "DepthwiseConv2D":
            multiplier = _int(c.get("depth_multiplier", 1))
            out = channels * multiplier if channels is not None and multiplier else None
            return [(*_pair(c.get("kernel_size")), channels, multiplier)] + ([(out,)] if bias else [])
        if kind == "SeparableConv2D":
            multiplier, filters = _int(c.get("depth_multiplier", 1)), _int(c.get("filters"))
            middle = channels * multiplier if channels is not None and multiplier else None
            return ([(*_pair(c.get("kernel_size")), channels, multiplier), (1, 1, middle, filters)]
                    + ([(filters,)] if bias else []))
        if kind == "BatchNormalization":
            count = (c.get("scale", True) is not False) + (c.get("center", True) is not False) + 2
            return [(_axis_size(layer),)] * count
        if kind == "LayerNormalization":
            count = (c.get("scale", True) is not False) + (c.get("center", True) is not False)
            return [(_axis_size(layer),)] * count
    except (TypeError, ValueError):
        return None
    return None  # nested models, PReLU (its shape follows the input's): checked only by size


def _int(value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(value)
    return value


def _pair(value):
    if isinstance(value, int) and not isinstance(value, bool):
        return value, value
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return _int(value[0]), _int(value[1])
    raise ValueError(value)


def _input_shape(layer):
    """The input shape Keras 3 records in `build_config`, when it is a single plain shape."""
    build = layer.get("build_config")
    shape = build.get("input_shape") if isinstance(build, dict) else None
    if isinstance(shape, list) and shape and all(
            d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in shape):
        return shape
    return None


def _input_channels(layer):
    shape = _input_shape(layer)
    if shape is None or layer["config"].get("data_format", "channels_last") != "channels_last":
        return None
    return shape[-1]


def _axis_size(layer):
    shape, axis = _input_shape(layer), layer["config"].get("axis", -1)
    if isinstance(axis, list) and len(axis) == 1:
        axis = axis[0]
    if shape is None or not isinstance(axis, int) or not -len(shape) <= axis < len(shape):
        return None
    return shape[axis]


def shape_matches(expected, actual):
    """True when `actual` has `expected`'s rank and agrees wherever `expected` is known."""
    return len(expected) == len(actual) and all(e is None or e == a
                                                for e, a in zip(expected, actual))
