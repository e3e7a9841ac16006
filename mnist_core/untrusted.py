"""Loading a model file you do not trust: static checks, then Keras in a limited child process.

The page's uploads and the command line's `evaluate`/`predict` come here; the models folder's own
files keep `storage.load_model` (fast, in-process). A file is refused early when it is too big,
empty, or was refused before (refusals are remembered by hash, so a rerun of the page costs
nothing). Then the static checks read its container and config without Keras. What passes is
copied into a fresh temp folder and loaded by `mnist_core.untrusted_worker` in a child process
with an address-space limit, a file-size limit and a wall-clock limit; the folder is removed
whatever happens. The child sends back the model's config and weights, and this process
rebuilds the model from them, checking the config again, so it never parses the file itself.
"""

import collections
import hashlib
import json
import logging
import math
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from mnist_core import model_checks, storage
from mnist_core.errors import ModelFileError
from mnist_core.model_config_checks import check_config
from mnist_core.untrusted_worker import READY

MAX_FILE_BYTES = model_checks.MAX_MODEL_BYTES
MAX_WEIGHT_BYTES = model_checks.MAX_WEIGHT_BYTES
"""Largest total of weights the child may send back: what the rebuilt model keeps in memory."""

MAX_ANSWER_LINE_BYTES = 2 * model_checks.MAX_CONFIG_BYTES
"""Largest first line of the child's answer (the config Keras re-serialises, with the weights'
shapes): twice what a file's own config may take."""

MAX_LAYERS = 64
"""Most layers the rebuilt config may have (the strong model: 23). Rebuilding costs this process
time per layer (2,000 plain layers take minutes), so the child's answer is bounded too."""

MEMORY_HEADROOM_BYTES = 300 * 2**20
"""Address space the child may add, after importing Keras, to load the file."""

TIME_LIMIT_S = 10.0
"""Wall-clock limit of the child from the moment it opens the file."""

START_TIME_LIMIT_S = 60.0
"""Wall-clock limit of the child's start (importing Keras takes 2-3 s on an idle machine, ten
times that on a busy one); it is not the file's doing, so running over it is not remembered."""

REMEMBERED_REFUSALS = 64
"""Refused files remembered by hash (least recently seen forgotten first)."""

MAX_METADATA_BYTES = 64 * 2**10
"""Largest metadata file read beside a command-line model."""

REASON_CHARS = 200
"""Longest reason from Keras quoted in a refusal; longer ones are cut at a word."""

WORKER = "mnist_core.untrusted_worker"
ROOT = Path(__file__).resolve().parent.parent
STDERR_TAIL_BYTES = 4096

_DTYPES = {name: np.dtype(name) for name in (
    "float16", "float32", "float64", "int8", "int16", "int32", "int64",
    "uint8", "uint16", "uint32", "uint64", "bool")}
_log = logging.getLogger(__name__)
_one_child = threading.Lock()  # one child at a time: each costs the memory of a Keras import


class _Busy(ModelFileError):
    """The child could not even start in time: the server is busy, the file is not to blame."""


class _Refusals:
    """Refusal sentences by `(sha256, suffix)`, least recently seen forgotten first; thread-safe."""

    def __init__(self, size):
        self._size = size
        self._entries = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, name):
        with self._lock:
            if key not in self._entries:
                return None
            self._entries.move_to_end(key)
            old_name, sentence = self._entries[key]
        return sentence.replace(old_name, name) if old_name != name else sentence

    def remember(self, key, name, sentence):
        with self._lock:
            self._entries[key] = (name, sentence)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def __len__(self):
        return len(self._entries)

    def clear(self):
        with self._lock:
            self._entries.clear()


refusals = _Refusals(REMEMBERED_REFUSALS)


def load_untrusted(source, display_name=None):
    """Loads a model file nobody vouches for, at a bounded cost to this process and this disk.

    Whatever the file holds, it costs at most `MEMORY_HEADROOM_BYTES` above a Keras import in a
    child process, `TIME_LIMIT_S` seconds, and its own size in temp disk, and leaves nothing in
    the temp folder. Only one such child runs at a time.

    Args:
        source: the file's bytes (an upload) or a path to it (the command line).
        display_name: the name to use in messages, the visitor's own file name; defaults to the
            path's name. No message names a server path.

    Returns:
        A `storage.LoadedModel` whose `path` is `Path(display_name)` and whose metadata is the
        JSON beside a path source (empty for bytes or when there is none).

    Raises:
        ModelFileError: one sentence naming `display_name`: too big, empty, not a model, unsafe,
            not a (28, 28, 1) -> 10 model, or needing more memory or time than allowed.
    """
    metadata = {}
    if isinstance(source, (bytes, bytearray, memoryview)):
        content = bytes(source)
        name = display_name or "the uploaded file"
    else:
        path = Path(source)
        name = display_name or path.name
        content = _read_bounded(path, name)
        metadata = _read_metadata(path)
    # Keras picks the format by the path's suffix as written; the checks compare it with the name.
    suffix = Path(name if isinstance(source, (bytes, bytearray, memoryview)) else source).suffix
    if suffix.lower() not in storage.MODEL_SUFFIXES:
        raise ModelFileError(f"{name} is not a Keras model: expected a .keras or .h5 file "
                             "written by model.save().")
    _check_size(len(content), name)
    key = (hashlib.sha256(content).hexdigest(), suffix)
    remembered = refusals.get(key, name)
    if remembered is not None:
        raise ModelFileError(remembered)
    try:
        model = _load_in_sandbox(content, suffix, key[0], name)
    except _Busy:
        raise
    except ModelFileError as error:
        refusals.remember(key, name, str(error))
        raise
    return storage.LoadedModel(model, metadata, Path(name))


def _read_bounded(path, name):
    if not path.is_file():
        raise ModelFileError(f"There is no model file at {path}.")
    with open(path, "rb") as f:
        content = f.read(MAX_FILE_BYTES + 1)  # a file growing while read is still bounded
    return content


def _check_size(size, name):
    if size == 0:
        raise ModelFileError(f"{name} is empty; save or download it again.")
    if size > MAX_FILE_BYTES:
        raise ModelFileError(f"{name} is more than the {MAX_FILE_BYTES // 2**20} MiB an MNIST "
                             "model may take.")


def _read_metadata(path):
    """`storage.read_metadata`, but never reading a metadata file larger than a few KB."""
    try:
        if storage.metadata_path(path).stat().st_size > MAX_METADATA_BYTES:
            return {}
    except OSError:
        return {}
    return storage.read_metadata(path)


def _static_check(path, name):
    """Checks the file's container, config and declared weights without Keras."""
    model_checks.check_model_file(path, name)


def _check_config(config, name):
    """Walks the config the child sent back against the file's allow-list, and counts layers."""
    check_config(config, name)
    if _count_layers(config) > MAX_LAYERS:
        raise ModelFileError(f"{name} has more than {MAX_LAYERS} layers, more than an MNIST "
                             "model needs; it was refused.")


def _count_layers(model):
    layers = model.get("config", {}).get("layers", [])
    return sum(1 + (_count_layers(layer) if layer.get("class_name") in ("Sequential", "Functional",
                                                                       "Model") else 0)
               for layer in layers)


def _load_in_sandbox(content, suffix, digest, name):
    """Static checks, then the child, in a fresh temp folder removed whatever happens."""
    folder = Path(tempfile.mkdtemp(prefix="mnist-untrusted-"))
    try:
        path = folder / f"untrusted-{digest[:16]}{suffix}"
        path.write_bytes(content)
        _static_check(path, name)
        with _one_child:
            header, payload = _run_worker(path, folder, name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return _rebuild(header, payload, name)


def _child_environment(folder):
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


def _run_worker(path, folder, name):
    """Runs the worker on `path` within the limits; returns `(header dict, weights bytes)`."""
    command = [sys.executable, "-P", "-s", "-m", WORKER, str(path), str(MEMORY_HEADROOM_BYTES),
               str(MAX_WEIGHT_BYTES)]
    child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, cwd=folder, env=_child_environment(folder),
                             start_new_session=True)
    try:
        answer, errors, finished, times = _collect(child, MAX_ANSWER_LINE_BYTES + MAX_WEIGHT_BYTES)
    finally:
        _end(child)
    _log.info("Model worker for %s: started in %.1f s, then took %s s on the file.", name,
              times[0], None if times[1] is None else round(times[1], 1))
    if not answer.startswith(READY):  # it never reached the file: a busy or broken server
        _log.warning("The model worker did not start (exit %s): %s", child.returncode,
                     errors.decode(errors="replace"))
        raise _Busy(f"The app could not check {name} now; try again in a minute.")
    answer = answer[len(READY):]
    too_costly = ModelFileError(f"{name} needs more memory (or time) than this app allows for a "
                                "model file; it was refused.")
    if not finished or child.returncode < 0:
        raise too_costly
    line, _, payload = answer.partition(b"\n")
    try:
        header = json.loads(line) if len(line) <= MAX_ANSWER_LINE_BYTES else None
    except (ValueError, RecursionError):
        header = None
    if not isinstance(header, dict):
        _log.warning("The model worker failed (exit %s): %s", child.returncode,
                     errors.decode(errors="replace")[-STDERR_TAIL_BYTES:])
        raise ModelFileError(f"{name} could not be loaded safely; it was refused.")
    if header.get("kind") == "memory":
        raise too_costly
    message = _without_paths(str(header.get("message", "")), path, name)
    if header.get("kind") == "refused":
        raise ModelFileError(message)
    if header.get("kind") == "keras":
        raise ModelFileError(f"{name} could not be loaded as a Keras model "
                             f"({short_reason(message)}).")
    return header, payload


def _collect(child, limit):
    """Reads the child's stdout (at most `limit` bytes) and stderr's tail until it ends or the
    time is up.

    The child has `START_TIME_LIMIT_S` to say it is ready, then `TIME_LIMIT_S` for the file.

    Returns:
        `(stdout, stderr tail, finished in time and within the limit, (seconds to start,
        seconds on the file or None if it never started))`.
    """
    begun = time.monotonic()
    deadline, ready = begun + START_TIME_LIMIT_S, None
    answer, errors = bytearray(), bytearray()

    def result(finished):
        now = time.monotonic()
        times = ((ready or now) - begun, None if ready is None else now - ready)
        return answer, errors, finished, times

    with selectors.DefaultSelector() as selector:
        selector.register(child.stdout, selectors.EVENT_READ, answer)
        selector.register(child.stderr, selectors.EVENT_READ, errors)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                return result(False)
            for key, _ in selector.select(left):
                chunk = os.read(key.fd, 1 << 20)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                key.data.extend(chunk)
                if ready is None and answer.startswith(READY):
                    ready = time.monotonic()
                    deadline = ready + TIME_LIMIT_S
                if key.data is errors:
                    del errors[:-STDERR_TAIL_BYTES]
                elif len(answer) > limit:
                    return result(False)
    try:
        child.wait(max(deadline - time.monotonic(), 0))
    except subprocess.TimeoutExpired:
        return result(False)
    return result(True)


def _end(child):
    """Kills the child's whole process group (it is still unreaped, so its id is not reused)."""
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    child.wait()
    child.stdout.close()
    child.stderr.close()


def _rebuild(header, payload, name):
    """The model from the child's config and weights, checked again, in safe mode."""
    import keras

    config, specs = header.get("config"), header.get("weights")
    if not isinstance(specs, list):
        raise ModelFileError(f"{name} could not be loaded safely; it was refused.")
    arrays, offset = [], 0
    view = memoryview(payload)
    for spec in specs:
        dtype, shape = _array_spec(spec, name)
        count = math.prod(shape)
        if offset + count * dtype.itemsize > len(view):
            raise ModelFileError(f"{name} could not be loaded safely; it was refused.")
        arrays.append(np.frombuffer(view, dtype, count, offset).reshape(shape))
        offset += count * dtype.itemsize
    if offset != len(view) or offset > MAX_WEIGHT_BYTES:
        raise ModelFileError(f"{name} could not be loaded safely; it was refused.")
    _check_config(config, name)
    try:
        model = keras.saving.deserialize_keras_object(config, safe_mode=True)
        storage._check_shapes(model, name)
        model.set_weights(arrays)
    except ModelFileError:
        raise
    except Exception as error:  # a config Keras cannot rebuild is not a usable model
        raise ModelFileError(f"{name} could not be loaded as a Keras model "
                             f"({short_reason(str(error))}).") from None
    return model


def _array_spec(spec, name):
    """`(numpy dtype, shape)` of one weight as the child described it, validated."""
    import ml_dtypes

    dtypes = {**_DTYPES, "bfloat16": np.dtype(ml_dtypes.bfloat16)}
    if (isinstance(spec, list) and len(spec) == 2 and spec[0] in dtypes
            and isinstance(spec[1], list) and len(spec[1]) <= 8
            and all(isinstance(n, int) and 0 <= n <= MAX_WEIGHT_BYTES for n in spec[1])):
        return dtypes[spec[0]], tuple(spec[1])
    raise ModelFileError(f"{name} could not be loaded safely; it was refused.")


def _without_paths(text, path, name):
    """`text` naming the visitor's file instead of the sandbox copy, and no other server path."""
    text = text.replace(str(path), name).replace(str(path.parent), "").replace(path.name, name)
    return re.sub(r"(?<![\w.])/(?:[\w.-]+/)+([\w.-]+)", r"\1", text)


def short_reason(text, limit=REASON_CHARS):
    """The first line of `text`, cut at a word boundary to at most `limit` characters.

    Returns:
        The line itself when short enough, else its longest prefix ending at a whole word
        followed by "...".
    """
    text = text.strip()
    line = text.splitlines()[0].strip() if text else ""
    if len(line) <= limit:
        return line
    cut = line[:limit - 3].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "..."
