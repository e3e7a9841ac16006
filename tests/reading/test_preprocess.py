"""Preprocessing: each MNIST step pinned on hand-made arrays whose right answer is known."""

import numpy as np
import pytest

from mnist_core.reading import ink
from mnist_core.errors import BlankImageError, ImageError
from mnist_core.reading.ink import has_ink
from mnist_core.reading.preprocess import (MNIST_CENTRE, MNIST_STROKE, THINNED_STROKE, naive_downscale,
                                   to_mnist_input)

ROWS, COLS = np.mgrid[0:28, 0:28]


def centre_of_mass(image):
    mass = image.sum()
    return (image * ROWS).sum() / mass, (image * COLS).sum() / mass


def extent(profile):
    """Length of a row or column profile in pixels: its area over its peak (exact for a bar)."""
    return profile.sum() / profile.max()


def ring(outer, inner, size=280):
    """A '0' of the given outer and inner radius, centred on a square canvas."""
    rows, cols = np.mgrid[0:size, 0:size]
    distance = np.hypot(rows - size / 2, cols - size / 2)
    return np.where((distance <= outer) & (distance >= inner), 255, 0).astype(np.uint8)


def on_canvas(shape, top, left, size=280):
    canvas = np.zeros((size, size), np.uint8)
    canvas[top : top + shape.shape[0], left : left + shape.shape[1]] = shape
    return canvas


def seven(unit):
    """A '7' made of a top bar and a diagonal, on a grid of 10x14 units of `unit` pixels."""
    image = np.zeros((14 * unit, 10 * unit), np.uint8)
    image[: 2 * unit] = 255
    for row in range(2 * unit, 14 * unit):
        col = int(8 * unit - (row - 2 * unit) / 2)
        image[row, col : col + 2 * unit] = 255
    return image


SEVEN = on_canvas(seven(10), top=60, left=120)


def test_output_is_float32_28x28_in_unit_range():
    out = to_mnist_input(SEVEN)
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() == 0.0 and out.max() == pytest.approx(1.0)


def test_centre_of_mass_lands_at_the_mnist_centre():
    # An L in a corner: its centre of mass is far from its box's centre and the canvas's.
    ell = np.zeros((280, 280), np.uint8)
    ell[150:270, 5:25] = 255
    ell[250:270, 5:105] = 255
    assert centre_of_mass(to_mnist_input(ell)) == pytest.approx((MNIST_CENTRE,) * 2, abs=0.1)


def test_tall_bar_keeps_its_aspect_with_longer_side_20():
    out = to_mnist_input(on_canvas(np.full((200, 20), 255, np.uint8), top=40, left=100))
    assert extent(out.sum(axis=1)) == pytest.approx(20, abs=0.1)
    assert extent(out.sum(axis=0)) == pytest.approx(2, abs=0.1)


def test_wide_bar_gets_width_20():
    out = to_mnist_input(on_canvas(np.full((30, 150), 255, np.uint8), top=10, left=10))
    assert extent(out.sum(axis=0)) == pytest.approx(20, abs=0.1)
    assert extent(out.sum(axis=1)) == pytest.approx(4, abs=0.1)


def test_same_digit_small_in_a_corner_or_large_in_the_middle_gives_the_same_input():
    small = to_mnist_input(on_canvas(seven(4), top=200, left=10))
    large = to_mnist_input(on_canvas(seven(18), top=20, left=60))
    np.testing.assert_allclose(small, large, atol=0.05)
    # ...which the naive downscale is far from doing.
    small = naive_downscale(on_canvas(seven(4), top=200, left=10))
    large = naive_downscale(on_canvas(seven(18), top=20, left=60))
    assert np.abs(small - large).mean() > 0.1


def test_faint_specks_do_not_stretch_the_box():
    # Dust on a scan, JPEG ringing: far weaker than the ink, so it must not count as digit.
    specked = SEVEN.copy()
    specked[270:275, 5:10] = 20
    np.testing.assert_array_equal(to_mnist_input(specked), to_mnist_input(SEVEN))


def test_downscale_is_anti_aliased():
    # A diagonal line covers output pixels partially: grey levels must appear.
    diagonal = np.zeros((280, 280), np.uint8)
    for i in range(40, 240):
        diagonal[i, i - 6 : i + 6] = 255
    levels = to_mnist_input(diagonal)
    assert ((levels > 0.1) & (levels < 0.9)).sum() >= 10


def test_dark_on_light_gives_the_same_result_as_light_on_dark():
    np.testing.assert_array_equal(to_mnist_input(255 - SEVEN), to_mnist_input(SEVEN))


def test_colour_on_coloured_paper_reads_like_white_on_black():
    paper = np.empty(SEVEN.shape + (3,), np.uint8)
    paper[:] = (250, 240, 200)  # cream paper, dark blue ink
    paper[SEVEN > 0] = (20, 30, 120)
    expected = to_mnist_input(SEVEN)
    np.testing.assert_allclose(to_mnist_input(paper), expected, atol=0.02)


def test_rgb_channel_axis_float_and_bool_inputs_agree_with_grey_uint8():
    expected = to_mnist_input(SEVEN)
    for same in (np.dstack([SEVEN] * 3), SEVEN[:, :, None], SEVEN / 255.0, SEVEN > 0,
                 SEVEN.astype(np.int64)):
        np.testing.assert_array_equal(to_mnist_input(same), expected)


def test_transparent_rgba_reads_the_drawing_from_alpha_whatever_its_colour():
    black_stroke = np.zeros(SEVEN.shape + (4,), np.uint8)  # RGB 0 everywhere: only alpha shows it
    black_stroke[:, :, 3] = SEVEN
    red_stroke = black_stroke.copy()
    red_stroke[SEVEN > 0, 0] = 255
    expected = to_mnist_input(SEVEN)
    np.testing.assert_array_equal(to_mnist_input(black_stroke), expected)
    np.testing.assert_array_equal(to_mnist_input(red_stroke), expected)


def test_opaque_rgba_reads_the_colours():
    white_on_black = np.dstack([SEVEN, SEVEN, SEVEN, np.full_like(SEVEN, 255)])
    np.testing.assert_array_equal(to_mnist_input(white_on_black), to_mnist_input(SEVEN))


def test_single_dot_becomes_a_centred_box_filling_blob():
    dot = np.zeros((280, 280), np.uint8)
    dot[3, 270] = 255
    out = to_mnist_input(dot)
    assert centre_of_mass(out) == pytest.approx((MNIST_CENTRE,) * 2, abs=0.05)
    assert extent(out.sum(axis=0)) == pytest.approx(20, abs=0.1)


def test_stroke_touching_the_border_is_kept_whole():
    # An L along the top and left edges of the canvas: the background is still found (most of
    # the border is empty) and no ink is lost.
    ell = np.zeros((280, 280), np.uint8)
    ell[0:20, 0:100] = 255
    ell[0:200, 0:20] = 255
    out = to_mnist_input(ell)
    scale = 20 / 200
    assert out.sum() == pytest.approx((ell > 0).sum() * scale**2, rel=0.01)
    assert centre_of_mass(out) == pytest.approx((MNIST_CENTRE,) * 2, abs=0.1)


def test_ink_is_never_pushed_out_of_the_field():
    # A heavy bar over a thin stem: centring its centre of mass would push the bar off the top.
    tee = np.zeros((280, 280), np.uint8)
    tee[40:80, 40:240] = 255
    tee[80:240, 138:142] = 255
    out = to_mnist_input(tee)
    assert out.sum() == pytest.approx((tee > 0).sum() * (20 / 200) ** 2, rel=0.01)
    assert centre_of_mass(out)[0] < MNIST_CENTRE - 2  # so the shift was limited


@pytest.mark.parametrize("outer, inner, expected", [
    (100, 97, MNIST_STROKE),  # a 3-pixel pen on a full-canvas 0: 0.3 pixels once shrunk
    (60, 25, THINNED_STROKE),  # a 35-pixel pen on a small 0: 5.8 pixels, its hole closing
])
def test_very_thin_and_very_thick_strokes_are_brought_to_mnist_widths(outer, inner, expected):
    out = to_mnist_input(ring(outer, inner))
    left_side = out[14, :14]  # the middle row crosses the ring's stroke on the left
    assert extent(left_side) == pytest.approx(expected, abs=0.3)
    assert left_side.max() > 0.8 and out[14, 14] == 0.0  # strong ink, and the hole stays open


def test_strokes_of_mnist_width_are_left_as_drawn():
    out = to_mnist_input(ring(100, 77))  # 23 pixels of 200: 2.3 once shrunk
    assert extent(out[14, :14]) == pytest.approx(2.3, abs=0.15)


@pytest.mark.parametrize("blank", [
    np.zeros((280, 280), np.uint8),
    np.full((280, 280, 3), (30, 120, 200), np.uint8),
    np.zeros((280, 280, 4), np.uint8),  # a transparent canvas, nothing drawn
    np.full((280, 280, 4), 255, np.uint8),  # an opaque white canvas
    np.full((50, 50), 0.5, np.float32) + np.linspace(0, 0.05, 50, dtype=np.float32),
], ids=["black", "uniform_colour", "transparent", "opaque_white", "near_uniform_gradient"])
def test_blank_input_raises_blank_image_error(blank):
    assert not has_ink(blank)
    for prepare in (to_mnist_input, naive_downscale):
        with pytest.raises(BlankImageError, match="empty"):
            prepare(blank)


def test_has_ink_sees_a_single_dot():
    dot = np.zeros((280, 280, 4), np.uint8)
    dot[100, 100] = 255
    assert has_ink(dot)


def test_naive_downscale_keeps_position_and_size():
    corner = np.zeros((280, 280), np.uint8)
    corner[0:50, 0:50] = 255
    out = naive_downscale(corner)
    assert out.shape == (28, 28) and out.dtype == np.float32
    # 50 of 280 pixels is 5 of 28: full ink there, a blurred edge, then nothing.
    assert out[:4, :4].min() == pytest.approx(1.0)
    assert out[6:, :].max() == 0.0 and out[:, 6:].max() == 0.0


def test_rejects_images_over_max_pixels(monkeypatch):
    monkeypatch.setattr(ink, "MAX_PIXELS", 100)
    with pytest.raises(ImageError, match="megapixel limit"):
        to_mnist_input(np.zeros((10, 11), np.uint8))
    to_mnist_input(on_canvas(np.full((4, 4), 255, np.uint8), 3, 3, size=10))  # 100 is allowed


@pytest.mark.parametrize("bad, words", [
    (np.zeros((28, 28, 2), np.uint8), "shape"),
    (np.zeros((2, 28, 28, 1), np.uint8), "shape"),
    (np.zeros((0, 28), np.uint8), "shape"),
    (np.full((28, 28), 255.0), "between 0 and 1"),
    (np.full((28, 28), np.nan), "between 0 and 1"),
    (np.full((28, 28), -1), "between 0 and 255"),
    (np.full((28, 28), "a"), "numbers"),
])
def test_rejects_arrays_that_are_not_images(bad, words):
    with pytest.raises(ImageError, match=words):
        to_mnist_input(bad)


def test_large_images_are_shrunk_first_and_give_the_same_digit(monkeypatch):
    expected = to_mnist_input(SEVEN)
    monkeypatch.setattr(ink, "WORK_SIDE", 140)
    np.testing.assert_allclose(to_mnist_input(SEVEN), expected, atol=0.06)
