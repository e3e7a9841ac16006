"""The protocol visitors' client (tests/stream_client) without a server: what it sends is what
the page accepts from its canvas, and it reads the page's answer from the deltas."""

import json

import numpy as np

from streamlit.proto.Delta_pb2 import Delta
from tests.conftest import make_tiny_data
from tests.stream_client import Page, canvas_value
from ui.canvas import CANVAS_SIZE, bounded_drawing, canvas_pixels


def test_the_canvas_value_is_a_280_pixel_png_of_the_digit_and_a_drawing_the_page_keeps():
    (x, _), _ = make_tiny_data(n_train=10, n_test=1)
    drawing = json.loads(canvas_value(x[3]))["drawing"]
    pixels = canvas_pixels(drawing["data"])  # the page's own decoding, with its limits
    assert pixels.shape == (CANVAS_SIZE, CANVAS_SIZE, 4)
    assert (pixels[..., 3] == 255).all()  # opaque, as fabric exports a canvas with a background
    assert (pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 1] == pixels[..., 2]).all()
    # Each 10x10 block's centre keeps the digit's pixel (white ink on black).
    centres = pixels[5::10, 5::10, 0].astype(int)
    assert np.abs(centres - x[3].astype(int)).max() <= 40
    assert bounded_drawing(drawing["raw"])["objects"][0]["stroke"] == "#FFFFFF"


def test_the_page_reads_the_canvas_the_answer_and_exceptions_from_deltas():
    page = Page()
    canvas = Delta(fragment_id="f1")
    canvas.new_element.bidi_component.id = "canvas-id"
    canvas.new_element.bidi_component.component_name = "x.streamlit_drawable_canvas"
    answer, number, no_digit, error = Delta(), Delta(), Delta(), Delta()
    answer.new_element.metric.label, answer.new_element.metric.body = "Predicted digit", "7"
    number.new_element.metric.label, number.new_element.metric.body = "Number read", "1?"
    no_digit.new_element.heading.body = "That does not look like a digit"
    error.new_element.exception.type, error.new_element.exception.message = "ValueError", "boom"

    assert page.read(canvas) is None
    assert (page.canvas.id, page.canvas.fragment_id) == ("canvas-id", "f1")
    assert page.read(answer) == ("Predicted digit", "7") and page.answer == "7"
    assert page.read(number) == ("Number read", "1?")
    assert page.read(no_digit)[1] == "?"
    assert page.read(error) is None and page.exceptions == ["ValueError: boom"]
