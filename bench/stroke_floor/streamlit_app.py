"""What Streamlit itself costs a stroke: the Draw view's canvas in a fragment, and a metric.

    .venv/bin/python bench/stroke_cost.py --root bench/stroke_floor

No reading, no model, none of the page's own work: each stroke reruns a fragment that draws the
same canvas component the page draws (`ui.canvas.st_canvas`) and answers with a metric labelled
as the page's answer ("Predicted digit", always 3: the bench counts the other answers wrong), so
that `bench/stroke_cost.py` can drive it like the app. Its cost a stroke is the floor under any
change to what the page does with a stroke, as long as a stroke is a Streamlit rerun, as
Streamlit ships: the page's own patches of Streamlit (`ui/theme_message.py`, `ui/loop_handoff.py`)
take ~1-2 ms of it off on a Zen 1 CPU, and are not applied here.
"""

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the app's own ui package

from ui import canvas  # noqa: E402

FLOOR_ANSWER = 3


@st.fragment
def _draw():
    canvas.st_canvas(stroke_width=18, stroke_color="#FFFFFF", background_color="#000000",
                     height=canvas.CANVAS_SIZE, width=canvas.CANVAS_SIZE, drawing_mode="freedraw",
                     return_image_data=True, key="canvas")
    st.metric("Predicted digit", FLOOR_ANSWER)


_draw()
