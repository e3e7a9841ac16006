"""A page whose fragment's runs are each followed by a whole-page run in the same runner
thread, as the server's reruns of every page ask for (ui/open_pages.py): the attack on
`ui.page_top`, served by tests/browser/test_browser_crash.py.

Each click of "Again" reruns the fragment alone; as that run ends, the runner is asked for a
whole-page run, which it then runs in the same thread. Without `ui.page_top`'s resets the page's
title is written inside the fragment's tab, and the browser soon meets an element it cannot
place and removes the whole app.
"""

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from ui.page_top import reset_after_fragment_runs, start_at_the_top  # noqa: E402


def ask_for_the_page_after_each_fragment_run():
    """Has the runner asked for a whole-page run as each fragment's run ends, in its own
    thread, after the run's last element: the moment `ui.open_pages.rerun_page` can hit."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner import ScriptRunnerEvent, get_script_run_ctx
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData

    ctx = get_script_run_ctx()
    runner = Runtime.instance()._session_mgr.get_session_info(ctx.session_id).session._scriptrunner
    if runner is None or getattr(runner, "asks_for_the_page", False):
        return
    runner.asks_for_the_page = True

    def ask(sender, event, **_):
        if event == ScriptRunnerEvent.FRAGMENT_STOPPED_WITH_SUCCESS:
            sender.request_rerun(RerunData())

    runner.on_event.connect(ask, weak=False)


reset_after_fragment_runs()
start_at_the_top()
st.title("Top")
st.caption("A whole page")
one, two = st.tabs(["One", "Two"])
with two:
    st.caption("Before the fragment")

    @st.fragment
    def panel():
        st.caption("The fragment")
        st.button("Again")  # reruns the fragment alone
        ask_for_the_page_after_each_fragment_run()

    panel()

