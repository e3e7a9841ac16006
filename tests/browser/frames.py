"""The last messages a page's websocket carried, kept raw and read only when a test fails.

A training test's page went blank, rarely and only in full runs: its app crashed on "Bad delta
path index 2 (should be between [0, 1])", a delta the browser could not place. What the server
sent just before says which run and which fragment wrote it: the last `KEPT` frames each way
are kept (bytes only, nothing decoded while the test runs) and `story()` decodes them with
Streamlit's own protobufs.
"""

import collections
import time

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

KEPT = 400


class Frames:
    def __init__(self):
        self.frames = collections.deque(maxlen=KEPT)

    def watch(self, socket):
        socket.on("framereceived", lambda data: self._keep("in", data))
        socket.on("framesent", lambda data: self._keep("out", data))

    def _keep(self, way, data):
        self.frames.append((time.time(), way, data))

    def last_sent(self, key):
        """The value the page last sent for the widget of key `key` (a select_slider's
        `["30,000"]`, a number's `1.0`), or None when no rerun it sent carried it yet."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        for _, way, data in reversed(list(self.frames)):
            if way != "out" or isinstance(data, str):
                continue
            msg = BackMsg()
            msg.ParseFromString(data)
            if msg.WhichOneof("type") != "rerun_script":
                continue
            for widget in msg.rerun_script.widget_states.widgets:
                if widget.id.endswith(f"-{key}"):
                    value = getattr(widget, widget.WhichOneof("value"))
                    return list(value.data) if hasattr(value, "data") else value
        return None

    def story(self):
        """One line per frame kept, oldest first."""
        return "\n".join(f"{time.strftime('%X', time.localtime(at))}.{int(at % 1 * 1000):03d} "
                         f"{way} {_said(way, data)}" for at, way, data in list(self.frames))


def _said(way, data):
    if isinstance(data, str):
        return f"text {data[:80]!r}"
    try:
        return (_forward if way == "in" else _back)(data)
    except Exception as error:  # a frame this Streamlit's protobufs cannot read
        return f"{len(data)} bytes unread ({error})"


def _forward(data):
    msg = ForwardMsg()
    msg.ParseFromString(data)
    kind = msg.WhichOneof("type")
    run = msg.metadata.run
    said = _forward_kind(msg, kind)
    if run.script_run_id:
        said += f" run={run.script_run_id[:8]} fragments={[f[:8] for f in run.fragment_ids]}"
    return said


def _forward_kind(msg, kind):
    if kind == "delta":
        delta = msg.delta
        what = delta.WhichOneof("type")
        if what == "new_element":
            what = f"element {delta.new_element.WhichOneof('type')}"
        elif what == "add_block":
            what = f"block {delta.add_block.WhichOneof('type')}"
        path = list(msg.metadata.delta_path)
        return f"delta {path} {what} fragment={delta.fragment_id[:8] or '-'}"
    if kind == "new_session":
        return "new_session"
    if kind == "script_finished":
        return f"script_finished {ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)}"
    if kind == "auto_rerun":
        return f"auto_rerun every {msg.auto_rerun.interval} s fragment={msg.auto_rerun.fragment_id[:8]}"
    if kind == "stop_auto_rerun":
        return f"stop_auto_rerun {[f[:8] for f in msg.stop_auto_rerun.fragment_ids]}"
    if kind == "session_status_changed":
        status = msg.session_status_changed
        return f"status running={status.script_is_running}"
    return kind or "(empty)"


def _back(data):
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    msg.ParseFromString(data)
    kind = msg.WhichOneof("type")
    if kind == "rerun_script":
        state = msg.rerun_script
        widgets = [w.id[-24:] for w in state.widget_states.widgets]
        return (f"rerun fragment={state.fragment_id[:8] or '-'} auto={state.is_auto_rerun} "
                f"widgets={len(widgets)}")
    return kind or "(empty)"
