"""The server's side of a training's child process: started, listened to, told, stopped.

`jobs.TrainingJobs` runs each training in its own process, `python -m mnist_core.jobs.worker`.
A process rather than a thread because the server's own housekeeping is not thread-safe for
Keras (Streamlit clears Keras' global state after script runs), and because a process runs at a
lower priority, gives its memory back when it ends, and can be stopped at any moment. A fresh
interpreter rather than multiprocessing's spawn, which would import the page as the child's
`__main__`.

The child writes one JSON `[kind, payload]` event a line on its stdout; the server writes
`cancel` and the owner's latest drawing (`mnist_core.jobs.drawing_command`) on its stdin. A child
that has not stopped `KILL_AFTER_S` after Cancel or the time limit is killed.
"""

import json
import os
import queue
import subprocess
import sys
import threading
import time
import traceback

from mnist_core.jobs.state import CANCELLED, FAILED
from mnist_core.paths import ROOT, TRAIN_WORKER

KILL_AFTER_S = 15
"""A child that has not stopped this long after Cancel (or the time limit) is killed."""
POLL_S = 0.1
CANCELLED_MESSAGE = "Training was cancelled; nothing was saved."


def worker_command(models_dir, settings, nice, load_data):
    """The child's command line: `python -m mnist_core.jobs.worker` with these settings.

    Args:
        models_dir: where the child saves the model.
        settings: the worker's settings (`recipe`, `epochs`, ..., `keep`), passed as JSON.
        nice: how much lower the child's CPU priority is (0 to 19).
        load_data: None, a `"module:function"` string, or a module-level function.
    """
    if callable(load_data):
        load_data = f"{load_data.__module__}:{load_data.__qualname__}"
    command = [sys.executable, "-m", TRAIN_WORKER, "--models",
               str(models_dir), "--settings", json.dumps(settings),
               "--nice", str(nice), "--parent", str(os.getpid())]
    return command + (["--load-data", load_data] if load_data else [])


def run_child(models_dir, settings, *, nice, load_data, max_seconds, commands, apply, started,
              due_drawing):
    """Server-side thread: starts the child, relays its events, passes cancel on, enforces
    the time limit. The child is started from this thread, which lives as long as the child:
    Linux signals the child when the thread that started it ends (`PR_SET_PDEATHSIG`).

    Args:
        models_dir, settings, nice, load_data: as `worker_command` takes them.
        max_seconds: the deployer's time limit; the child is stopped past it.
        commands: a queue; anything put in it asks the child to cancel.
        apply: `apply(kind, payload)` folds one event into the job's state; True once the job
            has ended.
        started: `started(pid)`, called once the child runs.
        due_drawing: `due_drawing()` gives the drawing command to write to the child now, or
            None.
    """
    child = None
    try:
        child, lines = start_child(worker_command(models_dir, settings, nice, load_data))
        started(child.pid)
    except Exception as error:  # the server must stay up; the log keeps the details
        traceback.print_exc()
        apply(FAILED, f"Training could not run ({type(error).__name__}: "
                      f"{str(error)[:200]}); the app still works, try again.")
        if child is not None:
            end_child(child)
        return
    watch_child(child, lines, max_seconds=max_seconds, commands=commands, apply=apply,
                due_drawing=due_drawing)


def start_child(command):
    """Starts `command` (a worker's) with the project on its path; returns `(child, lines)`,
    `lines` a queue of its output lines, then None once it has closed its output."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    lines = queue.Queue()
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    threading.Thread(target=_read_lines, args=(child.stdout, lines), daemon=True,
                     name="mnist-training-events").start()
    return child, lines


def watch_child(child, lines, *, max_seconds, commands, apply, due_drawing):
    """Relays a started child's events until it ends (as `run_child` says), then reaps it."""
    try:
        _relay(child, lines, commands, time.time() + max_seconds, max_seconds, apply,
               due_drawing)
    except Exception as error:  # the server must stay up; the log keeps the details
        traceback.print_exc()
        apply(FAILED, f"Training could not run ({type(error).__name__}: "
                      f"{str(error)[:200]}); the app still works, try again.")
    finally:
        end_child(child)


def _relay(child, lines, commands, deadline, max_seconds, apply, due_drawing):
    ended, asked, reason = False, None, None
    while not ended:
        if asked is None:
            if not commands.empty():
                commands.get()
                asked, reason = time.time(), "cancel"
            elif time.time() > deadline:
                asked, reason = time.time(), "limit"
            if asked is not None:
                tell(child, b"cancel\n")
            elif (drawing := due_drawing()) is not None:
                tell(child, drawing)
        if asked is not None and time.time() - asked > KILL_AFTER_S:
            child.kill()  # e.g. still importing TensorFlow or saving; nothing is listed
        try:
            line = lines.get(timeout=POLL_S)
        except queue.Empty:
            continue
        if line is None:  # the child closed its output: it has ended
            code = child.wait()
            if reason == "cancel":
                apply(CANCELLED, CANCELLED_MESSAGE)
            elif reason == "limit":
                apply(FAILED, _over_time(max_seconds))
            else:
                apply(FAILED, f"The training process stopped unexpectedly (exit code "
                              f"{code}, perhaps out of memory); nothing was saved, "
                              "and you can try again.")
            return
        try:
            kind, payload = json.loads(line)
        except ValueError:
            continue
        if reason == "limit" and kind == CANCELLED:
            kind, payload = FAILED, _over_time(max_seconds)
        ended = apply(kind, payload)


def _over_time(max_seconds):
    return (f"Training was stopped at this server's limit of {max_seconds / 60:g} minutes; "
            "nothing was saved. Try fewer epochs or images.")


def _read_lines(stream, lines):
    """Feeds the child's output lines into `lines`, then None at its end."""
    for line in stream:
        lines.put(line)
    lines.put(None)


def tell(child, message):
    try:
        child.stdin.write(message)
        child.stdin.flush()
    except (BrokenPipeError, OSError, ValueError):
        pass  # it has ended already


def end_child(child):
    """Waits for the child to exit (killing it if it hangs), then closes its pipes."""
    try:
        child.wait(5)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    for stream in (child.stdin, child.stdout):
        try:
            stream.close()
        except OSError:
            pass
