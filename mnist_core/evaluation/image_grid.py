"""Many 28x28 images as one picture: a grid of tiles, each with a short label under it.

One composed image is sent to the browser instead of one element per image: 48 images are one
small PNG, not 48 requests. Labels are drawn into the picture (Pillow's own font), so the page
needs no layout per tile; in a label `"7>1|98%"` the `>` is drawn as an arrow (the font has
none) and what follows `|` is set against the tile's right edge.
"""

import numpy as np

from mnist_core.constants import IMAGE_SIZE

GRID_COLUMNS = 6
"""Tiles per row: 6 tiles of 2x zoom and their gaps are 384 pixels, which a 390-pixel phone
shows at nearly full size and a desktop column shows unscaled."""
GRID_ZOOM = 2
LABEL_HEIGHT = 16
GAP = 8
FONT_SIZE = 11
SPACES = str.maketrans({"\u202f": " ", "\u00a0": " "})
"""Pillow's own font (Aileron) has no glyph for the narrow no-break space that French sets
before % (U+202F), nor for the no-break space (U+00A0): it draws each as a box. Nothing wraps in
a picture, so a plain space, 2 pixels wide at this size like a narrow space, reads the same."""
PAPER = 255  # the page is light: the label strips and gaps are white, the label text dark
INK = 40


def image_grid(images, labels=None, columns=GRID_COLUMNS, zoom=GRID_ZOOM):
    """Composes images into one grid, row by row, each tile above its label.

    Args:
        images: uint8 array (N, 28, 28), grey levels 0..255 (MNIST: white digit on black).
        labels: N short strings (about 9 characters fit), or None for no labels; `>` is
            drawn as an arrow, the text after a `|` is aligned right, and no-break spaces
            are drawn as plain ones (see `SPACES`).
        columns: tiles per row (fewer when N is smaller).
        zoom: each pixel becomes zoom x zoom pixels.

    Returns:
        uint8 array (H, W): W = c * (28 * zoom + GAP) with c = min(N, columns) (at least 1),
        H = rows * (28 * zoom + label strip + GAP). For N = 0, one row of white.
    """
    images = np.asarray(images, dtype=np.uint8).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"{len(labels)} labels for {len(images)} images")
    side = IMAGE_SIZE * zoom
    strip = LABEL_HEIGHT if labels is not None else 0
    cell_w, cell_h = side + GAP, side + strip + GAP
    shown = max(1, min(len(images), columns))
    rows = max(1, -(-len(images) // columns))
    grid = np.full((rows * cell_h, shown * cell_w), PAPER, dtype=np.uint8)
    for i, image in enumerate(images):
        top, left = (i // columns) * cell_h + GAP // 2, (i % columns) * cell_w + GAP // 2
        grid[top:top + side, left:left + side] = np.kron(image, np.ones((zoom, zoom), np.uint8))
    if labels is not None:
        grid = _draw_labels(grid, labels, columns, cell_w, cell_h, side)
    return grid


def _draw_labels(grid, labels, columns, cell_w, cell_h, side):
    from PIL import Image, ImageDraw, ImageFont

    picture = Image.fromarray(grid)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=FONT_SIZE)
    for i, label in enumerate(labels):
        x = (i % columns) * cell_w + GAP // 2
        y = (i // columns) * cell_h + GAP // 2 + side + 1
        label, _, right = str(label).translate(SPACES).partition("|")
        if right:
            draw.text((x + side - draw.textlength(right, font=font), y), right, fill=INK, font=font)
        for n, part in enumerate(label.split(">")):
            if n:  # an arrow between the parts
                middle = y + FONT_SIZE // 2 + 2
                draw.line([(x + 1, middle), (x + 8, middle)], fill=INK, width=1)
                draw.polygon([(x + 9, middle), (x + 5, middle - 3), (x + 5, middle + 3)], fill=INK)
                x += 11
            draw.text((x, y), part, fill=INK, font=font)
            x += draw.textlength(part, font=font)
    return np.asarray(picture)
