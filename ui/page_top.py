"""A whole-page run writes from the page's top, even right after a fragment's run.

Streamlit (1.67) keeps the container a run writes into (its "dg stack") in a context variable
of the script thread. A fragment's run sets it to the fragment's place in the page and leaves
it there; a run stopped by a rerun request resets it, and a new runner thread starts fresh.
But a whole-page run asked of the runner *after* a fragment's last element, and so run next in
the same thread, starts inside that fragment's container: the title, the tabs and everything
land inside the Train tab, the browser then clears the page's real top as stale, and the next
element it is sent cannot be placed ("Bad delta path index 2 (should be between [0, 1])"):
React removes the whole app and the visitor is left with a white page. The server's own
reruns of every page (`ui.open_pages.rerun_page`) and the run hand-over (`ui.run_handover`)
ask the runner exactly so, and a training's once-a-second panel made it likely (caught in CI
and in full local runs, about one in three; tests/browser/frames.py kept the messages).

`reset_after_fragment_runs()` resets the stack in the runner's thread as each fragment's run
ends, as Streamlit does after a stopped run: before the next run's widget callbacks, whose
error box would otherwise be drawn in the fragment's place too. `start_at_the_top()`, called
first in the page's script (which only whole-page runs execute), does it again for a runner
made before that patch (the process's first page). Where Streamlit has no such names, each does
nothing: the page is then as exposed as before, no worse.
"""

import functools


def _stack_reset():
    """A function that puts this thread's stack back at the page's top, or None where
    Streamlit has no such names."""
    try:
        from streamlit.delta_generator_singletons import (
            context_dg_stack,
            get_default_dg_stack_value,
        )
    except ImportError:
        return None
    return lambda: context_dg_stack.set(get_default_dg_stack_value())


def start_at_the_top():
    """Makes this whole-page run write from the page's top (call first in the page script).

    Returns:
        True when the stack was reset.
    """
    reset = _stack_reset()
    if reset is None:
        return False
    reset()
    return True


def reset_after_fragment_runs():
    """Patches the private `AppSession._on_scriptrunner_event` (called in the runner's thread
    for each of its events) to reset the stack when a fragment's run ends. Idempotent.

    Returns:
        True when the patch is in place.
    """
    reset = _stack_reset()
    try:
        from streamlit.runtime.app_session import AppSession
        from streamlit.runtime.scriptrunner import ScriptRunnerEvent
    except ImportError:
        return False
    on_event = getattr(AppSession, "_on_scriptrunner_event", None)
    ended = getattr(ScriptRunnerEvent, "FRAGMENT_STOPPED_WITH_SUCCESS", None)
    if reset is None or on_event is None or ended is None:
        return False
    if getattr(on_event, "resets_stack", False):
        return True

    @functools.wraps(on_event)  # keeps the other patches' marks (ui/loop_handoff.py)
    def on_scriptrunner_event(session, sender, event, *args, **kwargs):
        if event == ended:
            reset()
        return on_event(session, sender, event, *args, **kwargs)

    on_scriptrunner_event.resets_stack = True
    AppSession._on_scriptrunner_event = on_scriptrunner_event
    return True
