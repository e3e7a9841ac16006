"""Opening a file of a folder someone else can write to, only when it is a plain file.

A deployer's models folder, its stored reports and a drawings export are named by path, and a
name may stand for a FIFO (opening it waits for a writer forever), a device (`/dev/zero` never
ends) or a folder. `open(path)` blocks before any check can run, so the file is opened without
blocking, its kind asked of the open descriptor (`fstat`: no race with a rename), and only then
read. Reading is bounded by the caller (`read_regular`'s `most`).
"""

import os
import stat


class NotRegularFile(OSError):
    """The path names a FIFO, a device, a socket or a folder, not a plain file; an `OSError`,
    so code that treats an unreadable file as missing treats this one so too."""

    def __init__(self, path, mode):
        kind = ("a folder" if stat.S_ISDIR(mode) else "a pipe (FIFO)" if stat.S_ISFIFO(mode)
                else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket")
        super().__init__(f"{os.path.basename(os.fspath(path))} is {kind}, not a file")
        self.kind = kind


def open_regular(path):
    """Opens `path` for reading in binary if it is a regular file (a link to one is fine).

    Returns:
        A binary file object, blocking as usual, positioned at the start.

    Raises:
        NotRegularFile: it is anything else; nothing was read, nothing waited.
        OSError: it is missing or unreadable.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(path, mode)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path, most):
    """The bytes of the regular file `path`, or None when it holds more than `most` bytes.

    Never reads more than `most + 1` bytes, whatever the file grows to while it is read.

    Raises:
        NotRegularFile, OSError: as `open_regular`.
    """
    with open_regular(path) as file:
        content = file.read(most + 1)
    return content if len(content) <= most else None


def is_regular(path):
    """Whether `path` is a regular file (or a link to one), asked without opening it."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


__all__ = ["NotRegularFile", "is_regular", "open_regular", "read_regular"]
