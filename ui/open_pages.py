"""Every page open on this server process, reached from outside any page run: to rerun them.

Streamlit (1.67) has no public way for the server to rerun a visitor's page; a page hears of a
change on the server only when it runs. Its own "run on save" reruns every page from a file
watcher's thread through the runtime's session manager, and so does `rerun_all()`. That manager
is private, so it is looked up with care: where it is missing (AppTest's mock runtime, a
Streamlit that changed it), `available()` is False and each page keeps looking for itself
(`ui.follow`), as before; nothing breaks, the idle pages only cost their polls again.
"""

import logging

LOG = logging.getLogger(__name__)


def _session_manager():
    try:
        from streamlit.runtime import Runtime

        if not Runtime.exists():
            return None
        manager = getattr(Runtime.instance(), "_session_mgr", None)
    except Exception:  # a Streamlit without these names: pages poll as before
        return None
    return manager if callable(getattr(manager, "list_active_sessions", None)) else None


def available():
    """True when this process can rerun its open pages itself (a real `streamlit run`)."""
    return _session_manager() is not None


def rerun_all():
    """Asks every open page of this process for a full rerun, as a click would.

    Callable from any thread: each rerun is handed to the session's own event loop, where
    Streamlit handles the visitors' requests (`rerun_page`).

    Returns:
        How many pages were asked.
    """
    manager = _session_manager()
    if manager is None:
        return 0
    asked = 0
    for info in manager.list_active_sessions():
        session = info.session
        loop = getattr(session, "_event_loop", None)
        try:
            if loop is not None:
                loop.call_soon_threadsafe(rerun_page, session)
            else:
                rerun_page(session)
        except RuntimeError:  # a session whose loop has just closed: it has no page to rerun
            LOG.debug("A closing session was not rerun", exc_info=True)
            continue
        asked += 1
    return asked


def rerun_page(session):
    """Asks one page (a Streamlit `AppSession`) for a full rerun; on the session's event loop.

    The rerun carries no widget values, so every widget keeps its value and no button fires
    again. It goes to the session's runner, as a visitor's requests do: a request already
    waiting there (a stroke sent while another run of the page was going on) joins it with its
    widget values, or the run going on stops for it. `AppSession.request_rerun(None)` would
    instead stop the runner and start another (Streamlit's fast reruns), dropping the waiting
    stroke: the page would show the answer to the stroke before. Without a runner that takes
    it (none, or one that has just finished), that is what is done.
    """
    runner = getattr(session, "_scriptrunner", None)
    if runner is not None and runner.request_rerun(_full_rerun(session)):
        return
    session.request_rerun(None)


def _full_rerun(session):
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData

    # The page's address and browser context as its last run had them: the full rerun
    # replaces those of a request it joins.
    state = getattr(session, "_client_state", None)
    if state is None:
        return RerunData()
    return RerunData(query_string=state.query_string, page_script_hash=state.page_script_hash,
                     context_info=state.context_info if state.HasField("context_info") else None)
