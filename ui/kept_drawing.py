"""The visitor's drawing, kept in the session rather than in the canvas widget.

The browser draws the canvas afresh, empty, whenever the Draw view comes back: on a return to the
Draw tab (a tab that is not open is not drawn at all, and Streamlit drops the state of a widget
a run did not draw), after a language switch (the tabs are drawn anew under new labels), after
Clear (a new key). So the page keeps the last drawing the canvas sent, as fabric.js JSON (to
draw the canvas again: its `initial_drawing`) and as the PNG data URL that is read, and the
answer always reads the drawing shown.

The canvas is handed the kept drawing only when it is drawn afresh, and the same one on every run
until then: the component reloads a changed `initial_drawing`, resets its undo history and sends
it back, so handing it each stroke would reload the canvas after every stroke, under the next.
"""

import streamlit as st

from ui.canvas import MAX_CANVAS_URL_CHARS, bounded_drawing, canvas_data_url
from ui.session_keys import CANVAS_CLEARS, CANVAS_PREFIX, CANVAS_SEED, DRAWING


def canvas_key():
    """The canvas widget's key: a new one after each Clear, an empty canvas."""
    return f"{CANVAS_PREFIX}{st.session_state.get(CANVAS_CLEARS, 0)}"


def prepare(language):
    """At a full page run that shows the Draw view: the drawing the canvas starts from.

    When the browser draws the canvas afresh (the last full run did not draw it, so Streamlit
    dropped its state; or the language changed), the canvas is handed the kept drawing;
    otherwise it keeps what it holds and is handed the same drawing as before.
    """
    seed = st.session_state.get(CANVAS_SEED)
    if canvas_key() not in st.session_state or seed is None or seed[0] != language:
        kept = st.session_state.get(DRAWING)
        st.session_state[CANVAS_SEED] = (language, kept[0] if kept else None)


def initial_drawing():
    """The fabric.js drawing the canvas is (re)drawn from, or None for an empty canvas."""
    seed = st.session_state.get(CANVAS_SEED)
    return seed[1] if seed else None


def data_url(result):
    """The drawing to read: what the canvas just sent, kept; else the one kept before.

    A canvas drawn afresh sends nothing until the next stroke (its value is its default, with no
    image), and it shows the kept drawing: that one is read.

    Args:
        result: the `CanvasResult` of this run.

    Returns:
        The PNG data URL to decode (`ui.canvas.canvas_pixels`), or None when nothing is drawn.

    Raises:
        ui.canvas.DrawingTooLarge: a drawing with more strokes than the page keeps.
        ImageError: a value the page's canvas cannot produce; neither is kept.
    """
    url = canvas_data_url(result)
    if url is None:
        kept = st.session_state.get(DRAWING)
        return kept[1] if kept else None
    if not isinstance(url, str) or len(url) > MAX_CANVAS_URL_CHARS:
        return url  # never kept; canvas_pixels says why
    drawing = bounded_drawing(result.json_data)
    st.session_state[DRAWING] = (drawing, url) if drawing["objects"] else None
    return url


def clear():
    """Clear: a new, empty canvas, and nothing kept."""
    st.session_state[CANVAS_CLEARS] = st.session_state.get(CANVAS_CLEARS, 0) + 1
    st.session_state[DRAWING] = None
    seed = st.session_state.get(CANVAS_SEED)
    # Same language: the next full run leaves the new canvas with the strokes it gets.
    st.session_state[CANVAS_SEED] = (seed[0] if seed else None, None)
