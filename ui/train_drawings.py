"""The Train view's choice to mix visitors' recorded drawings into the training."""

import streamlit as st

from mnist_core import settings
from mnist_core.drawings.store import DrawingRefused
from mnist_core.drawings.training_mix import DEFAULT_WEIGHT, HELDOUT_SHARE, MIN_DRAWINGS
from mnist_core.errors import MnistError
from ui.drawings_store import judged, store
from ui.session_keys import WITH_DRAWINGS
from ui.texts import text


def drawings_choice(language):
    """A checkbox, offered once enough drawings have a trusted label (`drawings.trust`: the
    training takes only those).

    Returns:
        `{"with_drawings": True}` when chosen, else `{}`: merged into the training's settings.
    """
    db = store()
    if db is None:
        return {}
    try:
        judged(db)
        count = db.count(trusted=True)  # "not a digit" trains no digit (`training_mix`)
        share = settings.get("MNIST_DRAWINGS_MAX_SHARE")
    except (DrawingRefused, MnistError):
        return {}
    if count < MIN_DRAWINGS:
        st.caption(text(language, "train_drawings_trusted_few", count=count, least=MIN_DRAWINGS))
        return {}
    chosen = st.checkbox(text(language, "train_with_drawings", count=count), key=WITH_DRAWINGS,
                         help=text(language, "train_drawings_help", share=HELDOUT_SHARE,
                                   weight=DEFAULT_WEIGHT)
                         + " " + text(language, "train_drawings_trust_help", share=share))
    return {"with_drawings": True} if chosen else {}
