"""Loading a model file in this process, checked first: the server's own models folder.

Every model file is read as untrusted, the folder's own too (a deployer may drop one in): its
declared facts and whole config are checked (`checks.check_model_file`: bounded reads, an
allow-list) *before* Keras reads anything, on top of Keras' own safe mode. A stranger's upload
goes further, through `loader.load_untrusted`'s limited child process.
"""

from pathlib import Path

from mnist_core.constants import INPUT_SHAPE, NUM_CLASSES
from mnist_core.errors import ModelFileError
from mnist_core.regular_files import NotRegularFile
from mnist_core.storage import LoadedModel, file_digest, read_metadata
from mnist_core.untrusted.checks import check_model_file, short_reason


def load_model(path):
    """Loads a `.keras` or `.h5` model for MNIST and checks it fits, refusing anything unsafe.

    Accepts files written by this project, by the tutorial's own script under Keras 3, and by
    Keras 2 (tf-keras). Nothing in the file is executed: the layer list is checked before Keras
    deserialises it, and Keras' safe mode stays on.

    Args:
        path: path of a `.keras`, `.h5` or `.hdf5` file.

    Returns:
        A `LoadedModel` (the Keras model, its metadata, its path).

    Raises:
        ModelFileError: missing, empty, truncated, not a model, unsafe, or not a
            (28, 28, 1) -> 10-class model; the message is one sentence naming the file.
    """
    path = Path(path)
    try:
        before = file_digest(path)  # opened without waiting: a FIFO or a device is refused
        empty = path.stat().st_size == 0
    except NotRegularFile as error:  # its name only: the page must not show a server path
        raise ModelFileError(f"{path.name} is {error.kind}, not a model file; only regular "
                             "files are read.") from None
    except FileNotFoundError:  # also a file removed a moment ago, after the listing
        raise ModelFileError(f"There is no model file at {path}.") from None
    except OSError as error:  # unreadable: its name and the reason, not the path
        raise ModelFileError(f"{path.name} could not be read ({error.strerror or error}).") from None
    if empty:
        raise ModelFileError(f"{path.name} is empty; save or download it again.")
    check_model_file(path, path.name)
    model = _keras_load(path)
    check_shapes(model, path.name)
    # Replaced, or removed, while Keras read it: the model stands, but no digest names it.
    digest = before if _digest_if_readable(path) == before else None
    return LoadedModel(model, read_metadata(path), path, digest)


def _digest_if_readable(path):
    try:
        return file_digest(path)
    except OSError:
        return None


def _keras_load(path):
    import keras

    try:
        return keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many kinds; each means "not a loadable model"
        reason = short_reason(error, path, path.name)
        raise ModelFileError(f"{path.name} could not be loaded as a Keras model ({reason}).") from None


def check_shapes(model, name):
    """Raises ModelFileError with one sentence unless `model` maps (28, 28, 1) to 10 classes."""
    try:
        inputs = tuple(model.input_shape[1:])
        outputs = tuple(model.output_shape[1:])
    except (AttributeError, ValueError, TypeError):
        raise ModelFileError(f"{name} is not a single-input, single-output model.") from None
    if inputs != INPUT_SHAPE or outputs != (NUM_CLASSES,):
        raise ModelFileError(f"{name} maps {inputs} to {outputs}, but an MNIST model must map "
                             f"{INPUT_SHAPE} to ({NUM_CLASSES},).")
