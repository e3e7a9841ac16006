"""Numbers whose digits touch: MNIST digits side by side, some gaps closed until their ink meets.

`bench/eval_numbers.py` reads such numbers; the "not a digit" gate trains on them as a class of
their own ("several digits touching", `mnist_core.training.gate_recipe`), so that a blob of two
digits that touch is not taken for a mark that is no digit at all.
"""

import numpy as np
from PIL import Image

SCALE = 4
MARGIN = 30
STRONG = 100  # ink this bright must touch for two digits to count as touching
TOUCHING_SHARE = 1 / 3


def _patch(digit):
    cols = np.flatnonzero(digit.max(axis=0) > 0)
    crop = Image.fromarray(digit[:, cols[0] : cols[-1] + 1])
    return np.asarray(crop.resize((crop.width * SCALE, crop.height * SCALE), Image.BICUBIC))


def _room(left, right):
    """Pixels the right patch can move left (from gap 0) before its ink touches the left's."""
    rows = [r for r in range(len(left)) if (left[r] > STRONG).any() and (right[r] > STRONG).any()]
    if not rows:
        return left.shape[1]
    return min(left.shape[1] - 1 - np.flatnonzero(left[r] > STRONG)[-1]
               + np.flatnonzero(right[r] > STRONG)[0] for r in rows)


def compose(digits, rng, touching_share=TOUCHING_SHARE):
    """MNIST digits (k, 28, 28) -> (white-on-black canvas, whether any two touch).

    Each gap makes the two digits' ink touch and overlap by 1 to 6 pixels with probability
    `touching_share`, else leaves 2 to 30 pixels between them.
    """
    patches = [_patch(d) for d in digits]
    gaps, touching = [], False
    for left, right in zip(patches, patches[1:]):
        room = _room(left, right)
        if rng.uniform() < touching_share:
            gaps.append(-room - int(rng.integers(1, 7)))
            touching = True
        else:
            gaps.append(max(-room + 3, int(rng.integers(2, 30))))
    width = sum(p.shape[1] for p in patches) + sum(gaps) + 2 * MARGIN
    canvas = np.zeros((28 * SCALE + 2 * MARGIN, width), np.uint8)
    x = MARGIN
    for patch, gap in zip(patches, [*gaps, 0]):
        region = canvas[MARGIN : MARGIN + patch.shape[0], x : x + patch.shape[1]]
        np.maximum(region, patch, out=region)
        x += patch.shape[1] + gap
    return canvas, touching


def make_touching_digits(x, n, seed):
    """`n` MNIST-style 28x28 images of two or three digits of `x` that touch, read as one blob.

    Args:
        x: uint8 (N, 28, 28) digits to draw from (MNIST's training split, for training).
        n: images to make; seed: their random stream.

    Returns:
        uint8 (n, 28, 28) in [0, 255], each through `to_mnist_input` as a drawing goes.
    """
    from mnist_core.reading.preprocess import to_mnist_input

    out = np.zeros((n, 28, 28), np.uint8)
    for i in range(n):
        rng = np.random.default_rng([91, seed, i])
        chosen = rng.choice(len(x), 2 if rng.uniform() < 0.6 else 3, replace=False)
        canvas, _ = compose(x[chosen], rng, touching_share=1.0)
        out[i] = np.round(255 * to_mnist_input(canvas))
    return out
