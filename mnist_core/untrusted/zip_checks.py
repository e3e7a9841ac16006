"""The zip container of an untrusted `.keras` file: its directory and members, read within bounds.

Only the central directory's declared facts are read before any member: how many members, their
names, flags, compression and sizes. A member is read only after its declared size passed its
limit, and never past it. Standard library only.
"""

import io
import struct
import zipfile

from mnist_core.errors import ModelFileError
from mnist_core.untrusted.config_checks import MAX_CONFIG_BYTES, size_text
from mnist_core.untrusted.hdf5_checks import MAX_WEIGHT_BYTES

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

ZIP_LOCAL_HEADER = b"PK\x03\x04"
_END_OF_DIRECTORY = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = b"PK\x06\x07"
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")


def check_directory(f, size, name):
    """Reads the end-of-directory record first, so that a huge directory is refused unread.

    Args:
        f: the open file, `size` bytes long.
        name: the visitor's file name, for messages.

    Returns:
        Where the central directory starts (members' data must end before it).

    Raises:
        ModelFileError: truncated, a comment, zip64, several disks, more members or a larger
            directory than a Keras archive has, or data before the archive.
    """
    if size < _END_OF_DIRECTORY.size:
        raise damaged(name)
    f.seek(size - _END_OF_DIRECTORY.size - 20)  # a zip64 locator would sit just before it
    tail = f.read()
    signature, disk, start_disk, _, entries, directory_size, directory_offset, comment = (
        _END_OF_DIRECTORY.unpack(tail[-_END_OF_DIRECTORY.size:]))
    if signature != b"PK\x05\x06" or comment:
        raise damaged(name)  # truncated, or a comment Keras never writes
    if disk or start_disk or tail[:4] == _ZIP64_LOCATOR or entries > len(KERAS_MEMBERS) \
            or directory_size > MAX_ZIP_DIRECTORY_BYTES \
            or directory_offset + directory_size != size - _END_OF_DIRECTORY.size:
        raise not_keras_archive(name)
    return directory_offset


def check_members(f, archive, end_of_data, name):
    """Checks each member's declared facts before any is read.

    Args:
        f: the open file.
        archive: a `zipfile.ZipFile` over `f` (it has read the bounded directory).
        end_of_data: where the central directory starts.
        name: the visitor's file name, for messages.

    Returns:
        dict: member name -> offset of its data in `f`.

    Raises:
        ModelFileError: members other than Keras' (or repeated), encrypted, compressed other
            than by deflate, over their size limit or compression ratio, or overlapping.
    """
    members = archive.infolist()
    names = [m.filename for m in members]
    if len(set(names)) != len(names) or not set(names) <= KERAS_MEMBERS.keys() \
            or not {"config.json", "model.weights.h5"} <= set(names):
        raise not_keras_archive(name)
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
                                 f"{size_text(member.file_size)} once expanded, more than a "
                                 "model of standard layers needs; it was refused.")
        f.seek(member.header_offset)
        header = f.read(_LOCAL_HEADER.size)
        if len(header) != _LOCAL_HEADER.size or header[:4] != ZIP_LOCAL_HEADER:
            raise damaged(name)
        fields = _LOCAL_HEADER.unpack(header)
        start = member.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1]
        starts[member.filename] = start
        spans.append((member.header_offset, start + member.compress_size))
    spans.sort()
    if any(end > next_start for (_, end), (next_start, _) in zip(spans, spans[1:])) \
            or spans[-1][1] > end_of_data:
        raise damaged(name)  # members overlapping or past the end: one byte read many times
    return starts


def read_member(archive, member, name):
    """Reads a member, never past its declared size (which `check_members` bounded)."""
    limit = archive.getinfo(member).file_size
    with archive.open(member) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise damaged(name)
    return data


class Window(io.RawIOBase):
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


def damaged(name):
    """The refusal of a file whose structure is cut short or inconsistent."""
    return ModelFileError(f"{name} is damaged or truncated; save or download it again.")


def not_keras_archive(name):
    """The refusal of a zip whose layout is not a Keras archive's."""
    return ModelFileError(f"{name} is a zip archive but not one Keras writes (only config.json, "
                          "model.weights.h5 and metadata.json); save it with model.save().")
