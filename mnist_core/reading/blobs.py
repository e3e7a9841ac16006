"""Blobs of ink: 8-connected regions of a mask, found as runs of pixels joined row to row.

SciPy's `ndimage.label` would do, but is not a dependency: a row's runs of ink are found with
one vectorised diff, runs touching in the next row with two binary searches, and the runs
joined along those links by a union-find on arrays. A drawing read at 140x140 takes ~0.3 ms
(AMD EPYC Zen 1, 2 GHz).
"""

import numpy as np


def label_blobs(mask):
    """Finds the 8-connected blobs of a mask, as horizontal runs of True labelled by blob.

    Args:
        mask: bool array (H, W).

    Returns:
        `(runs, blob)`: int array (N, 3) of `(row, start, end)` (end exclusive), one per run
        of True in a row, in row-major order; and int array (N,), each run's blob, 0..K-1.
    """
    h, w = mask.shape
    padded = np.zeros((h, w + 2), bool)
    padded[:, 1:-1] = mask
    # Each row starts and ends with background, so its changes alternate: start, end, start, ...
    changes = np.flatnonzero(padded[:, 1:] != padded[:, :-1])
    rows, start = np.divmod(changes[0::2], w + 1)
    end = changes[1::2] - rows * (w + 1)
    n = len(rows)
    # Two runs in consecutive rows touch (8-connectivity) when start_b <= end_a and end_b >= start_a
    # (ends exclusive). Keys row * stride + column keep each row's runs apart in one sorted list.
    stride = w + 2
    start_key, end_key = rows * stride + start, rows * stride + end
    below = (rows + 1) * stride
    lo = np.searchsorted(end_key, below + start, side="left")
    hi = np.searchsorted(start_key, below + end, side="right")
    count = np.maximum(hi - lo, 0)
    a = np.repeat(np.arange(n), count)
    b = np.repeat(lo - np.cumsum(count) + count, count) + np.arange(count.sum())
    # Union-find on arrays: each link hooks the larger of its two roots under the smaller,
    # then every run's pointer is followed to its root. A blob's root is its first run, so
    # the labels come out in row-major order. Hooking roots, not runs, settles a stroke's
    # chain of runs in a few rounds (spreading the smallest label run by run took ~20).
    parent = np.arange(n)
    while True:
        root_a, root_b = parent[a], parent[b]
        apart = root_a != root_b
        if not apart.any():
            break
        np.minimum.at(parent, np.maximum(root_a, root_b)[apart],
                      np.minimum(root_a, root_b)[apart])
        while True:  # pointer jumping: each pass halves the way to a root
            up = parent[parent]
            if np.array_equal(up, parent):
                break
            parent = up
    _, blob = np.unique(parent, return_inverse=True)
    return np.stack([rows, start, end], axis=1), blob


def blob_boxes(runs, blob):
    """Runs and their blobs (from `label_blobs`) -> boxes (K, 4) of (x0, y0, x1, y1), ends
    exclusive, and areas (K,) in pixels, per blob."""
    k = blob.max() + 1
    rows, start, end = runs.T
    boxes = np.empty((k, 4), np.int64)
    for column, values, reduce in ((0, start, np.minimum), (1, rows, np.minimum),
                                   (2, end, np.maximum), (3, rows + 1, np.maximum)):
        boxes[:, column] = values.max() if reduce is np.minimum else 0
        reduce.at(boxes[:, column], blob, values)
    return boxes, np.bincount(blob, weights=end - start, minlength=k)


def union_boxes(boxes, areas, group):
    """Boxes (K, 4) and areas (K,) of blobs, and each blob's group (K,) in 0..G-1 -> the boxes
    (G, 4) that hold each group, and its areas (G,)."""
    g = group.max() + 1
    out = np.empty((g, 4), np.int64)
    for column, reduce in ((0, np.minimum), (1, np.minimum), (2, np.maximum), (3, np.maximum)):
        out[:, column] = boxes[:, column].max() if reduce is np.minimum else 0
        reduce.at(out[:, column], group, boxes[:, column])
    return out, np.bincount(group, weights=areas, minlength=g)


def paint_runs(runs, x0, y0, x1, y1):
    """Runs inside the box (x0, y0, x1, y1) -> bool mask of the box, True on the runs."""
    out = np.zeros((y1 - y0, x1 - x0), bool)
    rows, start, end = runs.T
    lengths = end - start
    offsets = np.repeat(start - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    out[np.repeat(rows, lengths) - y0, offsets - x0] = True
    return out
