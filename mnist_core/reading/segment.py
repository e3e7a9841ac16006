"""Read several digits side by side: split a drawing into one image per digit, left to right.

The ink (as `ink.ink_map()` reads it) is cut into 8-connected blobs. Blobs that overlap
strongly in x are parts of one digit (the two strokes of a 4, the crossbar of a 7, the foot of a
European 1, the top stroke of a 5) and are merged; marks far smaller than the digits (a dot, a
stray touch of the pen) are ignored; what remains is read left to right. A blob wider than a
digit may be two or more digits that touch: it is offered cut into each plausible count of
digits, where the ink is thinnest and into digits of even width, and a digit cut out of
touching ink makes the result unsure.

Pure NumPy (the blobs come from `mnist_core.reading.blobs`). `Segmentation.options` keeps every
plausible way to cut a wide blob, so a reader of digits (`Predictor.predict_number`) can take
the one it reads most surely.
"""

import dataclasses

import numpy as np

from mnist_core.reading.blobs import blob_boxes, label_blobs, paint_runs, union_boxes
from mnist_core.reading.ink import ink_map, work_factor

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
"""... whose ink covers less than this fraction of the largest group's, is a stray mark."""

SPLIT_RATIO = 1.3
"""A group wider than this many times the digits' height is digits that touch, and is split
(into how many, the reader of digits may decide among `Segmentation.options`).
MNIST's widest single digits (a 2 or 5 with a long stroke) reach 1.4 only one time in a hundred."""

UNSURE_RATIO = 0.95
"""A group wider than this (up to `SPLIT_RATIO`) may be one wide digit or two that touch: the
segmentation offers both (`Segmentation.options`) and the reader of digits decides."""

COUNT_SPREAD = 0.4
"""A wide group about n digits wide (its width over `DIGIT_RATIO` times the digits' height) is
also offered cut into each count within this many digits of n: digits vary in width (a 1 is
narrow, a 0 wide), so the count from the width alone is often one off."""

DIGIT_RATIO = 0.75
"""Typical width of a digit over its height (MNIST's median): how many digits a wide group holds."""

WIDTH_WEIGHTS = (0.5, 6.0)
"""How much a cut that makes digits of unusual width costs, against one through thicker ink
(see `_cuts`): each count of digits is offered cut both ways, where the ink is thinnest (a
narrow 1 beside a wide 0) and into digits of even width (through a thick join), and the
reader of digits picks."""

MIN_DIGIT_RATIO = 0.2
"""No piece cut from touching digits is narrower than this many digit heights (a 1 is 0.3)."""

SOFT_EDGE = 2
"""Pixels around a digit's strong ink that are kept with it: its anti-aliased edge."""

PIECE_MARGIN = 2
"""Background pixels around each piece, so its border reads as background in `to_mnist_input()`."""


@dataclasses.dataclass(frozen=True)
class Segmentation:
    """A drawing cut into digits, with the other ways its wide blobs could be cut.

    Attributes:
        options: one entry per blob of ink, left to right; each a list of the ways to cut that
            blob, the likeliest first; each way a list of `(piece, box)`, left to right. A
            piece is a float32 array (h, w) in [0, 1]: one digit's ink alone (white on black,
            other digits' ink removed) with a margin of background, ready for
            `preprocess.to_mnist_input()`; its box is `(x0, y0, x1, y1)`, the ink's extent in
            the original image's pixels (x1, y1 exclusive). A blob about one digit wide has one
            way, itself whole; a blob that may be touching digits has several (whole, in two,
            in three ...), each cut by `_cuts` where the ink is thinnest or into digits of
            even width.
        ignored: list of `(x0, y0, x1, y1)`: marks left out as too small to be digits.
        choice: index of the way taken for each blob (the first, unless `choose()` said).
    """

    options: list
    ignored: list
    choice: tuple = None

    def __post_init__(self):
        if self.choice is None:
            object.__setattr__(self, "choice", (0,) * len(self.options))

    @property
    def cuts(self):
        """The pieces and boxes taken: list of `(piece, box)`, left to right."""
        return [part for ways, i in zip(self.options, self.choice) for part in ways[i]]

    @property
    def pieces(self):
        """The digits' images, left to right (see `options`)."""
        return [piece for piece, _ in self.cuts]

    @property
    def boxes(self):
        """The digits' boxes in the original image's pixels, left to right."""
        return [box for _, box in self.cuts]

    @property
    def unsure(self):
        """True when a digit was cut out of a blob of touching ink, or a blob wider than
        `SPLIT_RATIO` digit heights was kept whole: the number may be misread."""
        return any(len(ways[i]) > 1 or len(ways[0]) > 1
                   for ways, i in zip(self.options, self.choice))

    def choose(self, choice):
        """The same segmentation, taking way `choice[b]` for blob `b`."""
        return dataclasses.replace(self, choice=tuple(int(i) for i in choice))


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
    return split_ink(ink_map(image), work_factor(*np.asarray(image).shape[:2]))


def split_ink(ink, factor=1, groups=None):
    """`split_digits()` for a drawing whose ink is at hand, read once for more than this.

    Args:
        ink: float32 (h, w) in [0, 1] with some ink, as `ink.ink_map(image)` returns it.
        factor: `ink.work_factor(H, W)` of the image it was read from: the boxes are given in
            the image's pixels.
        groups: `ink_groups(ink)`, where the caller has it already.

    Returns:
        A `Segmentation` with at least one piece: `split_digits(image)` exactly.
    """
    groups = ink_groups(ink) if groups is None else groups
    run_group = groups.group[groups.blob]
    options = []
    for g in np.argsort(groups.boxes[:, 0], kind="stable"):
        if groups.is_mark[g]:
            continue
        x0, y0, x1, y1 = (int(v) for v in groups.boxes[g])
        mine = paint_runs(groups.runs[run_group == g], x0, y0, x1, y1)
        ways, seen = [], set()
        for n in _digit_counts((x1 - x0) / groups.digit_height):
            for weight in WIDTH_WEIGHTS[: 1 if n == 1 else None]:
                cuts = tuple(_cuts(mine, n, groups.digit_height, weight))
                if cuts not in seen:
                    seen.add(cuts)
                    ways.append(_parts(ink, groups.strong, mine, x0, y0, cuts, factor))
        options.append(ways)
    ignored = [groups.box(g, factor) for g in np.flatnonzero(groups.is_mark)]
    return Segmentation(options, ignored)


@dataclasses.dataclass(frozen=True, eq=False)  # arrays: compared by identity
class InkGroups:
    """A drawing's strong ink in blobs, and the blobs grouped into digits and marks.

    Attributes:
        strong: bool (h, w), the ink at least `INK_LEVEL` strong.
        runs, blob: its runs of ink and each run's blob (`blobs.label_blobs`).
        group: each blob's group, 0..G-1 (blobs of one digit share one).
        boxes: int (G, 4), each group's box (x0, y0, x1, y1) in the ink's pixels, ends exclusive.
        is_mark: bool (G,), True for a stray mark, too small to be a digit.
        digit_height: the digits' median height, in the ink's pixels.
    """

    strong: np.ndarray
    runs: np.ndarray
    blob: np.ndarray
    group: np.ndarray
    boxes: np.ndarray
    is_mark: np.ndarray
    digit_height: float

    @property
    def one_digit(self):
        """True when the drawing is one digit alone: one group, no mark beside it, no wider
        than `UNSURE_RATIO` times its height. `split_ink` then cuts it in one way, one piece,
        boxed by `box(0, factor)`."""
        x0, _, x1, _ = self.boxes[0]
        return len(self.boxes) == 1 and (x1 - x0) / self.digit_height <= UNSURE_RATIO

    def box(self, g, factor=1):
        """Group `g`'s box (x0, y0, x1, y1) in the pixels of the image the ink was read from,
        `factor` (`ink.work_factor`) times its own."""
        return tuple(int(v) * factor for v in self.boxes[g])


def ink_groups(ink):
    """A drawing's ink (as `ink.ink_map` reads it, with some ink) -> its `InkGroups`."""
    strong = ink >= INK_LEVEL
    runs, blob = label_blobs(strong)
    boxes, areas = blob_boxes(runs, blob)
    group = _merge_overlapping(boxes)
    group_boxes, group_areas = union_boxes(boxes, areas, group)
    heights = group_boxes[:, 3] - group_boxes[:, 1]
    is_mark = ((heights < MARK_HEIGHT * heights.max())
               & (group_areas < MARK_AREA * group_areas.max()))
    return InkGroups(strong, runs, blob, group, group_boxes, is_mark,
                     float(np.median(heights[~is_mark])))


def _digit_counts(ratio):
    """Width over digit height -> how many digits the blob may hold, the likeliest first."""
    if ratio <= UNSURE_RATIO:
        return [1]
    estimate = ratio / DIGIT_RATIO
    low = max(1, int(np.floor(estimate - COUNT_SPREAD)))
    high = max(2, int(np.ceil(estimate + COUNT_SPREAD)))
    likeliest = 1 if ratio <= SPLIT_RATIO else max(2, int(round(estimate)))
    # Whole is always a way: MNIST's widest single digits reach twice their height.
    counts = [likeliest, 1] + list(range(low, high + 1))
    return list(dict.fromkeys(counts))


def _parts(ink, strong, mine, x0, y0, cuts, factor):
    """A group's strong ink cut at columns `cuts` -> list of (piece, box in original pixels)."""
    out = []
    for left, right in zip([0, *cuts], [*cuts, mine.shape[1]]):
        part = np.zeros_like(mine)
        part[:, left:right] = mine[:, left:right]
        piece, box = _piece(ink, strong, part, x0, y0)
        if piece is not None:
            out.append((piece, tuple(v * factor for v in box)))
    return out


def _merge_overlapping(boxes):
    """Boxes (K, 4) -> group index (K,): boxes overlapping strongly in x and near in y share one."""
    k = len(boxes)
    if k == 1:  # one blob, most drawings of one digit
        return np.zeros(1, np.int64)
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


def _cuts(mine, n, height, weight):
    """Bool ink (h, w) of a group -> the n - 1 columns where to cut it into n digits.

    The cuts minimise the ink they go through (in digit heights) plus `weight` times
    how far each digit's width strays from `DIGIT_RATIO` digit heights (squared), found
    exactly by dynamic programming over the columns: touching digits are parted where their
    ink is thinnest, and a narrow 1 beside a wide 0 is still possible.
    """
    if n == 1:
        return []
    width = mine.shape[1]
    through = mine.sum(axis=0) / height
    span = np.arange(width + 1)[None, :] - np.arange(width + 1)[:, None]  # [start, end]
    shape = weight * (span / height - DIGIT_RATIO) ** 2
    shape[span < MIN_DIGIT_RATIO * height] = np.inf
    # cost[c]: least cost of the digits so far, the last one ending at a cut at column c.
    cost = shape[0, :width] + through
    back = []
    for _ in range(n - 2):
        total = cost[:, None] + shape[:width, :width]
        back.append(np.argmin(total, axis=0))
        cost = total[back[-1], np.arange(width)] + through
    total = cost + shape[:width, width]
    cuts = [int(np.argmin(total))]
    for previous in reversed(back):
        cuts.append(int(previous[cuts[-1]]))
    return sorted(cuts)


def _piece(ink, strong, part, x0, y0):
    """A digit's strong ink within its group's box -> (padded ink piece, box) or (None, None)."""
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
