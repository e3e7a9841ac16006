"""Scores on visitors' recorded drawings: a visitor's own, and each model's on everyone's."""

import dataclasses

import numpy as np

from mnist_core.evaluation.test_report import confusion_matrix

SCORED_DRAWINGS = 2000
"""Each model is scored on the most recent drawings only: a bounded cost per model, whatever
the store holds, and the figure follows what visitors draw now."""
RECENT = 500
"""`python -m mnist_core drawings stats` also reports accuracy on the last this many."""


@dataclasses.dataclass(frozen=True)
class Score:
    """Right answers among recorded drawings.

    Attributes:
        right: how many the model read as labelled.
        total: how many drawings.
        confusion: int64 (10, 10), row = the visitor's label, column = the model's reading.
    """

    right: int
    total: int
    confusion: np.ndarray

    @property
    def accuracy(self):
        """`right / total` in [0, 1]; None for no drawing."""
        return self.right / self.total if self.total else None


def score(labels, predicted):
    """The `Score` of readings `predicted` against `labels` (int arrays (N,), digits 0..9)."""
    labels, predicted = np.asarray(labels, np.int64), np.asarray(predicted, np.int64)
    return Score(int((labels == predicted).sum()), len(labels), confusion_matrix(labels, predicted))


def model_score(predictor, images, labels):
    """How a model reads recorded drawings, from their stored 28x28 inputs.

    Args:
        predictor: a `mnist_core.reading.inference.Predictor`.
        images: uint8 (N, 28, 28) in [0, 255], the inputs the page's models saw.
        labels: the visitors' labels (N,).

    Returns:
        A `Score`.
    """
    if len(images) == 0:
        return score([], [])
    predicted = predictor.probabilities(np.asarray(images, np.float32) / 255.0).argmax(axis=1)
    return score(labels, predicted)


def per_digit_counts(labels):
    """int64 (10,): how many drawings carry each label."""
    return np.bincount(np.asarray(labels, np.int64), minlength=10)
