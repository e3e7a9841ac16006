"""A run's messages cross to the event loop in one batch (ui/loop_handoff.py, issue 23).

Streamlit's own `AppSession` with the `ScriptRunner` stand-in of test_run_handover.py: a run's
messages, handed over one after another as a script thread does, must reach the browser's
queue all and in order, and wake the loop once rather than once each.
"""

import asyncio
import threading

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime import app_session
from streamlit.runtime.scriptrunner import ScriptRunnerEvent

from tests.async_kit import run_apart
from tests.ui.test_run_handover import APP, StandInRunner
from ui.loop_handoff import batch_loop_handoffs

MESSAGES = 15  # a stroke's deltas


async def _run_of(count):
    """A run handing `count` deltas to the loop. Returns (wake-ups, the deltas' bodies sent)."""
    from unittest import mock

    from streamlit.runtime.script_data import ScriptData

    session = app_session.AppSession(
        ScriptData(str(APP)), uploaded_file_manager=mock.MagicMock(),
        script_cache=mock.MagicMock(), message_enqueued_callback=None, user_info={})
    session.request_rerun(None)
    runner = session._scriptrunner
    loop = asyncio.get_running_loop()
    wakeups, call_soon = [], loop.call_soon_threadsafe
    loop.call_soon_threadsafe = (
        lambda *args: wakeups.append(threading.current_thread().name) or call_soon(*args))

    # The loop is held until the run has handed everything over: a script thread that the
    # interpreter switched away from mid-run (a loaded machine) would otherwise let the loop
    # drain between two messages, a second wake-up that is the batching working, not failing.
    handed = threading.Event()
    loop.call_soon(handed.wait, 10)

    def script_thread():
        for k in range(count):
            message = ForwardMsg()
            message.metadata.delta_path[:] = [0, k]
            message.delta.new_element.markdown.body = str(k)
            session._on_scriptrunner_event(runner, ScriptRunnerEvent.ENQUEUE_FORWARD_MSG,
                                           forward_msg=message)
        handed.set()

    thread = threading.Thread(target=script_thread, name="script")
    thread.start()
    await asyncio.to_thread(thread.join)
    for _ in range(5):
        await asyncio.sleep(0)
    sent = session._browser_queue.flush()
    del loop.call_soon_threadsafe
    session.shutdown()
    bodies = [m.delta.new_element.markdown.body for m in sent if m.HasField("delta")]
    return wakeups.count("script"), bodies


def test_a_runs_messages_reach_the_browser_in_order_after_one_wake_up(monkeypatch):
    monkeypatch.setattr(app_session, "ScriptRunner", StandInRunner)
    monkeypatch.setattr(app_session.AppSession, "_call_soon_on_event_loop",
                        app_session.AppSession._call_soon_on_event_loop)
    assert batch_loop_handoffs() and batch_loop_handoffs()  # idempotent

    wakeups, bodies = run_apart(_run_of(MESSAGES))

    assert bodies == [str(k) for k in range(MESSAGES)]
    assert wakeups == 1
