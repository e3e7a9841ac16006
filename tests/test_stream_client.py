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


def test_the_message_cache_answers_references_and_ages_entries_as_the_browser_does():
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from tests.stream_client.cache import MessageCache

    cache = MessageCache()
    chart = ForwardMsg(hash="h1")
    chart.metadata.cacheable = True
    chart.delta.fragment_id = "draw"
    chart.delta.new_element.metric.label = "Predicted digit"
    assert cache.resolve(chart) is chart and cache.hashes() == ["h1"]
    reference = ForwardMsg(ref_hash="h1")
    reference.metadata.delta_path.extend([0, 3])
    full = cache.resolve(reference)
    assert full.delta.new_element.metric.label == "Predicted digit"
    assert list(full.metadata.delta_path) == [0, 3]  # where it goes this time
    assert cache.resolve(ForwardMsg(ref_hash="unknown")) is None

    for _ in range(3):
        cache.run_finished(2, ["another fragment"])  # runs of other fragments: kept
    assert cache.hashes() == ["h1"]
    cache.run_finished(2, [])  # a full run: last seen 4 runs ago, more than 2
    assert cache.hashes() == []
