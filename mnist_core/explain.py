"""What the network sees: every layer's output for one image, and a saliency map, in one call.

`Explainer` walks `model.layers` (it names none, so it works for the tutorial's CNN, the other
recipes and any uploaded model the page can load) and traces one `tf.function` with a fixed
input signature, as `inference.Predictor` does, that returns every layer's output, the ten
probabilities and a Grad-CAM saliency map at once: one stroke, one call.

The saliency is Grad-CAM (Selvaraju et al., 2017) in its element-wise form, HiResCAM (Draelos
and Carin, 2020): each feature map of the last convolution (taken after the normalisation and
activation layers that follow it and keep its shape, so the maps are the rectified ones) is
multiplied, position by position, by how much the predicted class's score grows with it; the
positive part of the sum over maps is stretched from its coarse grid (11x11 for the tutorial's
CNN) over the 28x28 input. Plain Grad-CAM averages each map's gradient over positions first;
on these small CNNs that sum came out negative everywhere, an empty map, for 6 % of clear MNIST
test digits, and HiResCAM for none of 200. A model with no convolution gets the plain
gradient of the score with respect to the input pixels instead.
"""

import dataclasses

import numpy as np

from mnist_core.constants import IMAGE_SIZE, NUM_CLASSES

LOG_FLOOR = 1e-30
"""Probabilities are floored here before their log, so a class the model rules out entirely
(a probability that underflowed to 0) gives a finite score."""


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
        saliency_layer: index in `Explainer.layers` of the feature maps the saliency used, or
            None when the saliency is the input gradient (a model with no convolution).
    """

    digit: int
    probabilities: np.ndarray
    image: np.ndarray
    outputs: list
    saliency: np.ndarray
    saliency_layer: object


class Explainer:
    """Wraps a loaded Keras model to show what each of its layers computes for one image.

    Args:
        model: a built Keras model (Sequential or functional) taking (N, 28, 28, 1) float32 in
            [0, 1] and returning (N, 10) probabilities, as `storage.load_model` and
            `untrusted.load_untrusted` give. Its outputs may be bfloat16 (mixed precision):
            everything returned here is float32.

    Example:

    ```python
    explainer = Explainer(storage.load_model("models/tutorial.keras").model)
    seen = explainer.explain(to_mnist_input(drawing))
    seen.digit, seen.saliency.shape, [o.shape for o in seen.outputs]
    ```
    """

    def __init__(self, model):
        import keras
        import tensorflow as tf

        from mnist_core.compute_precision import for_this_cpu

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
        self._cam_index = _grad_cam_index([layer for layer, _ in picked], self.layers)
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

        with tf.GradientTape() as tape:
            if self._cam_index is None:
                tape.watch(images)
            outputs = self._walk(images)
            probabilities = tf.cast(outputs[-1], tf.float32)
            # The class's log-probability minus the mean over classes equals its logit minus
            # the mean logit: the pre-softmax score Grad-CAM asks for, without naming the
            # softmax layer, and it does not saturate when the model is sure (p ~ 1).
            logs = tf.math.log(tf.maximum(probabilities, LOG_FLOOR))
            digit = tf.argmax(probabilities[0])
            score = logs[0, digit] - tf.reduce_mean(logs[0])
        if self._cam_index is None:
            gradient = tape.gradient(score, images, unconnected_gradients="zero")
            saliency = tf.abs(gradient)[0, :, :, 0]
        else:
            maps = outputs[self._cam_index]
            gradient = tf.cast(tape.gradient(score, maps, unconnected_gradients="zero"), tf.float32)
            cam = tf.nn.relu(tf.reduce_sum(gradient * tf.cast(maps, tf.float32), axis=-1))
            saliency = tf.image.resize(cam[..., None], [IMAGE_SIZE, IMAGE_SIZE],
                                       method="bilinear")[0, :, :, 0]
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
                           [o.numpy() for o in outputs], saliency.numpy(), self._cam_index)


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


def _grad_cam_index(layers, infos):
    """Index of the feature maps the saliency reads: the last layer with a 4-D kernel (the last
    convolution), carried on through the layers after it that keep its output's shape (batch
    norm, activation, dropout), so the maps are the rectified ones. None when there is none."""
    convolutions = [i for i, layer in enumerate(layers)
                    if any(len(w.shape) == 4 for w in layer.weights)
                    and len(infos[i].output_shape) == 3]
    if not convolutions:
        return None
    index = convolutions[-1]
    while index + 1 < len(infos) and infos[index + 1].output_shape == infos[index].output_shape:
        index += 1
    return index
