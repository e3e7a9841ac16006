"""A drawings export read back: what `drawings export` writes and `train --with-drawings F.npz`
reads, bounded by what an export can hold.

An export is `x` uint8 (N, 28, 28), `y` (N,) labels and `label_names`, from a store of at most
`MOST_DRAWINGS` rows (`MNIST_DRAWINGS_MAX_ROWS`' ceiling). A file given on the command line may
claim anything: 2 MB that inflate to 2 GB, a header declaring a 73 GiB array. Its declared sizes,
shapes and types are checked against that bound before a byte of data is read
(`data.npz_files`), so reading one costs at most ~160 MB, whatever it holds.
"""

from pathlib import Path

import numpy as np

from mnist_core.constants import IMAGE_SIZE, MOST_DRAWINGS, NOT_A_DIGIT
from mnist_core.data.npz_files import first_line, read_arrays
from mnist_core.errors import MnistError
from mnist_core.regular_files import NotRegularFile, open_regular

MOST_BYTES = {"x": MOST_DRAWINGS * IMAGE_SIZE * IMAGE_SIZE, "y": MOST_DRAWINGS * 8}
"""Most bytes each array of an export may declare: `MOST_DRAWINGS` images of 28x28 bytes (157 MB)
and as many labels of at most 8 bytes."""

REMEDY = "write one with `python -m mnist_core drawings export --out FILE.npz`"


def read_export(path):
    """The drawings of an export file, every declared size checked before reading.

    Args:
        path: the `.npz`; messages name it by its file name only.

    Returns:
        `(x, y)`: uint8 (N, 28, 28) in [0, 255] and int (N,) labels 0..9 or `NOT_A_DIGIT`,
        N at most `MOST_DRAWINGS`.

    Raises:
        MnistError: one sentence naming the file: not a regular file, not an `.npz`, an array
            missing, or declared larger, of another shape or type, or with labels out of range.
    """
    path = Path(path)
    try:
        with open_regular(path) as file:
            arrays = read_arrays(file, ("x", "y"), MOST_BYTES,
                                 f"what an export of {MOST_DRAWINGS:,} drawings holds",
                                 check=_export_arrays())
    except NotRegularFile as error:
        raise MnistError(f"{path.name} is {error.kind}, not a drawings export; {REMEDY}.") from None
    except (OSError, ValueError) as error:
        raise MnistError(f"{path.name} is not a drawings export with arrays x and y "
                         f"({_reason(error)}); {REMEDY}.") from None
    x, y = arrays["x"], arrays["y"]
    if len(y) and not 0 <= y.min() <= y.max() <= NOT_A_DIGIT:
        raise MnistError(f"{path.name} holds labels outside 0..9 and {NOT_A_DIGIT} (not a "
                         f"digit); {REMEDY}.")
    return x, y


def _export_arrays():
    """The check of each declared header: x uint8 (N, 28, 28), then y integers (N,)."""
    count = []

    def check(name, shape, dtype):
        if name == "x":
            if dtype != np.uint8 or len(shape) != 3 or shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
                raise ValueError(f"x is {shape} {dtype}, not uint8 (N, 28, 28)")
            count.append(shape[0])
        elif dtype.kind not in "iu" or shape != (count[0],):
            raise ValueError(f"y is {shape} {dtype}, not ({count[0]},) integers")

    return check


def _reason(error):
    return (error.strerror if isinstance(error, OSError) and error.strerror
            else first_line(error)).rstrip(".")


__all__ = ["MOST_BYTES", "read_export"]
