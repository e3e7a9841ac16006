"""What the network sees: every layer's output for one image, and a saliency map, in one call.

`Explainer` walks `model.layers` (it names none, so it works for the tutorial's CNN, the other
recipes and any uploaded model the page can load) and traces one `tf.function` with a fixed
input signature, as `inference.Predictor` does, that returns every layer's output, the ten
probabilities and a saliency map at once: one stroke, one call.

The saliency is integrated gradients (Sundararajan et al., 2017) from a black image: how much
each pixel's ink raised the answer's score, summed along the way from black to the drawing. It
is zero where there is no ink, by construction, and its positive part is shown. Grad-CAM on the
last convolution (HiResCAM, its element-wise form) was tried first: on `strong.keras` it lit
empty corners of a clear MNIST 7 brighter than the digit, and plain Grad-CAM came out empty for
6 % of clear test digits; a reader asks which strokes counted, and these maps did not say.
"""

import dataclasses

import numpy as np

from mnist_core.constants import IMAGE_SIZE, NUM_CLASSES

LOG_FLOOR = 1e-30
"""Probabilities are floored here before their log, so a class the model rules out entirely
(a probability that underflowed to 0) gives a finite score."""
SALIENCY_STEPS = 4
"""Steps from black to the drawing for integrated gradients, one batch through the network: with
8, the inside view of strong.keras took 21.3 ms p50 a stroke, with 4, 17.2 ms
(bench/predict_latency.py, AVX2 2-core machine); a coarse sum, but a map of which strokes count."""


@dataclasses.dataclass(frozen=True)
class LayerInfo:
    """One row of `model.summary()`.

    Attributes:
        name: the layer's name, as the model file gives it.
        class_name: its Keras class (`Conv2D`, `Dense`...).
        output_shape: its output shape without the batch axis, e.g. `(26, 26, 32)`.
        params: its number of weights (trainable or not), as `model.summary()` counts them.
    """

    name: str
    class_name: str
    output_shape: tuple
    params: int


@dataclasses.dataclass(frozen=True)
class Explanation:
    """What the network computed for one image.

    Attributes:
        digit: the most probable class, 0..9.
        probabilities: float32 array (10,).
        image: the float32 (28, 28) input in [0, 1].
        outputs: one float32 array per entry of `Explainer.layers`, without the batch axis
            (feature maps `(h, w, channels)`, dense activations `(units,)`).
        saliency: float32 (28, 28) in [0, 1]: 1 where the input pushed the model hardest
            towards `digit`, 0 where it did not push towards it at all.
    """

    digit: int
    probabilities: np.ndarray
    image: np.ndarray
    outputs: list
    saliency: np.ndarray


class Explainer:
    """Wraps a loaded Keras model to show what each of its layers computes for one image.

    Args:
        model: a built Keras model (Sequential or functional) taking (N, 28, 28, 1) float32 in
            [0, 1] and returning (N, 10) probabilities, as `untrusted.load_model` and
            `untrusted.load_untrusted` give. Its outputs may be bfloat16 (mixed precision):
            everything returned here is float32.

    Example:

    ```python
    explainer = Explainer(untrusted.load_model("models/tutorial.keras").model)
    seen = explainer.explain(to_mnist_input(drawing))
    seen.digit, seen.saliency.shape, [o.shape for o in seen.outputs]
    ```
    """

    def __init__(self, model):
        import keras
        import tensorflow as tf

        from mnist_core.reading.compute_precision import for_this_cpu

        self.model = model
        model = for_this_cpu(model)  # float32 where bfloat16 would be emulated
        self._chain = isinstance(model, keras.Sequential)
        picked = [(layer, _single_output(layer)) for layer in model.layers
                  if not isinstance(layer, keras.layers.InputLayer)]
        if self._chain:  # every layer in turn, and whether its output is shown
            self._steps = [(layer, output is not None) for layer, output in picked]
        picked = [(layer, output) for layer, output in picked if output is not None]
        self.layers = [LayerInfo(layer.name, type(layer).__name__,
                                 tuple(int(d) for d in output.shape[1:]), int(layer.count_params()))
                       for layer, output in picked]
        self.total_params = int(model.count_params())
        self._filters = _first_kernel(model)
        if not self._chain:
            self._graph = keras.Model(model.inputs,
                                      [output for _, output in picked] + list(model.outputs))
        signature = [tf.TensorSpec([1, IMAGE_SIZE, IMAGE_SIZE, 1], tf.float32)]
        self._traced = tf.function(self._call, input_signature=signature, autograph=False)

    @property
    def filters(self):
        """The first convolution's learned filters, float32 (k, k, channels, n), or None.

        None when the model has no layer with a 4-D kernel.
        """
        return self._filters

    def _call(self, images):
        import tensorflow as tf

        outputs = self._walk(images)
        probabilities = tf.cast(outputs[-1], tf.float32)
        digit = tf.argmax(probabilities[0])
        # Integrated gradients from a black image: the score's gradient averaged over images
        # scaled from black to the drawing (a midpoint sum), times the drawing. All the steps
        # go through the network as one batch.
        alphas = (tf.range(SALIENCY_STEPS, dtype=tf.float32) + 0.5) / SALIENCY_STEPS
        path = alphas[:, None, None, None] * images
        with tf.GradientTape() as tape:
            tape.watch(path)
            logs = tf.math.log(tf.maximum(tf.cast(self._walk(path)[-1], tf.float32), LOG_FLOOR))
            # The class's log-probability minus the mean over classes equals its logit minus
            # the mean logit: the pre-softmax score, without naming the softmax layer, and it
            # does not saturate when the model is sure (p ~ 1).
            total = tf.reduce_sum(tf.gather(logs, digit, axis=1) - tf.reduce_mean(logs, axis=1))
        gradient = tape.gradient(total, path, unconnected_gradients="zero")
        attribution = images[0, :, :, 0] * tf.reduce_mean(tf.cast(gradient, tf.float32),
                                                           axis=0)[:, :, 0]
        saliency = tf.nn.relu(attribution)  # what pushed towards the answer, not against it
        top = tf.reduce_max(saliency)
        saliency = tf.where(top > 0, saliency / tf.maximum(top, LOG_FLOOR), saliency)
        layer_outputs = [tf.cast(o[0], tf.float32) for o in outputs[:-1]]
        return layer_outputs, probabilities[0], saliency

    def _walk(self, images):
        """Every layer's output, then the model's: a list of tensors with the batch axis."""
        if not self._chain:
            return self._graph([images], training=False)
        # A loaded Sequential's layers keep one graph node per build, so `layer.output` may
        # belong to a graph other than the model's own output's (its gradient would be
        # unconnected): calling the layers in turn gives the tensors the answer came from.
        outputs = []
        for layer, shown in self._steps:
            images = layer(images, training=False)
            if shown:
                outputs.append(images)
        return outputs + [images]

    def explain(self, image):
        """Every layer's output, the probabilities and the saliency for one prepared image.

        Args:
            image: float32 array (28, 28) or (28, 28, 1) in [0, 1], as
                `preprocess.to_mnist_input` gives.

        Returns:
            An `Explanation`.
        """
        image = np.asarray(image, dtype=np.float32).reshape(IMAGE_SIZE, IMAGE_SIZE)
        outputs, probabilities, saliency = self._traced(image[None, :, :, None])
        probabilities = probabilities.numpy().reshape(NUM_CLASSES)
        return Explanation(int(np.argmax(probabilities)), probabilities, image,
                           [o.numpy() for o in outputs], saliency.numpy())


def _single_output(layer):
    """The layer's symbolic output, or None for a layer used several times (no single one)."""
    try:
        output = layer.output
    except (AttributeError, ValueError):
        return None
    return output if hasattr(output, "shape") and output.shape[0] is None else None


def _first_kernel(model):
    """float32 (k, k, channels, n) of the first layer holding a 4-D weight, or None."""
    for layer in _flat_layers(model):
        for weight in layer.weights:
            if len(weight.shape) == 4:
                return np.asarray(weight.numpy(), dtype=np.float32)
    return None


def _flat_layers(model):
    for layer in model.layers:
        yield from (_flat_layers(layer) if hasattr(layer, "layers") else [layer])
