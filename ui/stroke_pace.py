"""How fast one page's strokes are read: at a hand's pace, not a script's.

Each stroke reruns the Draw view's fragment and reads the drawing, ~15 ms of the server's one
interpreter (bench/stroke_cost.py). A hand sends a stroke one to three times a second; a script
speaking Streamlit's protocol can send them back to back, ~60 a second, which is the whole
interpreter, every other visitor waiting. So each session has a bucket of `BURST` readings,
refilled at `MNIST_STROKES_PER_SECOND`; a reading that finds it empty first waits for its turn,
asleep, the interpreter free for the other pages. Strokes sent meanwhile do not interrupt that
run (Streamlit lets a fragment's run end); they wait as one request, and the next run reads the
latest, so a flood costs the server one reading per turn.
"""

import logging
import time

import streamlit as st

from mnist_core import settings
from mnist_core.errors import MnistError
from ui.session_keys import STROKE_PACE

LOG = logging.getLogger(__name__)

BURST = 12
"""Readings a page may have at once before the pace applies: a quick digit and a redraw."""
_warned = []


def wait_for_turn(state=None, clock=time.monotonic, sleep=time.sleep):
    """Takes one reading from this session's bucket, first sleeping until there is one.

    Args:
        state: the session's state (a dict-like; `st.session_state` by default).
        clock: seconds, monotonic.
        sleep: sleeps for the seconds given.

    Returns:
        The seconds it slept (0.0 within the burst).
    """
    state = st.session_state if state is None else state
    rate = _rate()
    now = clock()
    left, counted = state.get(STROKE_PACE, (float(BURST), now))
    left = min(float(BURST), left + max(0.0, now - counted) * rate)
    waited = 0.0
    if left < 1.0:
        waited = (1.0 - left) / rate
        sleep(waited)
        now, left = now + waited, 1.0
    state[STROKE_PACE] = (left - 1.0, now)
    return waited


def _rate():
    try:
        return settings.get("MNIST_STROKES_PER_SECOND")
    except MnistError as error:  # the deployer's typo: the default pace, said once in the log
        if not _warned:
            _warned.append(True)
            LOG.warning("%s", error)
        return int(settings.SETTINGS["MNIST_STROKES_PER_SECOND"].default)
