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

`start_at_the_top()`, called first in the page's script (which only whole-page runs
execute), resets the stack as Streamlit does after a stopped run. Where Streamlit has no such
names, it does nothing: the page is then as exposed as before, no worse.
"""


def start_at_the_top():
    """Makes this whole-page run write from the page's top (call first in the page script).

    Returns:
        True when the stack was reset.
    """
    try:
        from streamlit.delta_generator_singletons import (
            context_dg_stack,
            get_default_dg_stack_value,
        )
    except ImportError:
        return False
    context_dg_stack.set(get_default_dg_stack_value())
    return True
