"""Loading a model file you do not trust: static checks, then Keras in a limited child process.

The page's uploads and the command line's `evaluate`/`predict` come here; the models folder's own
files keep `untrusted.load_model` (fast, in-process). A file is refused at once when it is empty,
too big, or was refused before (refusals are remembered by hash, so a rerun of the page costs a
hash, not a load); one the child accepted before is rebuilt from what it sent then
(`accepted`). Otherwise it is written alone into a fresh temp folder, checked there by
`checks` without Keras, and loaded by a child process (`sandbox`); the folder is
removed whatever happens. The child sends back the model's config and weights, and this process
rebuilds the model from them after walking the config again: it never parses the file itself.
"""

import collections
import hashlib
import json
import logging
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from mnist_core import storage
import mnist_core.untrusted.checks as model_checks
from mnist_core.errors import ModelFileError
from mnist_core.regular_files import NotRegularFile, open_regular
from mnist_core.untrusted.accepted import accepted
from mnist_core.untrusted.checks import short_reason
from mnist_core.untrusted.config_checks import MODEL_CLASSES, check_config, size_text
from mnist_core.untrusted.sandbox import (
    MAX_WEIGHT_BYTES,
    STDERR_TAIL_BYTES,
    NotCheckedNow,
    child_environment,
    not_checked_now,
    run_worker,
)
from mnist_core.paths import MODEL_CHECK
from mnist_core.untrusted.checked_load import check_shapes

MAX_FILE_BYTES = model_checks.MAX_MODEL_BYTES

MAX_LAYERS = 64
"""Most layers a rebuilt model may have (the strong model: 23). Building costs this process time
per layer (2,000 plain layers take Keras minutes), so what the child sends back is bounded too."""

_log = logging.getLogger(__name__)

REMEMBERED_REFUSALS = 64
"""Refused files remembered by hash (the least recently seen is forgotten first)."""

MAX_METADATA_BYTES = 64 * 2**10
"""Largest metadata file read beside a command-line model."""


class _Refusals:
    """Refusal sentences by `(sha256, suffix)`, least recently seen forgotten first; thread-safe.

    A sentence names the file as it was first refused; asked under another name, the name in it
    is replaced, so the visitor reads their own file's name.
    """

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


def load_untrusted(source, display_name=None, progress=None):
    """Loads a model file nobody vouches for, at a bounded cost to this process and this disk.

    Whatever the file holds, it costs a child process at most
    `sandbox.MEMORY_HEADROOM_BYTES` above its Keras import and `sandbox.CPU_LIMIT_S` seconds
    of CPU (`sandbox.TIME_LIMIT_S` on the wall clock), costs this process the rebuilt model (at
    most `hdf5_checks.MAX_WEIGHT_BYTES` of weights), takes no temp disk beyond its own size,
    and leaves nothing in the temp folder.
    Only one child runs at a time.

    Args:
        source: the file's bytes (an upload) or a path to it (the command line).
        display_name: the name used in messages, the visitor's own file name; defaults to the
            path's name. No message names a server path.
        progress: called with each step as it begins: "reading" (the container, config and
            declared weights, without Keras), "loading" (Keras, in the limited child) and
            "rebuilding" (the model, in this process, from what the child sent back).

    Returns:
        A `storage.LoadedModel` whose `path` is `Path(display_name)` and whose metadata is the
        JSON beside a path source (empty for bytes or when there is none).

    Raises:
        ModelFileError: one sentence naming `display_name`: empty, too big, not a model, unsafe,
            not a (28, 28, 1) -> 10 model, or needing more memory or time than allowed.
    """
    metadata = {}
    if isinstance(source, (bytes, bytearray, memoryview)):
        content, name = bytes(source), display_name or "the uploaded file"
        suffix = Path(name).suffix.lower()
    else:
        path = Path(source)
        name = display_name or path.name
        content, metadata = _read_bounded(path), _read_metadata(path)
        suffix = path.suffix  # Keras picks the format by the suffix exactly as written
    if suffix.lower() not in storage.MODEL_SUFFIXES:
        raise ModelFileError(f"{name} is not a Keras model: expected a .keras or .h5 file "
                             "written by model.save().")
    if not content:
        raise ModelFileError(f"{name} is empty; save or download it again.")
    if len(content) > MAX_FILE_BYTES:
        raise ModelFileError(f"{name} is more than the {MAX_FILE_BYTES // 2**20} MiB an MNIST "
                             "model may take.")
    key = (hashlib.sha256(content).hexdigest(), suffix)
    remembered = refusals.get(key, name)
    if remembered is not None:
        raise ModelFileError(remembered)
    progress = progress or (lambda step: None)
    try:
        model = _load_in_sandbox(content, key, name, progress)
    except NotCheckedNow:
        raise  # the server was busy: the file is not to blame, so it is not remembered
    except ModelFileError as error:
        refusals.remember(key, name, str(error))
        raise
    return storage.LoadedModel(model, metadata, Path(name))


def _read_bounded(path):
    try:
        with open_regular(path) as f:  # a FIFO or a device is refused, never waited on
            return f.read(MAX_FILE_BYTES + 1)  # a file growing while it is read is still bounded
    except NotRegularFile as error:
        raise ModelFileError(f"{path.name} is {error.kind}, not a model file; only regular "
                             "files are read.") from None
    except FileNotFoundError:
        raise ModelFileError(f"There is no model file at {path}.") from None


def _read_metadata(path):
    """`storage.read_metadata`, but never reading a metadata file larger than a few KB."""
    try:
        if storage.metadata_path(path).stat().st_size > MAX_METADATA_BYTES:
            return {}
    except OSError:
        return {}
    return storage.read_metadata(path)


STATIC_TIME_LIMIT_S = 10.0
"""Wall-clock limit of the static checks' child (they take milliseconds; the start ~0.2 s)."""

StaticCheck = collections.namedtuple("StaticCheck", "weights_bytes")


def _static_command(path, name):
    return [sys.executable, "-P", "-s", "-m", MODEL_CHECK, str(path), name]


def _static_check(path, name):
    """Checks the file's container, config and declared weights, without Keras, in a child.

    The checks read the file's HDF5 metadata with libhdf5, C code fed untrusted bytes: in a
    child of its own (no TensorFlow, a fraction of a second), a file that crashed it would end
    that child, not the server.

    Returns:
        A `StaticCheck` (the weights' total declared bytes).

    Raises:
        ModelFileError: the checks refused the file, or it crashed them or took too long;
            `NotCheckedNow` when the child could not run at all (the server's trouble).
    """
    try:
        done = subprocess.run(_static_command(path, name), stdin=subprocess.DEVNULL,
                              capture_output=True, cwd=path.parent, timeout=STATIC_TIME_LIMIT_S,
                              env=child_environment(path.parent), start_new_session=True)
    except subprocess.TimeoutExpired:
        raise ModelFileError(f"{name} takes longer to check than this app allows for a model "
                             "file; it was refused.") from None
    except OSError as error:
        _log.warning("The model checks could not be started: %s", error)
        raise not_checked_now(name) from None
    try:
        answer = json.loads(done.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError, UnicodeDecodeError, RecursionError):
        answer = None
    if isinstance(answer, dict) and isinstance(answer.get("refused"), str):
        raise ModelFileError(answer["refused"])
    if isinstance(answer, dict) and isinstance(answer.get("weights_bytes"), int):
        return StaticCheck(answer["weights_bytes"])
    tail = done.stderr[-STDERR_TAIL_BYTES:].decode(errors="replace")
    _log.warning("The model checks ended with %s: %s", done.returncode, tail)
    if done.returncode < 0:  # killed by a signal: the file crashed the checks or ran out of memory
        raise ModelFileError(f"{name} made the checks every model file goes through fail; "
                             "it was refused.")
    raise not_checked_now(name)  # a Python error in the checks is the server's trouble


def _load_in_sandbox(content, key, name, progress):
    """Static checks, then the child, in a fresh temp folder removed whatever happens; or, for
    bytes the child accepted before, what it sent back then (`accepted`)."""
    kept = accepted.get(key)
    if kept is not None:
        progress("rebuilding")
        return rebuild(*kept, name)
    file_name = f"untrusted-{key[0][:16]}{key[1]}"
    try:
        folder = Path(tempfile.mkdtemp(prefix="mnist-untrusted-"))
    except OSError as error:  # no temp disk: the server's trouble, not the file's
        _log.warning("No temp folder for a model file: %s", error)
        raise not_checked_now(name) from None
    try:
        path = folder / file_name
        try:
            path.write_bytes(content)
        except OSError as error:
            _log.warning("A model file could not be written to the temp folder: %s", error)
            raise not_checked_now(name) from None
        progress("reading")
        checked = _static_check(path, name)
        if checked.weights_bytes > MAX_WEIGHT_BYTES:
            raise ModelFileError(f"{name} holds {size_text(checked.weights_bytes)} of weights; "
                                 f"this app loads models of at most {size_text(MAX_WEIGHT_BYTES)}.")
        progress("loading")
        config, weights = run_worker(path, name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    progress("rebuilding")
    model = rebuild(config, weights, name)
    accepted.remember(key, config, weights)
    return model


def rebuild(config, weights, name):
    """The model from a config and weights sent back by the child, checked again, in safe mode.

    Args:
        config: a serialised Keras model (`keras.saving.serialize_keras_object`).
        weights: its `get_weights()` arrays.
        name: the visitor's file name, for messages.

    Returns:
        The Keras model, its dtype policies as in the config.

    Raises:
        ModelFileError: a config outside the allow-list or with more than `MAX_LAYERS` layers,
            one Keras cannot build, not a (28, 28, 1) -> 10 model, or weights that do not fit.
    """
    import keras

    check_config(config, name)
    if _count_layers(config) > MAX_LAYERS:
        raise ModelFileError(f"{name} has more than {MAX_LAYERS} layers, more than an MNIST "
                             "model needs; it was refused.")
    config = {key: value for key, value in config.items() if key != "compile_config"}
    try:
        model = keras.saving.deserialize_keras_object(config, safe_mode=True)
        check_shapes(model, name)
        model.set_weights(weights)
    except ModelFileError:
        raise
    except Exception as error:  # Keras raises many kinds; each means "not a usable model"
        raise ModelFileError(f"{name} could not be loaded as a Keras model "
                             f"({short_reason(error)}).") from None
    return model


def _count_layers(model):
    """Layers of a checked config, those of nested models included."""
    layers = model["config"]["layers"]
    return sum(1 + (_count_layers(layer) if layer["class_name"] in MODEL_CLASSES else 0)
               for layer in layers)

