"""The Draw view's canvas: its size, the limits its value is read within, and that reading.

The browser sends the canvas as a PNG data URL. The page decodes it once per rerun
(`canvas_pixels`), bounded before any pixel is decoded; the Draw view reads the digits in
those pixels, in grey at half the size (`reading_pixels`), and hands the same array to the
inside view for its preprocessing pictures. It also
sends the drawing as fabric.js JSON, which the page keeps to draw the canvas again
(`ui.kept_drawing`): `bounded_drawing` checks and rebuilds it first.
"""

import json
import math

import numpy as np
from PIL import Image

from mnist_core.errors import ImageError
from mnist_core.reading.image_files import decode_data_url

CANVAS_SIZE = 280
MAX_CANVAS_SIDE = 2 * CANVAS_SIZE
"""The canvas sends a CANVAS_SIZE-pixel PNG (the component exports at 1x, whatever the
screen's pixel ratio); twice that leaves room, and anything bigger is not from this page."""
MAX_CANVAS_URL_CHARS = 2 * (4 * CANVAS_SIZE * CANVAS_SIZE) * 4 // 3
"""Twice the base64 length of the canvas as raw RGBA: a PNG of it is never longer, however
noisy the drawing (PNG adds a few bytes per row, which the factor 2 covers)."""


def st_canvas(**kwargs):
    """streamlit-drawable-canvas, imported on first use: it registers its front end with the
    running server, so importing it where no server runs (tests) would fail."""
    from streamlit_drawable_canvas import st_canvas as canvas

    return canvas(**kwargs)


def canvas_data_url(result):
    """The PNG data URL the browser sent for the canvas, undecoded (None before any stroke).

    The result's `image_data` would base64- and PNG-decode whatever arrived, at any size, so
    the page reads the text itself and decodes it with limits (`canvas_pixels`).
    """
    return getattr(result, "_image_data_url", None)


def canvas_pixels(data_url):
    """The canvas's pixels, decoded within what this page's canvas can send.

    Call it once per rerun and pass the array on, so that no view decodes the value again.

    Args:
        data_url: the canvas as the browser sent it (`canvas_data_url`), or None.

    Returns:
        uint8 array (H, W, 4) RGBA in [0, 255], at most `MAX_CANVAS_SIDE` a side; None when
        nothing was sent (before the first stroke).

    Raises:
        ImageError: a value this page's canvas cannot produce (not a PNG data URL, longer than
            `MAX_CANVAS_URL_CHARS`, larger than `MAX_CANVAS_SIDE`, damaged).
    """
    if data_url is None:
        return None
    return decode_data_url(data_url, max_chars=MAX_CANVAS_URL_CHARS, max_side=MAX_CANVAS_SIDE,
                           name="The drawing")


READ_FACTOR = 2
"""The canvas is read at half its side: 140 pixels hold a digit drawn a third of the box high
at 5 pixels per pixel of the model's 28x28 input, and the reading's pixel work (the ink, its
blobs, the crops) is a quarter of the whole canvas's, on every stroke (bench/README.md)."""


def reading_pixels(pixels):
    """The decoded canvas as the page reads it: one grey channel, `READ_FACTOR` times smaller.

    The page's canvas is opaque (white ink on black): its grey level is the ink. A transparent
    one (only a hand-made value) keeps its opacity instead, which is where the ink reading of
    an RGBA image (`mnist_core.reading.ink`) finds the drawing. Box-averaged, as the reading
    shrinks a large picture.

    Args:
        pixels: uint8 (H, W, 4), as `canvas_pixels` returns it.

    Returns:
        uint8 (ceil(H / READ_FACTOR), ceil(W / READ_FACTOR)); the same size when a side is
        under `2 * READ_FACTOR` pixels.
    """
    alpha = pixels[:, :, 3]
    grey = Image.fromarray(alpha) if alpha.min() < 255 else Image.fromarray(pixels).convert("L")
    if min(grey.size) >= 2 * READ_FACTOR:
        grey = grey.reduce(READ_FACTOR)
    return np.asarray(grey)


# ---- The drawing as fabric.js JSON (kept to draw the canvas again: ui/kept_drawing.py) ---------

MAX_DRAWING_STROKES = 300
"""Strokes a drawing may hold: a digit takes one to four, a number a few dozen."""
MAX_DRAWING_POINTS = 30_000
"""Path commands in all: a stroke across the whole box drawn slowly has a few hundred."""
MAX_DRAWING_CHARS = 1_000_000
"""The drawing's JSON, in characters: the page sends it back to the browser with every run
while it is kept (twice: the canvas's drawing and its default value)."""
_COMMAND_LETTERS = frozenset("MLQCZmlqcz")  # what fabric's free drawing brush writes


class DrawingTooLarge(ImageError):
    """A drawing with more strokes or points than the page keeps."""


def bounded_drawing(json_data):
    """The canvas's fabric.js drawing, checked and rebuilt from what the page's canvas makes.

    The browser sends it; the page keeps it and sends it back to draw the canvas again, so a
    hand-made value must not grow the session nor carry what the page's canvas never draws
    (images, patterns and other objects that fetch or run things in the browser). The page
    draws in "freedraw" mode only: a drawing is a list of paths, each a list of commands
    (a letter and numbers), with scalar properties (colour, width, position).

    Args:
        json_data: the `CanvasResult.json_data` the component returned (parsed JSON).

    Returns:
        A new dict `{"version": ..., "objects": [...]}` holding only paths, their commands and
        scalar properties.

    Raises:
        DrawingTooLarge: more than `MAX_DRAWING_STROKES` strokes, `MAX_DRAWING_POINTS` path
            commands or `MAX_DRAWING_CHARS` characters of JSON.
        ImageError: anything the page's canvas does not send (another shape, nested objects,
            a malformed path).
    """
    objects = json_data.get("objects") if isinstance(json_data, dict) else None
    if not isinstance(objects, list):
        raise ImageError("The drawing did not arrive as a canvas drawing.")
    if len(objects) > MAX_DRAWING_STROKES:
        raise DrawingTooLarge(f"{len(objects)} strokes")
    points = 0
    kept = []
    for stroke in objects:
        kind = stroke.get("type") if isinstance(stroke, dict) else None
        if not isinstance(kind, str) or kind.lower() != "path":
            raise ImageError("The drawing holds something other than pen strokes.")
        path = stroke.get("path")
        if not isinstance(path, list):
            raise ImageError("A stroke of the drawing has no path.")
        points += len(path)
        if points > MAX_DRAWING_POINTS:
            raise DrawingTooLarge(f"more than {MAX_DRAWING_POINTS} points")
        kept.append({name: _scalar(value) for name, value in stroke.items() if name != "path"}
                    | {"path": _pen_path(path)})
    version = json_data.get("version", "")
    drawing = {"version": version[:16] if isinstance(version, str) else "", "objects": kept}
    if len(json.dumps(drawing)) > MAX_DRAWING_CHARS:
        raise DrawingTooLarge(f"more than {MAX_DRAWING_CHARS} characters")
    return drawing


def _scalar(value):
    # Colours, widths, positions, flags; a dash array is a short list of numbers.
    if isinstance(value, str) and len(value) <= 64 or value is None or isinstance(value, bool):
        return value
    if _is_number(value):
        return value
    if isinstance(value, list) and len(value) <= 16 and all(_is_number(v) for v in value):
        return value
    raise ImageError("A stroke of the drawing has a property the page's canvas does not set.")


_NUMBER_TYPES = frozenset((int, float))  # what JSON numbers parse to (a bool is neither)
_COMMAND_SIZES = frozenset(range(1, 8))  # a letter and up to six numbers (a cubic curve)
MAX_PATH_COORDINATE = 100_000
"""A path's numbers are canvas pixels (0 to 280, a little beyond where a stroke leaves the
box): far more than that is not from this page."""
MAX_PROPERTY_INTEGER = 2**53
"""The largest integer a property may hold: the browser's own numbers are floats, exact to here."""


def _pen_path(path):
    """A stroke's path, checked whole: lists of a command letter and at most six numbers, each
    finite and within `MAX_PATH_COORDINATE`.

    Checked in a few passes over the whole path that run in C (`map`, `set`, `math.fsum`) rather
    than command by command in Python, which every stroke pays for the whole drawing: three
    strokes of 80 points 0.38 ms of CPU against 0.69 ms, the bench's drawings of a digit 0.08 ms
    against 0.14, a drawing of 100 strokes of 100 points 17 ms against 29 (13 of them the JSON
    length check).
    """
    if set(map(type, path)) - {list} or not all(map(_COMMAND_SIZES.__contains__, map(len, path))):
        raise ImageError("A stroke of the drawing is not a pen path.")
    letters = [command[0] for command in path]
    # Types first: a list or a dict where a letter goes cannot even be looked up in a set.
    if set(map(type, letters)) - {str} or not set(letters) <= _COMMAND_LETTERS:
        raise ImageError("A stroke of the drawing is not a pen path.")
    numbers = [value for command in path for value in command[1:]]
    if set(map(type, numbers)) - _NUMBER_TYPES or not _all_finite(numbers):
        raise ImageError("A stroke of the drawing is not a pen path.")
    return list(path)


def _all_finite(numbers):
    # NaN or an infinity anywhere makes the exact sum NaN or infinite; then every number must
    # lie within `MAX_PATH_COORDINATE` of the canvas's origin.
    try:
        if not math.isfinite(math.fsum(numbers)):
            return False
    except (OverflowError, ValueError):  # past ~1e308; or both infinities ("-inf + inf")
        return False
    limit = MAX_PATH_COORDINATE
    return not numbers or -limit <= min(numbers) <= max(numbers) <= limit


def _is_number(value):
    # JSON's integers have no bound; one past a float's range is no canvas's number (and
    # `math.isfinite` would raise on it).
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -MAX_PROPERTY_INTEGER <= value <= MAX_PROPERTY_INTEGER
    return isinstance(value, float) and math.isfinite(value)
