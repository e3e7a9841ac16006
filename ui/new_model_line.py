"""One line under the model list about a model another visitor has just trained.

A finished training is its owner's: their page switches to the new model (`ui.follow`) and
their Train panel shows how it went. Any other page learns of it here and only here, in one
line ("New: quick-....keras, trained by a visitor, 2 min ago"), never in its own Train panel.
"""

import time
from pathlib import Path

import streamlit as st

from mnist_core.jobs.state import DONE
from ui import resources
from ui.session_keys import OWNER
from ui.texts import text

RECENT_MINUTES = 60
"""A model trained longer ago than this is no longer news: the line goes."""


def new_model_text(language, state, owner, now):
    """The line for a job snapshot, or None when there is nothing to tell this visitor.

    Args:
        language: 'en' or 'fr'.
        state: the training job's `JobState` snapshot.
        owner: this page's owner token (`ui.train.owner_token`), or None.
        now: `time.time()`.

    Returns:
        One sentence, or None: no finished training, the visitor's own (their page adopted
        it and says so), a model since removed, or one finished over `RECENT_MINUTES` ago.
    """
    if (state.status != DONE or not state.model_path or state.finished is None
            or (state.owner is not None and state.owner == owner)
            or not Path(state.model_path).exists()):
        return None
    minutes = int(max(0.0, now - state.finished) // 60)
    if minutes >= RECENT_MINUTES:
        return None
    ago = (text(language, "new_model_now") if minutes < 1
           else text(language, "new_model_ago", minutes=minutes))
    return text(language, "new_model_line", name=Path(state.model_path).name, ago=ago)


def new_model_line(language, container):
    """Writes the line in `container` (the sidebar's model chooser) when there is one."""
    line = new_model_text(language, resources.training_jobs().snapshot(),
                          st.session_state.get(OWNER), time.time())
    if line:
        container.caption(f":material/fiber_new: {line}")
