"""A stroke's one image through the model and the not-a-digit gate, compiled for LiteRT.

A traced TensorFlow call of the two networks on one 28x28 image costs ~0.9 ms of CPU, most of
it TensorFlow's dispatch of ~80 small kernels, and in the server ~1.7 ms more on its kernel
thread; the same graph converted once to LiteRT's flat format and run by its interpreter
(XNNPACK kernels, one thread) costs ~0.5 ms and answers the same to ~1e-6 (bench/README.md).
A stroke's few images (a number's pieces) are read one by one this way too
(`inference.COMPILED_BATCH`); a batch (a test-set report) stays with TensorFlow, faster there.

LiteRT (`ai-edge-litert`) is TensorFlow Lite's interpreter as its own package; the conversion
is TensorFlow's own. Where either is missing or a model does not convert (a layer LiteRT does
not have), `compile_read` says so in the log and the caller keeps TensorFlow's call.
"""

import ctypes
import logging
import threading

import numpy as np

from mnist_core.constants import IMAGE_SIZE

_LOG = logging.getLogger(__name__)
ONE_IMAGE = (1, IMAGE_SIZE, IMAGE_SIZE, 1)


class CompiledRead:
    """One image's outputs from a compiled function of `(1, 28, 28, 1)` float32 images.

    An interpreter holds its tensors between calls, so calls take turns (`_lock`): a read is
    ~0.5 ms, and the traced TensorFlow call it replaces ran one kernel at a time anyway.

    Args:
        interpreter: a LiteRT `Interpreter`, tensors allocated.
        input_index: its input tensor's index.
        output_indices: its output tensors' indices, in the function's output order.
    """

    def __init__(self, interpreter, input_index, output_indices):
        self._interpreter = interpreter
        self._input = input_index
        self._outputs = tuple(output_indices)
        self._lock = threading.Lock()

    def __call__(self, image):
        """The function's outputs for one image.

        Args:
            image: float32 array of `IMAGE_SIZE**2` values in [0, 1], any shape.

        Returns:
            One float32 array (1, K) per output of the function, each a copy.
        """
        image = np.ascontiguousarray(image, dtype=np.float32).reshape(ONE_IMAGE)
        with self._lock:
            self._interpreter.set_tensor(self._input, image)
            self._interpreter.invoke()
            return [self._interpreter.get_tensor(index) for index in self._outputs]


def compile_read(function, owner):
    """`function` compiled for one image and checked against TensorFlow, or None (logged).

    The compiled function is run once on a probe image beside the traced one: each of its
    outputs must match one of TensorFlow's (the converter may list them in another order, and
    a conversion that changed the arithmetic is refused rather than trusted).

    Args:
        function: a callable `images -> tuple of tensors`, each (N, K); traced here for
            `(1, 28, 28, 1)` float32 images.
        owner: the object holding the variables it reads (a Keras model, a `Predictor`),
            given to the converter, which exports it as a SavedModel where it is a `tf.Module`
            and otherwise converts the traced graph with its variables' values frozen in (a
            `Predictor`: nothing written to disk).

    Returns:
        A `CompiledRead`, or None: LiteRT not installed, the conversion failed, or its answer
        differed from TensorFlow's.
    """
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        _LOG.info("LiteRT (ai-edge-litert) is not installed: strokes are read by TensorFlow.")
        return None
    except Exception as error:  # installed but broken (a missing shared library): the same
        _LOG.warning("LiteRT (ai-edge-litert) does not load (%s): strokes are read by "
                     "TensorFlow.", type(error).__name__)
        return None
    import tensorflow as tf

    probe = np.random.default_rng(0).random(ONE_IMAGE, dtype=np.float32)
    try:
        traced = tf.function(function, input_signature=[tf.TensorSpec(ONE_IMAGE, tf.float32)],
                             autograph=False).get_concrete_function()
        expected = [np.asarray(output) for output in tf.nest.flatten(traced(tf.constant(probe)))]
        flat = tf.lite.TFLiteConverter.from_concrete_functions([traced], owner).convert()
        interpreter = Interpreter(model_content=flat, num_threads=1)
        interpreter.allocate_tensors()
        (given,) = interpreter.get_input_details()
        interpreter.set_tensor(given["index"], probe)
        interpreter.invoke()
        found = {o["index"]: interpreter.get_tensor(o["index"])
                 for o in interpreter.get_output_details()}
    except Exception as error:  # the converter's and the interpreter's errors have no common type
        _LOG.warning("This model is read by TensorFlow: LiteRT could not compile it (%s).",
                     str(error).splitlines()[0] if str(error) else type(error).__name__)
        return None
    finally:
        _give_back_freed_memory()
    order = _matching(expected, found)
    if order is None:
        _LOG.warning("This model is read by TensorFlow: compiled for LiteRT, it answered a "
                     "probe image differently.")
        return None
    return CompiledRead(interpreter, given["index"], order)


SAME = 1e-4
"""Largest difference between a compiled output and TensorFlow's on the probe (probabilities:
the two differ by ~1e-6, float32 arithmetic in another order)."""


def _matching(expected, found):
    """The indices in `found` ({index: array}) of each of `expected`'s arrays, in order, each
    used once; None when one has no match."""
    order, left = [], dict(found)
    for array in expected:
        match = next((index for index, value in left.items()
                      if value.shape == array.shape and np.allclose(value, array, atol=SAME)),
                     None)
        if match is None:
            return None
        order.append(match)
        del left[match]
    return order if not left else None


def _give_back_freed_memory():
    """Returns the converter's freed heap to the system, in a server that counts every
    megabyte: a conversion left ~62 MB more of the process's heap resident, ~36 MB once given
    back (models/strong.keras and the gate, in one process). glibc only."""
    try:
        ctypes.CDLL(None).malloc_trim(0)  # the process's own C library
    except (OSError, AttributeError):  # another C library: nothing to give back this way
        pass
