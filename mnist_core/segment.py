"""Read several digits side by side: split a drawing into one image per digit, left to right.

The ink (as `preprocess.ink_map()` reads it) is cut into 8-connected blobs. Blobs that overlap
strongly in x are parts of one digit (the two strokes of a 4, the crossbar of a 7, the foot of a
European 1, the top stroke of a 5) and are merged; marks far smaller than the digits (a dot, a
stray touch of the pen) are ignored; what remains is read left to right. A blob much wider than
a digit is two or more digits that touch: it is cut where its ink is thinnest near where the
cuts are expected, and the result says it is unsure.

Pure NumPy, no SciPy: the blobs are labelled as horizontal runs of ink joined row to row, which
on a 280x280 canvas takes well under a millisecond.
"""

import dataclasses

import numpy as np

from mnist_core.preprocess import ink_map, work_factor

INK_LEVEL = 0.3
"""Ink at least this strong (of the strongest) joins blobs: anti-aliased halos and faint smudges
between two digits drawn close together do not glue them into one."""

MERGE_OVERLAP = 0.5
"""Two blobs belong to one digit when their x-ranges overlap by at least this fraction of the
narrower one's width (and they are near each other vertically, see `MERGE_GAP`)."""

MERGE_GAP = 0.3
"""... and when the vertical gap between them is at most this fraction of the taller one's height:
a dot well above or below a digit stays a separate (ignored) mark."""

MARK_HEIGHT = 0.4
"""A group shorter than this fraction of the tallest group ...,"""

MARK_AREA = 0.15
"""... whose ink covers less than this fraction of the largest group's, is a stray mark, not a digit."""

SPLIT_RATIO = 1.3
"""A group wider than this many times the digits' height is digits that touch, and is split.
MNIST's widest single digits (a 2 or 5 with a long stroke) reach 1.4 only one time in a hundred."""

UNSURE_RATIO = 1.1
"""A group wider than this (but not split) may be two digits: the result says it is unsure."""

DIGIT_RATIO = 0.75
"""Typical width of a digit over its height (MNIST's median): how many digits a wide group holds."""

CUT_SEARCH = 0.3
"""A cut is looked for within this fraction of one digit's width either side of where it is
expected, at the column whose ink is thinnest."""

SOFT_EDGE = 2
"""Pixels around a digit's strong ink that are kept with it: its anti-aliased edge."""

PIECE_MARGIN = 2
"""Background pixels around each piece, so its border reads as background in `to_mnist_input()`."""


@dataclasses.dataclass(frozen=True)
class Segmentation:
    """A drawing cut into digits.

    Attributes:
        pieces: list of float32 arrays (h, w) in [0, 1], one per digit, left to right: that
            digit's ink alone (white on black, other digits' ink removed) with a margin of
            background, ready for `preprocess.to_mnist_input()`.
        boxes: list of `(x0, y0, x1, y1)` ints, each piece's ink in the original image's pixels
            (x1, y1 exclusive), left to right.
        unsure: True when a split went through touching ink, or a piece is wide enough to be
            two digits: the reading of the number may be wrong.
        ignored: list of `(x0, y0, x1, y1)`: marks left out as too small to be digits.
    """

    pieces: list
    boxes: list
    unsure: bool
    ignored: list


def split_digits(image):
    """Cuts a drawing of one or several digits side by side into one image per digit.

    Args:
        image: as for `preprocess.to_mnist_input()`: (H, W), (H, W, 3) or (H, W, 4), uint8,
            bool or float in [0, 1], either polarity.

    Returns:
        A `Segmentation` with at least one piece.

    Raises:
        BlankImageError: the image holds no ink.
        ImageError: the array has the wrong shape or values, or is too large.
    """
    ink = ink_map(image)
    strong = ink >= INK_LEVEL
    runs, component = _components(strong)
    boxes, areas = _component_boxes(runs, component)
    group = _merge_overlapping(boxes)
    group_boxes, group_areas = _group_boxes(boxes, areas, group)
    heights = group_boxes[:, 3] - group_boxes[:, 1]
    is_mark = (heights < MARK_HEIGHT * heights.max()) & (group_areas < MARK_AREA * group_areas.max())
    digit_height = float(np.median(heights[~is_mark]))
    run_group = group[component]

    pieces, out_boxes, unsure = [], [], False
    for g in np.argsort(group_boxes[:, 0], kind="stable"):
        if is_mark[g]:
            continue
        x0, y0, x1, y1 = (int(v) for v in group_boxes[g])
        mine = _paint(runs[run_group == g], x0, y0, x1, y1)
        ratio = (x1 - x0) / digit_height
        cuts = _cuts(mine, ratio) if ratio > SPLIT_RATIO else []
        unsure |= ratio > UNSURE_RATIO
        for left, right in zip([0, *cuts], [*cuts, x1 - x0]):
            part = np.zeros_like(mine)
            part[:, left:right] = mine[:, left:right]
            piece, box = _piece(ink, strong, part, x0, y0)
            if piece is not None:
                pieces.append(piece)
                out_boxes.append(box)
    factor = work_factor(*np.asarray(image).shape[:2])
    ignored = [tuple(int(v) * factor for v in group_boxes[g]) for g in np.flatnonzero(is_mark)]
    out_boxes = [tuple(v * factor for v in box) for box in out_boxes]
    return Segmentation(pieces, out_boxes, bool(unsure), ignored)


def _components(mask):
    """Bool (H, W) -> (runs, component): runs (N, 3) of (row, start, end), 8-connected labels (N,)."""
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
    label = np.arange(n)
    while True:  # propagate the smallest label along the links, with pointer jumping
        low = np.minimum(label[a], label[b])
        new = label.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]
        if np.array_equal(new, label):
            break
        label = new
    _, component = np.unique(label, return_inverse=True)
    return np.stack([rows, start, end], axis=1), component


def _component_boxes(runs, component):
    """Runs and their labels -> boxes (K, 4) of (x0, y0, x1, y1) and areas (K,) per component."""
    k = component.max() + 1
    rows, start, end = runs.T
    boxes = np.empty((k, 4), np.int64)
    for column, values, reduce in ((0, start, np.minimum), (1, rows, np.minimum),
                                   (2, end, np.maximum), (3, rows + 1, np.maximum)):
        boxes[:, column] = values.max() if reduce is np.minimum else 0
        reduce.at(boxes[:, column], component, values)
    return boxes, np.bincount(component, weights=end - start, minlength=k)


def _merge_overlapping(boxes):
    """Boxes (K, 4) -> group index (K,): boxes overlapping strongly in x and near in y share one."""
    k = len(boxes)
    x0, y0, x1, y1 = boxes.T
    overlap = np.minimum(x1[:, None], x1) - np.maximum(x0[:, None], x0)
    narrower = np.minimum((x1 - x0)[:, None], x1 - x0)
    gap = np.maximum(y0[:, None], y0) - np.minimum(y1[:, None], y1)
    taller = np.maximum((y1 - y0)[:, None], y1 - y0)
    linked = (overlap >= MERGE_OVERLAP * narrower) & (gap <= MERGE_GAP * taller)
    group = np.arange(k)
    for _ in range(k):  # k is a handful of blobs: a plain closure is enough
        new = np.where(linked, group[None, :], k).min(axis=1)
        new = np.minimum(new, group)
        if np.array_equal(new, group):
            break
        group = new[new]
    _, group = np.unique(group, return_inverse=True)
    return group


def _group_boxes(boxes, areas, group):
    """Per-component boxes and areas -> the same per group."""
    g = group.max() + 1
    out = np.empty((g, 4), np.int64)
    for column, reduce in ((0, np.minimum), (1, np.minimum), (2, np.maximum), (3, np.maximum)):
        out[:, column] = boxes[:, column].max() if reduce is np.minimum else 0
        reduce.at(out[:, column], group, boxes[:, column])
    return out, np.bincount(group, weights=areas, minlength=g)


def _paint(runs, x0, y0, x1, y1):
    """Runs inside the box (x0, y0, x1, y1) -> bool mask of the box, True on the runs."""
    out = np.zeros((y1 - y0, x1 - x0), bool)
    rows, start, end = runs.T
    lengths = end - start
    offsets = np.repeat(start - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    out[np.repeat(rows, lengths) - y0, offsets - x0] = True
    return out


def _cuts(mine, ratio):
    """Bool ink of a wide group -> columns where to cut it, at its thinnest near each expected cut."""
    width = mine.shape[1]
    n = max(2, int(round(ratio / DIGIT_RATIO)))
    profile = mine.sum(axis=0)
    cuts = []
    for i in range(1, n):
        expected = width * i / n
        reach = CUT_SEARCH * width / n
        lo, hi = int(max(1, expected - reach)), int(min(width - 1, expected + reach + 1))
        window = profile[lo:hi]
        # The thinnest column; among equals, the one closest to where the cut was expected.
        candidates = np.flatnonzero(window == window.min()) + lo
        cuts.append(int(candidates[np.argmin(np.abs(candidates - expected))]))
    return cuts


def _piece(ink, strong, part, x0, y0):
    """One digit's strong-ink mask within its group's box -> (padded ink piece, box) or (None, None)."""
    rows, cols = np.flatnonzero(part.any(axis=1)), np.flatnonzero(part.any(axis=0))
    if len(rows) == 0:
        return None, None
    top, bottom = y0 + rows[0], y0 + rows[-1] + 1
    left, right = x0 + cols[0], x0 + cols[-1] + 1
    # Grow the box and the mask by the soft edge, so the anti-aliased rim comes along.
    h, w = ink.shape
    t, b = max(0, top - SOFT_EDGE), min(h, bottom + SOFT_EDGE)
    l, r = max(0, left - SOFT_EDGE), min(w, right + SOFT_EDGE)
    mask = np.zeros((b - t, r - l), bool)
    mask[top - t : bottom - t, left - l : right - l] = part[rows[0] : rows[-1] + 1,
                                                            cols[0] : cols[-1] + 1]
    grown = mask.copy()
    for shift in range(1, SOFT_EDGE + 1):
        grown[shift:] |= mask[:-shift]
        grown[:-shift] |= mask[shift:]
    mask = grown.copy()
    for shift in range(1, SOFT_EDGE + 1):
        grown[:, shift:] |= mask[:, :-shift]
        grown[:, :-shift] |= mask[:, shift:]
    grown &= mask | ~strong[t:b, l:r]  # the rim, but not the strong ink of the digit it touches
    piece = np.pad(np.where(grown, ink[t:b, l:r], 0.0).astype(np.float32), PIECE_MARGIN)
    return piece, (int(left), int(top), int(right), int(bottom))
