"""Where a model goes wrong on the test set: the confusion matrix, as numbers and as text."""

import numpy as np

from mnist_core.constants import NUM_CLASSES


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
