"""Many images as one grid picture, on hand-made images."""

import numpy as np
import pytest

from mnist_core.evaluation.image_grid import GAP, LABEL_HEIGHT, PAPER, image_grid


def squares(n):
    """n 28x28 images, image i filled with grey level 10 * (i + 1)."""
    return np.stack([np.full((28, 28), 10 * (i + 1), dtype=np.uint8) for i in range(n)])


def test_tiles_go_row_by_row_at_their_zoom():
    grid = image_grid(squares(5), columns=3, zoom=2)
    cell = 56 + GAP
    assert grid.shape == (2 * cell, 3 * cell)
    half = GAP // 2
    for i in range(5):
        top, left = (i // 3) * cell + half, (i % 3) * cell + half
        assert (grid[top:top + 56, left:left + 56] == 10 * (i + 1)).all()
    assert (grid[cell + half:, 2 * cell:] == PAPER).all(), "the missing sixth tile is blank"


def test_labels_are_drawn_under_each_tile():
    plain = image_grid(squares(2), columns=2, zoom=2)
    labelled = image_grid(squares(2), ["7>1|98%", "3"], columns=2, zoom=2)
    assert labelled.shape[0] == plain.shape[0] + LABEL_HEIGHT
    strip = labelled[GAP // 2 + 56:GAP // 2 + 56 + LABEL_HEIGHT]
    inked = (strip < PAPER).any(axis=0)
    cell = 56 + GAP
    assert 35 < inked[:cell].sum() <= cell, "the long label fills its own tile's width"
    assert 0 < inked[cell:].sum() < 10, "the one-character label is short"
    assert inked[cell - GAP // 2 - 3:cell - GAP // 2].any(), "the confidence ends at the right edge"


def test_a_grid_narrower_than_its_columns_is_only_as_wide_as_its_images():
    assert image_grid(squares(2), columns=6, zoom=1).shape[1] == 2 * (28 + GAP)


def test_no_images_give_a_blank_strip():
    grid = image_grid(np.zeros((0, 28, 28), np.uint8))
    assert grid.size and (grid == PAPER).all()


def test_labels_must_match_the_images():
    with pytest.raises(ValueError, match="2 labels for 3 images"):
        image_grid(squares(3), ["a", "b"])


def test_a_narrow_no_break_space_is_drawn_as_a_plain_space_not_a_box():
    # French sets U+202F before % ("98 %"); Pillow's own font has no glyph for it and would
    # draw a box.
    french = image_grid(squares(1), ["7>1|98\u202f%"], zoom=2)
    assert (french == image_grid(squares(1), ["7>1|98 %"], zoom=2)).all()
    assert (image_grid(squares(1), ["1\u00a0135"], zoom=2)
            == image_grid(squares(1), ["1 135"], zoom=2)).all()


def test_the_widest_french_label_fits_its_tile_without_overlap():
    def inked(label):
        strip = image_grid(squares(1), [label], zoom=2)[GAP // 2 + 56:]
        return np.flatnonzero((strip < PAPER).any(axis=0))

    left, right = inked("7>1|"), inked("|100\u202f%")
    assert right[0] >= GAP // 2 and right[-1] < GAP // 2 + 56, "the label stays in its tile"
    assert left[-1] + 2 < right[0], "the digits and the confidence do not touch"
