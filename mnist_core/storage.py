"""Saving and loading models: atomic writes, metadata beside each model, and a guarded loader.

The only code that writes model files. A saved model `NAME.keras` (and, as the tutorial does,
`NAME.h5`) has its facts in `NAME.json` beside it, so the app and the command line load it with no
flags. Loading reads the file's layer list *before* Keras builds anything, and refuses layers that
would run code from the file (Lambda, custom classes), on top of Keras' own safe mode.
"""

import dataclasses
import json
import os
import tempfile
import zipfile
from pathlib import Path

from mnist_core.constants import INPUT_SHAPE, NUM_CLASSES
from mnist_core.errors import ModelFileError

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

SAFE_LAYERS = frozenset({
    "InputLayer", "Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
    "GlobalMaxPooling2D", "Flatten", "Dense", "Dropout", "SpatialDropout2D", "BatchNormalization",
    "LayerNormalization", "Activation", "ReLU", "LeakyReLU", "Softmax", "Reshape", "Rescaling",
    "ZeroPadding2D", "Add", "Concatenate", "DepthwiseConv2D", "SeparableConv2D", "ELU", "PReLU",
    "Sequential", "Functional", "Model",
})
"""Layer classes a model file may name. Anything else (Lambda above all, or a custom class)
could carry code, so it is refused before Keras deserialises the file."""


@dataclasses.dataclass
class LoadedModel:
    """A model read from disk, with its metadata (empty dict when none sits beside it)."""

    model: object
    metadata: dict
    path: Path


def metadata_path(model_path):
    """Where the metadata of `model_path` lives: same folder and stem, `.json`."""
    return Path(model_path).with_suffix(".json")


def _temporary_beside(final, suffix):
    """A new hidden temp file beside `final` (`.STEM-XXXX.suffix`): same folder, so the rename
    into place is one atomic step; hidden, so no listing ever shows it."""
    fd, temporary = tempfile.mkstemp(dir=final.parent, prefix=f".{final.stem}-", suffix=suffix)
    os.close(fd)
    os.chmod(temporary, 0o644)
    return Path(temporary)


def save_model(model, path, metadata, h5=False):
    """Saves `model` as `.keras` (and optionally `.h5`) with its metadata: all of them or none.

    Every file is first written whole to a hidden temp file beside its target; then the temps
    are renamed into place, metadata first and the `.keras` last. A model is listed by its model
    file, so it never appears without its metadata; a kill between the renames leaves at worst
    a metadata file alone (`models_folder.remove_leftovers` removes a visitor's at the next
    start). An error (a full disk...) removes every file this call wrote, temps included.

    Args:
        model: a Keras model.
        path: target path ending in `.keras`.
        metadata: JSON-serialisable dict (recipe, epochs, test accuracy, ...).
        h5: also write the legacy `.h5` beside it, as the tutorial's `model.save('mnist_model.h5')`.

    Returns:
        The list of paths written: the `.keras`, the `.h5` if asked, then the `.json`.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"{path} must end in .keras")
    path.parent.mkdir(parents=True, exist_ok=True)
    models = [path] + ([path.with_suffix(".h5")] if h5 else [])
    in_rename_order = [metadata_path(path), *reversed(models)]  # metadata, .h5, then .keras
    temporaries, placed = {}, []
    try:
        for target in in_rename_order:
            temporaries[target] = _temporary_beside(target, target.suffix)
        temporaries[metadata_path(path)].write_text(
            json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
        for target in models:
            model.save(temporaries[target])
        for target in in_rename_order:
            os.replace(temporaries[target], target)
            placed.append(target)
    except BaseException:  # a cancel or a full disk: take back everything this call wrote
        for target in [*temporaries.values(), *placed]:
            target.unlink(missing_ok=True)
        raise
    return [*models, metadata_path(path)]


def read_metadata(model_path):
    """Returns the metadata dict stored beside `model_path`, or {} when there is none or it is bad."""
    try:
        data = json.loads(metadata_path(model_path).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _layers(config):
    """Yields `(class_name, module)` for every layer of a serialised model, nested models included."""
    layers = config.get("config", {}).get("layers", []) if isinstance(config, dict) else []
    for layer in layers if isinstance(layers, list) else []:
        if isinstance(layer, dict):
            yield layer.get("class_name"), layer.get("module")
            yield from _layers(layer)


def _modules(config):
    """Every `module` a serialised config names (layers, activations, initializers...)."""
    if isinstance(config, dict):
        if isinstance(config.get("module"), str):
            yield config["module"]
        for value in config.values():
            yield from _modules(value)
    elif isinstance(config, list):
        for value in config:
            yield from _modules(value)


def check_config(config, name):
    """Refuses a serialised model that could run code from its file.

    Raises:
        ModelFileError: a Lambda layer, a layer outside `SAFE_LAYERS`, or any object from a
            module outside Keras.
    """
    if not isinstance(config, dict) or config.get("class_name") not in SAFE_LAYERS:
        raise ModelFileError(f"{name} does not describe a Keras Sequential or Functional model.")
    for class_name, module in _layers(config):
        if class_name in ("Lambda", "TFOpLambda", "SlicingOpLambda"):
            raise ModelFileError(f"{name} contains a Lambda layer, which would run code from the "
                                 "file; it was refused for safety.")
        if class_name not in SAFE_LAYERS:
            raise ModelFileError(f"{name} uses the layer {class_name}, which this app does not "
                                 "load; only standard Keras layers are accepted.")
    for module in _modules(config):
        if module != "builtins" and module.split(".")[0] != "keras":
            raise ModelFileError(f"{name} refers to code in the module {module}, which would run "
                                 "from outside Keras; it was refused for safety.")


def _read_config(path):
    """The model's architecture as JSON, read without deserialising anything."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as archive:
                return json.loads(archive.read("config.json"))
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
            raise ModelFileError(f"{path.name} is damaged or truncated ({error}); "
                                 "save or download it again.") from None
    if head == HDF5_SIGNATURE:
        import h5py

        try:
            with h5py.File(path, "r") as f:
                raw = f.attrs.get("model_config")
        except OSError:
            raise ModelFileError(f"{path.name} is a damaged or truncated HDF5 file; "
                                 "save or download it again.") from None
        if raw is None:
            raise ModelFileError(f"{path.name} holds weights only, not a whole model; "
                                 "save it with model.save().")
        return json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    raise ModelFileError(f"{path.name} is not a Keras model: expected a .keras or .h5 file "
                         "written by model.save().")


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
    if not path.is_file():
        raise ModelFileError(f"There is no model file at {path}.")
    if path.stat().st_size == 0:
        raise ModelFileError(f"{path.name} is empty; save or download it again.")
    check_config(_read_config(path), path.name)
    model = _keras_load(path)
    _check_shapes(model, path.name)
    return LoadedModel(model, read_metadata(path), path)


def _keras_load(path):
    import keras

    try:
        return keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many kinds; each means "not a loadable model"
        reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        raise ModelFileError(f"{path.name} could not be loaded as a Keras model ({reason}).") from None


def _check_shapes(model, name):
    try:
        inputs = tuple(model.input_shape[1:])
        outputs = tuple(model.output_shape[1:])
    except (AttributeError, ValueError, TypeError):
        raise ModelFileError(f"{name} is not a single-input, single-output model.") from None
    if inputs != INPUT_SHAPE or outputs != (NUM_CLASSES,):
        raise ModelFileError(f"{name} maps {inputs} to {outputs}, but an MNIST model must map "
                             f"{INPUT_SHAPE} to ({NUM_CLASSES},).")


def models_dir():
    """The models folder of the page and of `python -m mnist_core models`: the
    `MNIST_MODELS_DIR` setting, else `models/` beside the `mnist_core` package."""
    from mnist_core import settings

    return Path(settings.get("MNIST_MODELS_DIR") or Path(__file__).resolve().parent.parent / "models")


def list_models(folder):
    """The models in `folder` (`.keras` first, then `.h5`), each with its metadata, best first.

    Returns:
        A list of `(path, metadata)`, best reader of drawings first (`reading_rank`); the
        first is the default model.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.suffix in MODEL_SUFFIXES and not p.name.startswith(".")]
    # A `.h5` twin of a listed `.keras` model is the same model; list it once.
    stems = {p.stem for p in found if p.suffix == ".keras"}
    found = [p for p in found if p.suffix == ".keras" or p.stem not in stems]
    entries = [(p, read_metadata(p)) for p in found]
    return sorted(entries, key=lambda e: (reading_rank(e[1]), e[0].name))


def reading_rank(metadata):
    """Sort key that puts the best reader of visitors' drawings first: the one rule that picks
    the page's first model and the `*` of `python -m mnist_core models`.

    Accuracy on the project's drawn digits decides (`drawn_accuracy`, measured when the model
    was trained), then accuracy on the MNIST test set; a model without a figure comes after
    those with one.
    """
    def figure(key):
        value = metadata.get(key)
        return -float(value) if isinstance(value, (int, float)) else 1.0

    return figure("drawn_accuracy"), figure("test_accuracy")


def default_entry(entries):
    """The default among `list_models()` entries (the best reader of drawings), or None."""
    return min(entries, key=lambda e: (reading_rank(e[1]), e[0].name), default=None)
