"""Checks an untrusted model file by its declared facts alone, before Keras reads any of it.

A visitor's `.keras` or `.h5` file is inspected through bounded reads only: the container (by
name *and* content, which must agree), the zip directory (members, sizes, compression), the
config (parsed within limits, walked whole against an allow-list) and the HDF5 metadata of the
weights (shapes, dtypes, layouts, names), compared with what the config's layers need. A file
that passes costs Keras at most what these limits allow; one that fails gets one sentence
naming the visitor's file. Imports no Keras or TensorFlow, so the check takes milliseconds.
"""

import dataclasses
import io
import os
import struct
import zipfile
import zlib
from pathlib import Path

import h5py

from mnist_core.errors import MnistError, ModelFileError
from mnist_core.model_config_checks import MAX_CONFIG_DEPTH, check_config, parse_config  # noqa: F401
from mnist_core.model_hdf5_checks import (MAX_HDF5_OBJECTS, MAX_WEIGHT_BYTES,  # noqa: F401
                                          check_declared_layers, check_weights,
                                          read_text_attribute)

MAX_MODEL_BYTES = 64 * 2**20
"""Largest model file accepted; the tutorial's is 2.7 MB, the strong one 5.8 MB."""

MAX_CONFIG_BYTES = 2**20
"""Largest model description (config.json or `model_config`); the strong model's is 16 KB."""

MAX_METADATA_BYTES = 64 * 2**10
"""Largest `metadata.json` of a `.keras` archive; Keras writes about 64 bytes."""

MAX_COMPRESSION_RATIO = 100
"""Most a compressed member may expand; Keras stores members uncompressed (ratio 1)."""

MAX_ZIP_DIRECTORY_BYTES = 16 * 2**10
"""Largest zip central directory; three members take about 200 bytes."""

KERAS_MEMBERS = {"config.json": MAX_CONFIG_BYTES, "model.weights.h5": MAX_WEIGHT_BYTES,
                 "metadata.json": MAX_METADATA_BYTES}
"""The members of a Keras 3 archive of standard layers (no layer here has assets), each with
its size limit."""

SUFFIXES = {".keras": "keras", ".h5": "h5", ".hdf5": "h5"}
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
ZIP_LOCAL_HEADER = b"PK\x03\x04"
_END_OF_DIRECTORY = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = b"PK\x06\x07"
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
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
    # Keras picks the format by the path's suffix, exactly as written; the visitor's name must agree.
    container = SUFFIXES.get(path.suffix)
    if container is None or SUFFIXES.get(Path(name).suffix.lower(), container) != container:
        raise ModelFileError(f"{name} is not a Keras model: expected a .keras or .h5 file "
                             "written by model.save().")
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                raise ModelFileError(f"{name} is empty; save or download it again.")
            if size > MAX_MODEL_BYTES:
                raise ModelFileError(f"{name} is {size / 2**20:,.0f} MiB, more than the "
                                     f"{MAX_MODEL_BYTES // 2**20} MiB an MNIST model may take.")
            if container == "keras":
                return _check_archive(f, size, name)
            return _check_hdf5(f, size, name)
    except MnistError:
        raise
    except MemoryError:
        raise ModelFileError(f"{name} needs more memory to inspect than a model may; "
                             "it was refused.") from None
    except _READ_ERRORS:
        raise _damaged(name) from None


def _check_archive(f, size, name):
    """A `.keras` file: a zip with only Keras' members, bounded, and no HDF5 header of its own."""
    head = f.read(len(ZIP_LOCAL_HEADER))
    if head != ZIP_LOCAL_HEADER:
        if head[:4] == HDF5_SIGNATURE[:4]:
            raise ModelFileError(f"{name} is an HDF5 (.h5) file named .keras; rename it to .h5 "
                                 "so that it is read as what it is.")
        raise ModelFileError(f"{name} is not a Keras model: expected a .keras or .h5 file "
                             "written by model.save().")
    _check_directory(f, size, name)
    with zipfile.ZipFile(f) as archive:
        members = archive.infolist()
        starts = _check_members(f, archive, members, size, name)
        weights = archive.getinfo("model.weights.h5")
        _refuse_hdf5_signature(f, size, name, allowed=starts["model.weights.h5"])
        if "metadata.json" in starts:
            parse_config(_read_member(archive, "metadata.json", name), name)
        config = parse_config(_read_member(archive, "config.json", name), name)
        check_config(config, name)
        check_declared_layers(config, name)
        if weights.compress_type == zipfile.ZIP_STORED:
            data = _Window(f, starts["model.weights.h5"], weights.file_size)
        else:  # re-zipped by hand: inflate it, within its declared (and bounded) size
            data = io.BytesIO(_read_member(archive, "model.weights.h5", name))
        weights_bytes, datasets = _check_weights_file(data, weights.file_size, config, name, "keras")
    return CheckedModel("keras", config, weights_bytes, tuple(m.filename for m in members), datasets)


def _check_directory(f, size, name):
    """Reads the end-of-directory record first, so a huge directory is refused unread."""
    if size < _END_OF_DIRECTORY.size:
        raise _damaged(name)
    f.seek(size - _END_OF_DIRECTORY.size - 20)  # a zip64 locator would sit just before it
    tail = f.read()
    signature, disk, start_disk, _, entries, directory_size, directory_offset, comment = (
        _END_OF_DIRECTORY.unpack(tail[-_END_OF_DIRECTORY.size:]))
    if signature != b"PK\x05\x06" or comment:
        raise _damaged(name)  # truncated, or a comment Keras never writes
    if disk or start_disk or tail[:4] == _ZIP64_LOCATOR or entries > len(KERAS_MEMBERS) \
            or directory_size > MAX_ZIP_DIRECTORY_BYTES \
            or directory_offset + directory_size != size - _END_OF_DIRECTORY.size:
        raise _not_keras_archive(name)


def _check_members(f, archive, members, size, name):
    """Checks each member's declared facts; returns where each member's data starts."""
    names = [m.filename for m in members]
    if len(set(names)) != len(names) or not set(names) <= KERAS_MEMBERS.keys() \
            or not {"config.json", "model.weights.h5"} <= set(names):
        raise _not_keras_archive(name)
    starts, spans = {}, []
    for member in members:
        if member.flag_bits & 0x41:  # 0x01 encrypted, 0x40 strong encryption
            raise ModelFileError(f"{name} is an encrypted archive, which Keras never writes; "
                                 "save the model again with model.save().")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ModelFileError(f"{name} uses a compression method Keras never writes; "
                                 "save the model again with model.save().")
        stored = member.compress_type == zipfile.ZIP_STORED
        if member.file_size > KERAS_MEMBERS[member.filename] or (
                stored and member.file_size != member.compress_size) or (
                member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1)):
            raise ModelFileError(f"{name} has a member {member.filename} of "
                                 f"{member.file_size / 2**20:,.1f} MiB once expanded, more than a "
                                 "model of standard layers needs; it was refused.")
        f.seek(member.header_offset)
        header = f.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size or header[:4] != ZIP_LOCAL_HEADER:
            raise _damaged(name)
        fields = _LOCAL_HEADER.unpack(header)
        start = member.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1]
        starts[member.filename] = start
        spans.append((member.header_offset, start + member.compress_size))
    spans.sort()
    if any(end > next_start for (_, end), (next_start, _) in zip(spans, spans[1:])) \
            or spans[-1][1] > size:
        raise _damaged(name)  # members overlapping or past the end: one byte read many times
    return starts


def _read_member(archive, member, name):
    """Reads a member within its declared size (which `_check_members` bounded)."""
    limit = archive.getinfo(member).file_size
    with archive.open(member) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise _damaged(name)
    return data


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
        raw = read_text_attribute(h5, "model_config", MAX_CONFIG_BYTES, name)
        if raw is None:
            raise ModelFileError(f"{name} holds weights only, not a whole model; "
                                 "save it with model.save().")
        config = parse_config(raw, name)
        check_config(config, name)
        check_declared_layers(config, name)
        weights_bytes, datasets = check_weights(h5, config, name, "h5", size)
    return CheckedModel("h5", config, weights_bytes, (), datasets)


def _check_weights_file(data, size, config, name, container):
    if data.read(len(HDF5_SIGNATURE)) != HDF5_SIGNATURE:
        raise _refuse_weights(name)
    data.seek(0)
    try:
        with h5py.File(data, "r") as h5:
            return check_weights(h5, config, name, container, size)
    except MnistError:
        raise
    except _READ_ERRORS:
        raise _refuse_weights(name) from None


class _Window(io.RawIOBase):
    """A read-only view of `size` bytes of `f` from `start`: h5py reads a stored member in place."""

    def __init__(self, f, start, size):
        super().__init__()
        self._f, self._start, self._size, self._pos = f, start, size, 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self):
        return self._pos

    def readinto(self, buffer):
        count = max(0, min(len(buffer), self._size - self._pos))
        self._f.seek(self._start + self._pos)
        data = self._f.read(count)
        buffer[:len(data)] = data
        self._pos += len(data)
        return len(data)


def _damaged(name):
    return ModelFileError(f"{name} is damaged or truncated; save or download it again.")


def _both(name):
    return ModelFileError(f"{name} is both a zip archive and an HDF5 file, which Keras never "
                          "writes; it was refused, so save the model again with model.save().")


def _not_keras_archive(name):
    return ModelFileError(f"{name} is a zip archive but not one Keras writes (only config.json, "
                          "model.weights.h5 and metadata.json); save it with model.save().")


def _refuse_weights(name):
    return ModelFileError(f"{name} has a model.weights.h5 member that is not a readable HDF5 "
                          "file; save or download the model again.")
