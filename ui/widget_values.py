"""Choices that survive their labels changing (a language switch, a star moving to a new best).

Streamlit 1.67 sends a choice widget's value (selectbox, select_slider, segmented control) as
the label the visitor saw, and maps it back through this run's labels. When the labels change
between two runs (the French page writes "60 000" where the English wrote "60,000"; the ★ of
the best model moves to one just trained), the old label matches nothing and the choice is lost:
the page fell back to another model and said the chosen one had left the server. Read before
the widget is drawn, `st.session_state` still maps the label through the previous run's labels;
writing that value back makes the widget take it, whatever its new label.
"""

import streamlit as st


def keep_choice(key, options):
    """Re-states the choice under `key` before its widget is drawn, when it is one of `options`.

    Returns:
        The choice kept, or None when there was none (a first visit) or it is no longer offered.
    """
    value = st.session_state.get(key)
    if value is None or value not in options:
        return None
    st.session_state[key] = value
    return value
