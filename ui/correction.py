"""Under a prediction, "What did you draw?": the visitor's label, recorded with the drawing.

The ten digits, and "Not a digit" for a letter, a shape or a scribble: recorded as
`NOT_A_DIGIT`, with the gate's score when the page has one, it trains no digit and scores no
model (`mnist_core.drawings`).

Single digits only: a number's digits come from the page's own cut (`mnist_core.reading.segment`),
and a wrong cut is not a wrong reading, so a label given to a piece of a number could teach the next
model a segmentation error. A number asks the visitor to draw one digit at a time.
"""

import hashlib
import logging
from pathlib import Path

import numpy as np
import streamlit as st

from mnist_core.constants import NOT_A_DIGIT, NUM_CLASSES
from mnist_core.drawings.store import DrawingRefused
from mnist_core.errors import ImageError, MnistError
from ui.client_address import client_address
from ui.drawings_store import session_id, store
from ui.scores import own_score
from ui.session_keys import (ACCEPTED_UPLOAD, CORRECTION_CANVAS, DRAWINGS_CLOSED,
                             DRAWINGS_NOTICE, DRAWINGS_RECORDED, DRAWINGS_RECORDING, MODEL_CHOICE,
                             SCORES_STALE, WHAT_DRAWN_PREFIX)
from ui.texts import text
from ui.visitor_upload import UPLOAD_PREFIX

UPLOADED = "uploaded"  # ui.sidebar's option for an uploaded model
CLOSING = ("full", "yours_full")
"""Refusals that stand for the rest of the session: said once, then nothing more is offered."""
CHOICES = [*range(NUM_CLASSES), NOT_A_DIGIT]
CSS = f"""<style>
div[class*="st-key-{WHAT_DRAWN_PREFIX}"] [role="radiogroup"] {{ flex-wrap: wrap; overflow: visible; }}
</style>"""
"""Streamlit's pills scroll sideways when they do not fit: on a 390-pixel phone the 9 would
hide past the edge, so the digits and "Not a digit" wrap onto more rows instead. Streamlit gives
the pills the class st-key-KEY of their key; the page adds this once per full run
(`page_styles`), so a stroke sends no style and no container for it."""

log = logging.getLogger(__name__)


def page_styles():
    """Adds the control's CSS to the page (once per full run; it takes no room)."""
    st.html(CSS)


def correction_control(language, pixels, prediction):
    """The ten digits and "Not a digit" under one digit's prediction; a choice records the
    drawing.

    Args:
        language: 'en' or 'fr'.
        pixels: the canvas as decoded (`ui.canvas.canvas_pixels`), already checked and bounded.
        prediction: the `Prediction` shown.
    """
    if store() is None:  # the deployer switched recording off
        return
    if st.session_state.pop(SCORES_STALE, False):
        # The models' scores on the visitors' drawings sit under the Draw view, in a fragment
        # of their own that this view's reruns leave as it was: a new label reruns the page.
        # (A callback cannot rerun: st.rerun there is a no-op.)
        st.rerun()
    digest = hashlib.sha256(np.rint(prediction.image * 255).astype(np.uint8)).hexdigest()[:16]
    closed = st.session_state.get(DRAWINGS_CLOSED)
    if closed and closed[1] != digest:
        return  # the store is full for this visitor: said once, under the drawing refused
    key = WHAT_DRAWN_PREFIX + digest  # a new drawing, a fresh control
    # The canvas waits here, one per session, not in the control's callback arguments: those
    # stay with every stroke's control until the next whole-page run (a stroke reruns only the
    # Draw fragment), 313 KB a stroke, ~17 MB a second with 100 visitors drawing.
    st.session_state[CORRECTION_CANVAS] = (digest, pixels)
    st.pills(text(language, "what_drawn"), CHOICES, key=key,
             # "Not a digit" comes back as the label shown; after a language switch the old
             # label matches nothing and Streamlit's button group keeps the session's value
             # (`deserialize`'s fallback), so the choice survives, as its test says.
             format_func=lambda choice: _shown(language, choice),
             help=text(language, "what_drawn_help"),
             on_change=_chosen, args=(key, digest, prediction, language))
    notice = st.session_state.get(DRAWINGS_NOTICE)
    if notice and notice[0] == digest:
        said = st.success if notice[1].startswith("recorded") else st.info
        said(text(language, notice[1], **notice[2]))
    if st.session_state.get(DRAWINGS_RECORDED):
        own_score(language, session_id())


def record_toggle(language):
    """Whether the visitor's labels keep their drawings: a setting of the session, drawn by the
    full run under the canvas's other settings, so a stroke does not send it again."""
    if store() is not None and not st.session_state.get(DRAWINGS_CLOSED):
        st.toggle(text(language, "record_toggle"), value=True, key=DRAWINGS_RECORDING)


def for_number(language):
    """What a number shows instead of the control."""
    if store() is not None:
        st.caption(text(language, "one_digit_only"))


def _shown(language, choice):
    return text(language, "not_a_digit_pill") if choice == NOT_A_DIGIT else str(choice)


def _chosen(key, digest, prediction, language):
    """Records (or relabels) the drawing with the label chosen; a refusal is one sentence."""
    label = st.session_state.get(key)
    if label is None:  # the visitor unselected it: nothing to record
        return
    if not st.session_state.get(DRAWINGS_RECORDING, True):
        st.session_state[DRAWINGS_NOTICE] = (digest, "not_recording", {})
        return
    recorded = st.session_state.setdefault(DRAWINGS_RECORDED, {})
    db = store()
    try:
        if digest in recorded:
            db.relabel(recorded[digest], session_id(), int(label))
        else:
            from mnist_core.reading.ink_crop import ink_crop

            kept = st.session_state.get(CORRECTION_CANVAS)
            # The canvas of this very drawing; else (not expected) the 28x28 input it was read as.
            pixels = kept[1] if kept and kept[0] == digest else prediction.image
            recorded[digest] = db.record(
                session=session_id(), label=int(label), predicted=prediction.digit,
                probabilities=prediction.probabilities, image=prediction.image,
                crop=ink_crop(pixels), model=_model_name(), language=language,
                not_digit_score=prediction.not_digit_score, client=client_address())
    except DrawingRefused as refused:
        st.session_state[DRAWINGS_NOTICE] = (digest, f"drawings_{refused.reason}", {})
        if refused.reason in CLOSING:
            st.session_state[DRAWINGS_CLOSED] = (refused.reason, digest)
    except MnistError as error:  # a deployer's setting turned unusable meanwhile: the log says
        log.warning("%s", error)
        st.session_state[DRAWINGS_NOTICE] = (digest, "drawings_unavailable", {})
    except (ImageError, ValueError, AttributeError):
        st.session_state[DRAWINGS_NOTICE] = (digest, "drawings_unavailable", {})
    else:
        said = (("recorded_not_digit", {}) if label == NOT_A_DIGIT
                else ("recorded", {"digit": int(label)}))
        st.session_state[DRAWINGS_NOTICE] = (digest, *said)
        st.session_state[SCORES_STALE] = True


def _model_name():
    """The chosen model's file name ('upload:' and its hash for an upload): nothing else."""
    chosen = st.session_state.get(MODEL_CHOICE)
    if chosen == UPLOADED:
        return UPLOAD_PREFIX + str(st.session_state.get(ACCEPTED_UPLOAD, ""))[:12]
    return Path(str(chosen)).name
