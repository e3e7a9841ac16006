"""The front page: train the tutorial's CNN with live charts, pick a model, draw and classify.

A thin UI over `mnist_core`: every computation happens there; this file only wires the views.
Run with `streamlit run streamlit_app.py`.
"""

import streamlit as st

from ui import resources
from ui.draw import draw_view
from ui.runtime import keep_keras_state
from ui.explore import explore_view
from ui.sidebar import language_choice, model_choice
from ui.texts import text
from ui.train import train_view

st.set_page_config(page_title="MNIST · Keras", page_icon="✏️", layout="wide")
keep_keras_state()

language = language_choice()
jobs = resources.training_jobs()
state = jobs.snapshot()
loaded, predictor, model_key = model_choice(language, (state.job_id, state.status == "done"))

st.title(text(language, "title"))
st.caption(text(language, "subtitle"))
draw_tab, train_tab, explore_tab = st.tabs(
    [text(language, "tab_draw"), text(language, "tab_train"), text(language, "tab_explore")])
with draw_tab:
    if predictor is None:
        st.warning(text(language, "no_model"))
    else:
        draw_view(language, predictor)
with train_tab:
    train_view(language, jobs)
with explore_tab:
    if predictor is None:
        st.warning(text(language, "no_model"))
    else:
        explore_view(language, predictor, model_key, loaded.metadata)
