"""A visitor's upload, checked off the page: the visitor keeps drawing with the model they had.

The sidebar hands the file to the server's one `CheckQueue` (`mnist_core.untrusted.check_queue`)
and goes on; a line under the uploader says which step the check is at and for how long, and
looks again every second. When the check ends, the whole page runs again: the upload becomes the
chosen model, or its refusal shows. The check ends with the model's first reading of a stroke,
so the visitor's first stroke with it pays no trace (~0.3 s, longer on a busy server).
"""

import time

import numpy as np
import streamlit as st

from mnist_core.constants import IMAGE_SIZE
from mnist_core.errors import ModelFileError
from mnist_core.reading.inference import Predictor
from mnist_core.untrusted.check_queue import READY, REFUSED, CheckQueue
from mnist_core.untrusted.loader import load_untrusted
from mnist_core.untrusted.sandbox import not_checked_now
from ui import pace
from ui.texts import text

POLL_SECONDS = 1.0
KEPT = 4
"""Checked uploads kept (each a model, ~5 MB for this app's largest): as many as before."""
WAITING = 4
"""Uploads waiting for their check, all visitors together (each holds its bytes, <= 25 MB)."""
WAIT_SECONDS = 60.0
"""How long `checked_model` waits for a check to end (a cold one takes seconds)."""


def _check(content, name, progress):
    loaded = load_untrusted(content, display_name=name, progress=progress)
    progress("trying")
    predictor = Predictor(loaded.model)
    # A stroke's reading (the model and the not-a-digit gate in one traced call), traced here
    # on the queue's thread rather than in the visitor's first stroke.
    predictor.read(np.zeros((1, IMAGE_SIZE, IMAGE_SIZE), np.float32))
    return loaded, predictor


@st.cache_resource(show_spinner=False)
def checks():
    """The server's one `CheckQueue` of uploads."""
    return CheckQueue(_check, max_kept=KEPT, max_waiting=WAITING)


def upload_check(digest, name, content, owner):
    """This upload's `Check`: kept, under way, or newly queued.

    Raises:
        ModelFileError: the queue is full (`QueueFull`): one sentence naming `name`.
    """
    return checks().submit(digest, name, content, owner)


def checked_model(digest, name, content, owner, timeout=WAIT_SECONDS):
    """`(LoadedModel, Predictor)` of an upload that passed its check: the one the queue keeps,
    or, should the queue have let it go, checked again and waited for.

    Raises:
        ModelFileError: one sentence naming `name`: refused, the queue full, or the check not
            over after `timeout` seconds.
    """
    upload_check(digest, name, content, owner)
    check = checks().wait(digest, timeout)
    if check is not None and check.stage == READY:
        return check.value
    if check is not None and check.stage == REFUSED:
        raise ModelFileError(check.error_for(name))
    raise not_checked_now(name)


def show_progress(language, check, name):
    """The line under the uploader while `check` runs (of the visitor's file `name`); a full
    rerun when it ends.

    A fragment polling every second: the rest of the page (the canvas above all) stays live.
    """

    @pace.fragment(run_every=POLL_SECONDS)
    def line():
        if check.stage in (READY, REFUSED):
            st.rerun()  # the whole page: the upload becomes the model, or its refusal shows
        st.caption(progress_text(language, check, name, time.monotonic(),
                                 checks().typical_seconds()))

    line()


def progress_text(language, check, name, now, typical):
    """What the line says: the file, its step, the seconds spent, and how long checks take.

    Args:
        language: 'en' or 'fr'.
        check: the upload's `Check`.
        name: the visitor's name for the file (another visitor may have sent the same bytes
            under another name first: theirs is never shown).
        now: `time.monotonic()`.
        typical: the median seconds of this server's last checks, or None before any.
    """
    step = text(language, f"upload_step_{check.step or 'waiting'}")
    seconds = 0 if check.started is None else max(0, round(now - check.started))
    usual = (text(language, "upload_usual", seconds=max(1, round(typical))) if typical
             else text(language, "upload_first"))
    return text(language, "upload_progress", name=name, step=step, seconds=seconds,
                usual=usual)
