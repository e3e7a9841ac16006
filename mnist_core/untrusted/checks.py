"""Checks an untrusted model file by its declared facts alone, before Keras reads any of it.

A visitor's `.keras` or `.h5` file is inspected through bounded reads only: the container (by
name *and* content, which must agree), the zip directory (members, sizes, compression), the
config (parsed within limits, walked whole against an allow-list) and the HDF5 metadata of the
weights (shapes, dtypes, layouts, names), compared with what the config's layers need. A file
that passes costs Keras at most what these limits allow; one that fails gets one sentence
naming the visitor's file. Imports no Keras or TensorFlow, so the check takes milliseconds.
"""

import contextlib
import dataclasses
import gc
import io
import os
import zipfile
import zlib
from pathlib import Path

import h5py

import mnist_core.untrusted.zip_checks as zips
from mnist_core.errors import MnistError, ModelFileError
from mnist_core.untrusted.config_checks import (MAX_CONFIG_BYTES, check_config, parse_config,
                                                size_text)
from mnist_core.untrusted.hdf5_checks import declared_datasets, read_text_attribute
from mnist_core.untrusted.weight_checks import check_declared_layers, check_weights

MAX_MODEL_BYTES = 64 * 2**20
"""Largest model file accepted; the tutorial's is 2.7 MB, the strong one 5.8 MB."""


SUFFIXES = {".keras": "keras", ".h5": "h5", ".hdf5": "h5"}
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_READ_ERRORS = (OSError, EOFError, ValueError, KeyError, RuntimeError, TypeError,
                NotImplementedError, zipfile.BadZipFile, zlib.error)


@dataclasses.dataclass(frozen=True)
class CheckedModel:
    """What the checks learnt of a model file that passed them.

    Attributes:
        container: "keras" (a Keras 3 zip archive) or "h5" (a legacy HDF5 file).
        config: the model config, parsed and walked: only allowed classes and Keras modules.
        weights_bytes: total bytes the weight datasets declare (and store).
        members: for "keras", the archive's member names; empty for "h5".
        datasets: number of HDF5 datasets (weights and optimizer state).
    """

    container: str
    config: dict
    weights_bytes: int
    members: tuple
    datasets: int


def check_model_file(path, display_name):
    """Checks an untrusted model file through bounded reads of its declared facts only.

    Args:
        path: the file on disk (a temporary copy of an upload, or a command-line argument).
        display_name: the name the visitor knows the file by (an upload's original name);
            messages use it, never `path`.

    Returns:
        A `CheckedModel`.

    Raises:
        ModelFileError: one sentence naming `display_name` that says what is wrong and what to
            do: wrong or ambiguous container, too large, unexpected or compressed-bomb members,
            a config that is not JSON, too deep or names code, weights that do not match it.
    """
    path, name = Path(path), display_name
    # Keras picks the format by the path's suffix, as written; the visitor's name must agree.
    container = SUFFIXES.get(path.suffix)
    if container is None or SUFFIXES.get(Path(name).suffix.lower(), container) != container:
        raise ModelFileError(f"{name} is not a Keras model: expected a .keras or .h5 file "
                             "written by model.save().")
    try:
        with open(path, "rb") as f, _collector_paused():
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                raise ModelFileError(f"{name} is empty; save or download it again.")
            if size > MAX_MODEL_BYTES:
                raise ModelFileError(f"{name} is {size_text(size)}, more than the "
                                     f"{size_text(MAX_MODEL_BYTES)} an MNIST model may take.")
            if container == "keras":
                return _check_archive(f, size, name)
            return _check_hdf5(f, size, name)
    except MnistError:
        raise
    except FileNotFoundError:
        raise ModelFileError(f"{name} could not be found; choose the file again.") from None
    except MemoryError:
        raise ModelFileError(f"{name} needs more memory to inspect than a model may; "
                             "it was refused.") from None
    except _READ_ERRORS:
        raise zips.damaged(name) from None
    except Exception:  # a case no check foresaw: refuse the file in one sentence all the same
        raise ModelFileError(f"{name} could not be checked as a Keras model; save it again "
                             "with model.save().") from None


@contextlib.contextmanager
def _collector_paused():
    """Pauses Python's cyclic garbage collector for the length of one check.

    The ~100,000 lists of a config at its size limit, or its thousands of layers, would set off
    hundreds of collections, the full ones walking the whole server's heap (TensorFlow, loaded
    models): a 0.1 s check took over 1 s in a large process. What a check builds is bounded (its
    memory is) and holds no cycles worth collecting meanwhile. The collector is switched back on
    only if it was on: another thread may have paused it too.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def short_reason(error, path=None, display_name=None, limit=160):
    """An exception's text fit to end a sentence: its first sentence, cut at a word, no server path.

    Args:
        error: the exception (Keras' errors are often long, multi-line, and name files).
        path: a server path to hide, replaced by `display_name`.
        display_name: the name the visitor knows the file by.
        limit: most characters kept; a longer reason ends in "..." after a whole word.

    Returns:
        str, never empty (the exception's class name when it has no text).
    """
    text = " ".join(str(error).split())
    if path is not None:
        text = text.replace(str(path), display_name or Path(path).name)
    text = text.split(". ")[0].rstrip(" .") or type(error).__name__
    if len(text) > limit:
        text = text[:limit + 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "..."
    return text


def _check_archive(f, size, name):
    """A `.keras` file: a zip with only Keras' members, bounded, and no HDF5 header of its own."""
    head = f.read(len(zips.ZIP_LOCAL_HEADER))
    if head != zips.ZIP_LOCAL_HEADER:
        if head[:4] == HDF5_SIGNATURE[:4]:
            raise ModelFileError(f"{name} is an HDF5 (.h5) file named .keras; rename it to .h5 "
                                 "so that it is read as what it is.")
        raise ModelFileError(f"{name} is not a Keras model: expected a .keras or .h5 file "
                             "written by model.save().")
    end_of_data = zips.check_directory(f, size, name)
    with zipfile.ZipFile(f) as archive:
        members = archive.infolist()
        starts = zips.check_members(f, archive, end_of_data, name)
        weights = archive.getinfo("model.weights.h5")
        stored = weights.compress_type == zipfile.ZIP_STORED
        weights_start = starts["model.weights.h5"] if stored else None
        _refuse_hdf5_signature(f, size, name, allowed=weights_start)
        if "metadata.json" in starts:
            parse_config(zips.read_member(archive, "metadata.json", name), name)
        config = parse_config(zips.read_member(archive, "config.json", name), name)
        check_config(config, name)
        check_declared_layers(config, name)
        if stored:
            data = zips.Window(f, starts["model.weights.h5"], weights.file_size)
        else:  # re-zipped by hand: inflate it, within its declared (and bounded) size
            data = io.BytesIO(zips.read_member(archive, "model.weights.h5", name))
        weights_bytes, datasets = _check_weights_file(data, weights.file_size, config, name)
    names = tuple(m.filename for m in members)
    return CheckedModel("keras", config, weights_bytes, names, datasets)


def _refuse_hdf5_signature(f, size, name, allowed=None):
    """HDF5 finds its superblock at 0, 512, 1024, 2048...: a zip with one there is also HDF5.

    Args:
        allowed: the offset where a stored `model.weights.h5` starts, which Keras may place on
            such an offset by chance; that header is the weights', checked as such.
    """
    offset = 0
    while offset + len(HDF5_SIGNATURE) <= size:
        f.seek(offset)
        if f.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE and offset != allowed:
            raise _both(name)
        offset = 512 if offset == 0 else offset * 2


def _check_hdf5(f, size, name):
    """A `.h5` file: HDF5 from its first byte, not a zip as well, with a whole model inside."""
    if f.read(len(HDF5_SIGNATURE)) != HDF5_SIGNATURE:
        if zipfile.is_zipfile(f):
            raise ModelFileError(f"{name} is a Keras archive (.keras) named .h5; rename it to "
                                 ".keras so that it is read as what it is.")
        raise ModelFileError(f"{name} is not a Keras model: expected a .keras or .h5 file "
                             "written by model.save().")
    if zipfile.is_zipfile(f):
        raise _both(name)
    f.seek(0)
    with h5py.File(f, "r") as h5:
        datasets = declared_datasets(h5, name, size, beyond=MAX_CONFIG_BYTES)
        raw = read_text_attribute(h5, "model_config", MAX_CONFIG_BYTES, name)
        if raw is None:
            raise ModelFileError(f"{name} holds weights only, not a whole model; "
                                 "save it with model.save().")
        config = parse_config(raw, name)
        check_config(config, name)
        check_declared_layers(config, name)
        weights_bytes, count = check_weights(h5, datasets, config, name, "h5")
    return CheckedModel("h5", config, weights_bytes, (), count)


def _check_weights_file(data, size, config, name):
    """The `model.weights.h5` member: HDF5 from its first byte, then `check_weights`."""
    if data.read(len(HDF5_SIGNATURE)) != HDF5_SIGNATURE:
        raise _refuse_weights(name)
    data.seek(0)
    try:
        with h5py.File(data, "r") as h5:
            datasets = declared_datasets(h5, name, size)
            return check_weights(h5, datasets, config, name, "keras")
    except MnistError:
        raise
    except _READ_ERRORS:
        raise _refuse_weights(name) from None


def _both(name):
    return ModelFileError(f"{name} is both a zip archive and an HDF5 file, which Keras never "
                          "writes; it was refused, so save the model again with model.save().")


def _refuse_weights(name):
    return ModelFileError(f"{name} has a model.weights.h5 member that is not a readable HDF5 "
                          "file; save or download the model again.")
