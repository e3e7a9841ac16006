"""The Draw view: a canvas, the predicted digit, the ten probabilities and what the model saw."""

import numpy as np
import pandas as pd
import streamlit as st

from mnist_core.errors import ImageError
from mnist_core.preprocess import has_ink
from ui.texts import text

CANVAS_SIZE = 280
DEFAULT_STROKE = 18
ZOOM = 6  # the 28x28 input shown as 168x168 blocks, crisp rather than blurred by the browser


def st_canvas(**kwargs):
    """streamlit-drawable-canvas, imported on first use: it registers its front end with the
    running server, so importing it where no server runs (tests) would fail."""
    from streamlit_drawable_canvas import st_canvas as canvas

    return canvas(**kwargs)


@st.fragment
def draw_view(language, predictor):
    """Draws the canvas and the prediction. A fragment: a stroke reruns only this view."""
    st.caption(text(language, "draw_intro"))
    left, right = st.columns([1, 1], gap="large")
    with left:
        # The canvas floats its toolbar (undo, redo, bin) just above itself: leave it room.
        st.space("medium")
        stroke = st.session_state.get("stroke_width", DEFAULT_STROKE)
        result = st_canvas(stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000",
                           height=CANVAS_SIZE, width=CANVAS_SIZE, drawing_mode="freedraw",
                           return_image_data=True, key="canvas")
        st.caption(text(language, "clear_hint"))
        st.slider(text(language, "stroke"), 6, 40, DEFAULT_STROKE, key="stroke_width")
    with right:
        show_prediction(language, predictor, getattr(result, "image_data", None))


def show_prediction(language, predictor, pixels):
    """Shows the prediction for canvas `pixels` (H, W, 4) uint8, or asks for a digit when blank."""
    if pixels is None or not has_ink(pixels):
        st.info(text(language, "empty_canvas"))
        return
    try:
        prediction = predictor.predict(pixels)
    except ImageError as error:
        st.info(str(error))
        return
    st.metric(text(language, "predicted"), prediction.digit,
              text(language, "confidence", p=prediction.confidence),
              delta_color="off", delta_arrow="off")
    chart = pd.DataFrame({text(language, "probability"): prediction.probabilities},
                         index=pd.Index(range(10), name=text(language, "digit")))
    st.caption(text(language, "probabilities"))
    st.bar_chart(chart, height=200)
    zoomed = np.kron(prediction.image, np.ones((ZOOM, ZOOM), dtype=np.float32))
    st.image(zoomed, caption=text(language, "model_saw"), clamp=True)
