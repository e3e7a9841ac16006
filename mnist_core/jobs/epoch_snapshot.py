"""What the model of each epoch does: its answers on a fixed grid of test digits, its first
convolution's filters, and its reading of one drawing.

`EpochSnapshot` is a Keras callback: once, before training, it sends the grid (4 test digits of
each class, always the same ones); after every epoch, the model's answer on each (one forward
pass of ~40 images, plus the drawing), and the first Conv2D's kernels (found by walking the
model, whatever its layers are called). Everything it sends is small and the same size every
epoch, so nothing grows with the epochs.

The drawing: only the visitor who started the training may have it read, and only their page
shows the answer (a stranger's drawing would otherwise reach every watching page). Their page
passes their latest drawing to `TrainingJobs.read_drawing()`, which checks it, and the server
writes it to the training process's command input as one line, `drawing BASE64` (784 bytes,
the 28x28 input at 8 bits), or `drawing none` (`mnist_core.jobs.drawing_command`). The worker
keeps only the latest one it was sent and reads it at each epoch's end. No weights leave the
training process, and no file is written; a stranger's page shows the grid and the filters.
"""

import base64

import keras
import numpy as np

from mnist_core.constants import NUM_CLASSES, PIXEL_SCALE
from mnist_core.jobs.drawing_command import encode_drawing

GRID_PER_CLASS = 4
"""Test digits of each class in the grid: 40 in all, one column per digit on the page."""
MAX_FILTERS = 64
"""Most filters sent: the tutorial's and the strong recipe's first convolutions have 32."""
MAX_KERNEL_SIDE = 11


def grid_indices(labels, per_class=GRID_PER_CLASS):
    """Indices of the first `per_class` images of each class, class by class (0s first).

    Args:
        labels: int array (N,), values 0..9.
        per_class: images of each class (fewer for a class that has fewer).

    Returns:
        int array (at most 10 * per_class,), the same for the same labels.
    """
    labels = np.asarray(labels)
    return np.concatenate([np.flatnonzero(labels == digit)[:per_class]
                           for digit in range(NUM_CLASSES)]).astype(np.int64)


def first_conv_filters(model, most=MAX_FILTERS):
    """The first Conv2D's kernels, averaged over input channels: float32 (n, kh, kw), or None.

    Walks the model's layers in order, into nested models, and names none of them.
    """
    for layer in _layers(model):
        if isinstance(layer, keras.layers.Conv2D):
            kernel = keras.ops.convert_to_numpy(layer.kernel).astype(np.float32)
            if kernel.ndim != 4 or max(kernel.shape[:2]) > MAX_KERNEL_SIDE:
                return None
            return np.moveaxis(kernel.mean(axis=2), -1, 0)[:most]
    return None


def _layers(model):
    for layer in getattr(model, "layers", []):
        yield layer
        yield from _layers(layer)


class EpochSnapshot(keras.callbacks.Callback):
    """Sends a fixed grid of test digits once, then what each epoch's model makes of them.

    Args:
        images: uint8 (N, 28, 28) test images in [0, 255] (`grid_indices` chooses them).
        labels: int (N,) their true digits.
        send: `send(kind, payload)`, called with `("grid", {"images": base64 of the N*784
            grey levels, "labels": [...]})` before the first batch, then after each epoch
            with `("snapshot", {"epoch": from 1, "answers": [N predicted digits],
            "filters": [[kh rows of kw floats], ...] or None, "drawing": None or {"image":
            encode_drawing(...), "probabilities": [10 floats]}})`.
        drawing: a function returning the latest drawing to read, float (28, 28) in [0, 1],
            or None; called once per epoch.

    Example:

    ```python
    chosen = grid_indices(y_test)
    model.fit(x, y, callbacks=[EpochSnapshot(x_test[chosen], y_test[chosen], print)])
    ```
    """

    def __init__(self, images, labels, send, drawing=None):
        super().__init__()
        self._images = np.asarray(images, dtype=np.uint8)
        self._labels = [int(label) for label in labels]
        self._inputs = self._images.astype(np.float32)[..., None] / PIXEL_SCALE
        self._send, self._drawing = send, drawing or (lambda: None)

    def on_train_begin(self, logs=None):
        self._send("grid", {"images": base64.b64encode(self._images.tobytes()).decode("ascii"),
                            "labels": self._labels})

    def on_epoch_end(self, epoch, logs=None):
        drawing = self._drawing()
        batch = self._inputs
        if drawing is not None:
            batch = np.concatenate([batch, np.asarray(drawing, np.float32)[None, ..., None]])
        # A direct call, not `predict()`: no data pipeline to build for ~40 images.
        probabilities = keras.ops.convert_to_numpy(self.model(batch, training=False))
        probabilities = probabilities.astype(np.float32).reshape(len(batch), -1)
        answers = probabilities[:len(self._inputs)].argmax(axis=1)
        filters = first_conv_filters(self.model)
        read = None
        if drawing is not None:
            read = {"image": encode_drawing(np.asarray(drawing, np.float32)),
                    "probabilities": [round(float(p), 5) for p in probabilities[-1]]}
        self._send("snapshot", {
            "epoch": epoch + 1, "answers": [int(answer) for answer in answers],
            "filters": None if filters is None else np.round(filters, 4).tolist(),
            "drawing": read})
