"""Blobs of ink: 8-connected labelling checked against a plain flood fill on random masks."""

import numpy as np
import pytest

from mnist_core.reading.blobs import blob_boxes, label_blobs, paint_runs, union_boxes


def flood_fill_labels(mask):
    """The trusted reference: label image with 8-connected blobs numbered 1..K."""
    labels = np.zeros(mask.shape, int)
    h, w = mask.shape
    k = 0
    for y, x in zip(*np.nonzero(mask)):
        if labels[y, x]:
            continue
        k += 1
        stack = [(y, x)]
        labels[y, x] = k
        while stack:
            cy, cx = stack.pop()
            for ny in range(max(0, cy - 1), min(h, cy + 2)):
                for nx in range(max(0, cx - 1), min(w, cx + 2)):
                    if mask[ny, nx] and not labels[ny, nx]:
                        labels[ny, nx] = k
                        stack.append((ny, nx))
    return labels


def painted(mask):
    runs, blob = label_blobs(mask)
    out = np.zeros(mask.shape, int)
    for (row, start, end), b in zip(runs, blob):
        out[row, start:end] = b + 1
    return out


def same_partition(a, b):
    pairs = set(zip(a.ravel(), b.ravel()))
    return len(pairs) == len(set(a.ravel())) == len(set(b.ravel()))


@pytest.mark.parametrize("seed", range(6))
def test_labels_match_a_flood_fill(seed):
    rng = np.random.default_rng(seed)
    mask = rng.uniform(size=(40, 57)) < [0.3, 0.45, 0.55][seed % 3]
    assert same_partition(painted(mask), flood_fill_labels(mask))


def test_diagonal_neighbours_join_and_a_u_joins_at_its_foot():
    mask = np.zeros((6, 7), bool)
    mask[0, 0] = mask[1, 1] = True  # diagonal: one blob
    mask[0:5, 3] = mask[0:5, 6] = mask[4, 3:7] = True  # a U, its arms apart until the foot
    runs, blob = label_blobs(mask)
    assert blob.max() + 1 == 2
    boxes, areas = blob_boxes(runs, blob)
    assert sorted(map(tuple, boxes.tolist())) == [(0, 0, 2, 2), (3, 0, 7, 5)]
    assert sorted(areas.tolist()) == [2, 12]


def test_union_boxes_and_paint_runs():
    boxes = np.array([[0, 0, 2, 2], [5, 1, 9, 4], [1, 3, 3, 6]])
    grouped, areas = union_boxes(boxes, np.array([4.0, 12.0, 6.0]), np.array([0, 1, 0]))
    assert grouped.tolist() == [[0, 0, 3, 6], [5, 1, 9, 4]] and areas.tolist() == [10, 12]
    mask = np.zeros((5, 8), bool)
    mask[1, 2:5] = mask[3, 6:8] = True
    runs, _ = label_blobs(mask)
    np.testing.assert_array_equal(paint_runs(runs, 2, 1, 8, 4), mask[1:4, 2:8])


@pytest.mark.parametrize("seed", range(3))
def test_blobs_are_numbered_in_the_order_their_first_runs_come(seed):
    """Row-major: a blob's number is its rank by first run, whatever shape joins its runs."""
    mask = np.random.default_rng(10 + seed).uniform(size=(30, 45)) < 0.5
    _, blob = label_blobs(mask)
    assert same_partition(painted(mask), flood_fill_labels(mask))  # the blobs themselves right
    _, first = np.unique(blob, return_index=True)
    assert (np.diff(first) > 0).all()
    assert (np.maximum.accumulate(blob) <= np.arange(len(blob))).all()
