"""The non-digits the gate trains on and is measured on: reproducible, varied, kept apart."""

import numpy as np

from mnist_core.data import non_digits
from mnist_core.data.drawn_digits import CANVAS_SIZE


def test_each_image_depends_only_on_its_seed_and_index():
    short, kinds, names = non_digits.make_non_digits(6, seed=7)
    longer, _, longer_names = non_digits.make_non_digits(10, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(short, longer))
    assert names == longer_names[:6]
    other, _, _ = non_digits.make_non_digits(6, seed=8)
    assert not any(np.array_equal(a, b) for a, b in zip(short, other))


def test_kinds_cycle_and_every_letter_and_shape_is_drawn():
    images, kinds, names = non_digits.make_non_digits(400, seed=1)
    assert kinds[:8] == list(non_digits.KINDS) * 2
    assert set(names) >= set(non_digits.LETTERS) | set(non_digits.SHAPES) | {"scribble"}
    for image in images[:12]:
        assert image.shape[:2] == (CANVAS_SIZE, CANVAS_SIZE) and image.dtype == np.uint8
        assert image.shape[2] in (3, 4)


def test_training_images_never_repeat_the_evaluation_ones():
    from mnist_core.reading.preprocess import to_mnist_input

    evaluation, _, _ = non_digits.make_non_digits(8, seed=3)
    prepared = {np.round(255 * to_mnist_input(image)).astype(np.uint8).tobytes()
                for image in evaluation}
    training = non_digits.make_training_non_digits(8, seed=3)
    assert training.shape == (8, 28, 28) and training.dtype == np.uint8
    assert all(t.any() for t in training)
    assert not prepared & {t.tobytes() for t in training}


def test_no_letter_that_a_hand_writes_like_a_digit():
    assert not set(non_digits.LETTERS) & set("OoDQIlJTZzSsGbBLagqP")
    assert set(non_digits.LETTERS) <= set(non_digits._LETTER_STROKES)
