"""What the Draw view's canvas sends for a digit: the component's widget value.

streamlit-drawable-canvas 0.13 is a components-v2 ("bidi") component: after a stroke its front
end calls `setStateValue("drawing", {raw, data})`, `raw` being fabric.js's `canvas.toObject()`
and `data` `canvas.toDataURL({format: "png", multiplier: 1})` (the canvas at its own 280x280,
background included). Streamlit sends the component's whole state as the widget's
`json_value`; `st_canvas` reads `raw` as `json_data` and `data` as `_image_data_url`, which
ui/canvas.py decodes.
"""

import base64
import io
import json
from itertools import pairwise

import numpy as np
from PIL import Image

CANVAS = 280  # ui.canvas.CANVAS_SIZE
STROKE_WIDTH = 18  # ui.draw.DEFAULT_STROKE
FABRIC_VERSION = "6.7.1"


def png_data_url(digit):
    """A 28x28 MNIST digit drawn as the canvas exports it: white on black, 280x280 RGBA PNG.

    Args:
        digit: uint8 array (28, 28) in [0, 255], ink bright (MNIST's own convention).

    Returns:
        `"data:image/png;base64,..."`, as fabric's `toDataURL` writes it.
    """
    grey = Image.fromarray(np.asarray(digit, dtype=np.uint8), mode="L")
    grey = grey.resize((CANVAS, CANVAS), Image.Resampling.BILINEAR)  # a pen's soft edges
    rgba = Image.merge("RGBA", (grey, grey, grey, Image.new("L", grey.size, 255)))
    buffer = io.BytesIO()
    rgba.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def fabric_drawing(digit):
    """A fabric.js drawing for `digit`: one freehand path through its brightest pixels.

    The page keeps this JSON to draw the canvas again and checks it (ui.canvas.bounded_drawing);
    it never reads the digit from it, so one plausible stroke of the right size is enough.
    """
    rows, cols = np.nonzero(np.asarray(digit) > 128)
    order = np.argsort(rows * 28 + cols)[:: max(1, len(rows) // 40)]
    points = [(float(c) * 10 + 5, float(r) * 10 + 5) for r, c in zip(rows[order], cols[order])]
    points = points or [(140.0, 140.0)]
    path = [["M", *points[0]]] + [["Q", *a, *b] for a, b in pairwise(points)]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return {"version": FABRIC_VERSION, "objects": [{
        "type": "Path", "version": FABRIC_VERSION, "originX": "left", "originY": "top",
        "left": min(xs) - STROKE_WIDTH / 2, "top": min(ys) - STROKE_WIDTH / 2,
        "width": max(xs) - min(xs), "height": max(ys) - min(ys), "fill": None,
        "stroke": "#FFFFFF", "strokeWidth": STROKE_WIDTH, "strokeLineCap": "round",
        "strokeLineJoin": "round", "scaleX": 1, "scaleY": 1, "angle": 0, "opacity": 1,
        "path": path}], "background": "#000000"}


def canvas_value(digit):
    """The canvas widget's `json_value` after `digit` was drawn on an empty canvas."""
    return json.dumps({"drawing": {"raw": fabric_drawing(digit), "data": png_data_url(digit)}})
