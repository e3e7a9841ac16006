"""The shapes flowing through a model config: the input shape Keras will build each layer with.

Pure functions over a config already walked by `config_checks`. A shape is a tuple (batch
first) whose entries are ints, or None where the config alone does not say. Sequential models
flow from their first shape; Functional ones along their layers' `inbound_nodes`, as Keras
rebuilds them. Layers not modelled here stop the flow (None), never guess.
"""

import math


def as_int(value):
    """A count from the file (None stays None); anything but an int of 0 or more: ValueError.

    Negative sizes are refused, not computed: they would subtract from a model's total.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(value)
    return value


def as_pair(value):
    """A `(height, width)` pair from an int or a two-item list."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value, value
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return as_int(value[0]), as_int(value[1])
    raise ValueError(value)


def plain_shape(value):
    """A plain shape (batch first) from the file, or None."""
    def plain(d):
        return d is None or (isinstance(d, int) and not isinstance(d, bool) and d >= 0)

    if isinstance(value, list) and value and all(plain(d) for d in value):
        return tuple(value)
    return None


def input_shapes(model_config, start=None):
    """The input shape of each layer of a model, flowing from its input shapes.

    Args:
        model_config: a walked Sequential or Functional config.
        start: the shape flowing into a Sequential model nested in another (its own first
            shape wins).

    Returns:
        list, one shape or None per layer.
    """
    layers = model_config["config"]["layers"]
    if model_config.get("class_name") != "Sequential":
        return _graph_shapes(layers)
    return _sequential_flow(layers, start)[0]


def _sequential_flow(layers, start):
    """`(input shape of each layer, output shape)` of a Sequential model's layers."""
    first = layers[0]["config"] if layers else {}
    shape = plain_shape(first.get("batch_shape") or first.get("batch_input_shape")) or start
    shapes = []
    for layer in layers:
        shapes.append(shape)
        try:
            shape = _output_shape(layer["class_name"], layer["config"], shape) if shape else None
        except (TypeError, ValueError, ZeroDivisionError, IndexError, KeyError, AttributeError):
            shape = None
    return shapes, shape


def _graph_shapes(layers):
    """The input shape of each layer of a Functional model, following each layer's first call.

    Keras rebuilds the graph from the layers' `inbound_nodes` (the shapes recorded there are not
    used), so shapes flow here from the input layers along the same links. A layer whose inputs
    are not known yet, or called on a later call of another layer, gets None.
    """
    outputs, shapes = {}, []
    for layer in layers:
        kind, c = layer["class_name"], layer["config"]
        shape = None
        try:
            name = layer.get("name", c.get("name"))
            inputs = [outputs.get(link) for link in _inbound(layer)]
            if kind == "InputLayer":
                declared = c.get("batch_shape") or c.get("batch_input_shape")
                outputs[(name, 0, 0)] = plain_shape(declared)
            elif len(inputs) == 1 and inputs[0]:
                shape = inputs[0]
                outputs[(name, 0, 0)] = _output_shape(kind, c, shape)
            elif inputs and all(inputs) and kind == "Add" and len(set(inputs)) == 1:
                outputs[(name, 0, 0)] = inputs[0]
            elif inputs and all(inputs) and kind == "Concatenate":
                axis = c.get("axis", -1)
                widths = [s[axis] for s in inputs]
                joined = list(inputs[0])
                joined[axis] = None if None in widths else sum(widths)
                outputs[(name, 0, 0)] = tuple(joined)
        except (TypeError, ValueError, ZeroDivisionError, IndexError, KeyError, AttributeError):
            shape = None  # malformed links or settings: this layer's shape is not known
        shapes.append(shape)
    return shapes


def _inbound(layer):
    """`(layer name, node, tensor)` of each input of a layer's first call, Keras 3 or Keras 2."""
    nodes = layer.get("inbound_nodes")
    if not isinstance(nodes, list) or not nodes:
        return []
    first = nodes[0]
    if isinstance(first, dict):  # Keras 3: tensors inside "args", with their keras_history
        links, stack = [], [first.get("args")]
        while stack:  # depth-first, in order, without recursion
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict) and item.get("class_name") == "__keras_tensor__":
                config = item.get("config")
                history = config.get("keras_history") if isinstance(config, dict) else None
                links.append(_link(history))
        return links
    if isinstance(first, list):  # Keras 2: [[name, node, tensor, kwargs], ...]
        return [_link(entry[:3] if isinstance(entry, list) else None) for entry in first]
    return []


def _link(history):
    """A hashable `(layer name, node, tensor)`, or () for anything else."""
    if isinstance(history, list) and len(history) == 3 and isinstance(history[0], str) \
            and all(isinstance(i, int) for i in history[1:]):
        return tuple(history)
    return ()


def _output_shape(kind, c, shape):
    """What one layer outputs for `shape`, channels last; None when not computed here."""
    if kind in _SAME_SHAPE:
        return shape
    if kind == "Dense":
        return shape[:-1] + (as_int(c.get("units")),)
    if kind == "Flatten":
        rest = shape[1:]
        return (shape[0], None if None in rest else math.prod(rest))
    if kind == "Sequential":
        return _sequential_flow(c["layers"], shape)[1]
    if kind == "Reshape":
        target = [-1 if d == -1 else as_int(d) for d in c.get("target_shape") or []]
        known = math.prod(d for d in target if d != -1)
        if target.count(-1) == 1 and None not in shape[1:] and known:
            target[target.index(-1)] = math.prod(shape[1:]) // known
        return (shape[0], *target) if -1 not in target else None
    if c.get("data_format", "channels_last") != "channels_last" or len(shape) != 4:
        return None
    batch, height, width, channels = shape
    if kind in ("Conv2D", "SeparableConv2D", "DepthwiseConv2D"):
        kernel, strides = as_pair(c.get("kernel_size")), as_pair(c.get("strides", 1))
        dilation = as_pair(c.get("dilation_rate", 1))
        size = [(k - 1) * d + 1 for k, d in zip(kernel, dilation)]
        out = (channels * as_int(c.get("depth_multiplier", 1)) if kind == "DepthwiseConv2D"
               else as_int(c.get("filters")))
        return (batch, *_spatial((height, width), size, strides, c.get("padding", "valid")), out)
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        pool = as_pair(c.get("pool_size", 2))
        strides = as_pair(c.get("strides") or pool)
        spatial = _spatial((height, width), pool, strides, c.get("padding", "valid"))
        return (batch, *spatial, channels)
    if kind == "ZeroPadding2D":
        padding = c.get("padding", 1)
        if isinstance(padding, int):
            padding = ((padding, padding), (padding, padding))
        elif all(isinstance(p, int) for p in padding):
            padding = ((padding[0], padding[0]), (padding[1], padding[1]))
        (top, bottom), (left, right) = (as_pair(p) for p in padding)
        return (batch, None if height is None else height + top + bottom,
                None if width is None else width + left + right, channels)
    if kind in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
        return (batch, 1, 1, channels) if c.get("keepdims") else (batch, channels)
    return None


def _spatial(sizes, windows, strides, padding):
    if padding == "same":
        return tuple(None if n is None else -(-n // s) for n, s in zip(sizes, strides))
    if padding != "valid":
        raise ValueError(padding)
    return tuple(None if n is None else max(0, (n - w) // s + 1)
                 for n, w, s in zip(sizes, windows, strides))


_SAME_SHAPE = frozenset({
    "InputLayer", "Dropout", "SpatialDropout2D", "BatchNormalization", "LayerNormalization",
    "Activation", "ReLU", "LeakyReLU", "Softmax", "Rescaling", "ELU", "PReLU",
})
