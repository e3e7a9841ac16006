"""Reading MNIST out of files, bounded: an `.npz` like Keras' and the original's IDX files.

A file given with `--data` may claim anything: an `.npz` member whose `.npy` header declares a
9 TiB array, a zip directory of millions of entries, a gzip stream that inflates without end.
Every size is read from a header and compared with what MNIST needs before the bytes behind it
are read, and no more bytes than the header declares are ever decompressed. Failures raise
ValueError with a short reason (no path: `mnist_core.data.sources` names the file).
"""

import gzip
import io
import math
import struct
import zipfile
import zlib

import numpy as np
from numpy.lib import format as npy_format

from mnist_core.constants import IMAGE_SIZE, NUM_TRAIN

ARRAY_NAMES = ("x_train", "y_train", "x_test", "y_test")

MAX_ARRAY_BYTES = NUM_TRAIN * IMAGE_SIZE * IMAGE_SIZE
"""Largest array accepted, in bytes: MNIST's largest, its 60,000 training images (47 MB)."""

MAX_ARRAY_DIMS = 3
"""Images are (count, 28, 28), labels (count,): no array needs more dimensions."""

MAX_NPY_HEADER = 4096
"""Longest `.npy` header read, in bytes (numpy writes 128 for MNIST's arrays). numpy's own limit
is checked only after it has read a header whose length a version-2 file may declare up to 4 GiB."""

MAX_ZIP_MEMBERS = 64
"""Most entries in an `.npz`'s zip directory (Keras' file has 4): `zipfile` parses them all."""

MAX_ZIP_DIRECTORY = 1 << 20
"""Largest zip directory, in bytes (4 entries take about 400)."""

_END_OF_DIRECTORY = struct.Struct("<4s4H2LH")  # the zip "end of central directory" record
_ZIP64_LOCATOR = b"PK\x06\x07"
_IDX_UNSIGNED_BYTE = 0x08
_IDX_ERRORS = (OSError, EOFError, zlib.error)  # gzip.BadGzipFile is an OSError


def read_npz(path_or_file):
    """Reads the four MNIST arrays from an `.npz`, checking every declared size before reading.

    Args:
        path_or_file: a path, or a seekable binary file object.

    Returns:
        `((x_train, y_train), (x_test, y_test))`, as stored (unverified), each array at most
        `MAX_ARRAY_BYTES` bytes.

    Raises:
        ValueError: not a zip file, a zip directory larger than an `.npz` needs, an array
            missing, pickled, damaged, or declared larger than MNIST's largest.
    """
    try:
        if isinstance(path_or_file, (str, bytes)) or hasattr(path_or_file, "__fspath__"):
            with open(path_or_file, "rb") as f:
                return _read_npz(f)
        return _read_npz(path_or_file)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as error:
        # zipfile reports an unsupported compression as NotImplementedError and an encrypted
        # member as RuntimeError.
        raise ValueError(f"not a readable .npz ({_first_line(error)})") from None


def _read_npz(f):
    _check_zip_directory(f)
    with zipfile.ZipFile(f) as archive:
        members = set(archive.namelist())
        arrays = []
        for name in ARRAY_NAMES:
            if f"{name}.npy" not in members:
                raise ValueError(f"it has no array '{name}'")
            with archive.open(f"{name}.npy") as member:
                arrays.append(_read_npy(member, name))
    x_train, y_train, x_test, y_test = arrays
    return (x_train, y_train), (x_test, y_test)


def _check_zip_directory(f):
    """Reads the zip's end record as `zipfile` will, and refuses a directory larger than an
    `.npz` needs before `zipfile` parses it."""
    f.seek(0, 2)
    size = f.tell()
    # The record sits in the last 64 KiB (its comment's longest) plus its own size; 20 bytes
    # more hold the ZIP64 locator that `zipfile` looks for just before it.
    start = max(size - (1 << 16) - _END_OF_DIRECTORY.size - 20, 0)
    f.seek(start)
    tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if tail[-_END_OF_DIRECTORY.size:][:4] == b"PK\x05\x06" and tail[-2:] == b"\0\0":
        at = len(tail) - _END_OF_DIRECTORY.size  # no comment: zipfile looks here first
    if at < 0 or len(tail) - at < _END_OF_DIRECTORY.size:
        raise ValueError("it is not an .npz file (no zip directory)")
    *_, entries, directory_bytes, _, _ = _END_OF_DIRECTORY.unpack_from(tail, at)
    if at >= 20 and tail[at - 20: at - 16] == _ZIP64_LOCATOR:
        raise ValueError("its zip directory is in the ZIP64 format, which no MNIST file needs")
    if entries > MAX_ZIP_MEMBERS or directory_bytes > MAX_ZIP_DIRECTORY:
        raise ValueError(f"its zip directory lists {entries} entries in {directory_bytes} bytes, "
                         f"more than an MNIST .npz needs")
    f.seek(0)


def _read_npy(member, name):
    """One `.npy` member -> array, its header checked before any data byte is read."""
    try:
        version = npy_format.read_magic(member)
    except ValueError:
        raise ValueError(f"'{name}' is not a .npy array") from None
    if version not in ((1, 0), (2, 0)):
        raise ValueError(f"'{name}' uses .npy version {version}, not 1.0 or 2.0")
    length_format = "<H" if version == (1, 0) else "<I"
    length_bytes = _read_exactly(member, struct.calcsize(length_format), f"'{name}'")
    (length,) = struct.unpack(length_format, length_bytes)
    if length > MAX_NPY_HEADER:
        raise ValueError(f"'{name}' has a {length}-byte header, more than {MAX_NPY_HEADER}")
    header = io.BytesIO(length_bytes + _read_exactly(member, length, f"'{name}'"))
    read_header = (npy_format.read_array_header_1_0 if version == (1, 0)
                   else npy_format.read_array_header_2_0)
    try:
        shape, fortran_order, dtype = read_header(header, max_header_size=MAX_NPY_HEADER)
    except (ValueError, TypeError) as error:
        reason = _first_line(error)
        raise ValueError(f"'{name}' has a header numpy cannot read ({reason})") from None
    if dtype.hasobject:
        raise ValueError(f"'{name}' holds pickled Python objects, which are never loaded")
    if dtype.itemsize == 0:  # would let a shape of any count through the bound below
        raise ValueError(f"'{name}' holds items of 0 bytes ({dtype})")
    if len(shape) > MAX_ARRAY_DIMS or any(side < 0 for side in shape):
        raise ValueError(f"'{name}' has shape {shape}, not that of an MNIST array")
    declared = math.prod(shape) * dtype.itemsize
    if declared > MAX_ARRAY_BYTES:
        raise ValueError(f"'{name}' declares {_size(declared)} (shape {shape}, {dtype}), more "
                         f"than MNIST's largest array ({_size(MAX_ARRAY_BYTES)})")
    buffer = bytearray(_read_exactly(member, declared, f"'{name}'"))
    array = np.frombuffer(buffer, dtype=dtype, count=math.prod(shape))
    return array.reshape(shape, order="F" if fortran_order else "C")


def read_idx(path):
    """Reads one IDX file of unsigned bytes (gzipped or not), its header checked first.

    Reads at most the bytes its header declares, plus one to tell that nothing follows, so a
    gzip bomb costs no more than a real file.

    Args:
        path: the file, gzipped when its name ends in `.gz`.

    Returns:
        uint8 array of the declared shape (at most `MAX_ARRAY_DIMS` dimensions and
        `MAX_ARRAY_BYTES` bytes).

    Raises:
        ValueError: not an IDX file of unsigned bytes, declared larger than MNIST's largest,
            cut short, longer than declared, or a damaged gzip stream.
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            head = f.read(4)
            if len(head) < 4 or head[:2] != b"\0\0" or head[2] != _IDX_UNSIGNED_BYTE:
                raise ValueError("it is not an IDX file of unsigned bytes")
            ndim = head[3]
            if not 1 <= ndim <= MAX_ARRAY_DIMS:
                raise ValueError(f"it declares {ndim} dimensions, not those of an MNIST array")
            shape = struct.unpack(f">{ndim}I", _read_exactly(f, 4 * ndim, "it"))
            declared = math.prod(shape)
            if declared > MAX_ARRAY_BYTES:
                raise ValueError(f"it declares {_size(declared)} (shape {shape}), more than "
                                 f"MNIST's largest array ({_size(MAX_ARRAY_BYTES)})")
            body = bytearray(_read_exactly(f, declared, "it"))
            if f.read(1):
                raise ValueError(f"it holds more data than its header declares (shape {shape})")
    except _IDX_ERRORS as error:
        raise ValueError(f"it is damaged ({_first_line(error)})") from None
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def _read_exactly(f, count, subject):
    """Reads `count` bytes, or raises ValueError saying `subject` is cut short."""
    data = f.read(count)
    if len(data) != count:
        raise ValueError(f"{subject} is cut short ({len(data)} of {count} bytes)")
    return data


def _size(count):
    return f"{count / 1e6:,.0f} MB" if count < 1e12 else f"{count / 1e12:,.1f} TB"


def _first_line(error):
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:200]


__all__ = ["read_npz", "read_idx", "ARRAY_NAMES", "MAX_ARRAY_BYTES"]
