"""Files written whole or not at all: a hidden temp file beside the target, then one rename.

The temp file sits in the target's folder, so the rename is one atomic step: a reader never
sees half a file, a failure leaves the old file as it was, and a symlink at the target is
replaced itself, never followed. Models (`storage`), the MNIST cache (`data`) and the tutorial's
figures (`plots`) are all written this way.
"""

import contextlib
import os
import tempfile
from pathlib import Path

FILE_MODE = 0o644
"""`mkstemp` makes files private; models, figures and the cache are no secret."""


def temporary_beside(final, suffix):
    """A new, empty, hidden file beside `final`, named `.STEM-XXXXXXXX` + `suffix`, mode 0644.

    Hidden, so no listing of the folder shows it; `models_folder.remove_leftovers` knows the
    pattern and removes what a killed process left.
    """
    final = Path(final)
    fd, temporary = tempfile.mkstemp(dir=final.parent, prefix=f".{final.stem}-", suffix=suffix)
    os.close(fd)
    os.chmod(temporary, FILE_MODE)
    return Path(temporary)


@contextlib.contextmanager
def replaced_atomically(final):
    """Yields a temp path beside `final` to write; renames it over `final` when the block ends.

    Raises:
        Whatever the block raises, after removing the temp file (`final` is left untouched).
    """
    final = Path(final)
    temporary = temporary_beside(final, final.suffix)
    try:
        yield temporary
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
