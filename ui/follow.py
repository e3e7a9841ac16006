"""Keeps every open page in step with the server: its training job and its models folder.

A visitor's page is drawn from what the server held at its last run. Another visitor's
training, or a deployer adding or removing a model file, changes that without this page
hearing of it. So the server process looks every few seconds, once for all its pages (one
`os.scandir` and one job snapshot), and when something a page shows has changed it reruns
every open page in full (`ui.open_pages`): a page left open costs the server nothing between
changes. Where the process cannot rerun its pages itself (`open_pages.available()` is False:
AppTest, another Streamlit), each page looks for itself, a `run_every` fragment as before;
each such look is a Streamlit run, ~5 ms of the server's CPU whatever it finds.
"""

import dataclasses
import logging
import threading
import time

import streamlit as st

from mnist_core.jobs.state import ACTIVE
from ui import open_pages, pace, resources
from ui.session_keys import ADOPTED_JOB, ADOPTED_MODEL, MODEL_CHOICE, OWNER, SERVER_SEEN

LOG = logging.getLogger(__name__)

WATCH_SECONDS = 3.0
"""How often the server (or a page) looks; each look is one `os.scandir` and one job snapshot."""
ACTIVE_WATCH_SECONDS = 1.0
"""How often it looks while a training is active (`watch_seconds`)."""


@dataclasses.dataclass(frozen=True)
class ServerView:
    """What a page shows of the server: the models folder and the training job.

    Attributes:
        models: `resources.models_fingerprint()`.
        job_id: the training job's id (a new training changes it).
        job_status: its status (idle, loading, running, saving, done, failed, cancelled).
    """

    models: tuple
    job_id: int
    job_status: str


def server_view(jobs):
    """The server as it is now (cheap: no file is opened)."""
    state = jobs.snapshot()
    return ServerView(resources.models_fingerprint(), state.job_id, state.status)


def page_drawn_from(jobs):
    """Records, at the start of a full page run, what the page is about to be drawn from.

    When this visitor's own training has just finished, their page switches to the new model
    (other visitors' pages keep theirs) and `ADOPTED_MODEL` names it, for the sidebar to say so.

    Returns:
        The `ServerView` now; the page should use it (its `models` keys the model list).
    """
    view = server_view(jobs)
    st.session_state[SERVER_SEEN] = view
    _adopt_own_model(jobs.snapshot())
    return view


def _adopt_own_model(state):
    if (state.status != "done" or not state.model_path or state.owner is None
            or state.owner != st.session_state.get(OWNER)
            or st.session_state.get(ADOPTED_JOB) == state.job_id):
        return
    st.session_state[ADOPTED_JOB] = state.job_id
    st.session_state[MODEL_CHOICE] = state.model_path
    st.session_state[ADOPTED_MODEL] = state.model_path


def has_changed(jobs):
    """Tells whether the server has changed since the page was last drawn in full."""
    return server_view(jobs) != st.session_state.get(SERVER_SEEN)


def watch_seconds(view):
    """How often a page drawn from `view` looks: every second while a training is active, so
    the page that saw it run lists its model a second after it ends, wherever the visitor is
    (the Train panel's own poll reruns its page at once); every `WATCH_SECONDS` otherwise."""
    return ACTIVE_WATCH_SECONDS if view.job_status in ACTIVE else WATCH_SECONDS


def follow_server(jobs):
    """Reruns the whole page when the server changed since it was drawn; otherwise nothing.

    Call it once per full run, after `page_drawn_from()`. It draws nothing. The process's
    watcher (`ServerWatcher`) does it for every page where it can; otherwise the page looks
    every `watch_seconds()` itself.
    """
    seen = st.session_state.get(SERVER_SEEN) or server_view(jobs)
    if open_pages.available():
        watch_for_every_page(jobs, seen)
        return

    @pace.fragment(run_every=watch_seconds(seen))
    def look():
        if has_changed(jobs):
            st.rerun()

    look()


class ServerWatcher:
    """Looks at the server for every open page of the process, and reruns them all on a change.

    Args:
        jobs: the process's `TrainingJobs`.
        seen: the `ServerView` the pages were drawn from.
        rerun_pages: called, with no argument, when the server changed (`open_pages.rerun_all`).
    """

    def __init__(self, jobs, seen, rerun_pages=open_pages.rerun_all):
        self.jobs, self.seen, self._rerun_pages = jobs, seen, rerun_pages

    def look(self):
        """One look: reruns the pages when the server changed since the last; says whether."""
        view = server_view(self.jobs)
        if view == self.seen:
            return False
        self.seen = view
        self._rerun_pages()
        return True

    def watch(self):
        """Looks every `watch_seconds()` for as long as the process runs (its own thread)."""
        while True:
            time.sleep(watch_seconds(self.seen))
            try:
                self.look()
            except Exception:  # a look that fails must not end every page's following
                LOG.exception("Looking at the server for the open pages failed")


_watcher = None
_watcher_lock = threading.Lock()


def watch_for_every_page(jobs, seen):
    """Starts the process's `ServerWatcher` once, in a daemon thread; returns it."""
    global _watcher
    with _watcher_lock:
        if _watcher is None:
            _watcher = ServerWatcher(jobs, seen)
            threading.Thread(target=_watcher.watch, name="ServerWatcher", daemon=True).start()
        _watcher.jobs = jobs  # the manager the pages use (one per process)
        return _watcher
