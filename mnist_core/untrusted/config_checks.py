"""The architecture of an untrusted model file: parsed within bounds, walked whole, allow-listed.

A Keras config names classes and modules that Keras will import and build. Every nested object is
walked (layers, activations, initializers, regularizers, constraints, dtype policies, nested
models), so code cannot hide inside, say, an initializer. From the same config this module says
which weights each layer needs, so the weight file can be compared with it before it is read.
Imports only the standard library: the check runs in the server before Keras is touched.
"""

import json
import re

import numpy as np

from mnist_core.errors import ModelFileError

MAX_CONFIG_DEPTH = 64
"""Deepest nesting of JSON objects and lists in a config; ours reach 9, a nested model ~15."""

MAX_CONFIG_BYTES = 256 * 2**10
"""Largest model description (config.json or `model_config`): the strong model's is 16 KB, and
parsing and walking 256 KiB of the worst JSON takes about 0.2 s."""

MODEL_CLASSES = frozenset({"Sequential", "Functional", "Model"})

SAFE_LAYERS = frozenset({
    "InputLayer", "Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
    "GlobalMaxPooling2D", "Flatten", "Dense", "Dropout", "SpatialDropout2D", "BatchNormalization",
    "LayerNormalization", "Activation", "ReLU", "LeakyReLU", "Softmax", "Reshape", "Rescaling",
    "ZeroPadding2D", "Add", "Concatenate", "DepthwiseConv2D", "SeparableConv2D", "ELU", "PReLU",
}) | MODEL_CLASSES
"""Layer classes a model file may name. Anything else (Lambda above all, or a custom class)
could carry code, so it is refused before Keras deserialises the file."""

SAFE_OBJECTS = frozenset({
    # dtype policies (Keras 3; Keras 2's mixed precision writes "Policy")
    "DTypePolicy", "FloatDTypePolicy", "Policy",
    # initializers
    "GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal", "LecunUniform",
    "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
    "VarianceScaling", "Orthogonal", "Identity",
    # regularizers and constraints
    "L1", "L2", "L1L2", "OrthogonalRegularizer", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm",
    # plain data in a Functional model's graph
    "__keras_tensor__", "__tuple__",
    # compile_config (Keras does not build it with compile=False, but it is walked all the same)
    "Adam", "AdamW", "Adamax", "Nadam", "SGD", "RMSprop", "Adagrad", "Adadelta", "Ftrl", "Lion",
    "LossScaleOptimizer", "CosineDecay", "CosineDecayRestarts", "ExponentialDecay",
    "InverseTimeDecay", "PiecewiseConstantDecay", "PolynomialDecay",
    "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "BinaryCrossentropy",
    "CategoricalFocalCrossentropy", "MeanSquaredError", "MeanAbsoluteError", "KLDivergence",
    "Accuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
})
"""Non-layer classes a config may name: data and built-in Keras objects that run no code."""

SAFE_ACTIVATIONS = frozenset({
    "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "mish", "softmax",
    "log_softmax", "sigmoid", "hard_sigmoid", "hard_silu", "hard_swish", "tanh", "softplus",
    "softsign", "exponential", "linear",
})

SAFE_CLASSES = SAFE_LAYERS | SAFE_OBJECTS

FUNCTION_CLASSES = frozenset({"function", "builtin_function_or_method", "method",
                              "builtin_method", "method-wrapper"})
"""What Keras 3 writes as `class_name` for a plain Python function (`os.system`,
`builtins.exec`): deserialising it imports `module` and looks `config` up in it."""

CODE_KEYS = frozenset({"function", "function_type", "output_shape_module", "code", "closure"})
"""Keys that only a Lambda (or a serialised function) writes: their presence anywhere refuses."""


def parse_config(raw, name):
    """Parses a model config from bytes or text, refusing anything but a bounded JSON object.

    Args:
        raw: UTF-8 bytes or str, already read within its size limit.
        name: the visitor's file name, for messages.

    Returns:
        The parsed dict.

    Raises:
        ModelFileError: not UTF-8, not JSON, nested too deep, or not an object.
    """
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
    except UnicodeDecodeError:
        raise ModelFileError(f"{name} holds a model description that is not UTF-8 text; "
                             "save the model again with Keras.") from None
    if nesting_depth(text) > MAX_CONFIG_DEPTH:
        raise _too_deep(name)
    try:
        config = json.loads(text)
    except RecursionError:  # unreachable after the depth check, kept as a second barrier
        raise _too_deep(name) from None
    except ValueError:
        raise ModelFileError(f"{name} holds a model description that is not valid JSON; "
                             "save the model again with Keras.") from None
    if not isinstance(config, dict):
        raise _not_a_model(name)
    return config


def nesting_depth(text):
    """How deeply JSON `text` nests objects and lists, counted in linear time without recursion.

    Brackets inside strings do not count: escaped backslashes and quotes are dropped first, so
    the quotes left delimit strings. Malformed text only gets a count, which json then refuses.
    """
    skeleton = text.replace("\\\\", "").replace('\\"', "").encode("utf-8", "surrogatepass")
    codes = np.frombuffer(skeleton, dtype=np.uint8)
    outside = (np.cumsum(codes == ord('"'), dtype=np.int32) & 1) == 0
    opening = ((codes == ord("[")) | (codes == ord("{"))) & outside
    closing = ((codes == ord("]")) | (codes == ord("}"))) & outside
    return int(np.cumsum(opening.astype(np.int32) - closing, dtype=np.int32).max(initial=0))


def check_config(config, name):
    """Refuses a model config that could run code or that is not a plain Keras model.

    Walks every nested object with a depth limit: each `class_name` must be an allowed layer or
    Keras object, each `module` a Keras one, each `registered_name` empty or the class itself,
    each activation a built-in name; Lambda layers and serialised functions are refused.

    Args:
        config: the parsed config (`parse_config`).
        name: the visitor's file name, for messages.

    Raises:
        ModelFileError: one sentence naming `name`.
    """
    if not isinstance(config, dict) or config.get("class_name") not in MODEL_CLASSES:
        raise _not_a_model(name)
    _check_layers(config, name)
    _walk(config, name, 0)


def _check_layers(model, name):
    """Every model's `config.layers` is a list of objects, each with a class and a config."""
    body = model.get("config")
    layers = body.get("layers") if isinstance(body, dict) else None
    if not isinstance(layers, list):
        raise _not_a_model(name)
    for layer in layers:
        if not (isinstance(layer, dict) and isinstance(layer.get("class_name"), str)
                and isinstance(layer.get("config"), dict)):
            raise ModelFileError(f"{name} has a layer that is not described as a Keras layer "
                                 "(a class name and its settings); save the model again with "
                                 "Keras.")
        if layer["class_name"] in MODEL_CLASSES:
            _check_layers(layer, name)


def _walk(node, name, depth, key=None):
    if depth > MAX_CONFIG_DEPTH:
        raise _too_deep(name)
    if isinstance(node, list):
        for item in node:
            _walk(item, name, depth + 1)
        return
    if not isinstance(node, dict):
        return
    if CODE_KEYS & node.keys():
        raise _lambda(name)
    if "class_name" in node:
        _check_object(node, name, key)
    activation = node.get("activation")
    if isinstance(activation, str) and activation not in SAFE_ACTIVATIONS:
        raise ModelFileError(f"{name} uses the activation {quote(activation)}, which is not a "
                             "built-in Keras activation; only standard ones are accepted.")
    for child_key, value in node.items():
        _walk(value, name, depth + 1, child_key)


def _check_object(node, name, key=None):
    class_name, module = node.get("class_name"), node.get("module")
    if class_name in FUNCTION_CLASSES:
        raise _function(name, node, key)
    if class_name in ("Lambda", "TFOpLambda", "SlicingOpLambda", "__lambda__"):
        raise _lambda(name)
    if not isinstance(class_name, str) or class_name not in SAFE_CLASSES:
        raise ModelFileError(f"{name} uses the class {quote(class_name)}, which this app does "
                             "not load; only standard Keras layers are accepted.")
    if module is not None and not (isinstance(module, str)
                                   and (module == "keras" or module.startswith("keras."))):
        raise ModelFileError(f"{name} refers to code in the module {quote(module)}, which "
                             "would run from outside Keras; it was refused for safety.")
    if node.get("registered_name") not in (None, class_name):
        raise ModelFileError(f"{name} names the registered class "
                             f"{quote(node.get('registered_name'))}, which is not a built-in "
                             "Keras class; it was refused for safety.")


def size_text(size):
    """A byte count as a person reads it: "3.5 KiB", "3,584.0 MiB"."""
    if size >= 2**20:
        return f"{size / 2**20:,.1f} MiB"
    return f"{size / 2**10:,.1f} KiB" if size >= 2**10 else f"{size:,} bytes"


def quote(value, limit=60):
    """A value from the file, shown short and on one line (a file may put anything there)."""
    text = re.sub(r"\s+", " ", str(value))
    return repr(text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "...")


def _not_a_model(name):
    return ModelFileError(f"{name} does not describe a Keras Sequential or Functional model; "
                          "save it with model.save().")


def _too_deep(name):
    return ModelFileError(f"{name} holds a model description nested deeper than "
                          f"{MAX_CONFIG_DEPTH} levels, which no Keras model needs; it was refused.")


def _function(name, node, key):
    """What a serialised Python function is: Keras would import `module` and call `config` in
    it (`builtins.exec`, `os.system`), so say so, not "a Lambda layer"."""
    module, function = node.get("module"), node.get("config")
    named = (quote(f"{module}.{function}") if isinstance(module, str) and isinstance(function, str)
             else quote(function))
    if key == "activation":
        return ModelFileError(f"{name} names the Python function {named} as an activation; "
                              "only Keras' own activations are allowed.")
    return ModelFileError(f"{name} names the Python function {named} where Keras expects one "
                          "of its own objects; only Keras' own layers and objects are allowed.")


def _lambda(name):
    return ModelFileError(f"{name} contains a Lambda layer, which would run code from the "
                          "file; it was refused for safety.")
