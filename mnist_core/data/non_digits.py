"""Drawings that are not digits: letters, shapes and scribbles, drawn the way visitors draw.

A visitor testing the demo draws a letter, a smiley or a scribble; the page must say "that does
not look like a digit" (`mnist_core.reading.not_a_digit`). This module makes such drawings, posed
on the 280x280 canvas exactly as `mnist_core.data.drawn_digits` poses its digits (size, width,
slant, pen, spot, colour scheme), in four kinds:
- `letter_font`: a letter that looks like no digit, set in one of the fonts matplotlib ships;
- `letter_stroked`: the same letters stroked from polylines with a round brush;
- `shape`: smileys, stars, hearts, houses, spirals, grids, arrows, check marks;
- `scribble`: a random smooth stroke, or a few.

Two uses, kept apart by their random streams (as `european_digits` does): `make_non_digits()` for
evaluation, seeds from `EVAL_SEED` up; `make_training_non_digits()`, 28x28 MNIST-style images for
training the gate. Image `i` depends only on `(stream, seed, i)`.
"""

import functools
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from mnist_core.data.drawn_digits import CANVAS_SIZE, SCHEMES, arc, pose_on_canvas, stroke_ink

EVAL_SEED = 2_000_000
"""Default seed of the evaluation set; training seeds are small."""

_EVAL_STREAM, _TRAIN_STREAM = 81, 82

KINDS = ("letter_font", "letter_stroked", "shape", "scribble")

LETTERS = "AEFHKMNRWXehkmnwx"
"""Letters that look like no digit. Left out: O D Q (0), I l J T (1, 7), Z z (2), S s (5),
G b (6), L (a European 1's foot), B (8), a g q P (9), and the rest that some hand writes close to
a digit (C U V Y r t f y)."""

_FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSerif.ttf",
          "DejaVuSerif-Bold.ttf", "DejaVuSansMono.ttf", "STIXGeneral.ttf", "STIXGeneralBol.ttf",
          "cmr10.ttf", "cmss10.ttf")
"""Fonts of matplotlib's own data folder (always installed with it)."""

# Each letter: (width / height of its box, strokes in the unit box, y down).
_LETTER_STROKES = {
    "A": (0.8, [[(0, 1), (0.5, 0), (1, 1)], [(0.22, 0.6), (0.78, 0.6)]]),
    "E": (0.65, [[(1, 0), (0, 0), (0, 1), (1, 1)], [(0, 0.5), (0.8, 0.5)]]),
    "F": (0.6, [[(1, 0), (0, 0), (0, 1)], [(0, 0.48), (0.8, 0.48)]]),
    "H": (0.75, [[(0, 0), (0, 1)], [(1, 0), (1, 1)], [(0, 0.5), (1, 0.5)]]),
    "K": (0.7, [[(0, 0), (0, 1)], [(1, 0), (0, 0.55), (1, 1)]]),
    "M": (0.9, [[(0, 1), (0, 0), (0.5, 0.6), (1, 0), (1, 1)]]),
    "N": (0.75, [[(0, 1), (0, 0), (1, 1), (1, 0)]]),
    "R": (0.7, [[(0, 1), (0, 0), (0.55, 0)] + arc(0.55, 0.25, 0.42, 0.25, 90, -90)
                + [(0, 0.5)], [(0.4, 0.5), (1, 1)]]),
    "W": (1.0, [[(0, 0), (0.25, 1), (0.5, 0.3), (0.75, 1), (1, 0)]]),
    "X": (0.8, [[(0, 0), (1, 1)], [(1, 0), (0, 1)]]),
    "e": (0.85, [[(0.05, 0.55), (0.95, 0.55)] + arc(0.5, 0.55, 0.45, 0.45, 0, 310)]),
    "h": (0.6, [[(0, 0), (0, 1)], arc(0.5, 0.62, 0.5, 0.3, 180, 0) + [(1, 1)]]),
    "k": (0.6, [[(0, 0), (0, 1)], [(0.9, 0.4), (0, 0.72), (0.9, 1)]]),
    "m": (1.0, [[(0, 0.15), (0, 1)], arc(0.25, 0.45, 0.25, 0.3, 180, 0) + [(0.5, 1)],
                arc(0.75, 0.45, 0.25, 0.3, 180, 0) + [(1, 1)]]),
    "n": (0.7, [[(0, 0.1), (0, 1)], arc(0.5, 0.45, 0.5, 0.35, 180, 0) + [(1, 1)]]),
    "w": (1.0, [[(0, 0), (0.25, 1), (0.5, 0.35), (0.75, 1), (1, 0)]]),
    "x": (0.9, [[(0, 0), (1, 1)], [(1, 0), (0, 1)]]),
}

SHAPES = ("smiley", "star", "heart", "house", "spiral", "grid", "arrow", "check")


def make_non_digits(n=1000, seed=EVAL_SEED):
    """The evaluation set: `n` canvas drawings of letters, shapes and scribbles.

    Image `i` is of kind `KINDS[i % 4]`, in colour scheme `SCHEMES[(i // 4) % 3]`.

    Returns:
        `(images, kinds, names)`: a list of canvas arrays (as `drawn_digits` returns them), and
        two lists of `n` strings: each image's kind and what it is ("X", "smiley", "scribble").
    """
    images, kinds, names = [], [], []
    for i in range(n):
        rng = np.random.default_rng([_EVAL_STREAM, seed, i])
        kind = KINDS[i % len(KINDS)]
        ink, name = _draw(kind, rng)
        images.append(pose_on_canvas(ink, SCHEMES[(i // len(KINDS)) % len(SCHEMES)], rng))
        kinds.append(kind)
        names.append(name)
    return images, kinds, names


def make_training_non_digits(n, seed):
    """`n` MNIST-style 28x28 non-digits for training the gate, never those of the evaluation set.

    Returns:
        uint8 (n, 28, 28) in [0, 255], white on black, each through `to_mnist_input` as a
        visitor's drawing goes.
    """
    from mnist_core.reading.preprocess import to_mnist_input

    x = np.zeros((n, 28, 28), np.uint8)
    for i in range(n):
        rng = np.random.default_rng([_TRAIN_STREAM, seed, i])
        ink, _ = _draw(KINDS[i % len(KINDS)], rng, TRAINING_SHAPE_WEIGHTS)
        x[i] = np.round(255 * to_mnist_input(ink))
    return x


TRAINING_SHAPE_WEIGHTS = {"smiley": 3.0}
"""Training draws a smiley three times as often as another shape: its round face is a 0's
outline, so it needs more examples than a star to be told apart (the evaluation set draws every
shape alike)."""


def _draw(kind, rng, shape_weights=None):
    """One non-digit's white-on-black ink patch at canvas scale, and its name."""
    if kind == "letter_font":
        letter = LETTERS[rng.integers(len(LETTERS))]
        return _font_letter(letter, rng), letter
    if kind == "letter_stroked":
        letter = LETTERS[rng.integers(len(LETTERS))]
        aspect, strokes = _LETTER_STROKES[letter]
        return stroke_ink(aspect * rng.uniform(0.85, 1.2), strokes, rng, jitter=0.025), letter
    if kind == "shape":
        if shape_weights:
            weights = np.array([shape_weights.get(s, 1.0) for s in SHAPES])
            name = SHAPES[rng.choice(len(SHAPES), p=weights / weights.sum())]
        else:
            name = SHAPES[rng.integers(len(SHAPES))]
        aspect, strokes = _SHAPE_MAKERS[name](rng)
        return stroke_ink(aspect, strokes, rng, jitter=0.015, pens=_DETAILED_PENS), name
    return (stroke_ink(rng.uniform(0.6, 1.4), _scribble(rng), rng, jitter=0.01,
                       pens=_DETAILED_PENS), "scribble")


_DETAILED_PENS = (0.5, 3.5)
"""A shape or scribble has more strokes inside its box than a digit: drawn with a pen as thick as
the thickest for a digit, it is a blot."""


# ---- letters set in fonts ---------------------------------------------------------------------

@functools.cache
def _font(name):
    import matplotlib

    path = f"{matplotlib.get_data_path()}/fonts/ttf/{name}"
    return ImageFont.truetype(path, 160)


def _font_letter(letter, rng):
    """A letter in a random font, sized, stretched, slanted and thickened as `stroke_ink` poses."""
    font = _font(_FONTS[rng.integers(len(_FONTS))])
    glyph = Image.new("L", (320, 320))
    ImageDraw.Draw(glyph).text((80, 40), letter, fill=255, font=font)
    ink = np.asarray(glyph)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    ink = ink[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]
    height = rng.uniform(0.25, 0.85) * CANVAS_SIZE
    scale = height / ink.shape[0]
    width = max(2, int(ink.shape[1] * scale * math.exp(rng.uniform(-0.3, 0.3))))
    patch = Image.fromarray(np.ascontiguousarray(ink)).resize((width, max(2, int(height))),
                                                               Image.Resampling.LANCZOS)
    slant = rng.uniform(-0.35, 0.35)
    pad = int(abs(slant) * height) + 8
    wide = Image.new("L", (patch.width + 2 * pad, patch.height + 2 * pad))
    wide.paste(patch, (pad, pad))
    # x' = x + slant * (y - centre): the top leans right for a positive slant, as `stroke_ink`.
    centre = wide.height / 2
    wide = wide.transform(wide.size, Image.Transform.AFFINE,
                          (1, slant, -slant * centre, 0, 1, 0), Image.Resampling.BILINEAR)
    return np.asarray(wide)


# ---- shapes -----------------------------------------------------------------------------------

def _smiley(rng):
    face = arc(0.5, 0.5, 0.5, 0.5, 90, 450, 40)
    eye = rng.uniform(0.04, 0.08)
    eyes = [arc(x, 0.35, eye, eye, 0, 360, 10) for x in (0.33, 0.67)]
    smile = arc(0.5, rng.uniform(0.5, 0.6), rng.uniform(0.2, 0.3), rng.uniform(0.1, 0.2),
                200, 340, 16)
    return 1.0, [face, *eyes, smile]


def _star(rng):
    points = 5 if rng.uniform() < 0.8 else 6
    turn = rng.uniform(0, 360)
    if points == 5:  # one stroke, every second tip
        tips = [(0.5 + 0.5 * math.sin(math.radians(turn + 144 * k)),
                 0.5 - 0.5 * math.cos(math.radians(turn + 144 * k))) for k in range(6)]
        return 1.0, [tips]
    inner = rng.uniform(0.35, 0.5)
    tips = [(0.5 + r * math.sin(math.radians(turn + 30 * k)),
             0.5 - r * math.cos(math.radians(turn + 30 * k)))
            for k, r in zip(range(13), [0.5, 0.5 * inner] * 7)]
    return 1.0, [tips]


def _heart_strokes(rng):
    dip = rng.uniform(0.25, 0.35)
    left = arc(0.27, 0.3, 0.25, 0.25, 0, 210, 16)  # from the middle dip over the left lobe
    right = arc(0.73, 0.3, 0.25, 0.25, 180, -30, 16)
    return 1.0, [[(0.5, dip)] + left[1:] + [(0.5, 1.0)] + right[::-1][:-1] + [(0.5, dip)]]


def _house(rng):
    roof = rng.uniform(0.3, 0.45)
    strokes = [[(0, roof), (0.5, 0), (1, roof), (0, roof)],
               [(0.08, roof), (0.08, 1), (0.92, 1), (0.92, roof)]]
    if rng.uniform() < 0.6:  # a door
        strokes.append([(0.4, 1), (0.4, 0.7), (0.6, 0.7), (0.6, 1)])
    return 0.9, strokes


def _spiral(rng):
    turns = rng.uniform(2.2, 3.5)
    n = int(40 * turns)
    t = np.linspace(0, 1, n)
    angle = np.radians(rng.uniform(0, 360) + 360 * turns * t * rng.choice([-1, 1]))
    radius = 0.04 + 0.46 * t
    return 1.0, [list(zip(0.5 + radius * np.cos(angle), 0.5 - radius * np.sin(angle)))]


def _grid(rng):
    lines = int(rng.integers(2, 4))
    at = np.linspace(0, 1, lines + 2)[1:-1] + rng.normal(0, 0.03, lines)
    strokes = [[(x, 0), (x, 1)] for x in at] + [[(0, y), (1, y)] for y in at]
    return 1.0, strokes


def _arrow(rng):
    turn = rng.uniform(0, 2 * math.pi)
    c, s = math.cos(turn), math.sin(turn)

    def rotate(points):
        return [(0.5 + (x - 0.5) * c - (y - 0.5) * s, 0.5 + (x - 0.5) * s + (y - 0.5) * c)
                for x, y in points]

    head = rng.uniform(0.2, 0.35)
    shaft = [(0, 0.5), (1, 0.5)]
    tip = [(1 - head, 0.5 - head), (1, 0.5), (1 - head, 0.5 + head)]
    return 1.0, [rotate(shaft), rotate(tip)]


def _check(rng):
    knee = (rng.uniform(0.3, 0.45), 1.0)
    return 1.0, [[(0, rng.uniform(0.45, 0.65)), knee, (1, 0)]]


_SHAPE_MAKERS = {"smiley": _smiley, "star": _star, "heart": _heart_strokes, "house": _house,
                 "spiral": _spiral, "grid": _grid, "arrow": _arrow, "check": _check}


# ---- scribbles --------------------------------------------------------------------------------

def _scribble(rng):
    """One to three smooth strokes through random points, a hand moving without a plan."""
    strokes = []
    for _ in range(int(rng.integers(1, 4))):
        knots = rng.uniform(0, 1, (int(rng.integers(5, 12)), 2))
        strokes.append(_smooth(knots))
    return strokes


def _smooth(knots, per_span=8):
    """A Catmull-Rom curve through `knots` (k, 2): the path a hand draws through them."""
    p = np.vstack([knots[:1], knots, knots[-1:]])
    t = np.linspace(0, 1, per_span, endpoint=False)[:, None]
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                          + (3 * p1 - p0 - 3 * p2 + p3) * t ** 3))
    out.append(p[-2:-1])
    return [tuple(v) for v in np.clip(np.vstack(out), 0, 1)]
