"""The live view's two pictures, each one RGB array: the grid of test digits with the model's
answer under each (green right, red wrong), and the first convolution's filters.

Pure numpy, so a page shows each as one image instead of dozens of widgets; the answers are
drawn with a 3x5 pixel font of the ten digits, the same on every machine.
"""

import numpy as np

from mnist_core.constants import IMAGE_SIZE, NUM_CLASSES

ZOOM = 2
"""Each test digit is drawn 56 pixels wide: ten columns make a 600-pixel picture, which a
phone shrinks to its width."""
GLYPH_ZOOM = 3
LABEL_HEIGHT = 19
GAP = 4
RIGHT, WRONG = (22, 163, 74), (220, 38, 38)
BACKGROUND = (255, 255, 255)
FILTER_ZOOM = 10
FILTER_COLUMNS = 8
GLYPHS = {  # 3 wide, 5 high; "#" is ink
    0: "### #.# #.# #.# ###", 1: ".#. ##. .#. .#. ###", 2: "### ..# ### #.. ###",
    3: "### ..# ### ..# ###", 4: "#.# #.# ### ..# ..#", 5: "### #.. ### ..# ###",
    6: "### #.. ### #.# ###", 7: "### ..# ..# .#. .#.", 8: "### #.# ### #.# ###",
    9: "### #.# ### ..# ###",
}


def glyph(digit):
    """The digit's 3x5 bitmap as a bool array (5, 3)."""
    return np.array([[c == "#" for c in row] for row in GLYPHS[digit].split()])


def answer_grid(images, labels, answers):
    """The test digits, one column per true digit, each with the model's answer beneath.

    Args:
        images: uint8 (N, 28, 28) in [0, 255], white digits on black.
        labels: N true digits, 0..9.
        answers: N predicted digits, 0..9.

    Returns:
        uint8 RGB array (H, W, 3): ten columns (a column per true digit, 0 to 9, its images in
        the order given), each cell the image zoomed `ZOOM` times above a strip holding the
        answer, green when it is the true digit, red when not.
    """
    columns = [[i for i, label in enumerate(labels) if int(label) == digit]
               for digit in range(NUM_CLASSES)]
    rows = max(1, max(len(column) for column in columns))
    side = IMAGE_SIZE * ZOOM
    cell_w, cell_h = side + GAP, side + LABEL_HEIGHT + GAP
    picture = np.empty((rows * cell_h + GAP, NUM_CLASSES * cell_w + GAP, 3), np.uint8)
    picture[:] = BACKGROUND
    for col, members in enumerate(columns):
        for row, i in enumerate(members):
            top, left = GAP + row * cell_h, GAP + col * cell_w
            grey = np.kron(np.asarray(images[i], np.uint8), np.ones((ZOOM, ZOOM), np.uint8))
            picture[top:top + side, left:left + side] = grey[..., None]
            answer = int(answers[i])
            strip = picture[top + side:top + side + LABEL_HEIGHT, left:left + side]
            strip[:] = RIGHT if answer == int(labels[i]) else WRONG
            ink = np.kron(glyph(answer), np.ones((GLYPH_ZOOM, GLYPH_ZOOM), bool))
            y, x = (LABEL_HEIGHT - ink.shape[0]) // 2, (side - ink.shape[1]) // 2
            strip[y:y + ink.shape[0], x:x + ink.shape[1]][ink] = BACKGROUND
    return picture


def filter_grid(filters):
    """The filters side by side, red where a weight is positive, blue where negative.

    Args:
        filters: float array (n, kh, kw); one scale for all, so they compare.

    Returns:
        uint8 RGB array (H, W, 3), `FILTER_COLUMNS` filters a row, white for 0.
    """
    filters = np.asarray(filters, np.float32)
    n, kh, kw = filters.shape
    scale = float(np.abs(filters).max()) or 1.0
    t = np.clip(filters / scale, -1, 1)
    rgb = np.empty((n, kh, kw, 3), np.float32)
    # 0 is white; +1 pure red, -1 pure blue.
    rgb[..., 0] = np.where(t < 0, 1 + t, 1)
    rgb[..., 1] = 1 - np.abs(t)
    rgb[..., 2] = np.where(t > 0, 1 - t, 1)
    rgb = np.round(rgb * 255).astype(np.uint8)
    columns = min(FILTER_COLUMNS, n)
    rows = -(-n // columns)
    h, w = kh * FILTER_ZOOM, kw * FILTER_ZOOM
    picture = np.empty((rows * (h + GAP) + GAP, columns * (w + GAP) + GAP, 3), np.uint8)
    picture[:] = (229, 231, 235)
    for i in range(n):
        top, left = GAP + (i // columns) * (h + GAP), GAP + (i % columns) * (w + GAP)
        picture[top:top + h, left:left + w] = np.kron(
            rgb[i], np.ones((FILTER_ZOOM, FILTER_ZOOM, 1), np.uint8))
    return picture
