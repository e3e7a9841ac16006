"""A reproducible set of digits drawn the way visitors draw them on a 280x280 canvas.

Visitors do not draw like MNIST: they draw small or large, off-centre or against the border,
slanted, squashed or stretched, with a pen that is thin or thick for the digit's size, and the
canvas may be white on black, black on white, or transparent. This module re-renders MNIST
*test* digits in those ways (so their labels are trusted), and adds digits stroked from
hand-made polylines with a round brush, as a mouse or finger leaves them.

Image `i` is drawn in scheme `SCHEMES[i % 3]`; every `TEMPLATE_EVERY`-th image (and every
image when no MNIST source is given) comes from a polyline template, the rest from MNIST.
Each image depends only on `(seed, i)`, so the first 20 images of a set of 1,000 are the same
20 images as a set of 20.
"""

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

CANVAS_SIZE = 280
"""Side of the drawing canvas in the app, in pixels."""

SCHEMES = ("white_on_black", "black_on_white", "transparent")
"""white_on_black: opaque RGBA (H, W, 4), white ink; black_on_white: RGB (H, W, 3);
transparent: RGBA with alpha 0 around a stroke of a random colour."""

TEMPLATE_EVERY = 4
"""One image in this many is stroked from a polyline template rather than taken from MNIST."""

_DESIGN_SCALE = 4  # MNIST digits are re-drawn at 4x (about 80 pixels high) before posing.
_INK_COLOURS = ((0, 0, 0), (255, 255, 255), (20, 40, 200), (200, 20, 20), (30, 30, 30))


def arc(cx, cy, rx, ry, start, end, n=24):
    """Points on an ellipse in a unit box (y down), for drawing a digit's curves.

    Args:
        cx, cy: centre; rx, ry: radii, in box units.
        start, end: angles in degrees, counter-clockwise on screen, 0 pointing right; the
            arc may turn more than once (end - start > 360).
        n: number of points.

    Returns:
        list of `n` (x, y) float pairs.
    """
    t = np.radians(np.linspace(start, end, n))
    return list(zip(cx + rx * np.cos(t), cy - ry * np.sin(t)))


# Each digit: (width / height of its box, list of strokes, each a list of (x, y) in [0, 1]).
_TEMPLATES = {
    0: [(0.7, [arc(0.5, 0.5, 0.5, 0.5, 90, 450, 40)])],
    1: [(0.3, [[(0.5, 0.0), (0.5, 1.0)]]), (0.4, [[(0.0, 0.25), (0.7, 0.0), (0.7, 1.0)]])],
    2: [(0.7, [arc(0.5, 0.3, 0.45, 0.3, 160, -30) + [(0.03, 1.0), (1.0, 1.0)]])],
    3: [(0.65, [arc(0.5, 0.25, 0.42, 0.25, 150, -90) + arc(0.5, 0.74, 0.5, 0.26, 90, -150)])],
    4: [
        (0.75, [[(0.6, 0.0), (0.0, 0.65), (1.0, 0.65)], [(0.72, 0.25), (0.72, 1.0)]]),
        (0.75, [[(0.08, 0.0), (0.03, 0.6), (0.97, 0.6)], [(0.75, 0.0), (0.75, 1.0)]]),
    ],
    5: [(0.7, [[(0.92, 0.0), (0.2, 0.0), (0.14, 0.44)] + arc(0.45, 0.68, 0.48, 0.32, 130, -150)])],
    6: [(0.7, [arc(0.8, 0.72, 0.75, 0.72, 90, 180) + arc(0.5, 0.72, 0.45, 0.28, 180, 540)])],
    7: [(0.7, [[(0.0, 0.0), (1.0, 0.0), (0.35, 1.0)]])],
    8: [(0.65, [arc(0.5, 0.24, 0.36, 0.24, 0, 360), arc(0.5, 0.72, 0.46, 0.28, 0, 360)])],
    9: [(0.65, [arc(0.45, 0.28, 0.42, 0.28, 0, 360) + [(0.85, 1.0)]])],
}


def make_drawn_digits(n=1000, seed=0, source=None):
    """Builds `n` canvas drawings of digits with their true labels.

    Args:
        n: number of images.
        seed: the set is a pure function of `(n, seed, source)`.
        source: optional `(x, y)`: uint8 digits of shape (N, 28, 28) in [0, 255] and int
            labels of shape (N,), normally MNIST's test split (never its training split,
            which the models have seen). Without it, every image comes from a template.

    Returns:
        `(images, labels)`: a list of `n` uint8 arrays in [0, 255], each (280, 280, 4) or
        (280, 280, 3) as `SCHEMES` says, and an int64 array of shape (n,) in [0, 9].
    """
    images, labels = [], np.zeros(n, np.int64)
    order = None if source is None else np.random.default_rng(seed).permutation(len(source[0]))
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        if origin_of(i, source is not None) == "template":
            labels[i] = i // TEMPLATE_EVERY % 10 if source is not None else i % 10
            ink = _stroke_template(labels[i], rng)
        else:
            j = order[i % len(order)]
            labels[i] = int(source[1][j])
            ink = _redraw_mnist(np.asarray(source[0][j], np.uint8), rng)
        images.append(pose_on_canvas(ink, scheme_of(i), rng))
    return images, labels


def scheme_of(index):
    """Colour scheme of image `index` of a drawn set: one of `SCHEMES`."""
    return SCHEMES[index % len(SCHEMES)]


def origin_of(index, with_source=True):
    """'template' or 'mnist': where image `index` of a drawn set comes from."""
    if not with_source or index % TEMPLATE_EVERY == TEMPLATE_EVERY - 1:
        return "template"
    return "mnist"


def _pose(rng):
    """Random digit height (canvas pixels), width factor and slant (x shift per unit of y)."""
    height = rng.uniform(0.25, 0.85) * CANVAS_SIZE
    return height, math.exp(rng.uniform(-0.3, 0.3)), rng.uniform(-0.35, 0.35)


def _redraw_mnist(digit, rng):
    """MNIST digit (28, 28) uint8 -> tight uint8 ink patch posed, re-stroked, at canvas scale."""
    rows, cols = np.flatnonzero(digit.any(axis=1)), np.flatnonzero(digit.any(axis=0))
    crop = Image.fromarray(digit[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])
    s = _DESIGN_SCALE
    # Smooth upscale then threshold: MNIST's soft grey edges become a crisp pen stroke.
    big = crop.resize((crop.width * s, crop.height * s), Image.Resampling.BICUBIC)
    big = big.point(lambda v: 255 if v >= 100 else 0)
    # Pen width relative to the digit: -0.5 (thinner) to +2 (thicker) MNIST pixels, the thin
    # end limited because eroding further breaks MNIST's thinnest strokes apart.
    radius = int(round(rng.uniform(-0.25, 1.0) * s))
    margin = abs(radius) + 2
    design = Image.new("L", (big.width + 2 * margin, big.height + 2 * margin))
    design.paste(big, (margin, margin))
    if radius > 0:
        design = design.filter(ImageFilter.MaxFilter(2 * radius + 1))
    elif radius < 0:
        thinner = design.filter(ImageFilter.MinFilter(-2 * radius + 1))
        design = thinner if thinner.getbbox() else design  # never erase a faint digit
    height, widen, slant = _pose(rng)
    sy = height / big.height
    sx = sy * widen
    out_w = int(math.ceil(design.width * sx + abs(slant) * design.height * sy)) + 2
    out_h = int(math.ceil(design.height * sy)) + 2
    shift = max(0.0, -slant) * design.height * sy
    # AFFINE maps output (u, v) back to design (x, y): y = v / sy, x = (u - slant*v - shift) / sx.
    data = (1 / sx, -slant / sx, -shift / sx, 0.0, 1 / sy, 0.0)
    posed = design.transform((out_w, out_h), Image.Transform.AFFINE, data, Image.Resampling.BICUBIC)
    # Steepen the bicubic ramp to the one-pixel anti-aliased edge a canvas draws.
    return np.asarray(posed.point(lambda v: min(255, max(0, (v - 128) * 3 + 128))))


def _stroke_template(label, rng):
    """Digit label -> tight uint8 ink patch drawn with a round brush from a jittered template."""
    variants = _TEMPLATES[int(label)]
    aspect, strokes = variants[rng.integers(len(variants))]
    return stroke_ink(aspect, strokes, rng)


def stroke_ink(aspect, strokes, rng, jitter=0.015, pens=(0.5, 6.0)):
    """Draws polylines with a round brush, posed as a visitor draws: size, width, slant, pen.

    Args:
        aspect: width / height of the digit's box.
        strokes: list of strokes, each a sequence of (x, y) points in the unit box (y down).
        rng: a `numpy.random.Generator`; the pose, pen and jitter are drawn from it.
        jitter: standard deviation of the noise added to every point, in box units.
        pens: range of the pen's width, in MNIST pixels for a digit 20 pixels high.

    Returns:
        uint8 array (H, W) in [0, 255]: white anti-aliased ink on black, the digit between
        `0.25` and `0.85` canvas heights tall, with a black margin around it.
    """
    height, widen, slant = _pose(rng)
    width = height * aspect * widen
    # Pen width in MNIST pixels (digit height = 20): MNIST's own run 1.5 to 3.7. A visitor's
    # pen is fixed while the digit's size is not: a 3-pixel pen on a 240-pixel digit gives 0.25,
    # a 20-pixel pen on a 70-pixel digit 5.7.
    pen = rng.uniform(*pens) * height / 20
    ss = 2  # drawn at twice the size, then halved: anti-aliased edges like a canvas
    pad = pen + abs(slant) * height + 4
    size = (int((width + 2 * pad) * ss), int((height + 2 * pad) * ss))
    img = Image.new("L", size)
    draw = ImageDraw.Draw(img)
    r = pen * ss / 2
    for stroke in strokes:
        pts = np.asarray(stroke, float) + rng.normal(0, jitter, (len(stroke), 2))
        x = pad + pts[:, 0] * width + slant * (pts[:, 1] - 0.5) * height
        y = pad + pts[:, 1] * height
        xy = list(zip(x * ss, y * ss))
        draw.line(xy, fill=255, width=max(1, int(round(2 * r))), joint="curve")
        for px, py in (xy[0], xy[-1]):  # round caps, as a brush leaves
            draw.ellipse((px - r, py - r, px + r, py + r), fill=255)
    return np.asarray(img.reduce(ss))


def pose_on_canvas(ink, scheme, rng):
    """Places an ink patch on the canvas at a random spot and paints it in a colour scheme.

    Args:
        ink: uint8 array (H, W), white ink on black, at canvas scale.
        scheme: one of `SCHEMES`.
        rng: a `numpy.random.Generator` (the spot, and the ink colour of `transparent`).

    Returns:
        uint8 array (CANVAS_SIZE, CANVAS_SIZE, 4) or (CANVAS_SIZE, CANVAS_SIZE, 3) as `SCHEMES`
        says.
    """
    return _paint(_place_on_canvas(ink, rng), scheme, rng)


def _place_on_canvas(ink, rng):
    """Ink patch -> (CANVAS_SIZE, CANVAS_SIZE) uint8: the ink at a random spot, maybe at an edge."""
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    tight = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    patch = Image.fromarray(np.ascontiguousarray(tight))
    if max(patch.size) > CANVAS_SIZE - 2:
        patch.thumbnail((CANVAS_SIZE - 2, CANVAS_SIZE - 2), Image.Resampling.LANCZOS)
    free = np.array([CANVAS_SIZE - patch.width, CANVAS_SIZE - patch.height])
    spot = rng.uniform(0, 1, 2)
    # One drawing in five touches a border: visitors start at the edge of the canvas.
    if rng.uniform() < 0.2:
        spot[rng.integers(2)] = rng.integers(2)
    canvas = Image.new("L", (CANVAS_SIZE, CANVAS_SIZE))
    canvas.paste(patch, tuple(int(v) for v in np.round(spot * free)))
    return np.asarray(canvas)


def _paint(ink, scheme, rng):
    """Ink (H, W) uint8 -> the image a canvas in `scheme` returns."""
    if scheme == "white_on_black":
        return np.dstack([ink, ink, ink, np.full_like(ink, 255)])
    if scheme == "black_on_white":
        paper = 255 - ink
        return np.dstack([paper, paper, paper])
    colour = np.array(_INK_COLOURS[rng.integers(len(_INK_COLOURS))], np.uint8)
    rgb = np.where(ink[:, :, None] > 0, colour, np.uint8(0))
    return np.dstack([rgb, ink]).astype(np.uint8)
