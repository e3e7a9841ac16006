"""How fast one page is served: at a person's pace, not a script's.

Each stroke reruns the Draw view's fragment and reads the drawing, ~15 ms of the server's one
interpreter (bench/stroke_cost.py); each whole page drawn costs more. A hand sends a stroke one
to three times a second, and a person clicks a tab or a button about as often; a script speaking
Streamlit's protocol can send either back to back, which is the whole interpreter, every other
visitor waiting. So each session has two buckets of `BURST` turns, one for its strokes' readings
(`STROKE_PACE`) and one for its whole-page runs (`PAGE_PACE`), each refilled at
`MNIST_RUNS_PER_SECOND`; a run that finds its bucket empty first waits for its turn, asleep, the
interpreter free for the other pages. Strokes sent meanwhile do not interrupt a fragment's run
(Streamlit lets it end) and wait as one request, the next run reading the latest; a whole-page
request ends the sleeping run at its next element. Either way a flood costs the server one run
per turn.
"""

import logging
import time

import streamlit as st

from mnist_core import settings
from mnist_core.errors import MnistError

LOG = logging.getLogger(__name__)

BURST = 12
"""Turns a page may take at once before the pace applies: a quick digit and a redraw, or a
visitor clicking through the tabs."""
_warned = []


def wait_for_turn(key, state=None, clock=time.monotonic, sleep=time.sleep):
    """Takes one turn from this session's bucket `key`, first sleeping until there is one.

    Args:
        key: the bucket: `STROKE_PACE` (a stroke's reading) or `PAGE_PACE` (a whole-page run).
        state: the session's state (a dict-like; `st.session_state` by default).
        clock: seconds, monotonic.
        sleep: sleeps for the seconds given.

    Returns:
        The seconds it slept (0.0 within the burst).
    """
    state = st.session_state if state is None else state
    rate = _rate()
    now = clock()
    left, counted = state.get(key, (float(BURST), now))
    left = min(float(BURST), left + max(0.0, now - counted) * rate)
    waited = 0.0
    if left < 1.0:
        waited = (1.0 - left) / rate
        sleep(waited)
        now, left = now + waited, 1.0
    state[key] = (left - 1.0, now)
    return waited


def _rate():
    try:
        return settings.get("MNIST_RUNS_PER_SECOND")
    except MnistError as error:  # the deployer's typo: the default pace, said once in the log
        if not _warned:
            _warned.append(True)
            LOG.warning("%s", error)
        return int(settings.SETTINGS["MNIST_RUNS_PER_SECOND"].default)
