"""The front page: train the tutorial's CNN with live charts, pick a model, draw and classify.

A thin UI over `mnist_core`: every computation happens there; this file only wires the views.
Run with `streamlit run streamlit_app.py`.
"""

import streamlit as st

from ui import correction, pace, resources
from ui.backmsg_guard import refuse_what_is_not_a_pages
from ui.client_share import give_back_at_run_ends
from ui.crash_reload import reload_after_a_crash
from ui.draw import draw_view
from ui.explore import explore_view
from ui.follow import follow_server, page_drawn_from
from ui.loop_handoff import batch_loop_handoffs
from ui.narrow import narrow_screen_styles
from ui.page_top import reset_after_fragment_runs, start_at_the_top
from ui.run_handover import hand_over_runs
from ui.runtime import freeze_long_lived_heap, keep_keras_state, one_thread_per_model_call
from ui.scores import model_scores
from ui.session_keys import PAGE_PACE
from ui.sidebar import language_choice, model_choice
from ui.tabs import open_tab
from ui.texts import text
from ui.theme_message import fill_theme_once
from ui.train import train_view
from ui.uploader_words import uploader_words

start_at_the_top()  # even right after a fragment's run in the same thread (ui/page_top.py)
st.set_page_config(page_title="MNIST · Keras", page_icon="✏️", layout="wide")
refuse_what_is_not_a_pages()  # no page clears the caches every visitor shares
give_back_at_run_ends()  # a client's turn (ui/client_share.py) ends with each of its runs
pace.wait_for_turn(PAGE_PACE)  # one page is drawn whole at a person's pace, never a script's
keep_keras_state()
one_thread_per_model_call()  # before the page's first model call
hand_over_runs()  # a run's last messages reach the visitor before the next run starts
batch_loop_handoffs()  # and cross to the event loop in batches
fill_theme_once()  # not scanned from the whole configuration at every run
reset_after_fragment_runs()  # a run after a fragment's starts at the page's top
narrow_screen_styles()
correction.page_styles()
reload_after_a_crash()  # a page whose app crashed in the browser does not stay blank

language = language_choice()
uploader_words(language, st.get_option("server.maxUploadSize"))
jobs = resources.training_jobs()
server = page_drawn_from(jobs)
loaded, predictor, model_key = model_choice(language, server.models)

st.title(text(language, "title"))
st.caption(text(language, "subtitle"))
# Only the open tab is computed: the others stay empty until the visitor opens them.
tab, container = open_tab(language)
with container:
    if tab == "train":
        train_view(language, jobs)
    elif predictor is None:
        st.warning(text(language, "no_model"))
    elif tab == "draw":
        draw_view(language, predictor)
        model_scores(language, server.models)
    else:
        explore_view(language, predictor, model_key, loaded.metadata, loaded.digest)
follow_server(jobs)
if predictor is not None:  # TensorFlow and a model are loaded: the long-lived heap is there
    freeze_long_lived_heap()
