"""Reading arrays out of an `.npz` from outside, every declared size checked before reading.

One place for the format, whoever wrote the file: MNIST's own (`dataset_files`), a drawings
export given to `train --with-drawings` (`drawings.training_mix`), a stored test-set report
(`evaluation.report_store`). An `.npz` is a zip of `.npy` files, and each may claim anything: a
zip directory of millions of entries, a `.npy` header declaring a 73 GiB array (numpy allocates
what a header declares before reading a byte), a zip entry that inflates 2 MB into 2 GB. So,
in this order, before the bytes behind it are read:

1. the zip directory: its entry count and size, from its end record, before `zipfile` parses it;
2. each entry's declared size (`file_size`), against the most its array may take;
3. each `.npy` header: its length, then the shape and type it declares, against the same bound
   and the caller's own check (`check(name, shape, dtype)`); pickled objects are never loaded;
4. the entry's declared size again, now against exactly what the header needs.

Then exactly the declared bytes are inflated, never more, so the memory an array costs is the
bound the caller gave. No compression ratio is checked: with the declared sizes bounded, a high
ratio costs nothing more, and an honest export of nearly blank drawings inflates 100-fold.
Failures raise ValueError with a short reason and no path: the caller names the file.
"""

import io
import math
import struct
import zipfile
import zlib

import numpy as np
from numpy.lib import format as npy_format

MAX_NPY_HEADER = 4096
"""Longest `.npy` header read, in bytes (numpy writes 128 for MNIST's arrays). numpy's own limit
is checked only after it has read a header whose length a version-2 file may declare up to 4 GiB."""

MAX_ZIP_MEMBERS = 64
"""Most entries in an `.npz`'s zip directory (Keras' MNIST file has 4, a report 5, an export 3):
`zipfile` parses them all."""

MAX_ZIP_DIRECTORY = 1 << 20
"""Largest zip directory, in bytes (4 entries take about 400)."""

_END_OF_DIRECTORY = struct.Struct("<4s4H2LH")  # the zip "end of central directory" record
_ZIP64_LOCATOR = b"PK\x06\x07"
_NPY_PREFIX = 10  # magic (6), version (2), header length (2 in version 1.0; 4 in 2.0 and 3.0)
READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)
"""What `zipfile` raises for a damaged, unsupported (NotImplementedError) or encrypted
(RuntimeError) archive; `read_arrays` turns them into ValueError."""


def read_arrays(file, names, most_bytes, bound, check=None, only=False,
                most_members=MAX_ZIP_MEMBERS):
    """The named arrays of an `.npz`, each read only after its declared sizes are checked.

    Args:
        file: a seekable binary file object (see `regular_files.open_regular`).
        names: the arrays to read (entries `NAME.npy`); others in the zip are never inflated.
        most_bytes: most bytes one array may declare: an int, or `{name: int}`.
        bound: what that bound is, for messages ("MNIST's largest array").
        check: optional `check(name, shape, dtype)`, called with each declared header before any
            data byte is read; it raises ValueError (a short reason) for one that does not fit.
        only: the zip must hold exactly these entries.
        most_members: most entries in the zip directory.

    Returns:
        `{name: array}`, as stored; each array at most its `most_bytes`.

    Raises:
        ValueError: not a zip, a directory larger than an `.npz` needs, an entry missing or
            (with `only`) one too many, an array pickled, damaged, cut short, or declared larger
            than its bound; the reason names the array, never the file.
    """
    try:
        _check_zip_directory(file, most_members)
        with zipfile.ZipFile(file) as archive:
            members = {info.filename: info for info in archive.infolist()}
            if only and sorted(members) != sorted(f"{name}.npy" for name in names):
                raise ValueError(f"it holds {_listed(members)}, not the arrays "
                                 f"{', '.join(names)} alone")
            arrays = {}
            for name in names:
                info = members.get(f"{name}.npy")
                if info is None:
                    raise ValueError(f"it has no array '{name}'")
                most = most_bytes[name] if isinstance(most_bytes, dict) else most_bytes
                arrays[name] = _read_member(archive, info, name, most, bound, check)
            return arrays
    except READ_ERRORS as error:
        raise ValueError(f"not a readable .npz ({first_line(error)})") from None


def _check_zip_directory(f, most_members):
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
        raise ValueError("its zip directory is in the ZIP64 format, which no .npz of this "
                         "size needs")
    if entries > most_members or directory_bytes > MAX_ZIP_DIRECTORY:
        raise ValueError(f"its zip directory lists {entries} entries in {directory_bytes} bytes, "
                         "more than an .npz of a few arrays needs")
    f.seek(0)


def _read_member(archive, info, name, most, bound, check):
    """One `.npy` entry -> array: the entry's and the header's declared sizes first."""
    if info.file_size > most + _NPY_PREFIX + MAX_NPY_HEADER:
        raise ValueError(f"'{name}' is declared as {size_text(info.file_size)} once inflated, "
                         f"more than {bound} ({size_text(most)})")
    with archive.open(info) as member:
        try:
            version = npy_format.read_magic(member)
        except ValueError:
            raise ValueError(f"'{name}' is not a .npy array") from None
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"'{name}' uses .npy version {version}, not 1.0 or 2.0")
        length_format = "<H" if version == (1, 0) else "<I"
        length_bytes = read_exactly(member, struct.calcsize(length_format), f"'{name}'")
        (length,) = struct.unpack(length_format, length_bytes)
        if length > MAX_NPY_HEADER:
            raise ValueError(f"'{name}' has a {length}-byte header, more than {MAX_NPY_HEADER}")
        header = io.BytesIO(length_bytes + read_exactly(member, length, f"'{name}'"))
        read_header = (npy_format.read_array_header_1_0 if version == (1, 0)
                       else npy_format.read_array_header_2_0)
        try:
            shape, fortran_order, dtype = read_header(header, max_header_size=MAX_NPY_HEADER)
        except (ValueError, TypeError) as error:
            reason = first_line(error)
            raise ValueError(f"'{name}' has a header numpy cannot read ({reason})") from None
        if dtype.hasobject:
            raise ValueError(f"'{name}' holds pickled Python objects, which are never loaded")
        if dtype.itemsize == 0:  # would let a shape of any count through the bound below
            raise ValueError(f"'{name}' holds items of 0 bytes ({dtype})")
        if any(side < 0 for side in shape):
            raise ValueError(f"'{name}' has shape {shape}, which no array has")
        declared = math.prod(shape) * dtype.itemsize
        if declared > most:
            raise ValueError(f"'{name}' declares {size_text(declared)} (shape {shape}, {dtype}), "
                             f"more than {bound} ({size_text(most)})")
        if check is not None:
            check(name, shape, dtype)
        needed = member.tell() + declared
        if info.file_size < needed:
            raise ValueError(f"'{name}' is cut short (its zip entry holds {info.file_size:,} of "
                             f"the {needed:,} bytes its header declares)")
        if info.file_size > needed:
            raise ValueError(f"'{name}' holds {info.file_size:,} bytes in the zip, more than the "
                             f"{needed:,} its header declares")
        buffer = bytearray(read_exactly(member, declared, f"'{name}'"))
    array = np.frombuffer(buffer, dtype=dtype, count=math.prod(shape))
    return array.reshape(shape, order="F" if fortran_order else "C")


def read_exactly(f, count, subject):
    """Reads `count` bytes, or raises ValueError saying `subject` is cut short."""
    data = f.read(count)
    if len(data) != count:
        raise ValueError(f"{subject} is cut short ({len(data)} of {count} bytes)")
    return data


def size_text(count):
    """A byte count as a person reads it: "47 MB", "3.1 TB"."""
    if count < 1e6:
        return f"{count:,} bytes"
    return f"{count / 1e6:,.0f} MB" if count < 1e12 else f"{count / 1e12:,.1f} TB"


def first_line(error):
    """An exception's first line, short: what a message quotes of it."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:200]


def _listed(members):
    shown = sorted(members)[:6]
    return ", ".join(shown) + (" ..." if len(members) > len(shown) else "")


__all__ = ["MAX_NPY_HEADER", "MAX_ZIP_DIRECTORY", "MAX_ZIP_MEMBERS", "READ_ERRORS", "first_line",
           "read_arrays", "read_exactly", "size_text"]
