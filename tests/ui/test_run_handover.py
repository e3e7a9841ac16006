"""A page's new run waits for the messages of its last run (ui/run_handover.py, issue 23).

Streamlit's own `AppSession`, with a `ScriptRunner` stand-in that has no thread: the old
runner's last message (a stroke's answer) is queued on the event loop, the runner stops, and a
`run_every` poll reaches the session before the loop has sent that message. Without
`hand_over_runs()` the session starts a new runner at once and drops the answer as coming from a
"non-current ScriptRunner" (what bench/visitors.py --protocol saw during a training).
"""

import asyncio
from pathlib import Path
from unittest import mock

from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime import app_session
from streamlit.runtime.script_data import ScriptData
from streamlit.runtime.scriptrunner import ScriptRunnerEvent

from tests.async_kit import run_apart
from ui.loop_handoff import batch_loop_handoffs
from ui.run_handover import hand_over_runs

APP = Path(__file__).resolve().parents[2] / "streamlit_app.py"
POLL = "follow-poll"  # a run_every fragment's id


class StandInRunner:
    """A `ScriptRunner` that runs nothing: it records the requests it accepted, and refuses
    them once `stopped`, as a runner whose run has ended does."""

    made = []

    def __init__(self, initial_rerun_data, **_):
        self.accepted, self.stopped = [initial_rerun_data], False
        self.on_event = mock.MagicMock()
        StandInRunner.made.append(self)

    def start(self):
        pass

    def request_rerun(self, rerun_data):
        if not self.stopped:
            self.accepted.append(rerun_data)
        return not self.stopped

    def request_stop(self):
        self.stopped = True


def _poll():
    return ClientState(fragment_id=POLL, is_auto_rerun=True)


async def _race():
    """The old run's answer queued, the runner stopped, two polls handled before the loop
    sends the answer. Returns (the deltas sent to the browser, the answer)."""
    session = app_session.AppSession(
        ScriptData(str(APP)), uploaded_file_manager=mock.MagicMock(),
        script_cache=mock.MagicMock(), message_enqueued_callback=None, user_info={})
    session.has_fragment = lambda fragment_id: fragment_id == POLL  # the page drew the poll
    session.request_rerun(None)  # the page's first run
    old = session._scriptrunner
    answer = ForwardMsg()
    answer.delta.new_element.metric.label = "Predicted digit"
    # What the old runner's thread does at the end of its run: the message goes to the loop,
    # then the runner finds no request and stops.
    session._on_scriptrunner_event(old, ScriptRunnerEvent.ENQUEUE_FORWARD_MSG,
                                   forward_msg=answer)
    old.stopped = True
    session.request_rerun(_poll())  # handled by the loop before the answer's callback
    session.request_rerun(_poll())
    for _ in range(5):
        await asyncio.sleep(0)
    sent = session._browser_queue.flush()
    session.shutdown()
    return [message for message in sent if message.HasField("delta")], answer


def test_a_stopped_runners_last_messages_are_sent_before_the_next_run(monkeypatch):
    monkeypatch.setattr(app_session, "ScriptRunner", StandInRunner)
    # Whatever hand_over_runs() patches is put back after the test.
    from streamlit.runtime.runtime import Runtime

    for name in ("_create_scriptrunner", "_call_soon_on_event_loop", "_on_scriptrunner_event"):
        monkeypatch.setattr(app_session.AppSession, name, getattr(app_session.AppSession, name))
    monkeypatch.setattr(Runtime, "_enqueued_some_message", Runtime._enqueued_some_message)
    StandInRunner.made = []
    assert hand_over_runs() and hand_over_runs()  # idempotent
    assert batch_loop_handoffs()  # as the page runs: the messages cross in batches

    deltas, answer = run_apart(_race())

    assert deltas == [answer]  # the stroke's answer reached the visitor
    first, new = StandInRunner.made  # one new runner for both polls
    assert [data.fragment_id for data in new.accepted] == [POLL, POLL]
