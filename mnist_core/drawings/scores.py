"""Scores on visitors' recorded drawings: a visitor's own, and each model's on everyone's.

A drawing its visitor labelled `NOT_A_DIGIT` has no right digit to read: it is counted apart
(`Score.not_digits`), never among the right answers or the total.
"""

import dataclasses

import numpy as np

from mnist_core.constants import NOT_A_DIGIT, NUM_CLASSES
from mnist_core.evaluation.test_report import confusion_matrix

SCORED_DRAWINGS = 2000
"""Each model is scored on the most recent drawings only: a bounded cost per model, whatever
the store holds, and the figure follows what visitors draw now."""
RECENT = 500
"""`python -m mnist_core drawings stats` also reports accuracy on the last this many."""


@dataclasses.dataclass(frozen=True)
class Score:
    """Right answers among recorded drawings of digits.

    Attributes:
        right: how many the model read as labelled.
        total: how many drawings of digits.
        confusion: int64 (10, 10), row = the visitor's label, column = the model's reading.
        not_digits: how many drawings were labelled `NOT_A_DIGIT`, left out of the rest.
    """

    right: int
    total: int
    confusion: np.ndarray
    not_digits: int = 0

    @property
    def accuracy(self):
        """`right / total` in [0, 1]; None for no drawing."""
        return self.right / self.total if self.total else None


def score(labels, predicted):
    """The `Score` of readings `predicted` (int (N,), 0..9) against `labels` (int (N,), 0..9
    or `NOT_A_DIGIT`)."""
    labels, predicted = np.asarray(labels, np.int64), np.asarray(predicted, np.int64)
    digits = labels < NUM_CLASSES
    labels, predicted, others = labels[digits], predicted[digits], int((~digits).sum())
    return Score(int((labels == predicted).sum()), len(labels), confusion_matrix(labels, predicted),
                 others)


def model_score(predictor, images, labels):
    """How a model reads recorded drawings, from their stored 28x28 inputs.

    Args:
        predictor: a `mnist_core.reading.inference.Predictor`.
        images: uint8 (N, 28, 28) in [0, 255], the inputs the page's models saw.
        labels: the visitors' labels (N,), 0..9 or `NOT_A_DIGIT` (those are not read).

    Returns:
        A `Score`.
    """
    labels = np.asarray(labels, np.int64)
    digits = labels < NUM_CLASSES
    predicted = np.full(len(labels), NOT_A_DIGIT, np.int64)
    if digits.any():
        images = np.asarray(images)[digits]
        predicted[digits] = predictor.probabilities(images.astype(np.float32) / 255.0).argmax(1)
    return score(labels, predicted)


def per_digit_counts(labels):
    """int64 (10,): how many drawings carry each digit's label (`NOT_A_DIGIT` not counted)."""
    labels = np.asarray(labels, np.int64)
    return np.bincount(labels[labels < NUM_CLASSES], minlength=NUM_CLASSES)
