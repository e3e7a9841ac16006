"""A run's messages cross to the event loop in one batch (ui/loop_handoff.py, issue 23).

Streamlit's own `AppSession` with the `ScriptRunner` stand-in of test_run_handover.py: a run's
messages, handed over one after another as a script thread does, computing in between, must
reach the browser's queue all and in order, and wake the loop once (at the run's end) rather
than once each; a run still computing has them sent after `FLUSH_SECONDS` all the same.
"""

import asyncio
import threading
import time

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime import app_session
from streamlit.runtime.scriptrunner import ScriptRunnerEvent

import ui.loop_handoff
from tests.async_kit import run_apart
from tests.ui.test_run_handover import APP, StandInRunner
from ui.loop_handoff import batch_loop_handoffs

MESSAGES = 15  # a stroke's deltas
COMPUTING = 0.002  # seconds between two messages: the loop is free to drain meanwhile


async def _run_of(count, ends, wait=0.0, computing=COMPUTING):
    """A run handing `count` deltas to the loop, then its end when `ends`; `wait` seconds later,
    returns (the threads that woke the loop, the deltas' bodies the browser got)."""
    from unittest import mock

    from streamlit.runtime.script_data import ScriptData

    session = app_session.AppSession(
        ScriptData(str(APP)), uploaded_file_manager=mock.MagicMock(),
        script_cache=mock.MagicMock(), message_enqueued_callback=None, user_info={})
    session.request_rerun(None)
    runner = session._scriptrunner
    loop = asyncio.get_running_loop()
    wakeups, call_soon = [], loop.call_soon_threadsafe

    def woken(*args):
        if threading.current_thread().name in ("script", "LoopFlusher"):  # not to_thread's
            wakeups.append(threading.current_thread().name)
        return call_soon(*args)

    loop.call_soon_threadsafe = woken

    def script_thread():
        for k in range(count):
            message = ForwardMsg()
            message.metadata.delta_path[:] = [0, k]
            message.delta.new_element.markdown.body = str(k)
            session._on_scriptrunner_event(runner, ScriptRunnerEvent.ENQUEUE_FORWARD_MSG,
                                           forward_msg=message)
            time.sleep(computing)
        if ends:
            session._on_scriptrunner_event(runner, ScriptRunnerEvent.SCRIPT_STOPPED_WITH_SUCCESS)

    thread = threading.Thread(target=script_thread, name="script")
    thread.start()
    await asyncio.to_thread(thread.join)
    await asyncio.sleep(wait)
    for _ in range(5):
        await asyncio.sleep(0)
    sent = session._browser_queue.flush()
    del loop.call_soon_threadsafe
    session.shutdown()
    bodies = [m.delta.new_element.markdown.body for m in sent if m.HasField("delta")]
    return wakeups, bodies


class Held:
    """A flusher that never flushes: only the run's own events wake the loop."""

    def __init__(self):
        self.added = []

    def add(self, *args):
        self.added.append(args)


class Unstartable:
    """A flusher whose thread cannot start ("can't start new thread")."""

    def add(self, *args):
        raise RuntimeError("can't start new thread")


@pytest.fixture
def batching(monkeypatch):
    from streamlit.runtime.runtime import Runtime

    monkeypatch.setattr(app_session, "ScriptRunner", StandInRunner)
    for name in ("_call_soon_on_event_loop", "_on_scriptrunner_event"):
        monkeypatch.setattr(app_session.AppSession, name, getattr(app_session.AppSession, name))
    monkeypatch.setattr(Runtime, "_enqueued_some_message", Runtime._enqueued_some_message)
    # A flusher of the test's own: the process's may be asleep on an earlier test's messages.
    monkeypatch.setattr(ui.loop_handoff, "_FLUSHER", ui.loop_handoff._Flusher())
    assert batch_loop_handoffs() and batch_loop_handoffs()  # idempotent


def test_a_runs_messages_reach_the_browser_in_order_after_one_wake_up(batching, monkeypatch):
    held = Held()
    monkeypatch.setattr(ui.loop_handoff, "_FLUSHER", held)

    wakeups, bodies = run_apart(_run_of(MESSAGES, ends=True))

    assert bodies == [str(k) for k in range(MESSAGES)]
    # Each message woke it before, the loop draining in between: now the run's end alone.
    assert wakeups == ["script"] and len(held.added) == 1


def test_a_run_still_computing_has_its_messages_sent_within_the_flush_time(batching):
    # A long computation under a spinner: what the run drew so far must not wait for its end.
    wakeups, bodies = run_apart(_run_of(3, ends=False, wait=10 * ui.loop_handoff.FLUSH_SECONDS,
                                        computing=0.0))

    assert bodies == ["0", "1", "2"]
    assert wakeups and set(wakeups) == {"LoopFlusher"}


def test_without_a_flusher_thread_each_message_wakes_the_loop_as_before(batching, monkeypatch):
    monkeypatch.setattr(ui.loop_handoff, "_FLUSHER", Unstartable())

    wakeups, bodies = run_apart(_run_of(3, ends=False))

    assert bodies == ["0", "1", "2"]
    assert wakeups and set(wakeups) == {"script"}


async def _wakeups_of_sessions_made_before_and_after_the_patch(script):
    """A running runtime and a page's session made as the server makes them, before the page's
    first run patches anything; then the page's patches, and a second session. Each session
    hands a callback to the loop (as its runs' messages do); then, for each, returns (the
    loop's wake-ups through its socket when it enqueues a message on the loop's own thread,
    whether the send loop was told at once)."""
    from unittest import mock

    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.runtime import Runtime, RuntimeConfig
    from streamlit.runtime.script_data import ScriptData

    runtime = Runtime(RuntimeConfig(script_path=str(script),
                                    media_file_storage=MemoryMediaFileStorage("/media"),
                                    uploaded_file_manager=MemoryUploadedFileManager("/upload")))
    await runtime.start()
    manager = runtime._session_mgr

    def connect():
        session_id = manager.connect_session(client=mock.MagicMock(), script_data=ScriptData(
            str(script)), user_info={}, existing_session_id=None)
        return manager.get_session_info(session_id).session

    loop, sent = asyncio.get_running_loop(), runtime._get_async_objs().need_send_data
    call_soon = loop.call_soon_threadsafe

    async def wakeups(session):
        session._call_soon_on_event_loop(lambda: None)
        await asyncio.sleep(0.05)  # that callback run, any wake-up it asked for done
        sent.clear()
        woken = []
        loop.call_soon_threadsafe = lambda *args: (woken.append(args), call_soon(*args))[1]
        try:
            session._message_enqueued_callback()
        finally:
            del loop.call_soon_threadsafe
        return len(woken), sent.is_set()

    try:
        before = connect()
        assert batch_loop_handoffs()
        return [await wakeups(before), await wakeups(connect())]
    finally:
        runtime.stop()
        await runtime.stopped


def test_every_session_wakes_the_loop_in_place(monkeypatch, tmp_path):
    # Streamlit hands each session the runtime's wake-up bound before any page ran: the patch
    # of the class alone left every real session waking the loop through its socket.
    from streamlit.runtime.runtime import Runtime

    monkeypatch.setattr(Runtime, "_instance", None)  # this test's runtime, gone after it
    monkeypatch.setattr(Runtime, "_enqueued_some_message",
                        getattr(Runtime._enqueued_some_message, "original",
                                Runtime._enqueued_some_message))
    for name in ("_call_soon_on_event_loop", "_on_scriptrunner_event"):
        monkeypatch.setattr(app_session.AppSession, name, getattr(app_session.AppSession, name))
    script = tmp_path / "page.py"
    script.write_text("")

    got = run_apart(_wakeups_of_sessions_made_before_and_after_the_patch(script))
    assert got == [(0, True), (0, True)]
