"""A page's new run starts only once the messages of its last run have been sent.

Streamlit (1.67) runs a page's script in a `ScriptRunner` thread that stops when its run ends
with nothing more to do; the run's messages (the deltas, then `script_finished`) reach the
visitor through callbacks queued on the session's event loop. A request that the loop handles
before those callbacks (a `run_every` fragment's timer, a click, the server's own rerun of
every page) finds the runner stopped and starts a new one at once: `AppSession` then drops
every message still queued from the old runner as coming from a "non-current ScriptRunner".
The visitor never gets the end of that run. With a training running, every page's follow poll
asks for a run each second, and under load one stroke in ~25 lost its answer this way: the
Draw fragment's deltas stopped after the slider, the "Predicted digit" and `script_finished`
dropped, and nothing reran it (measured with bench/visitors.py --protocol, issue 23).

`hand_over_runs()` makes `AppSession` start the new runner from a callback queued behind the
old runner's messages, so they are sent first; requests arriving meanwhile join the same start.
"""

import functools
import logging

from ui.streamlit_patch import patch_once

LOG = logging.getLogger(__name__)

_WAITING = "_mnist_runs_waiting"
"""`AppSession` attribute: the run requests waiting for the old runner's messages, or None."""


def hand_over_runs():
    """Makes a Streamlit session's new runner wait for its last runner's queued messages.

    Patches the private `AppSession._create_scriptrunner`, so it checks that it is there and
    otherwise changes nothing: a newer Streamlit then only risks the race again, it does not
    break the page. Idempotent.

    Returns:
        True when the patch is in place.
    """
    try:
        from streamlit.runtime.app_session import AppSession
    except ImportError:
        return False
    return patch_once(AppSession, "_create_scriptrunner", "hands_over", _handing_over)


def _handing_over(create):
    @functools.wraps(create)
    def create_scriptrunner(session, rerun_data):
        waiting = getattr(session, _WAITING, None)
        if waiting is not None:  # a start already waits: this request joins it
            waiting.append(rerun_data)
            return
        if getattr(session, "_scriptrunner", None) is None:
            create(session, rerun_data)  # no old runner whose messages could be pending
            return
        # The session's runner has stopped but its last messages may still be queued on the
        # loop, behind this request, or in the session's own queue (ui/loop_handoff.py): start
        # the new runner from a callback queued after them, through that queue when it is there.
        setattr(session, _WAITING, [rerun_data])
        start = functools.partial(_start_waiting, session, create)
        call_soon = getattr(session, "_call_soon_on_event_loop", None)
        try:
            if session._event_loop.is_closed():
                raise RuntimeError("the session's loop has closed")
            if call_soon is not None:
                call_soon(start)  # a closed loop's error is swallowed there: looked at below
            else:
                session._event_loop.call_soon_threadsafe(start)
        except RuntimeError:  # the loop has closed: Streamlit's own path replaces it
            setattr(session, _WAITING, None)
            create(session, rerun_data)
            return
        if session._event_loop.is_closed():  # closed meanwhile: the start will never run
            setattr(session, _WAITING, None)

    create_scriptrunner.original = create
    return create_scriptrunner


def _start_waiting(session, create):
    waiting = getattr(session, _WAITING, None) or []
    setattr(session, _WAITING, None)
    if not waiting or _shutting_down(session):
        return
    create(session, waiting[0])
    for rerun_data in waiting[1:]:
        runner = session._scriptrunner
        # A request the new runner refuses (it has already finished) waits in turn.
        if runner is None or not runner.request_rerun(rerun_data):
            session._create_scriptrunner(rerun_data)


def _shutting_down(session):
    from streamlit.runtime.app_session import AppSessionState

    return getattr(session, "_state", None) == AppSessionState.SHUTDOWN_REQUESTED
