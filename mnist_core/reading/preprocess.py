"""Turn a drawing or a picture into what an MNIST model reads: 28x28, white digit on black, centred.

MNIST digits were cropped to their ink, scaled to fit a 20x20 box keeping their aspect ratio
(anti-aliased, so grey levels appear), then placed in a 28x28 field so that their centre of
mass sits in the middle. `to_mnist_input()` does the same to a visitor's drawing, so a small
or off-centre digit reaches the model looking like the digits it was trained on;
`naive_downscale()` is the baseline that shrinks the whole canvas instead. Both start from the
drawing's ink as `mnist_core.reading.ink` reads it.
"""


import numpy as np
from PIL import Image

from mnist_core.constants import IMAGE_SIZE
from mnist_core.reading.ink import ink_map

BOX_SIZE = 20
"""Side of the box the digit's longer side is scaled to, as in MNIST."""

MNIST_CENTRE = 14.0
"""Row and column index where the centre of mass lands. MNIST's test digits put theirs at
(13.99, 14.01) on average, so the model has learnt this position, not the geometric 13.5."""

MNIST_STROKE = 2.3
"""Median stroke width of MNIST's test digits, in pixels of the 28x28 image."""

THIN_STROKE = 1.6
"""Strokes thinner than this, in pixels of the 28x28 image, are thickened to `MNIST_STROKE`.
MNIST's thinnest 5% are about 1.5 pixels wide; a thin pen on a large digit gives 0.2, which
the tutorial CNN reads badly (70% right on stroked digits 0.1 to 0.4 pixels wide, 97% once
thickened; `bench/eval_drawn.py` measures the whole drawn set)."""

THICK_STROKE = 4.5
"""Strokes thicker than this are thinned to `THINNED_STROKE`: a thick pen on a small digit
fills its loops. On stroked digits 6 to 9 pixels wide: 85% right as drawn, 96% once thinned."""

THINNED_STROKE = 3.5
"""Width thick strokes are thinned to: MNIST's thickest 5% are about 3.7 pixels wide. Thinning
further, to the median, wears strokes through and reads worse."""

# PIL's BILINEAR widens its triangle filter by the reduction factor, so shrinking averages every
# source pixel (anti-aliased). BOX weighs each source pixel all or nothing, which at small
# reduction factors moves the centre of mass by up to half a pixel.
RESAMPLE = Image.Resampling.BILINEAR
_SUBPIXELS = 4  # strokes are thickened or thinned at 4 pixels per output pixel: quarter steps


def to_mnist_input(image):
    """Converts a drawing or picture into an MNIST-style image: cropped, scaled, centred.

    The ink is cropped, scaled so its longer side is `BOX_SIZE` pixels (aspect ratio kept,
    anti-aliased so grey levels appear), and placed with sub-pixel precision so its centre
    of mass sits at (`MNIST_CENTRE`, `MNIST_CENTRE`); the shift is limited so no ink leaves
    the 28x28 field. Strokes that would come out thinner than `THIN_STROKE` pixels or
    thicker than `THICK_STROKE` are brought back to MNIST's range first, so a thin pen on a
    large digit, or a thick one on a small digit, still reads like MNIST.

    Args:
        image: array of shape (H, W), (H, W, 1), (H, W, 3) RGB or (H, W, 4) RGBA; uint8 in
            [0, 255], bool, or float in [0, 1]. Either polarity: the background is the median
            colour of the border, and ink is whatever differs from it. For RGBA that is not
            opaque everywhere (a canvas with a transparent background), the ink is what is
            opaque, whatever its colour.

    Returns:
        float32 array of shape (28, 28), values in [0, 1], white (1) digit on black (0).

    Raises:
        BlankImageError: the image holds no ink (empty canvas, one uniform colour).
        ImageError: the array has the wrong shape or values, or more than `ink.MAX_PIXELS` pixels.
    """
    return from_ink(ink_map(image))


def from_ink(ink):
    """`to_mnist_input()`'s steps after the ink is read: for a drawing whose ink is at hand.

    Args:
        ink: float32 (h, w) in [0, 1] with some ink, as `ink.ink_map()` returns it.

    Returns:
        float32 array of shape (28, 28), values in [0, 1]: `to_mnist_input(image)` exactly,
        for `ink = ink_map(image)`.
    """
    return place_centred(normalise_stroke(crop_to_ink(ink)))


def naive_downscale(image):
    """Shrinks the whole image to 28x28, keeping the digit's position and size on the canvas.

    The baseline that `to_mnist_input()` is measured against: same ink extraction, no crop,
    no scaling to the digit, no centring.

    Args:
        image: as for `to_mnist_input()`.

    Returns:
        float32 array of shape (28, 28), values in [0, 1], white (1) digit on black (0).

    Raises:
        BlankImageError: the image holds no ink.
        ImageError: the array has the wrong shape or values, or more than `ink.MAX_PIXELS` pixels.
    """
    ink = Image.fromarray(ink_map(image))
    out = ink.resize((IMAGE_SIZE, IMAGE_SIZE), RESAMPLE)
    return np.clip(np.asarray(out, dtype=np.float32), 0.0, 1.0)


def crop_to_ink(ink):
    """The smallest box holding every True pixel of `ink` (a bool (H, W) with some ink)."""
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _stroke_width(crop):
    """Mean stroke width in crop pixels: ink area over half the outline's length.

    A stroke of width w and length L has area wL and outline about 2L. The outline is counted
    as pixel edges (Manhattan length), which overstates a curve of random direction by 4/pi.
    """
    solid = np.pad(crop > 0.5, 1)
    edges = np.count_nonzero(solid[1:] != solid[:-1])
    edges += np.count_nonzero(solid[:, 1:] != solid[:, :-1])
    return 2 * float(crop.sum()) / (max(edges, 1) * np.pi / 4)


def normalise_stroke(crop):
    """Crop (h, w) -> the same ink, its strokes thickened or thinned if far from MNIST's.

    Returns the crop itself when its strokes will come out between `THIN_STROKE` and
    `THICK_STROKE` pixels wide; otherwise a new crop, at a working resolution of `_SUBPIXELS`
    pixels per output pixel, whose strokes will come out `MNIST_STROKE` (thin ones) or
    `THINNED_STROKE` (thick ones) wide.
    """
    original = crop
    scale = BOX_SIZE / max(crop.shape)
    width = _stroke_width(crop) * scale  # in output pixels
    if THIN_STROKE <= width <= THICK_STROKE:
        return crop
    if scale * _SUBPIXELS < 1:  # no need for full resolution, and the filters cost less
        h, w = crop.shape
        size = (max(1, round(w * scale * _SUBPIXELS)), max(1, round(h * scale * _SUBPIXELS)))
        crop = np.asarray(Image.fromarray(crop).resize(size, RESAMPLE))
        pixels_per_output = _SUBPIXELS
    else:
        pixels_per_output = 1 / scale
    target = MNIST_STROKE if width < THIN_STROKE else THINNED_STROKE
    radius = int(round(abs(target - width) / 2 * pixels_per_output))
    # Padding with background lets a stroke grow past the crop, or wear away at its edge.
    crop = np.pad(crop, radius)
    if width < THIN_STROKE:
        thick = _rank_filter(crop, radius, np.maximum)
        # A stroke narrower than a working pixel came out grey; once wide, it is full ink.
        return thick / thick.max()
    thin = _rank_filter(crop, radius, np.minimum)
    if thin.max() < 0.5:  # worn away to nothing: a blob with no stroke inside, leave it
        return original
    return crop_to_ink(thin)


def _rank_filter(image, radius, extreme):
    """Square grey dilation (np.maximum) or erosion (np.minimum) reaching `radius` pixels."""
    out = image.copy()
    for _ in range(2):  # down the rows, then (transposed) along the columns: separable
        source = out.copy()
        for shift in range(1, radius + 1):
            extreme(out[shift:], source[:-shift], out=out[shift:])
            extreme(out[:-shift], source[shift:], out=out[:-shift])
        out = out.T
    return out


def place_centred(crop):
    """Ink crop (h, w) float32 -> (28, 28): longer side BOX_SIZE, centre of mass centred."""
    grow = -(-BOX_SIZE // max(crop.shape))
    if grow > 1:
        # Enlarge small crops (a dot, a tiny upload) as blocks of pixels, so the filter below
        # only ever shrinks: interpolating upwards smears a dot over the whole field.
        crop = crop.repeat(grow, axis=0).repeat(grow, axis=1)
    h, w = crop.shape
    scale = BOX_SIZE / max(h, w)
    side = IMAGE_SIZE / scale  # source pixels spanned by the 28-pixel output
    mass = crop.sum()
    # Continuous coordinates: pixel i covers [i, i + 1), so its centre is i + 0.5.
    cy = crop.sum(axis=1) @ (np.arange(h) + 0.5) / mass
    cx = crop.sum(axis=0) @ (np.arange(w) + 0.5) / mass
    target = (MNIST_CENTRE + 0.5) / scale
    # Top-left corner of the output window, limited so the whole crop stays inside it.
    y0 = min(max(cy - target, h - side), 0.0)
    x0 = min(max(cx - target, w - side), 0.0)
    # PIL reads nothing outside the image and reweights what it has at the edge, so pad with
    # background past the window by the filter's reach (one output pixel).
    reach = int(np.ceil(1 / scale)) + 1
    top, left = int(np.ceil(-y0)) + reach, int(np.ceil(-x0)) + reach
    bottom = int(np.ceil(y0 + side)) - h + reach
    right = int(np.ceil(x0 + side)) - w + reach
    padded = np.zeros((top + h + bottom, left + w + right), np.float32)
    padded[top : top + h, left : left + w] = crop
    box = (x0 + left, y0 + top, x0 + left + side, y0 + top + side)
    out = Image.fromarray(padded).resize((IMAGE_SIZE, IMAGE_SIZE), RESAMPLE, box=box)
    return np.clip(np.asarray(out, dtype=np.float32), 0.0, 1.0)
