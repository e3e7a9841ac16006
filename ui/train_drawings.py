"""The Train view's choice to mix visitors' recorded drawings into the training."""

import streamlit as st

from mnist_core.drawings.store import DrawingRefused
from mnist_core.drawings.training_mix import DEFAULT_WEIGHT, HELDOUT_SHARE, MIN_DRAWINGS
from ui.drawings_store import store
from ui.session_keys import WITH_DRAWINGS
from ui.texts import text


def drawings_choice(language):
    """A checkbox, offered once enough drawings are recorded.

    Returns:
        `{"with_drawings": True}` when chosen, else `{}`: merged into the training's settings.
    """
    db = store()
    if db is None:
        return {}
    try:
        count = db.count(digits=True)  # "not a digit" trains no digit (`training_mix`)
    except DrawingRefused:
        return {}
    if count < MIN_DRAWINGS:
        st.caption(text(language, "train_drawings_few", count=count, least=MIN_DRAWINGS))
        return {}
    chosen = st.checkbox(text(language, "train_with_drawings", count=count), key=WITH_DRAWINGS,
                         help=text(language, "train_drawings_help", share=HELDOUT_SHARE,
                                   weight=DEFAULT_WEIGHT))
    return {"with_drawings": True} if chosen else {}
