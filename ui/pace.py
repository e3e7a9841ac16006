"""How fast one page is served: at a person's pace, not a script's.

Each stroke reruns the Draw view's fragment and reads the drawing, ~15 ms of the server's one
interpreter (bench/stroke_cost.py); each whole page drawn costs more. A hand sends a stroke one
to three times a second, and a person clicks a tab or a button about as often; a script speaking
Streamlit's protocol can send either back to back, which is the whole interpreter, every other
visitor waiting; so can it ask for any other fragment of the page on its own (a poll, Explore)
by its id. So each session has three buckets of `BURST` turns, one for its strokes' readings
(`STROKE_PACE`), one for its whole-page runs (`PAGE_PACE`), each refilled at
`MNIST_RUNS_PER_SECOND`, and one for its other fragments' own runs (`FRAGMENT_PACE`, through
`fragment()`), refilled at least at `FRAGMENT_RATE`; a run that finds its bucket empty first
waits for its turn, asleep, the interpreter free for the other pages. Strokes sent meanwhile do
not interrupt a fragment's run (Streamlit lets it end) and wait as one request, the next run
reading the latest; a whole-page request ends the sleeping run at its next element. Either way
a flood costs the server one run per turn. A script's many pages are bounded together as well:
each run then takes its turn among its client's pages (`ui.client_share`).
"""

import functools
import logging
import threading
import time

import streamlit as st

from mnist_core import settings
from mnist_core.errors import MnistError
from ui import client_share
from ui.client_address import turns_client
from ui.session_keys import CLIENT, FRAGMENT_PACE

LOG = logging.getLogger(__name__)

BURST = 12
"""Turns a page may take at once before the pace applies: a quick digit and a redraw, or a
visitor clicking through the tabs."""
FRAGMENT_RATE = 6
"""Least turns a second of `FRAGMENT_PACE`, whatever `MNIST_RUNS_PER_SECOND` says: a page's own
polls may run 6 times a second together (the Train panel's 4, the upload's check and the model's
facts once each), and must not wait behind a low setting."""
_warned = []


def wait_for_turn(key, state=None, clock=time.monotonic, sleep=time.sleep, rate=None):
    """Takes one turn from this session's bucket `key`, first sleeping until there is one.

    Args:
        key: the bucket: `STROKE_PACE` (a stroke's reading), `PAGE_PACE` (a whole-page run) or
            `FRAGMENT_PACE` (a fragment's own run, `paced_alone`).
        state: the session's state (a dict-like; `st.session_state` by default).
        clock: seconds, monotonic.
        sleep: sleeps for the seconds given.
        rate: turns a second (`MNIST_RUNS_PER_SECOND` by default).

    Returns:
        The seconds it slept (0.0 within the burst).

    Raises:
        StopException: after a sleep, when a newer request has replaced this run meanwhile
            (Streamlit's own, through the run's yield check): it ends here, its work unspent.
    """
    state = st.session_state if state is None else state
    rate = _rate() if rate is None else rate
    now = clock()
    left = turns_left(state.get(key), now, rate)
    waited = 0.0
    if left < 1.0:
        waited = (1.0 - left) / rate
        sleep(waited)
        now, left = now + waited, 1.0
    state[key] = (left - 1.0, now)
    if waited:
        _stop_if_replaced()
    if state is st.session_state:
        _client_turn(state)
    return waited


def turns_left(saved, now, rate, burst=BURST):
    """A bucket's turns at `now`: `saved` (`(turns left, when counted)`, None for a full one)
    refilled at `rate` a second since, up to `burst`."""
    left, counted = saved or (float(burst), now)
    return min(float(burst), left + max(0.0, now - counted) * rate)


def _client_turn(state):
    """This page's turn among its client's pages (`ui.client_share`), taken after its own pace:
    a page asleep for its bucket holds no turn of its client's, but for a turn its run holds
    already (a whole page's run waiting to read a stroke; a run after the page's own
    `st.rerun()`, which Streamlit runs within the same run), at most a turn of the bucket."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    runner = getattr(ctx, "script_requests", None)  # the page's runner: its requests
    if runner is None or not client_share.watched(runner):
        return
    if CLIENT not in state:
        state[CLIENT] = (turns_client(),)
    client_share.take_turn(state[CLIENT][0], runner, ctx.yield_check)


def _stop_if_replaced():
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is not None:
        ctx.yield_check()


def fragment(body=None, *, run_every=None):
    """`st.fragment`, its own runs taken at a person's pace from `FRAGMENT_PACE`.

    A run of the whole page draws the fragment as part of it (paced as the page, `PAGE_PACE`);
    a run of the fragment alone (its `run_every` poll, a click inside it, or a script asking
    for it by id) first takes its turn, at `FRAGMENT_RATE` a second at least.
    The Draw view's fragment is not this: its strokes have their own bucket (`STROKE_PACE`).
    """
    def paced(function):
        return st.fragment(paced_alone(function), run_every=run_every)

    return paced if body is None else paced(body)


_inside = threading.local()  # a paced fragment is running in this thread


def paced_alone(function, alone=None):
    """`function`, first taking a turn from `FRAGMENT_PACE` when it runs in a fragment's own run
    (`alone()`, by default whether this script run is of fragments only). A paced fragment
    drawn inside another (Explore's polls) takes none: its run is the outer one's turn."""
    @functools.wraps(function)
    def run(*args, **kwargs):
        if getattr(_inside, "running", False):
            return function(*args, **kwargs)
        if (alone or _alone)():
            wait_for_turn(FRAGMENT_PACE, rate=max(FRAGMENT_RATE, _rate()))
        _inside.running = True
        try:
            return function(*args, **kwargs)
        finally:
            _inside.running = False

    return run


def _alone():
    """True in a run of fragments only, not of the whole page."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(ctx is not None and getattr(ctx, "fragment_ids_this_run", None))


def _rate():
    try:
        return settings.get("MNIST_RUNS_PER_SECOND")
    except MnistError as error:  # the deployer's typo: the default pace, said once in the log
        if not _warned:
            _warned.append(True)
            LOG.warning("%s", error)
        return int(settings.SETTINGS["MNIST_RUNS_PER_SECOND"].default)
