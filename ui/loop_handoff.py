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


class _Queue:
    def __init__(self):
        self.lock = threading.Lock()
        self.callbacks = collections.deque()
        self.scheduled = False  # a drain is queued on the loop and has not finished


def batch_loop_handoffs():
    """Patches the private `AppSession._call_soon_on_event_loop` and
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
        queue = getattr(session, _QUEUE, None)
        if queue is None:
            with _CREATE:
                queue = getattr(session, _QUEUE, None)
                if queue is None:
                    queue = _Queue()
                    setattr(session, _QUEUE, queue)
        with queue.lock:
            queue.callbacks.append(callback)
            if queue.scheduled:
                return  # the drain queued on the loop will run it, in order
            queue.scheduled = True
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

    call_soon_on_event_loop.batches = True
    call_soon_on_event_loop.original = call_soon
    return call_soon_on_event_loop


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
