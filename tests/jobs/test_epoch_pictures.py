"""The live view's pictures are plain arrays one can check pixel by pixel: each digit in its
class's column above a green (right) or red (wrong) strip with the answer, and the filters
red for positive weights, blue for negative, white for zero."""

import numpy as np

from mnist_core.jobs.epoch_pictures import (GAP, LABEL_HEIGHT, RIGHT, WRONG, ZOOM,
                                       answer_grid, filter_grid, glyph)

SIDE = 28 * ZOOM


def cell(picture, row, column):
    """(image, strip) of one cell."""
    top, left = GAP + row * (SIDE + LABEL_HEIGHT + GAP), GAP + column * (SIDE + GAP)
    return (picture[top:top + SIDE, left:left + SIDE],
            picture[top + SIDE:top + SIDE + LABEL_HEIGHT, left:left + SIDE])


def test_each_digit_sits_in_its_classs_column_over_a_green_or_red_answer():
    labels = [0, 3, 3, 9]
    images = np.zeros((4, 28, 28), np.uint8)
    for i in range(4):
        images[i, i, :] = 255  # a line at row i tells the images apart
    picture = answer_grid(images, labels, answers=[0, 3, 8, 9])
    assert picture.dtype == np.uint8 and picture.shape[2] == 3
    assert picture.shape[1] == 10 * (SIDE + GAP) + GAP
    image, strip = cell(picture, 0, 3)
    assert image[ZOOM * 1, 0].tolist() == [255, 255, 255] and image[0, 0].tolist() == [0, 0, 0]
    image, strip = cell(picture, 1, 3)  # the second 3, read as 8: red, with an 8 drawn
    assert image[ZOOM * 2, 0].tolist() == [255, 255, 255]
    assert tuple(strip[0, 0]) == WRONG
    ink = (strip == 255).all(axis=2)
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    drawn = ink[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1][::3, ::3]
    assert np.array_equal(drawn, glyph(8))
    assert tuple(cell(picture, 0, 9)[1][0, 0]) == RIGHT
    assert tuple(cell(picture, 0, 0)[1][0, 0]) == RIGHT


def test_every_digit_has_its_own_glyph():
    shapes = {glyph(d).tobytes() for d in range(10)}
    assert len(shapes) == 10 and all(glyph(d).shape == (5, 3) for d in range(10))


def test_filters_are_red_when_positive_blue_when_negative_on_one_scale():
    filters = np.zeros((9, 3, 3), np.float32)
    filters[0, 0, 0], filters[1, 0, 0], filters[2, 0, 0] = 2.0, -2.0, 1.0
    picture = filter_grid(filters)
    assert picture.shape == (2 * (30 + GAP) + GAP, 8 * (30 + GAP) + GAP, 3)
    at = lambda i: picture[GAP + (i // 8) * 34, GAP + (i % 8) * 34].tolist()  # noqa: E731
    assert at(0) == [255, 0, 0] and at(1) == [0, 0, 255]
    assert at(2) == [255, 128, 128]  # half the largest weight: half as red
    assert at(8) == [255, 255, 255]  # the ninth filter, second row: all zero
