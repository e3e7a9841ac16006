"""Where a model goes wrong on the test set: the confusion matrix, per-digit accuracy, the images
it misreads (surest first), and how two models differ, from its probabilities.

Pure functions of arrays, except `batched_probabilities`, which runs a `Predictor` over raw images
in batches. The page computes a `Report` once per model and keeps it.
"""

import dataclasses

import numpy as np

from mnist_core.constants import NUM_CLASSES

EVALUATION_BATCH = 500
"""Images per call when a whole test set goes through a model: small enough that a stroke
drawn meanwhile waits for at most one batch, large enough that calls cost little."""


def confusion_matrix(truth, predicted):
    """Counts of each (true digit, predicted digit) pair.

    Args:
        truth: int array (N,) of true digits, 0..9.
        predicted: int array (N,) of predicted digits, 0..9.

    Returns:
        int64 array (10, 10): row = true digit, column = predicted digit; the diagonal is right.
    """
    counts = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(counts, (np.asarray(truth, dtype=np.int64), np.asarray(predicted, dtype=np.int64)), 1)
    return counts


def confusion_table(counts):
    """`confusion_matrix()` as aligned text: a header of predicted digits, a row per true digit."""
    width = max(5, len(str(int(counts.max()))) + 1)
    lines = ["true\\pred" + "".join(f"{digit:>{width}}" for digit in range(NUM_CLASSES))]
    lines += [f"{digit:>9}" + "".join(f"{int(n):>{width}}" for n in row)
              for digit, row in enumerate(counts)]
    return "\n".join(lines)


def per_digit_accuracy(counts):
    """Share of each true digit read right, from a confusion matrix.

    Returns:
        float64 array (10,) in [0, 1]; NaN for a digit with no image.
    """
    counts = np.asarray(counts)
    totals = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(counts) / np.maximum(totals, 1), np.nan)


def _surest_first(indices, confidence):
    """`indices` ordered by `confidence[indices]`, highest first; ties by index (stable)."""
    indices = np.asarray(indices, dtype=np.int64)
    return indices[np.argsort(-confidence[indices], kind="stable")]


@dataclasses.dataclass(frozen=True, eq=False)
class Report:
    """What one model reads on a labelled set of images (`make_report` builds it).

    Attributes:
        labels: int64 array (N,), the true digits.
        predicted: int64 array (N,), the model's digits (argmax of its probabilities).
        confidence: float32 array (N,), the probability the model gave its digit.
        confusion: int64 array (10, 10), rows true digit, columns predicted.
    """

    labels: np.ndarray
    predicted: np.ndarray
    confidence: np.ndarray
    confusion: np.ndarray

    @property
    def accuracy(self):
        """Share of images read right, in [0, 1]."""
        return float(np.trace(self.confusion) / max(1, self.confusion.sum()))

    @property
    def per_digit(self):
        """`per_digit_accuracy(self.confusion)`: float array (10,)."""
        return per_digit_accuracy(self.confusion)

    def cell(self, true, predicted):
        """Indices of the images of digit `true` read as `predicted`, surest first."""
        chosen = np.flatnonzero((self.labels == true) & (self.predicted == predicted))
        return _surest_first(chosen, self.confidence)

    def misclassified(self):
        """Indices of the images read wrong, the ones the model was surest of first."""
        return _surest_first(np.flatnonzero(self.labels != self.predicted), self.confidence)


def make_report(probabilities, labels):
    """A `Report` from a model's probabilities on labelled images.

    Args:
        probabilities: float array (N, 10), one row per image.
        labels: int array (N,), true digits 0..9.

    Returns:
        A `Report`.

    Raises:
        ValueError: the shapes do not match, or a label is not a digit.
    """
    probabilities = np.asarray(probabilities, dtype=np.float32)
    labels = np.asarray(labels).astype(np.int64)
    if probabilities.ndim != 2 or probabilities.shape[1] != NUM_CLASSES:
        raise ValueError(f"probabilities must be (N, {NUM_CLASSES}), not {probabilities.shape}")
    if labels.shape != probabilities.shape[:1]:
        raise ValueError(f"{labels.shape[0] if labels.ndim else 0} labels for "
                         f"{probabilities.shape[0]} rows of probabilities")
    if labels.size and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
        raise ValueError("labels must be digits 0..9")
    predicted = probabilities.argmax(axis=1).astype(np.int64)
    return report_from_readings(predicted, probabilities[np.arange(len(labels)), predicted], labels)


def report_from_readings(predicted, confidence, labels):
    """A `Report` from what a model read: its digit and that digit's probability per image
    (what `mnist_core.evaluation.report_store` keeps on disk).

    Args:
        predicted: int array (N,), digits 0..9.
        confidence: float array (N,), the probability given to each predicted digit.
        labels: int array (N,), the true digits.
    """
    labels = np.asarray(labels).astype(np.int64)
    predicted = np.asarray(predicted).astype(np.int64)
    return Report(labels, predicted, np.asarray(confidence, dtype=np.float32),
                  confusion_matrix(labels, predicted))


@dataclasses.dataclass(frozen=True, eq=False)
class Comparison:
    """Two models' reports on the same images (`compare` builds it).

    Attributes:
        per_digit: float array (2, 10): row 0 the first model's accuracy per digit, row 1 the
            second's.
        only_first: indices the first model reads right and the second wrong, those the second
            was surest of first.
        only_second: the other way round, those the first was surest of first.
    """

    per_digit: np.ndarray
    only_first: np.ndarray
    only_second: np.ndarray


def compare(first, second):
    """Where two models' readings of the same images differ.

    Args:
        first, second: `Report`s of the same labelled images.

    Returns:
        A `Comparison`.

    Raises:
        ValueError: the reports are not of the same images (labels differ).
    """
    if first.labels.shape != second.labels.shape or np.any(first.labels != second.labels):
        raise ValueError("the two reports are not of the same labelled images")
    right_first = first.predicted == first.labels
    right_second = second.predicted == second.labels
    return Comparison(
        np.stack([first.per_digit, second.per_digit]),
        _surest_first(np.flatnonzero(right_first & ~right_second), second.confidence),
        _surest_first(np.flatnonzero(right_second & ~right_first), first.confidence))


def in_batches(read, items, batch_size, before_batch=None):
    """`read` over `items` a batch at a time: a list of what each call returned.

    Args:
        read: function of a slice of `items`.
        items: an array, sliced along its first axis.
        batch_size: items per call.
        before_batch: called with no argument before each batch (None: nothing); the server
            lets the strokes' readings pass there (`inference.let_readings_pass`).
    """
    parts = []
    for start in range(0, len(items), batch_size):
        if before_batch is not None:
            before_batch()
        parts.append(read(items[start:start + batch_size]))
    return parts


def batched_probabilities(probabilities, x, batch_size=EVALUATION_BATCH, before_batch=None):
    """A model's probabilities for raw MNIST images, prepared and read batch by batch.

    Batches keep memory flat (the float32 copy of 10,000 images would be 31 MB) and let other
    work (a visitor's stroke) run between them.

    Args:
        probabilities: function taking float32 (n, 28, 28, 1) in [0, 1] and returning (n, 10),
            such as `Predictor.probabilities`.
        x: uint8 array (N, 28, 28), grey levels 0..255.
        batch_size: images per call.
        before_batch: as for `in_batches`.

    Returns:
        float32 array (N, 10).
    """
    from mnist_core.training.model import prepare_images

    parts = in_batches(lambda raw: np.asarray(probabilities(prepare_images(raw)), np.float32),
                       x, batch_size, before_batch)
    return np.concatenate(parts) if parts else np.zeros((0, NUM_CLASSES), np.float32)


def report_of(probabilities, x, labels, **batching):
    """A model's `Report` on raw labelled images: `batched_probabilities`, then `make_report`.

    Args:
        probabilities: function taking float32 (n, 28, 28, 1) in [0, 1] and returning (n, 10),
            such as `Predictor.probabilities`.
        x: uint8 array (N, 28, 28), grey levels 0..255.
        labels: int array (N,), the true digits.
        **batching: `batch_size` and `before_batch`, as for `batched_probabilities`.
    """
    return make_report(batched_probabilities(probabilities, x, **batching), labels)
