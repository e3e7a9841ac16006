"""Scores on visitors' drawings: a drawing labelled "not a digit" is counted apart, never read."""

import numpy as np

from mnist_core.constants import NOT_A_DIGIT
from mnist_core.drawings.scores import model_score, per_digit_counts, score


class Reader:
    """A predictor that reads every image as a 7 and keeps what it was asked to read."""

    def __init__(self):
        self.seen = []

    def probabilities(self, images):
        self.seen.append(np.asarray(images).copy())
        return np.eye(10, dtype=np.float32)[[7] * len(images)]


def test_a_drawing_labelled_not_a_digit_is_counted_apart_from_the_score():
    found = score([7, NOT_A_DIGIT, 3], [7, 7, 5])
    assert (found.right, found.total, found.not_digits) == (1, 2, 1)
    assert found.confusion.shape == (10, 10) and found.confusion.sum() == 2
    assert found.accuracy == 0.5
    only = score([NOT_A_DIGIT], [4])
    assert (only.total, only.not_digits, only.accuracy) == (0, 1, None)


def test_a_model_is_never_asked_to_read_a_drawing_labelled_not_a_digit():
    images = np.stack([np.full((28, 28), value, np.uint8) for value in (10, 20, 30)])
    reader = Reader()
    found = model_score(reader, images, np.array([7, NOT_A_DIGIT, 2], np.uint8))
    read = [round(float(image.max()) * 255) for batch in reader.seen for image in batch]
    assert read == [10, 30]
    assert (found.right, found.total, found.not_digits) == (1, 2, 1)
    reader = Reader()
    assert model_score(reader, images[1:2], [NOT_A_DIGIT]).total == 0 and not reader.seen


def test_the_counts_per_digit_leave_not_a_digit_out():
    counts = per_digit_counts([0, 0, NOT_A_DIGIT, 9])
    assert counts.tolist() == [2, 0, 0, 0, 0, 0, 0, 0, 0, 1]
