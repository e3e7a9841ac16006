"""The limited child process that loads one model file and sends back its config and weights.

`run_worker` starts `python -m mnist_core.untrusted.sandbox_worker` (a module, not a multiprocessing
spawn, which would re-import the Streamlit script) in the file's own temp folder, with a minimal
environment, stdin closed, in its own process group. The worker limits its address space and its
writes itself once Keras is imported; this side limits its time, reads at most what a model may
send, and kills the whole group when done. Whatever the file makes Keras do costs only the child.
"""

import json
import logging
import math
import os
import re
import selectors
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

import mnist_core.untrusted.config_checks as config_checks
import mnist_core.untrusted.hdf5_checks as hdf5_checks
from mnist_core.errors import ModelFileError
from mnist_core.untrusted.checks import short_reason
from mnist_core.paths import ROOT, SANDBOX_WORKER

MEMORY_HEADROOM_BYTES = 300 * 2**20
"""Address space the child may add, after importing Keras, to load the file."""

CPU_LIMIT_S = 10.0
"""CPU seconds the child may spend on the file (the kernel stops it there: `RLIMIT_CPU`). What a
file costs is its CPU: on a starved machine a genuine model waits for a core longer than it
computes, and a limit in wall-clock seconds blamed the file for the server's load (the tests
gave genuine models 60 s for it). The strong model's file takes ~0.5 s."""

TIME_LIMIT_S = 30.0
"""Wall-clock limit of the child from the moment it opens the file, so that no check holds the
queue longer. Reached before the CPU limit, the child was either waiting for a core (the
server's trouble: the file is not checked now, `WAITING_SHARE`) or asleep, waiting for
something the file made it wait for (refused)."""

WAITING_SHARE = 0.5
"""A child late on the file that spent at least this share of its time there waiting for a
core (the kernel's `schedstat`, all its threads) was held up by the server's load."""

START_TIME_LIMIT_S = 60.0
"""Wall-clock limit of the child's start (importing Keras takes 2-3 s on an idle machine, ten
times that on a busy one); it is not the file's doing, so running over it is not remembered."""

MAX_WEIGHT_BYTES = min(32 * 2**20, hdf5_checks.MAX_WEIGHT_BYTES)
"""Largest total of weights (optimizer state included) a file may hold to be loaded here.

Measured: a model of 32 MB of weights loads in the child with about 130 MB of its headroom to
spare and costs this process about 190 MB while it is rebuilt; one of 48 MB does not fit the
child's headroom. The strong model holds 5.7 MB."""

MAX_ANSWER_LINE_BYTES = 2 * config_checks.MAX_CONFIG_BYTES
"""Largest first line of the child's answer (the config Keras re-serialises, with the weights'
shapes): twice what a file's own config may take."""

READY = b"ready\n"
"""Written once the limits are set, before the file is opened."""
STDERR_TAIL_BYTES = 4096
_DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
           "uint32", "uint64", "bool", "bfloat16")

_log = logging.getLogger(__name__)
_one_child = threading.Lock()  # one child at a time: each costs the memory of a Keras import


class NotCheckedNow(ModelFileError):
    """The server could not check the file now (busy, out of processes or temp disk): the file
    is not to blame, so this refusal is not remembered."""


def not_checked_now(name):
    return NotCheckedNow(f"The app could not check {name} now; try again in a minute.")


def run_worker(path, name):
    """Loads `path` in a limited child process and returns what it found.

    Args:
        path: the file, alone in a temp folder that the caller removes afterwards (the child
            uses that folder for everything it writes, and may write nothing once it loads).
        name: the visitor's name for the file, used in every message.

    Returns:
        `(config, weights)`: the model as `keras.saving.serialize_keras_object` wrote it (not
        yet checked) and its `get_weights()` arrays (read-only views).

    Raises:
        ModelFileError: one sentence naming `name`; `NotCheckedNow` when the child did not
            reach the file (a busy server).
    """
    path = Path(path)
    command = [sys.executable, "-P", "-s", "-m", SANDBOX_WORKER, str(path),
               str(MEMORY_HEADROOM_BYTES), str(MAX_WEIGHT_BYTES), str(CPU_LIMIT_S)]
    with _one_child:
        try:
            child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=path.parent,
                                     env=child_environment(path.parent), start_new_session=True)
        except OSError as error:  # out of processes or memory: the server's trouble
            _log.warning("The model worker could not be started: %s", error)
            raise not_checked_now(name) from None
        try:
            answer, errors, outcome, times = _collect(child,
                                                      MAX_ANSWER_LINE_BYTES + MAX_WEIGHT_BYTES)
        finally:
            _end(child)
    _log.info("Model worker for %s: started in %.1f s, then took %s s on the file.", name,
              times[0], None if times[1] is None else round(times[1], 1))
    if not answer.startswith(READY):
        _log.warning("The model worker did not start (exit %s): %s", child.returncode,
                     errors.decode(errors="replace"))
        raise not_checked_now(name)
    if outcome == LATE and waiting_for_a_core(times[1], times[2]):
        _log.warning("The model worker for %s ran past %s s on the file, %.1f s of it waiting for "
                     "a core: the server is too busy to check it now.", name, TIME_LIMIT_S,
                     times[2])
        raise not_checked_now(name)
    too_costly = ModelFileError(f"{name} needs more memory (or time) than this app allows for a "
                                "model file; it was refused.")
    if outcome != DONE or child.returncode < 0:  # too long an answer; killed (memory, CPU)
        raise too_costly
    line, _, payload = answer[len(READY):].partition(b"\n")
    try:
        header = json.loads(line) if len(line) <= MAX_ANSWER_LINE_BYTES else None
    except (ValueError, RecursionError):
        header = None
    if not isinstance(header, dict):
        _log.warning("The model worker failed (exit %s): %s", child.returncode,
                     errors.decode(errors="replace"))
        raise _unsafe(name)
    message = _without_paths(str(header.get("message", "")), path, name)
    if header.get("kind") == "memory":
        raise too_costly
    if header.get("kind") == "refused":
        raise ModelFileError(message)
    if header.get("kind") == "keras":
        raise ModelFileError(f"{name} could not be loaded as a Keras model "
                             f"({short_reason(message)}).")
    return header.get("config"), decode_weights(header.get("weights"), payload, name)


def decode_weights(specs, payload, name):
    """The arrays the child described as `[[dtype, shape], ...]`, read from `payload`.

    Raises:
        ModelFileError: a description that is not a list of known dtypes and shapes, or bytes
            that do not add up to it (or exceed `MAX_WEIGHT_BYTES`).
    """
    import ml_dtypes

    dtypes = {n: np.dtype(ml_dtypes.bfloat16 if n == "bfloat16" else n) for n in _DTYPES}
    if not isinstance(specs, list) or len(payload) > MAX_WEIGHT_BYTES:
        raise _unsafe(name)
    arrays, offset, view = [], 0, memoryview(payload)
    for spec in specs:
        if not (isinstance(spec, list) and len(spec) == 2 and spec[0] in dtypes
                and isinstance(spec[1], list) and len(spec[1]) <= 8
                and all(isinstance(n, int) and 0 <= n <= MAX_WEIGHT_BYTES for n in spec[1])):
            raise _unsafe(name)
        dtype, shape = dtypes[spec[0]], tuple(spec[1])
        count = math.prod(shape)
        if offset + count * dtype.itemsize > len(view):
            raise _unsafe(name)
        arrays.append(np.frombuffer(view, dtype, count, offset).reshape(shape))
        offset += count * dtype.itemsize
    if offset != len(view):
        raise _unsafe(name)
    return arrays


def _unsafe(name):
    return ModelFileError(f"{name} could not be loaded safely; it was refused.")


def child_environment(folder):
    """A minimal environment: the temp folder for everything, no GPU, no inherited settings."""
    folder = str(folder)
    return {
        "PATH": "/usr/bin:/bin", "HOME": folder, "TMPDIR": folder, "TEMP": folder, "TMP": folder,
        "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1", "PYTHONSAFEPATH": "1",
        "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "tensorflow"),
        "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "",
        # glibc reserves 64 MB of address space per thread arena; two suffice for one thread.
        "MALLOC_ARENA_MAX": "2",
    }


DONE, TOO_LONG, LATE = "done", "too long", "late"
"""How `_collect` ended: the child ended; it sent more than the limit; the time was up."""


def waiting_for_a_core(on_file, waited):
    """Whether a child `on_file` seconds on the file, `waited` of them (None: unknown) waiting
    for a core, was held up by the machine's load rather than by the file."""
    return waited is not None and on_file is not None and waited >= WAITING_SHARE * on_file


def core_wait(pid):
    """Seconds `pid`'s living threads have waited for a core, all together (Linux's
    `/proc/PID/task/TID/schedstat`, its second field); None where the kernel does not say."""
    total, seen = 0, False
    try:
        tasks = list(os.scandir(f"/proc/{pid}/task"))
    except OSError:
        return None
    for task in tasks:
        try:
            with open(os.path.join(task.path, "schedstat")) as stats:
                total += int(stats.read().split()[1])
            seen = True
        except (OSError, ValueError, IndexError):  # a thread that ended meanwhile
            continue
    return total / 1e9 if seen else None


def _collect(child, limit):
    """Reads the child's stdout (at most `limit` bytes) and stderr's tail until it ends or the
    time is up.

    The child has `START_TIME_LIMIT_S` to say it is ready, then `TIME_LIMIT_S` for the file.

    Returns:
        `(stdout, stderr tail, DONE or TOO_LONG or LATE, (seconds to start, seconds on the
        file or None if it never started, of those the seconds its threads waited for a core,
        measured when LATE, else None))`.
    """
    begun = time.monotonic()
    deadline, ready = begun + START_TIME_LIMIT_S, None
    answer, errors = bytearray(), bytearray()

    waited_at_ready = None

    def result(outcome):
        now = time.monotonic()
        waited = None
        if outcome == LATE and ready is not None and waited_at_ready is not None:
            waited_now = core_wait(child.pid)  # still alive: `_end` kills it afterwards
            waited = None if waited_now is None else waited_now - waited_at_ready
        return answer, errors, outcome, ((ready or now) - begun,
                                         None if ready is None else now - ready, waited)

    with selectors.DefaultSelector() as selector:
        selector.register(child.stdout, selectors.EVENT_READ, answer)
        selector.register(child.stderr, selectors.EVENT_READ, errors)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                return result(LATE)
            for key, _ in selector.select(left):
                chunk = os.read(key.fd, 1 << 20)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                key.data.extend(chunk)
                if ready is None and answer.startswith(READY):
                    ready = time.monotonic()
                    waited_at_ready = core_wait(child.pid)
                    deadline = ready + TIME_LIMIT_S
                if key.data is errors:
                    del errors[:-STDERR_TAIL_BYTES]
                elif len(answer) > limit:
                    return result(TOO_LONG)
    try:
        child.wait(max(deadline - time.monotonic(), 0))
    except subprocess.TimeoutExpired:
        return result(LATE)
    return result(DONE)


def _end(child):
    """Kills the child's whole process group (it is still unreaped, so its id is not reused)."""
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    child.wait()
    child.stdout.close()
    child.stderr.close()


def _server_folders():
    """The server's own folders a message may name, the longest first: the installed
    packages', the interpreter's, the app's, the temp and home folders."""
    import site
    import tempfile

    folders = {*site.getsitepackages(), site.getusersitepackages(), sys.prefix,
               sys.base_prefix, str(ROOT), tempfile.gettempdir(), os.path.expanduser("~")}
    return sorted((f.rstrip("/") for f in folders if f and f != "/"), key=len, reverse=True)


def _without_paths(text, path, name):
    """`text` naming the visitor's file instead of the sandbox copy, and no other server path:
    the server's own folders go first whatever their names hold (a space, a +), then any other
    absolute path is cut to its last part."""
    text = text.replace(str(path), name).replace(str(path.parent), "").replace(path.name, name)
    for folder in _server_folders():  # the folder itself, or followed by a "/": not "/tmpfs"
        text = re.sub(re.escape(folder) + r"(?:/|(?![\w.+-]))", "", text)
    return re.sub(r"(?<![\w.])/(?:[\w.+-]+/)+([\w.+-]+)", r"\1", text)
