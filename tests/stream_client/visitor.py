"""One visitor of the app over Streamlit's own websocket protocol, without a browser.

What the browser's front end (Streamlit 1.67's static/js) does, and this client does too:

- It loads the page (GET /, /_stcore/health) keeping its cookies, so a reverse proxy's sticky
  cookie and Streamlit's XSRF cookie come back on the websocket (/_stcore/stream), whose
  subprotocols are `["streamlit", <XSRF cookie>]`.
- It asks for the first run: a `BackMsg.rerun_script` (`ClientState`) with no widget states,
  the page's query string and script hash ("" on the first load), and its context (time zone,
  locale, URL).
- A widget change sends `rerun_script` again, carrying every widget value the page holds and
  the `fragment_id` of the fragment the widget was drawn in ("" outside one): a stroke on the
  Draw view's canvas reruns only its fragment (ui/draw.py).
- `st.fragment(run_every=...)` is the browser's job, not the server's: the server sends
  `ForwardMsg.auto_rerun` (fragment id, interval) and the front end sends a `rerun_script` for
  that fragment (`is_auto_rerun`) every interval until `stop_auto_rerun` or the next full
  run (which asks again for the fragments it draws). Without it an open
  page would cost the server nothing; this client sends them as the browser does.
- Large messages carry a hash; the client keeps them as the browser does (cache.py) and lists
  their hashes in `cached_message_hashes`, and the server then sends only a `ref_hash`.
"""

import asyncio
import http.cookiejar
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.stream_client import upload
from tests.stream_client.cache import MessageCache
from tests.stream_client.drawing import canvas_value
from tests.stream_client.page import Page

XSRF_COOKIE = "_streamlit_xsrf"
FULL_RUN_DONE = ForwardMsg.FINISHED_SUCCESSFULLY
COMPILE_ERROR = ForwardMsg.FINISHED_WITH_COMPILE_ERROR


class ProtocolError(RuntimeError):
    """The server closed the websocket, or the page did not come as expected."""


@dataclass
class Answer:
    """A stroke's answer: the digit read (None when not a digit) and seconds from the send."""

    digit: object
    seconds: float


def page_cookies(base_url, timeout=30):
    """GETs the page and its health check as a browser loads them; returns the cookie jar."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    for path in ("/", "/_stcore/health"):
        with opener.open(base_url.rstrip("/") + path, timeout=timeout) as answer:
            answer.read()
    return jar


class Visitor:
    """One visitor: its own cookies, websocket and Streamlit session.

    Args:
        base_url: the app's URL, e.g. "http://127.0.0.1:8501" (a path prefix is kept).
        name: shown in errors.
        locale: the browser's language, sent in the context of every run.
        headers: more headers for the websocket's request (a proxy's `X-Real-IP`: several
            visitors of one address, or of several, on one machine).
    """

    def __init__(self, base_url, name="visitor", locale="en-US", headers=None):
        self.base_url, self.name, self.locale = base_url.rstrip("/"), name, locale
        self.headers = dict(headers or {})
        self.page = Page()
        self.session_id = ""
        self.runs_started = self.full_runs_done = self.fragment_runs_done = 0
        self.auto_reruns = 0  # rerun_script messages sent for run_every fragments
        self.compile_errors = 0
        self._states = {}  # widget id -> WidgetState, the values the page holds
        self._page_hash = ""
        self._cache = MessageCache()  # messages the server may send by reference
        self._max_message_age = 2  # runs; the server's config says (new_session)
        self._timers = {}  # fragment id -> (interval, task)
        self._answer_after = None  # runs_started when a stroke was sent
        self._answer = None
        self._changed = asyncio.Condition()
        self._socket = self._reader = None
        self._cookies = {}
        self._file_urls = {}  # request id -> FileURLsResponse
        self.closed_by_server = False
        self.runs_while_unanswered = None  # runs started between the last unanswered stroke
        # and its timeout

    # ---- Connection -----------------------------------------------------------------------

    async def open(self, timeout=120):
        """Loads the page: cookies, websocket, the first run until it has finished.

        Raises:
            ProtocolError: the first run did not finish within `timeout` seconds, or drew no
                canvas.
        """
        jar = await asyncio.to_thread(page_cookies, self.base_url)
        cookies = self._cookies = {cookie.name: cookie.value for cookie in jar}
        parts = urllib.parse.urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        url = urllib.parse.urlunsplit((scheme, parts.netloc, parts.path + "/_stcore/stream",
                                       "", ""))
        protocols = ["streamlit"] + ([cookies[XSRF_COOKIE]] if XSRF_COOKIE in cookies else [])
        headers = {"Origin": f"{parts.scheme}://{parts.netloc}", **self.headers}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        self._socket = await connect(url, subprotocols=protocols, additional_headers=headers,
                                     max_size=None, open_timeout=timeout)
        self._reader = asyncio.create_task(self._read())
        done = self.full_runs_done
        await self.rerun()
        await self.wait(lambda: self.full_runs_done > done, timeout, "the first run")
        if self.page.canvas is None:
            raise ProtocolError(f"{self.name}: the first run drew no canvas")

    async def close(self):
        for _, task in self._timers.values():
            task.cancel()
        self._timers.clear()
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    # ---- What a visitor does ------------------------------------------------------------

    def forget(self, widget_id):
        """Stops sending the value of `widget_id`, as a browser forgets a widget no longer
        drawn (the canvas, while another tab is open)."""
        self._states.pop(widget_id, None)

    async def send(self, message):
        """Sends any `BackMsg`, as a script speaking the protocol may (a `clear_cache`...)."""
        await self._socket.send(message.SerializeToString())

    async def rerun(self, fragment_id="", auto=False, triggers=()):
        """Sends `rerun_script` with every value the page holds (and one-off `triggers`)."""
        message = BackMsg()
        state = message.rerun_script
        state.query_string = ""
        state.page_script_hash = self._page_hash
        state.page_name = ""
        state.fragment_id = fragment_id
        state.is_auto_rerun = auto
        state.widget_states.widgets.extend([*self._states.values(), *triggers])
        state.cached_message_hashes.extend(self._cache.hashes())
        context = state.context_info
        context.timezone, context.timezone_offset = "UTC", 0
        context.locale, context.url = self.locale, self.base_url + "/"
        context.is_embedded, context.color_scheme = False, "light"
        await self._socket.send(message.SerializeToString())

    async def draw(self, digit, timeout=30):
        """One stroke: the canvas sends `digit` drawn on it; waits for the answer.

        Args:
            digit: uint8 array (28, 28), an MNIST digit; or its `drawing.canvas_value` text,
                prepared beforehand so that the client's own work is not timed.
            timeout: seconds to wait for the answer.

        Returns:
            `Answer` (its digit is the number read, None for "not a digit"), or None when no
            answer came within `timeout`.
        """
        value = digit if isinstance(digit, str) else canvas_value(digit)
        canvas = self.page.canvas
        self._states[canvas.id] = WidgetState(id=canvas.id, json_value=value)
        self._answer, self._answer_after = None, self.runs_started
        start = time.perf_counter()
        await self.rerun(canvas.fragment_id)
        try:
            await self.wait(lambda: self._answer is not None, timeout, "an answer")
        except ProtocolError:
            if self.closed_by_server:
                raise
            # For the record: no run at all since the send means the server dropped the
            # request (as it does one for a fragment a full run is redrawing).
            self.runs_while_unanswered = self.runs_started - self._answer_after
            return None
        finally:
            self._answer_after = None
        body, at = self._answer
        return Answer(int(body) if body.strip().isdigit() else None, at - start)

    async def set_value(self, label, field, value, timeout=60):
        """Sets the widget labelled `label` (its `field`, e.g. "string_value") and waits for
        the run it starts. A button is clicked with field "trigger_value", value True."""
        widget = self.page.widgets[label]
        state = WidgetState(id=widget.id, **{field: value})
        triggers = [state] if field == "trigger_value" else []
        if not triggers:
            self._states[widget.id] = state
        await self.rerun_and_wait(widget.fragment_id, triggers, timeout)

    async def open_tab(self, label, timeout=120):
        """Opens the tab labelled `label` (the page's tabs rerun the page when switched)."""
        if self.page.tabs is None or label not in self.page.tab_labels:
            raise ProtocolError(f"{self.name}: no tab {label!r} in {self.page.tab_labels}")
        tabs = self.page.tabs
        self._states[tabs.id] = WidgetState(id=tabs.id, string_value=label)
        await self.rerun_and_wait(tabs.fragment_id, [], timeout)

    async def upload(self, label, name, content, timeout=120):
        """Uploads a file to the uploader labelled `label`, as `name`; waits for the run the
        new value starts (a check that goes on after it is the page's to show)."""
        widget = self.page.widgets[label]
        request_id, message = upload.url_request(self.session_id, name)
        await self._socket.send(message.SerializeToString())
        await self.wait(lambda: request_id in self._file_urls, timeout, "upload URL")
        answer = self._file_urls.pop(request_id)
        if answer.error_msg:
            raise ProtocolError(f"{self.name}: upload refused: {answer.error_msg}")
        urls = answer.file_urls[0]
        target = urls.upload_url
        if target.startswith("/"):
            parts = urllib.parse.urlsplit(self.base_url)
            target = f"{parts.scheme}://{parts.netloc}{target}"
        await asyncio.to_thread(upload.put_file, target, name, content, self._cookies,
                                self._cookies.get(XSRF_COOKIE), timeout)
        state = WidgetState(id=widget.id)
        state.file_uploader_state_value.CopyFrom(upload.uploader_state(urls, name, len(content)))
        self._states[widget.id] = state
        await self.rerun_and_wait(widget.fragment_id, [], timeout)

    async def rerun_and_wait(self, fragment_id="", triggers=(), timeout=60):
        """Sends `rerun_script` (the whole page by default, as the browser's R key) and waits
        for the run it starts to finish (a full run for the whole page: a fragment's auto
        rerun ending meanwhile is not it)."""
        def runs():
            return self.full_runs_done + (self.fragment_runs_done if fragment_id else 0)

        done = runs()
        await self.rerun(fragment_id, triggers=triggers)
        await self.wait(lambda: runs() > done, timeout, "the run")

    async def wait(self, predicate, timeout, what):
        """Waits until `predicate()` holds, checked after each message from the server."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(
                    lambda: predicate() or self.closed_by_server), timeout)
            except TimeoutError:
                raise ProtocolError(f"{self.name}: no {what} within {timeout} s") from None
        if self.closed_by_server and not predicate():
            raise ProtocolError(f"{self.name}: the server closed the websocket")

    # ---- What the server sends ---------------------------------------------------------

    async def _read(self):
        try:
            async for raw in self._socket:
                message = self._cache.resolve(ForwardMsg.FromString(raw))
                if message is not None:
                    self._handle(message)
                async with self._changed:
                    self._changed.notify_all()
        finally:
            self.closed_by_server = True
            async with self._changed:
                self._changed.notify_all()

    def _handle(self, message):
        kind = message.WhichOneof("type")
        if kind == "new_session":
            self.runs_started += 1
            if not message.metadata.run.fragment_ids:
                # As the front end's handleNewSession: a full run ends every auto rerun, and
                # the fragments it draws with run_every ask for theirs again.
                self._stop_auto_reruns(list(self._timers))
            self.session_id = message.new_session.initialize.session_id or self.session_id
            self._page_hash = message.new_session.page_script_hash or self._page_hash
            self._max_message_age = message.new_session.config.max_cached_message_age or 2
        elif kind == "delta":
            answer = self.page.read(message.delta)
            if answer and self._answer_after is not None and self.runs_started > self._answer_after:
                self._answer = (answer[1], time.perf_counter())
        elif kind == "script_finished":
            status = message.script_finished
            self.full_runs_done += status == FULL_RUN_DONE
            self.fragment_runs_done += status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
            self.compile_errors += status == COMPILE_ERROR
            if status != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                self._cache.run_finished(self._max_message_age, message.metadata.run.fragment_ids)
        elif kind == "file_urls_response":
            self._file_urls[message.file_urls_response.response_id] = message.file_urls_response
        elif kind == "auto_rerun":
            self._every(message.auto_rerun.fragment_id, message.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            self._stop_auto_reruns(message.stop_auto_rerun.fragment_ids)

    def _stop_auto_reruns(self, fragment_ids):
        for fragment_id in fragment_ids:
            interval_task = self._timers.pop(fragment_id, None)
            if interval_task:
                interval_task[1].cancel()

    def _every(self, fragment_id, interval):
        # As the front end's handleAutoRerun: the same interval again changes nothing.
        if not fragment_id or self._timers.get(fragment_id, (None,))[0] == interval:
            return
        if fragment_id in self._timers:
            self._timers[fragment_id][1].cancel()

        async def tick():
            while True:
                await asyncio.sleep(interval)
                self.auto_reruns += 1
                try:
                    await self.rerun(fragment_id, auto=True)
                except ConnectionClosed:
                    return  # the reader saw it too: `closed_by_server`

        self._timers[fragment_id] = (interval, asyncio.create_task(tick()))
