"""Which weights a model config declares, layer by layer, and where Keras looks for them.

Pure functions over a config already walked by `config_checks`. A shape is a tuple whose
entries are ints, or None where the config alone does not say (a Dense layer's input width in a
Keras 2 file, which records no input shapes).
"""

import math
import re

from mnist_core.untrusted.shapes import as_int, as_pair, input_shapes, plain_shape

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
    for layer, shapes in zip(layers_of(model_config), weight_shapes(model_config)):
        base = snake_case(layer["class_name"])
        used[base] = used.get(base, -1) + 1
        groups[base if used[base] == 0 else f"{base}_{used[base]}"] = shapes
    return groups


def legacy_layers(model_config):
    """The weight shapes of each layer, in order, as a legacy `.h5` file pairs them.

    Returns:
        list of `(layer name, list of shapes or None when not known)`.
    """
    return [(layer["config"].get("name"), shapes)
            for layer, shapes in zip(layers_of(model_config), weight_shapes(model_config))]


def weight_shapes(model_config):
    """Each layer's weight shapes, from the input shape Keras will build it with.

    A layer with a `build_config` is built from it; the others from the shape flowing through a
    Sequential model (computed here), or, in a Functional model, from nothing known.

    Returns:
        list (one per layer) of lists of shapes, or None when not known.
    """
    layers = layers_of(model_config)
    flowing = input_shapes(model_config)
    return [layer_weights(layer, _declared_input(layer) or shape)
            for layer, shape in zip(layers, flowing)]


def least_parameters(model_config, start=None):
    """The fewest numbers the config's layers make Keras allocate, from every shape it gives.

    Both a layer's `build_config` and the shape flowing into it count (Keras may use either),
    and unknown dimensions count as 1, so a layer of 10**9 units is seen before Keras builds it.

    Args:
        model_config: a walked model config.
        start: the shape flowing into it, when it is nested in a Sequential model.
    """
    total = 0
    for layer, shape in zip(layers_of(model_config), input_shapes(model_config, start)):
        if isinstance(layer["config"].get("layers"), list):  # a nested model, counted as one
            total += least_parameters(layer, shape)
            continue
        sizes = [0]
        for input_shape in (_declared_input(layer), shape):
            shapes = layer_weights(layer, input_shape) or []
            sizes.append(sum(math.prod(d or 1 for d in s) for s in shapes))
        total += max(sizes)
    return total


def layer_weights(layer, input_shape=None):
    """The shapes of one layer's weights, in Keras' order, or None when they cannot be known.

    Args:
        layer: a layer's `{"class_name", "config", ...}` object.
        input_shape: the shape Keras builds it with (batch first), or None when not known.

    Returns:
        list of shape tuples (entries int or None), or None for nested models and layers whose
        weights depend on more than the config says.
    """
    kind, c = layer["class_name"], layer["config"]
    if kind in NO_WEIGHTS:
        return []
    last = c.get("data_format", "channels_last") == "channels_last"
    channels = input_shape[-1] if input_shape and last else None
    bias = c.get("use_bias", True) is not False
    try:
        if kind == "Dense":
            units = as_int(c.get("units"))
            return [(channels, units)] + ([(units,)] if bias else [])
        if kind == "Conv2D":
            filters, groups = as_int(c.get("filters")), as_int(c.get("groups", 1)) or 1
            per_group = channels // groups if channels is not None else None
            kernel = (*as_pair(c.get("kernel_size")), per_group, filters)
            return [kernel] + ([(filters,)] if bias else [])
        if kind == "DepthwiseConv2D":
            multiplier = as_int(c.get("depth_multiplier", 1))
            out = channels * multiplier if channels is not None and multiplier else None
            kernel = (*as_pair(c.get("kernel_size")), channels, multiplier)
            return [kernel] + ([(out,)] if bias else [])
        if kind == "SeparableConv2D":
            multiplier, filters = as_int(c.get("depth_multiplier", 1)), as_int(c.get("filters"))
            middle = channels * multiplier if channels is not None and multiplier else None
            depthwise = (*as_pair(c.get("kernel_size")), channels, multiplier)
            return [depthwise, (1, 1, middle, filters)] + ([(filters,)] if bias else [])
        if kind == "PReLU":
            if input_shape is None or None in input_shape[1:]:
                return None
            alpha = list(input_shape[1:])
            for axis in c.get("shared_axes") or []:
                alpha[as_int(axis) - 1] = 1
            return [tuple(alpha)]
        if kind in ("BatchNormalization", "LayerNormalization"):
            count = (c.get("scale", True) is not False) + (c.get("center", True) is not False)
            size = _axis_size(c.get("axis", -1), input_shape)
            return [(size,)] * (count + 2 * (kind == "BatchNormalization"))
    except (TypeError, ValueError, ZeroDivisionError, IndexError, KeyError, AttributeError):
        return None
    return None  # nested models: checked by their own layers and by size


def _declared_input(layer):
    """The input shape Keras 3 records in a layer's `build_config`, when it is one plain shape."""
    build = layer.get("build_config")
    return plain_shape(build.get("input_shape")) if isinstance(build, dict) else None


def _axis_size(axis, input_shape):
    if isinstance(axis, list) and len(axis) == 1:
        axis = axis[0]
    if input_shape is None or not isinstance(axis, int) \
            or not -len(input_shape) <= axis < len(input_shape):
        return None
    return input_shape[axis]


def shape_matches(expected, actual):
    """True when `actual` has `expected`'s rank and agrees wherever `expected` is known."""
    return len(expected) == len(actual) and all(e is None or e == a
                                                for e, a in zip(expected, actual))
