"""Reading MNIST out of files, bounded: an `.npz` like Keras' and the original's IDX files.

A file given with `--data` may claim anything: an `.npz` member whose `.npy` header declares a
9 TiB array, a zip directory of millions of entries, a gzip stream that inflates without end.
Every size is read from a header and compared with what MNIST needs before the bytes behind it
are read, and no more bytes than the header declares are ever decompressed. Failures raise
ValueError with a short reason (no path: `mnist_core.data.sources` names the file).
"""

import contextlib
import gzip
import math
import struct
import zlib

import numpy as np

from mnist_core.constants import IMAGE_SIZE, NUM_TRAIN
from mnist_core.data.npz_files import first_line, read_arrays, read_exactly, size_text
from mnist_core.regular_files import NotRegularFile, open_regular

ARRAY_NAMES = ("x_train", "y_train", "x_test", "y_test")

MAX_ARRAY_BYTES = NUM_TRAIN * IMAGE_SIZE * IMAGE_SIZE
"""Largest array accepted, in bytes: MNIST's largest, its 60,000 training images (47 MB)."""

MAX_ARRAY_DIMS = 3
"""Images are (count, 28, 28), labels (count,): no array needs more dimensions."""

MAX_ZIP_MEMBERS = 64
"""Most entries in an `.npz`'s zip directory (Keras' file has 4): `zipfile` parses them all."""

_IDX_UNSIGNED_BYTE = 0x08
_IDX_ERRORS = (OSError, EOFError, zlib.error)  # gzip.BadGzipFile is an OSError


def read_npz(path_or_file):
    """Reads the four MNIST arrays from an `.npz`, checking every declared size before reading
    (`npz_files.read_arrays`).

    Args:
        path_or_file: a path (a regular file: a FIFO or a device is refused, never waited on),
            or a seekable binary file object.

    Returns:
        `((x_train, y_train), (x_test, y_test))`, as stored (unverified), each array at most
        `MAX_ARRAY_BYTES` bytes.

    Raises:
        ValueError: not a zip file, a zip directory larger than an `.npz` needs, an array
            missing, pickled, damaged, or declared larger than MNIST's largest.
        OSError: the path is not a regular file, or unreadable.
    """
    if isinstance(path_or_file, (str, bytes)) or hasattr(path_or_file, "__fspath__"):
        with open_regular(path_or_file) as f:
            return read_npz(f)
    arrays = read_arrays(path_or_file, ARRAY_NAMES, MAX_ARRAY_BYTES, "MNIST's largest array",
                         check=_mnist_shape, most_members=MAX_ZIP_MEMBERS)
    x_train, y_train, x_test, y_test = (arrays[name] for name in ARRAY_NAMES)
    return (x_train, y_train), (x_test, y_test)


def _mnist_shape(name, shape, dtype):
    if len(shape) > MAX_ARRAY_DIMS:
        raise ValueError(f"'{name}' has shape {shape}, not that of an MNIST array")


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
    try:
        with _opened(path) as f:
            head = f.read(4)
            if len(head) < 4 or head[:2] != b"\0\0" or head[2] != _IDX_UNSIGNED_BYTE:
                raise ValueError("it is not an IDX file of unsigned bytes")
            ndim = head[3]
            if not 1 <= ndim <= MAX_ARRAY_DIMS:
                raise ValueError(f"it declares {ndim} dimensions, not those of an MNIST array")
            shape = struct.unpack(f">{ndim}I", read_exactly(f, 4 * ndim, "it"))
            declared = math.prod(shape)
            if declared > MAX_ARRAY_BYTES:
                raise ValueError(f"it declares {size_text(declared)} (shape {shape}), more than "
                                 f"MNIST's largest array ({size_text(MAX_ARRAY_BYTES)})")
            body = bytearray(read_exactly(f, declared, "it"))
            if f.read(1):
                raise ValueError(f"it holds more data than its header declares (shape {shape})")
    except _IDX_ERRORS as error:
        raise ValueError(f"it is damaged ({first_line(error)})") from None
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


@contextlib.contextmanager
def _opened(path):
    """The IDX file for reading, gunzipped when its name ends in `.gz`.

    Raises:
        ValueError: a FIFO or a device (refused, never waited on).
    """
    try:
        raw = open_regular(path)
    except NotRegularFile as error:
        raise ValueError(f"it is {error.kind}, not a file") from None
    with raw:
        if str(path).endswith(".gz"):
            with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                yield unzipped
        else:
            yield raw


__all__ = ["read_npz", "read_idx", "ARRAY_NAMES", "MAX_ARRAY_BYTES"]
