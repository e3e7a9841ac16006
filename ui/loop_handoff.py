"""A run's messages cross from the script thread to the event loop in batches, not one by one.

Streamlit (1.67) hands every message a run emits (each delta, the run's start and end) to the
session's event loop with its own `call_soon_threadsafe`: a byte written to the loop's wake-up
socket, a wake-up of the loop's thread, and the two threads trading the interpreter's lock,
for each message; the loop then asks the server's send loop to wake with one more
`call_soon_threadsafe`, from its own thread. A stroke's ~18 messages paid this ~36 times: ~14 %
of the script thread's samples in a py-spy profile of strokes drawn back to back (bench/README.md,
issue 23).

`batch_loop_handoffs()` keeps Streamlit's order and threads: a session's messages wait in a
queue of its own, and one callback on the loop (scheduled by the first message that finds none
waiting) hands over everything queued by the time it runs; a wake-up asked for from the loop's
own thread is done there and then.

The loop drains such a queue as soon as it is woken, so a run that computes between its
messages (a stroke: decoding, reading) still woke it ~5 times, ~2 messages each. A run's start
and its deltas therefore wait (`_DEFERRABLE`): its end (or any other event) wakes the loop for
all of them at once, and a run still going after `FLUSH_SECONDS` (a long computation under a
spinner) has them sent by one thread of the process (`_Flusher`), so nothing waits longer. A
stroke then wakes the loop once: 0.71 ms less of the server's CPU a stroke (bench/stroke_cost.py,
30 pairs of blocks alternated, bench/README.md).
"""

import asyncio
import collections
import functools
import logging
import threading

LOG = logging.getLogger(__name__)

_QUEUE = "_mnist_loop_queue"
"""`AppSession` attribute: its `_Queue` of callbacks waiting for the event loop."""
_CREATE = threading.Lock()  # one queue per session, whichever thread asks first
_REBOUND = "_mnist_wakes_in_place"
"""`AppSession` attribute: its wake-up is the runtime's patched one (`_wake_in_place`)."""


class _Queue:
    def __init__(self):
        self.lock = threading.Lock()
        self.callbacks = collections.deque()
        self.scheduled = False  # a drain is queued on the loop and has not finished
        self.deferred = False  # the flusher holds it: a drain will be queued within FLUSH_SECONDS


FLUSH_SECONDS = 0.02
"""Longest a run's start or delta waits for the loop when the run goes on computing."""
_DEFERRABLE = ("ENQUEUE_FORWARD_MSG", "SCRIPT_STARTED")
"""`ScriptRunnerEvent` names that may wait: every other (a run's end, a shutdown) wakes the loop."""
_handing = threading.local()  # .deferrable: the event being handed over may wait


class _Flusher:
    """One thread for the process: queues the drain of each queue that holds messages waiting,
    `FLUSH_SECONDS` after the first of them; asleep while none does."""

    def __init__(self):
        self.cond = threading.Condition()
        self.pending = []
        self.thread = None

    def add(self, session, queue, call_soon):
        """Has `queue`'s drain queued within `FLUSH_SECONDS`; raises when no thread can do it
        (the caller then queues it at once)."""
        with self.cond:
            if self.thread is None or not self.thread.is_alive():  # first use, or a fork
                thread = threading.Thread(target=self._run, name="LoopFlusher", daemon=True)
                thread.start()  # "can't start new thread" raises here, nothing registered
                self.thread = thread
            was_empty = not self.pending
            self.pending.append((session, queue, call_soon))
            if was_empty:
                self.cond.notify()

    def _run(self):
        import time

        while True:
            with self.cond:
                while not self.pending:
                    self.cond.wait()
            time.sleep(FLUSH_SECONDS)
            with self.cond:
                batch, self.pending = self.pending, []
            for session, queue, call_soon in batch:
                try:
                    _schedule_deferred(session, queue, call_soon)
                except Exception:  # one session's closed loop must not stop the others'
                    LOG.debug("A deferred drain was not queued", exc_info=True)


_FLUSHER = _Flusher()


def _schedule_deferred(session, queue, call_soon):
    with queue.lock:
        queue.deferred = False
        if queue.scheduled or not queue.callbacks:
            return
        queue.scheduled = True
    _queue_drain(session, queue, call_soon)


def _queue_drain(session, queue, call_soon):
    try:
        call_soon(session, functools.partial(_drain, queue))
    except BaseException:
        with queue.lock:
            queue.scheduled = False
        raise
    if session._event_loop.is_closed():  # Streamlit dropped the drain: drop its callbacks
        with queue.lock:
            queue.callbacks.clear()
            queue.scheduled = False


def _marking(on_event):
    @functools.wraps(on_event)
    def on_scriptrunner_event(session, sender, event, *args, **kwargs):
        before = getattr(_handing, "deferrable", False)
        _handing.deferrable = getattr(event, "name", None) in _DEFERRABLE
        try:
            return on_event(session, sender, event, *args, **kwargs)
        finally:
            _handing.deferrable = before

    on_scriptrunner_event.batches = True
    return on_scriptrunner_event


def batch_loop_handoffs():
    """Patches the private `AppSession._call_soon_on_event_loop` (with
    `AppSession._on_scriptrunner_event`, which says which events may wait) and
    `Runtime._enqueued_some_message`, each only where it is there: a newer Streamlit then only
    costs the time again, it does not break the page. Idempotent.

    Returns:
        True when both patches are in place.
    """
    try:
        from streamlit.runtime.app_session import AppSession
        from streamlit.runtime.runtime import Runtime
    except ImportError:
        return False
    done = 0
    call_soon = getattr(AppSession, "_call_soon_on_event_loop", None)
    if call_soon is not None:
        if not getattr(call_soon, "batches", False):
            AppSession._call_soon_on_event_loop = _batching(call_soon)
        on_event = getattr(AppSession, "_on_scriptrunner_event", None)
        if on_event is not None and not getattr(on_event, "batches", False):
            AppSession._on_scriptrunner_event = _marking(on_event)
        done += 1
    enqueued = getattr(Runtime, "_enqueued_some_message", None)
    if enqueued is not None and hasattr(Runtime, "_get_async_objs"):
        if not getattr(enqueued, "batches", False):
            Runtime._enqueued_some_message = _waking_in_place(enqueued)
        done += 1
    return done == 2


def _batching(call_soon):
    @functools.wraps(call_soon)
    def call_soon_on_event_loop(session, callback):
        if not getattr(session, _REBOUND, False):
            _wake_in_place(session)
        queue = getattr(session, _QUEUE, None)
        if queue is None:
            with _CREATE:
                queue = getattr(session, _QUEUE, None)
                if queue is None:
                    queue = _Queue()
                    setattr(session, _QUEUE, queue)
        defer = getattr(_handing, "deferrable", False)
        with queue.lock:
            queue.callbacks.append(callback)
            if queue.scheduled:
                return  # the drain queued on the loop will run it, in order
            if defer:
                if queue.deferred:
                    return
                queue.deferred = True
            else:
                queue.scheduled = True
        if defer:
            try:
                _FLUSHER.add(session, queue, call_soon)
                return
            except Exception:  # no flusher thread: this message wakes the loop itself
                LOG.warning("Deferred messages are sent at once: no flusher", exc_info=True)
                with queue.lock:
                    queue.deferred = False
                    if queue.scheduled:
                        return
                    queue.scheduled = True
        _queue_drain(session, queue, call_soon)

    call_soon_on_event_loop.batches = True
    call_soon_on_event_loop.original = call_soon
    return call_soon_on_event_loop


def _wake_in_place(session):
    """Gives `session` the runtime's patched wake-up (`_waking_in_place`), once.

    Streamlit binds `Runtime._enqueued_some_message` when it makes the runtime, before any page
    has run and so before the patch, and hands that bound method to every session it makes
    (`_message_enqueued_callback`): patching the class alone left every page's messages
    enqueued on the loop's own thread waking the loop through its socket, ~40 % of the loop
    thread's samples with 100 visitors drawing (bench/README.md, fourteenth pass). Done from
    the session's own first handed-over message, so that a session made at any moment gets it.
    """
    callback = getattr(session, "_message_enqueued_callback", None)
    runtime = getattr(callback, "__self__", None)
    patched = getattr(type(runtime), "_enqueued_some_message", None)
    if not getattr(patched, "batches", False):
        return  # no runtime's method, or not patched yet: the next message looks again
    if callback.__func__ is not patched:
        session._message_enqueued_callback = runtime._enqueued_some_message
    setattr(session, _REBOUND, True)


def _drain(queue):
    """On the loop: runs the session's queued callbacks in order, those queued meanwhile too."""
    while True:
        with queue.lock:
            if not queue.callbacks:
                queue.scheduled = False
                return
            batch = list(queue.callbacks)
            queue.callbacks.clear()
        for callback in batch:
            try:
                callback()
            except Exception:  # as the loop does for a callback of its own: logged, go on
                LOG.exception("A Streamlit event-loop callback failed")


def _waking_in_place(enqueued):
    @functools.wraps(enqueued)
    def enqueued_some_message(runtime):
        objects = runtime._get_async_objs()
        try:
            on_loop = asyncio.get_running_loop() is objects.eventloop
        except RuntimeError:  # no loop runs in this thread
            on_loop = False
        if on_loop:
            objects.need_send_data.set()
        else:
            enqueued(runtime)

    enqueued_some_message.batches = True
    enqueued_some_message.original = enqueued
    return enqueued_some_message
