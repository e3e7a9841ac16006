"""The Draw view: a canvas, the predicted digit, the ten probabilities and what the model saw."""

import streamlit as st

from mnist_core.errors import BlankImageError, ImageError
from ui import canvas, correction, kept_drawing, not_digit_answer, pace
from ui.digit_picture import picture_url
from ui.inside import inside_toggle, inside_view
from ui.narrow import PHONE_ANSWER, TOOLBAR_ROOM
from ui.numbers import chart_locale
from ui.session_keys import CLEAR_CANVAS, DRAWN_INPUT, INSIDE_OPEN, STROKE_PACE, STROKE_WIDTH
from ui.texts import text

DEFAULT_STROKE = 18
ZOOM = 6  # the 28x28 input shown as 168x168 blocks, crisp rather than blurred by the browser
NUMBER_COLUMNS = 4  # digits of a number shown side by side, each with its image and chart
DETAILED_DIGITS = 12
"""Digits of a number shown with their image and chart (a phone number's worth): a canvas
scribbled full of small marks can hold ~200 "digits", each an image and a chart to send."""


def draw_view(language, predictor):
    """Draws the canvas and the prediction, the canvas showing the visitor's kept drawing.

    Called at each full page run that shows the Draw tab. What a stroke does not change (the
    columns, the toolbar's room, Clear, its hint, the stroke slider, the record toggle, the inside
    view's toggle) is drawn here, once per full run; a stroke reruns only `_draw`, which lives in
    the right column (the answer is its own content) and writes the canvas, the phone's line
    and, when open, the inside view into slots made here (Streamlit keeps a fragment's writes
    to outside containers in place, each in a wrapper block, and replaces them at its next run).
    Clear, the slider, the record toggle and the inside view's toggle therefore rerun the whole
    page, a rare click.
    """
    kept_drawing.prepare(language)
    st.caption(text(language, "draw_intro"))
    phone_answer = st.container(key=PHONE_ANSWER)  # shown on narrow screens only (ui/narrow.py)
    left, right = st.columns([1, 1], gap="large")
    with left:
        # The canvas floats its toolbar (undo, redo, bin) just above itself: leave it room.
        st.container(key=TOOLBAR_ROOM).space("medium")
        canvas_slot = st.container()
        # The toolbar's bin only shows on mouse hover, so a finger needs this button.
        st.button(text(language, "clear"), key=CLEAR_CANVAS, icon=":material/delete:",
                  on_click=kept_drawing.clear)
        st.caption(text(language, "clear_hint"))
        st.slider(text(language, "stroke"), 6, 40, DEFAULT_STROKE, key=STROKE_WIDTH)
        correction.record_toggle(language)
    inside_slot = inside_toggle(language)  # closed (the default), a stroke sends nothing there
    with right:
        _draw(language, predictor, phone_answer, canvas_slot, inside_slot)


@st.fragment
def _draw(language, predictor, phone_answer, canvas_slot, inside_slot):
    """The answer, here; the canvas, the phone's line and the inside view into the view's slots.
    A fragment: a stroke reruns only this."""
    with canvas_slot:
        stroke = st.session_state.get(STROKE_WIDTH, DEFAULT_STROKE)
        result = canvas.st_canvas(
            stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000",
            height=canvas.CANVAS_SIZE, width=canvas.CANVAS_SIZE, drawing_mode="freedraw",
            initial_drawing=kept_drawing.initial_drawing(), return_image_data=True,
            key=kept_drawing.canvas_key())
    pixels, reading = show_prediction(language, predictor, result)
    # The Train view's live panel reads this drawing with each epoch's model: one digit only,
    # since a number's first digit alone is not what the visitor drew, nor what is no digit.
    single = reading is not None and len(reading.digits) == 1 and not reading.not_a_digit
    st.session_state[DRAWN_INPUT] = reading.digits[0].image if single else None
    # Always one line, so the canvas does not move under the finger after the first stroke.
    if reading is None:
        phone_answer.markdown(text(language, "phone_waiting"))
    elif reading.not_a_digit:
        phone_answer.markdown(not_digit_answer.phone_line(language, reading))
    elif len(reading.digits) == 1:
        phone_answer.markdown(text(language, "phone_answer", digit=reading.number,
                                   p=reading.digits[0].confidence))
    else:
        phone_answer.markdown(text(language, "phone_number", number=reading.number))
    if st.session_state.get(INSIDE_OPEN):
        with inside_slot:
            inside_view(language, predictor, pixels, reading)


def show_prediction(language, predictor, result):
    """Shows what the canvas holds: one digit, or a number read left to right; or asks for ink.

    Args:
        language: 'en' or 'fr'.
        predictor: a `mnist_core.reading.inference.Predictor`.
        result: the canvas's `CanvasResult`: what it just sent, or nothing since it was drawn
            afresh from the kept drawing (`ui.kept_drawing.data_url`).

    Returns:
        `(pixels, reading)`: the canvas as read (`ui.canvas.reading_pixels`), or None when
        nothing was sent or it could not be read; the `NumberPrediction` shown, or None when
        there is none.
    """
    pixels = None
    # One page's values are checked and read at a hand's pace, never a script's: a refused
    # drawing costs its check as a stroke costs its reading.
    pace.wait_for_turn(STROKE_PACE)
    try:
        decoded = canvas.canvas_pixels(kept_drawing.data_url(result))
        if decoded is None:
            st.info(text(language, "empty_canvas"))
            return pixels, None
        pixels = canvas.reading_pixels(decoded)
        reading = predictor.predict_number(pixels)
    except BlankImageError:  # an empty canvas (Clear, or undo to nothing)
        st.info(text(language, "empty_canvas"))
        return pixels, None
    except canvas.DrawingTooLarge:
        st.warning(text(language, "drawing_too_large"))
        return None, None
    except ImageError:
        # Only a hand-made request sends a value this page's canvas cannot produce; the
        # visitor gets the page's own sentence, in their language.
        st.warning(text(language, "bad_drawing"))
        return None, None
    if not reading.digits:  # only marks too small to be digits
        st.info(text(language, "empty_canvas"))
        return pixels, None
    if len(reading.digits) == 1:
        _one_digit(language, reading.digits[0], decoded)
    else:
        _number(language, reading)
        correction.for_number(language)
    if reading.unsure:
        st.caption(text(language, "unsure_split"))
    return pixels, reading


def _one_digit(language, prediction, decoded):
    if prediction.not_a_digit:  # the model's digit only as a guess, never a bare answer
        not_digit_answer.show_headline(language, prediction)
    else:
        st.metric(text(language, "predicted"), prediction.digit,
                  text(language, "confidence", p=prediction.confidence),
                  delta_color="off", delta_arrow="off")
    # "What did you draw?": a recorded drawing keeps its ink from the whole canvas.
    correction.correction_control(language, decoded, prediction)
    st.vega_lite_chart(probability_chart(language, prediction.probabilities,
                                         title=text(language, "probabilities")),
                       width="stretch")
    st.image(picture_url(prediction.image, ZOOM), caption=text(language, "model_saw"))


def _number(language, reading):
    """Several digits: the number, then each digit with what the model saw and its chart; a
    piece that does not look like a digit shows as "?", and a line says which it is."""
    st.metric(text(language, "number_read"), not_digit_answer.shown_number(reading))
    if reading.not_a_digit:
        st.markdown(not_digit_answer.pieces_sentence(language, reading))
    shown = reading.digits[:DETAILED_DIGITS]
    for start in range(0, len(shown), NUMBER_COLUMNS):
        row = shown[start:start + NUMBER_COLUMNS]
        for column, prediction in zip(st.columns(NUMBER_COLUMNS), row):
            # Its own width: a longer caption ("? · maybe 8") must not enlarge one image.
            column.image(picture_url(prediction.image, ZOOM // 2),
                         width=prediction.image.shape[1] * (ZOOM // 2),
                         caption=not_digit_answer.piece_caption(language, prediction))
            column.vega_lite_chart(probability_chart(language, prediction.probabilities,
                                                     height=90, titles=False), width="stretch")
    st.caption(text(language, "number_caption"))
    if len(reading.digits) > len(shown):
        st.caption(text(language, "number_more", shown=len(shown), count=len(reading.digits)))


def probability_chart(language, probabilities, height=200, titles=True, title=None):
    """The ten probabilities as a Vega-Lite bar chart spec, headed by `title` when given (in the
    chart rather than a caption of its own: one element fewer to send at every stroke).

    A plain spec rather than `st.bar_chart`, whose DataFrame-to-Altair conversion took ~6 ms
    of every stroke's ~20 ms on the server (0.4 ms this way; bench/visitors.py's profile). Its
    ten values sit inside its one layer: Streamlit turns a spec's top-level data into an Arrow
    table through pandas (~2 ms of every stroke), and leaves a layer's data in the JSON.
    """
    digit, probability = text(language, "digit"), text(language, "probability")
    bars = {
        "data": {"values": [{"digit": i, "p": float(p)}
                            for i, p in enumerate(probabilities)]},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {
            "x": {"field": "digit", "type": "ordinal", "title": digit if titles else None,
                  "axis": {"labelAngle": 0}},
            "y": {"field": "p", "type": "quantitative", "title": probability if titles else None,
                  "scale": {"domain": [0, 1]}, "axis": None if not titles else {}}},
    }
    spec = {"height": height, "layer": [bars]}
    if title:
        spec["title"] = {"text": title, "anchor": "start", "fontWeight": "normal",
                         "fontSize": 14, "color": "#808495", "offset": 12}
    return chart_locale(language, spec)
