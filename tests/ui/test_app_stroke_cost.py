"""What a stroke's rerun sends and computes: the Draw view's fragment reruns at every stroke, so
whatever it sends that did not change, or converts on the way, costs the server every stroke.
bench/visitors.py measures the cost; these pin what was cut."""

import json

import numpy as np

from tests.app_kit import canvas_of, start


def _drawn(canvas, mnist):
    (_, _), (x_test, _) = mnist
    canvas(canvas_of(x_test[0]))  # a 7
    at = start()
    assert at.pills, "the drawing is recorded here, so its control is shown"
    return at.tabs[0]


def test_the_probability_chart_travels_as_json_not_as_an_arrow_table(models, canvas, mnist):
    # Streamlit turns a spec's top-level data into an Arrow table through pandas (~2 ms a
    # stroke on the server); a layer's data stays in the spec.
    chart = _drawn(canvas, mnist).get("vega_lite_chart")[0]
    assert not chart.proto.data.data and not chart.proto.datasets
    spec = json.loads(chart.proto.spec)
    values = spec["layer"][0]["data"]["values"]
    assert [v["digit"] for v in values] == list(range(10))
    assert abs(sum(v["p"] for v in values) - 1) < 1e-4


def test_a_stroke_resends_no_style_the_page_already_has(models, canvas, mnist, monkeypatch):
    # The pills' CSS once sat in the Draw view's fragment, sent again with each stroke; the
    # page adds it once per full run, above the tabs. (AppTest keeps no st.html element, so
    # the calls are watched, with where they come from.)
    import traceback

    import streamlit

    callers, html = [], streamlit.html

    def watched(*args, **kwargs):
        callers.append({frame.name for frame in traceback.extract_stack()})
        return html(*args, **kwargs)

    monkeypatch.setattr(streamlit, "html", watched)
    _drawn(canvas, mnist)
    assert callers, "the page's own styles were seen"
    assert not [names for names in callers if "_draw" in names]


def test_the_models_input_travels_inside_the_answer_not_as_a_media_file(models, canvas, mnist):
    # An array given to st.image is a PNG stored in the media file manager and fetched by the
    # browser with an HTTP request of its own, at every stroke; a data: URL is sent as it is.
    import base64
    import io

    import numpy as np
    from PIL import Image

    draw = _drawn(canvas, mnist)
    (picture,) = draw.image[0].proto.imgs
    prefix = "data:image/png;base64,"
    assert picture.url.startswith(prefix), picture.url[:40]
    shown = np.asarray(Image.open(io.BytesIO(base64.b64decode(picture.url[len(prefix):]))))
    assert shown.shape == (168, 168), "the 28x28 input, each pixel a 6x6 block"
    assert (shown == np.repeat(np.repeat(shown[::6, ::6], 6, 0), 6, 1)).all(), "crisp blocks"
    assert shown.max() > 200 and shown.min() < 50, "the digit's ink on black"


def test_a_stroke_resends_no_part_of_the_canvas_column_but_the_canvas(models, canvas, mnist,
                                                                       monkeypatch):
    # A stroke reruns the Draw fragment, and everything the fragment draws travels again: the
    # columns, the toolbar's room, Clear, its hint and the stroke slider are drawn by the full
    # run, and the fragment writes only the canvas and the answer into their slots.
    import traceback

    import streamlit

    callers = []

    def watch(name):
        original = getattr(streamlit, name)

        def watched(*args, **kwargs):
            callers.append((name, {frame.name for frame in traceback.extract_stack()}))
            return original(*args, **kwargs)

        monkeypatch.setattr(streamlit, name, watched)

    for name in ("columns", "slider", "button", "space"):
        watch(name)
    _drawn(canvas, mnist)
    seen = {name for name, _ in callers}
    assert {"columns", "slider", "button"} <= seen, seen
    assert not [name for name, frames in callers if "_draw" in frames]


def test_a_stroke_sends_no_part_of_a_closed_inside_view(models, canvas, mnist, monkeypatch):
    # Closed (the default), the inside view is its toggle, drawn by the full run below the
    # columns: a stroke's fragment sends neither the toggle nor the container its pictures need.
    import traceback

    import streamlit

    from ui.inside import VIEW
    from ui.session_keys import INSIDE_OPEN

    keys, toggles = [], []
    container, toggle = streamlit.container, streamlit.toggle

    def watched_container(*args, **kwargs):
        keys.append(kwargs.get("key"))
        return container(*args, **kwargs)

    def watched_toggle(*args, **kwargs):
        if kwargs.get("key") == INSIDE_OPEN:
            toggles.append({frame.name for frame in traceback.extract_stack()})
        return toggle(*args, **kwargs)

    monkeypatch.setattr(streamlit, "container", watched_container)
    monkeypatch.setattr(streamlit, "toggle", watched_toggle)
    draw = _drawn(canvas, mnist)
    assert draw.toggle(key=INSIDE_OPEN).value is False, "the inside view's toggle is drawn"
    assert toggles and not [frames for frames in toggles if "_draw" in frames]
    assert VIEW not in keys


def test_a_stroke_is_read_in_grey_at_half_the_canvas_side(models, canvas, mnist, monkeypatch):
    # The reading's pixel work (the ink, its blobs, the crops) grows with the pixels: the page
    # reads its 280-pixel canvas at 140, one channel, and hands the inside view the same array.
    from mnist_core.reading.inference import Predictor

    shapes, read = [], Predictor.predict_number

    def watched(self, drawing):
        shapes.append((drawing.shape, drawing.dtype))
        return read(self, drawing)

    monkeypatch.setattr(Predictor, "predict_number", watched)
    _drawn(canvas, mnist)
    assert shapes and set(shapes) == {((140, 140), np.dtype(np.uint8))}


def test_the_canvas_read_at_half_its_side_is_its_grey_box_averaged():
    from tests.conftest import make_tiny_data
    from ui.canvas import reading_pixels

    (x, _), _ = make_tiny_data(n_train=4, n_test=1)
    pixels = canvas_of(x[1])
    read = reading_pixels(pixels)
    assert read.shape == (140, 140) and read.dtype == np.uint8
    blocks = pixels[..., 0].reshape(140, 2, 140, 2).astype(float).mean(axis=(1, 3))
    assert np.abs(read - blocks).max() <= 1  # white on black: grey is any channel


def test_a_transparent_canvas_is_read_by_its_opacity_and_a_tiny_one_at_its_size():
    from ui.canvas import reading_pixels

    # Black ink on a transparent canvas: RGB is zero everywhere, the drawing is its alpha.
    pixels = np.zeros((280, 280, 4), np.uint8)
    pixels[100:180, 130:150, 3] = 255
    read = reading_pixels(pixels)
    assert read.shape == (140, 140)
    assert read[50:90, 65:75].min() == 255 and read.sum() == 255 * 40 * 10
    assert reading_pixels(np.full((3, 5, 4), 255, np.uint8)).shape == (3, 5)


def test_half_the_canvas_side_reads_mnist_digits_as_the_whole_canvas_does(mnist):
    # Each test digit drawn on a canvas as a visitor's stroke arrives: the same number, and
    # the same confidence within two points, read from 140 pixels as from 280.
    from mnist_core.reading.inference import Predictor
    from mnist_core.untrusted.checked_load import load_model
    from tests.conftest import ROOT
    from ui.canvas import reading_pixels

    (_, _), (x_test, _) = mnist
    predictor = Predictor(load_model(ROOT / "models" / "tutorial.keras").model)
    for digit in x_test[:40]:
        whole = predictor.predict_number(canvas_of(digit))
        half = predictor.predict_number(reading_pixels(canvas_of(digit)))
        assert half.number == whole.number
        assert half.unsure == whole.unsure and half.not_a_digit == whole.not_a_digit
        assert abs(half.digits[0].confidence - whole.digits[0].confidence) < 0.02


def test_a_strokes_control_keeps_no_canvas_in_its_callback(models, canvas, mnist, monkeypatch):
    # A widget's callback arguments stay with each stroke's control until the next whole-page
    # run (a stroke reruns only the Draw fragment): the decoded canvas there grew the server
    # by 313 KB a stroke, ~17 MB a second with 100 visitors drawing (bench/visitors.py).
    import streamlit

    from ui.session_keys import CORRECTION_CANVAS

    arguments, pills = [], streamlit.pills

    def watched(*args, **kwargs):
        arguments.append(kwargs.get("args", ()))
        return pills(*args, **kwargs)

    monkeypatch.setattr(streamlit, "pills", watched)
    (_, _), (x_test, _) = mnist
    at = start()
    for digit in x_test[:3]:
        canvas(canvas_of(digit))
        at.run()
    assert len(arguments) == 3
    for args in arguments:
        arrays = [a for a in args if isinstance(a, np.ndarray)]
        assert not arrays, [a.shape for a in arrays]
    digest, kept = at.session_state[CORRECTION_CANVAS]
    assert kept.shape == (280, 280, 4)  # one canvas a session, the last drawing's
