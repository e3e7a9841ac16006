"""Digits stroked from templates whose shape varies, European forms included.

Many of the tutorial's readers write a 1 with a long flag (with or without a foot), a 7 with a
crossbar, a 4 open at the top, a 9 with a straight stem and a 2 with a loop at its foot. MNIST
has few of these. This module draws them, and the ordinary forms of every digit, from
templates whose control points vary from one image to the next (flag length, crossbar height,
loop size, ...), then poses them as `mnist_core.data.drawn_digits` poses its templates (size, width,
slant, pen, spot on the canvas, colour scheme).

Two uses, kept apart by their random streams so that training never sees an evaluation image:
- `make_european_digits()`: the evaluation set; its digits 1, 2, 4, 7 and 9 are all European
  forms, the other digits ordinary ones. Seeds from `EVAL_SEED` up.
- `make_stroked_training_digits()`: 28x28 MNIST-style training images of every form of every
  digit (see `mnist_core.training.synthetic_share`).
"""

import numpy as np

from mnist_core.data.drawn_digits import arc, pose_on_canvas, scheme_of, stroke_ink

EVAL_SEED = 1_000_000
"""Default seed of the European evaluation set; training seeds are small (`DEFAULT_SEED`)."""

_EVAL_STREAM, _TRAIN_STREAM = 71, 72
"""First words of the random streams: an image is drawn from `(stream, seed, i)`, so an
evaluation image and a training image never share their randomness, whatever the seeds."""

POINT_JITTER = 0.02
"""Noise on every control point, in units of the digit's height, on top of each form's own
variation."""


def _one_flagged(rng, foot):
    flag_y, stem_x = rng.uniform(0.3, 0.55), rng.uniform(0.55, 0.75)
    flag_x = rng.uniform(0.0, 0.1)
    foot_x = stem_x + rng.uniform(-0.05, 0.05)
    strokes = [[(flag_x, flag_y), (stem_x, 0.0), (foot_x, 1.0)]]
    if foot:
        half = rng.uniform(0.3, 0.45)
        strokes.append([(stem_x - half, 1.0), (stem_x + half, 1.0)])
        return rng.uniform(0.55, 0.75), strokes
    return rng.uniform(0.4, 0.6), strokes


def _seven_crossbar(rng):
    foot_x, bar_y = rng.uniform(0.2, 0.45), rng.uniform(0.45, 0.6)
    top = [(1.0, 0.0), (foot_x, 1.0)]
    if rng.uniform() < 0.4:  # a small downward tick where the pen starts
        top = [(0.0, rng.uniform(0.08, 0.18)), (0.0, 0.0)] + top
    else:
        top = [(0.0, 0.0)] + top
    stem_x = 1.0 + (foot_x - 1.0) * bar_y
    half = rng.uniform(0.2, 0.32)
    return rng.uniform(0.6, 0.8), [top, [(stem_x - half, bar_y), (stem_x + half, bar_y)]]


def _four_open(rng):
    bar_y, right = rng.uniform(0.5, 0.65), rng.uniform(0.65, 0.8)
    left = [(rng.uniform(0.0, 0.15), 0.0), (0.0, bar_y), (1.0, bar_y)]
    return rng.uniform(0.65, 0.85), [left, [(right, rng.uniform(0.0, 0.15)), (right, 1.0)]]


def _nine_straight(rng):
    ry = rng.uniform(0.2, 0.3)
    ring = arc(0.48, ry, 0.46, ry, 0, 370, 30)
    stem_x = 0.48 + 0.46 * np.cos(np.radians(10))
    return rng.uniform(0.55, 0.7), [ring + [(stem_x, ry + 0.05), (stem_x, 1.0)]]


def _two_looped(rng):
    r = rng.uniform(0.08, 0.14)
    cx, cy = r + 0.02, 1.0 - r
    # The diagonal comes down past the loop's left side, the pen turns round the loop
    # (anticlockwise on screen) and leaves along the base to the right.
    head = arc(0.5, 0.3, 0.45, 0.3, rng.uniform(150, 170), -30, 20)
    loop = arc(cx, cy, r, r, 150, -180, 16)
    base = [(rng.uniform(0.9, 1.05), 1.0 + rng.uniform(-0.03, 0.03))]
    return rng.uniform(0.6, 0.8), [head + loop + base]


EUROPEAN_FORMS = {
    1: [lambda rng: _one_flagged(rng, foot=False), lambda rng: _one_flagged(rng, foot=True)],
    2: [_two_looped],
    4: [_four_open],
    7: [_seven_crossbar],
    9: [_nine_straight],
}
"""Digit -> functions `form(rng)` returning `(aspect, strokes)`, strokes in the unit box."""

def _zero(rng):
    aspect, start = rng.uniform(0.55, 0.8), rng.uniform(60, 120)
    return aspect, [arc(0.5, 0.5, 0.5, 0.5, start, start + 370, 40)]


def _one_plain(rng):
    return 0.3, [[(0.5, 0.0), (0.5 + rng.uniform(-0.1, 0.1), 1.0)]]


def _one_short_flag(rng):
    return 0.4, [[(0.0, rng.uniform(0.1, 0.25)), (0.7, 0.0), (0.7, 1.0)]]


def _two(rng):
    return rng.uniform(0.6, 0.8), [arc(0.5, 0.3, 0.45, 0.3, 160, -30, 20)
                                   + [(0.03, 1.0), (1.0, 1.0)]]


def _three(rng):
    return rng.uniform(0.55, 0.75), [arc(0.5, 0.25, 0.42, 0.25, 150, -90, 20)
                                     + arc(0.5, 0.74, 0.5, 0.26, 90, -150, 20)]


def _four_closed(rng):
    aspect, bar_y = rng.uniform(0.65, 0.85), rng.uniform(0.55, 0.7)
    return aspect, [[(0.6, 0.0), (0.0, bar_y), (1.0, bar_y)], [(0.72, 0.2), (0.72, 1.0)]]


def _five(rng):
    return rng.uniform(0.6, 0.8), [[(0.92, 0.0), (0.2, 0.0), (0.14, 0.44)]
                                   + arc(0.45, 0.68, 0.48, 0.32, 130, -150, 20)]


def _six(rng):
    return rng.uniform(0.6, 0.8), [arc(0.8, 0.72, 0.75, 0.72, 90, 180, 16)
                                   + arc(0.5, 0.72, 0.45, 0.28, 180, 540, 30)]


def _seven(rng):
    aspect = rng.uniform(0.6, 0.8)
    return aspect, [[(0.0, 0.0), (1.0, 0.0), (rng.uniform(0.2, 0.45), 1.0)]]


def _eight(rng):
    return rng.uniform(0.55, 0.75), [arc(0.5, 0.24, 0.36, 0.24, 0, 360, 24),
                                     arc(0.5, 0.72, 0.46, 0.28, 0, 360, 24)]


def _nine_curved(rng):
    aspect = rng.uniform(0.55, 0.75)
    return aspect, [arc(0.45, 0.28, 0.42, 0.28, 0, 360, 30) + [(rng.uniform(0.6, 0.9), 1.0)]]


ORDINARY_FORMS = {0: [_zero], 1: [_one_plain, _one_short_flag], 2: [_two], 3: [_three],
                  4: [_four_closed], 5: [_five], 6: [_six], 7: [_seven], 8: [_eight],
                  9: [_nine_curved]}
"""Digit -> the forms MNIST is full of, with the same kind of variation."""


def eval_forms(label):
    """The forms the European evaluation set draws for `label`: European ones where it has any."""
    return EUROPEAN_FORMS.get(int(label)) or ORDINARY_FORMS[int(label)]


def all_forms(label):
    """Every form of `label`, ordinary and European: what training draws from."""
    return ORDINARY_FORMS[int(label)] + EUROPEAN_FORMS.get(int(label), [])


def stroke_form(forms, rng):
    """Picks one of `forms`, varies it and strokes it: a tight uint8 ink patch at canvas scale."""
    aspect, strokes = forms[rng.integers(len(forms))](rng)
    return stroke_ink(aspect, strokes, rng, jitter=POINT_JITTER)


def make_european_digits(n=1000, seed=EVAL_SEED):
    """Builds `n` canvas drawings of digits in European forms, with their true labels.

    Image `i` shows digit `i % 10` (so the classes are balanced) in scheme `scheme_of(i)`, and
    depends only on `(seed, i)`: a short set is the start of a longer one. It is drawn from a
    random stream that training never uses.

    Args:
        n: number of images.
        seed: the evaluation seed; `EVAL_SEED` unless you want another sample.

    Returns:
        `(images, labels)`: a list of `n` uint8 arrays in [0, 255], each (280, 280, 4) or
        (280, 280, 3) as `mnist_core.data.drawn_digits.SCHEMES` says, and an int64 array (n,).
    """
    labels = np.arange(n, dtype=np.int64) % 10
    images = []
    for i, label in enumerate(labels):
        rng = np.random.default_rng([_EVAL_STREAM, seed, i])
        images.append(pose_on_canvas(stroke_form(eval_forms(label), rng), scheme_of(i), rng))
    return images, labels


def form_name(index):
    """'european' or 'ordinary': the kind of form image `index` of the evaluation set shows."""
    return "european" if index % 10 in EUROPEAN_FORMS else "ordinary"


def make_stroked_training_digits(n, seed):
    """Builds `n` MNIST-style training images stroked from every form of every digit.

    Each drawing goes through `to_mnist_input`, as a visitor's drawing does, so the network
    learns these forms as the page will show them.

    Args:
        n: number of images; the labels cycle through 0..9.
        seed: training seed; the stream differs from the evaluation set's whatever its value.

    Returns:
        `(x, y)`: uint8 (n, 28, 28) in [0, 255], white digit on black, and uint8 labels (n,).
    """
    from mnist_core.reading.preprocess import to_mnist_input

    labels = (np.arange(n) % 10).astype(np.uint8)
    x = np.zeros((n, 28, 28), np.uint8)
    for i, label in enumerate(labels):
        rng = np.random.default_rng([_TRAIN_STREAM, seed, i])
        x[i] = np.round(255 * to_mnist_input(stroke_form(all_forms(label), rng)))
    return x, labels
