"""The Draw view's canvas: its size, the limits its value is read within, and that reading.

The browser sends the canvas as a PNG data URL. The page decodes it once per rerun
(`canvas_pixels`), bounded before any pixel is decoded; the Draw view reads the digits in those
pixels and hands the same array to the inside view for its preprocessing pictures.
"""

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
