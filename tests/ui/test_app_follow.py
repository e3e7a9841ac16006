"""Every open page follows the server: models added or removed on disk, a vanished choice, and
the cheap look each page takes every few seconds (AppTest does not run `run_every` timers, so
that look is tested directly; test_browser_page.py sees it in a browser).
"""

import os
import shutil

import pytest

from tests.app_kit import canvas_of, start
from ui.session_keys import LANGUAGE, MODEL_CHOICE


def add_model(folder, name):
    for suffix in (".keras", ".json"):
        shutil.copy(folder / f"tutorial{suffix}", folder / f"{name}{suffix}")


def remove_model(folder, name):
    for suffix in (".keras", ".json"):
        (folder / f"{name}{suffix}").unlink()


def test_models_added_or_removed_on_disk_appear_or_disappear(models, canvas):
    at = start()
    chooser = at.sidebar.selectbox(key=MODEL_CHOICE)
    assert chooser.options == ["tutorial ★"]
    add_model(models, "extra")
    at.run()
    # Equal figures: the name decides which is starred as the default.
    assert at.sidebar.selectbox(key=MODEL_CHOICE).options == [
        "extra ★", "tutorial"]
    assert at.sidebar.selectbox(key=MODEL_CHOICE).value == str(models / "tutorial.keras")
    remove_model(models, "extra")
    at.run()
    assert at.sidebar.selectbox(key=MODEL_CHOICE).options == ["tutorial ★"]
    assert not at.sidebar.warning


@pytest.mark.parametrize("language, sentence", [
    ("en", "The model extra.keras is no longer on the server, so tutorial.keras is chosen "
           "instead."),
    ("fr", "Le modèle extra.keras n'est plus sur le serveur : tutorial.keras est choisi à sa "
           "place."),
])
def test_a_chosen_model_that_vanished_says_so_and_falls_back_to_the_default(
        models, canvas, mnist, language, sentence):
    (_, _), (x_test, _) = mnist
    add_model(models, "extra")
    at = start()
    at.sidebar.radio(key=LANGUAGE).set_value(language).run()
    at.sidebar.selectbox(key=MODEL_CHOICE).set_value(str(models / "extra.keras")).run()
    remove_model(models, "extra")
    canvas(canvas_of(x_test[0]))
    at.run()
    assert not at.exception and not at.sidebar.error
    assert [w.value for w in at.sidebar.warning] == [sentence]
    assert str(models) not in sentence
    assert at.sidebar.selectbox(key=MODEL_CHOICE).value == str(models / "tutorial.keras")
    assert at.tabs[0].metric[0].value == "7"  # Draw goes on with the default model
    assert [t.value for t in at.toast] == [sentence]  # seen on phones, sidebar folded away
    at.run()
    assert [w.value for w in at.sidebar.warning] == [sentence], "said until another is chosen"


def test_the_page_notices_a_change_of_models_or_of_the_training_job(models):
    """`ui.follow.server_view` is what each page compares every few seconds (AppTest does not
    run `run_every` timers, so it is tested directly)."""
    from mnist_core.jobs.state import JobState
    from ui.follow import server_view

    class Jobs:
        state = JobState()

        def snapshot(self):
            return self.state

    jobs = Jobs()
    first = server_view(jobs)
    assert server_view(jobs) == first, "nothing changed: no rerun"
    (models / ".tutorial-123.keras.tmp").write_bytes(b"half a save")
    assert server_view(jobs) == first, "a save in progress (hidden file) is not a change"
    add_model(models, "extra")
    added = server_view(jobs)
    assert added != first
    remove_model(models, "extra")
    assert server_view(jobs) == first
    jobs.state = JobState(status="loading", job_id=1)
    started = server_view(jobs)
    assert started != first
    jobs.state = JobState(status="running", job_id=1, epoch=1, step=5)
    running = server_view(jobs)
    assert running != started
    jobs.state = JobState(status="running", job_id=1, epoch=1, step=6)
    assert server_view(jobs) == running, "progress alone is the Train view's own poll"
    os.utime(models / "tutorial.json", ns=(0, 0))  # the metadata rewritten in place
    assert server_view(jobs) != running


def test_the_models_fingerprint_names_its_folder_and_survives_a_missing_one(models, tmp_path):
    from ui.resources import models_fingerprint

    twin = tmp_path / "twin"
    twin.mkdir()
    assert models_fingerprint(twin) != models_fingerprint(tmp_path / "other"), "folders differ"
    assert models_fingerprint(twin)[1] == ()
    assert models_fingerprint(tmp_path / "missing") == (str(tmp_path / "missing"), ())


def test_a_model_replaced_with_its_old_size_and_mtime_is_loaded_again(models, tmp_path):
    # cp -p and rsync -a restore the old mtime; a retrained model of the same recipe often has
    # the same size: the file's version still changes, so the cache does not serve the old one.
    from ui.resources import file_version, models_fingerprint

    path = models / "tutorial.keras"
    before, listed = file_version(path), models_fingerprint(models)
    info = path.stat()
    replacement = tmp_path / "retrained.keras"
    replacement.write_bytes(path.read_bytes()[::-1])  # other bytes, the same size
    shutil.copy2(replacement, path)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert path.stat().st_size == info.st_size and path.stat().st_mtime_ns == info.st_mtime_ns
    assert file_version(path) != before
    assert models_fingerprint(models) != listed
    assert file_version(tmp_path / "missing.keras") is None


def test_a_page_drawn_during_a_training_looks_every_second_so_its_model_list_follows_at_once():
    from ui.follow import ACTIVE_WATCH_SECONDS, WATCH_SECONDS, ServerView, watch_seconds

    folder = ("models", ())
    for status in ("loading", "running", "saving"):
        assert watch_seconds(ServerView(folder, 1, status)) == ACTIVE_WATCH_SECONDS == 1.0
    for status in ("idle", "done", "failed", "cancelled"):
        assert watch_seconds(ServerView(folder, 1, status)) == WATCH_SECONDS


class _Jobs:
    def __init__(self):
        from mnist_core.jobs.state import JobState

        self.state = JobState()

    def snapshot(self):
        return self.state


def test_the_server_looks_once_for_every_page_and_reruns_them_only_when_something_changed(
        models):
    # A page left open once asked the server every 3 s, a Streamlit run each (~6 ms of the
    # server's CPU): the process looks for all of them, and a look that finds nothing new
    # runs no page.
    from mnist_core.jobs.state import JobState
    from ui.follow import ServerWatcher, server_view

    jobs, reruns = _Jobs(), []
    watcher = ServerWatcher(jobs, server_view(jobs), rerun_pages=lambda: reruns.append(1))
    assert not watcher.look() and not watcher.look() and not reruns
    add_model(models, "extra")
    assert watcher.look() and reruns == [1], "a model added on disk reruns the open pages"
    assert not watcher.look() and reruns == [1], "once"
    jobs.state = JobState(status="loading", job_id=1)
    assert watcher.look() and reruns == [1, 1]


def test_every_open_page_is_asked_for_a_full_rerun_on_its_own_event_loop(monkeypatch):
    import ui.open_pages

    calls = []

    class Loop:
        def call_soon_threadsafe(self, callback, *args):
            calls.append(("loop", args[0].name))
            callback(*args)

    class Session:
        _scriptrunner = None  # no run going on: Streamlit starts one

        def __init__(self, name, loop):
            self.name, self._event_loop = name, loop

        def request_rerun(self, client_state):
            calls.append(("rerun", self.name, client_state))

    class Info:
        def __init__(self, session):
            self.session = session

    class Manager:
        def list_active_sessions(self):
            return [Info(Session("a", Loop())), Info(Session("b", None))]

    monkeypatch.setattr(ui.open_pages, "_session_manager", lambda: Manager())
    assert ui.open_pages.available()
    assert ui.open_pages.rerun_all() == 2
    # None: no widget value replayed (no button fires again), no fragment: the whole page.
    assert calls == [("loop", "a"), ("rerun", "a", None), ("rerun", "b", None)]


def test_a_full_rerun_of_an_open_page_keeps_a_stroke_waiting_for_its_run(monkeypatch):
    """A stroke sent while the page's runner was busy waits in its requests; the server's
    full rerun joins it (Streamlit's own `ScriptRequests`) rather than stopping the runner,
    which would drop the stroke and show the answer to the one before (issue 23)."""
    from streamlit.proto.ClientState_pb2 import ClientState
    from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData, ScriptRequests

    import ui.open_pages

    class Runner:
        def __init__(self):
            self.requests, self.stopped = ScriptRequests(), False
            self.requests.request_rerun(RerunData())  # the run going on (taken below)
            self.requests.on_scriptrunner_ready()

        def request_rerun(self, rerun_data):
            return self.requests.request_rerun(rerun_data)

        def request_stop(self):
            self.stopped = True

    class Session:
        _event_loop = None  # asked directly

        def __init__(self):
            self._scriptrunner, self._client_state, self.asked = Runner(), ClientState(), []

        def request_rerun(self, client_state):  # Streamlit's: stop the runner, start another
            self._scriptrunner.request_stop()
            self.asked.append(client_state)

    session = Session()
    stroke = WidgetStates(widgets=[WidgetState(id="canvas", json_value="the new drawing")])
    session._scriptrunner.request_rerun(RerunData(fragment_id="draw", widget_states=stroke))

    class Manager:
        def list_active_sessions(self):
            return [type("Info", (), {"session": session})()]

    monkeypatch.setattr(ui.open_pages, "_session_manager", lambda: Manager())
    assert ui.open_pages.rerun_all() == 1

    assert not session._scriptrunner.stopped and session.asked == []
    waiting = session._scriptrunner.requests.on_scriptrunner_yield().rerun_data
    assert waiting.fragment_id_queue == []  # the whole page, as the server asked
    assert waiting.widget_states == stroke  # with the stroke's drawing

