"""Saving models and their facts: atomic writes, metadata beside each model, the folder's list.

The only code that writes model files. A saved model `NAME.keras` (and, as the tutorial does,
`NAME.h5`) has its facts in `NAME.json` beside it, so the app and the command line load it with no
flags. Loading is `untrusted.load_model`: every model file is checked before Keras reads it.
"""

import dataclasses
import hashlib
import json
import os
import tempfile
from pathlib import Path

from mnist_core.atomic_files import temporary_beside
from mnist_core.errors import ModelFileError
from mnist_core.paths import DEFAULT_MODELS_DIR
from mnist_core.regular_files import is_regular, open_regular, read_regular

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")
DOWNLOAD_SUFFIXES = (".keras", ".h5")
MAX_DOWNLOAD_BYTES = 64 * 2**20
"""The largest model file handed out for download: ten times the strong model's .keras."""
MAX_METADATA_BYTES = 64 * 2**10
"""The largest metadata file read (ours take ~1 KB): a larger one counts as no metadata."""

@dataclasses.dataclass
class LoadedModel:
    """A model read from disk, with its metadata (empty dict when none sits beside it), and
    `digest`: the sha256 of the very bytes it was loaded from, or None when the file changed
    while it was read (or for an upload)."""

    model: object
    metadata: dict
    path: Path
    digest: str = None


def metadata_path(model_path):
    """Where the metadata of `model_path` lives: same folder and stem, `.json`."""
    return Path(model_path).with_suffix(".json")


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
            temporaries[target] = temporary_beside(target, target.suffix)
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


def model_bytes(model, suffix):
    """The file a visitor downloads: `model` saved as `.keras` or as the tutorial's legacy `.h5`.

    Saved into a private temp folder that is always removed, then read back whole.

    Args:
        model: a Keras model.
        suffix: `.keras` or `.h5`.

    Returns:
        The file's bytes; `keras.models.load_model` of them gives the same model.

    Raises:
        ValueError: `suffix` is neither.
        ModelFileError: the file would be over `MAX_DOWNLOAD_BYTES`.
    """
    if suffix not in DOWNLOAD_SUFFIXES:
        raise ValueError(f"a model downloads as {' or '.join(DOWNLOAD_SUFFIXES)}, not {suffix!r}")
    with tempfile.TemporaryDirectory(prefix="mnist-download-") as folder:
        path = Path(folder) / f"model{suffix}"
        model.save(path)
        return _bounded_read(path, f"This model as {suffix}")


def saved_file_bytes(path):
    """The bytes of a model file of the models folder, for a download, at most `MAX_DOWNLOAD_BYTES`.

    Raises:
        ModelFileError: the file is gone or over the bound.
    """
    try:
        return _bounded_read(Path(path), Path(path).name)
    except OSError:
        raise ModelFileError(f"{Path(path).name} is no longer on the server.") from None


def _bounded_read(path, name):
    with open_regular(path) as file:
        content = file.read(MAX_DOWNLOAD_BYTES + 1)  # never more, whatever the file grew to
    if len(content) > MAX_DOWNLOAD_BYTES:
        raise ModelFileError(f"{name} is larger than the {MAX_DOWNLOAD_BYTES >> 20} MB a "
                             f"download may be; ask the server's owner for the file.")
    return content


def read_metadata(model_path):
    """Returns the metadata dict stored beside `model_path`, or {} when there is none or it is bad
    (not a regular file, larger than `MAX_METADATA_BYTES`, not a JSON object)."""
    try:
        data = json.loads(read_regular(metadata_path(model_path), MAX_METADATA_BYTES) or b"")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def file_digest(path):
    """sha256 of a file's bytes, read in 1 MB pieces (the strong model's 6 MB: ~15 ms).

    Raises:
        regular_files.NotRegularFile: `path` is a FIFO, a device or a folder (never waited on).
        OSError: it is missing or unreadable.
    """
    digest = hashlib.sha256()
    with open_regular(path) as file:
        for piece in iter(lambda: file.read(2**20), b""):
            digest.update(piece)
    return digest.hexdigest()


def models_dir():
    """The models folder of the page and of `python -m mnist_core models`: the
    `MNIST_MODELS_DIR` setting, else `models/` beside the `mnist_core` package."""
    from mnist_core import settings

    return Path(settings.get("MNIST_MODELS_DIR") or DEFAULT_MODELS_DIR)


def list_models(folder):
    """The models in `folder` (`.keras` first, then `.h5`), each with its metadata, best first.

    Only regular files (or links to them) are listed: a FIFO or a device named `x.keras` would
    hang or never end whoever opened it, so nobody is offered it.

    Returns:
        A list of `(path, metadata)`, best reader of drawings first (`reading_rank`); the
        first is the default model.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir()
             if p.suffix in MODEL_SUFFIXES and not p.name.startswith(".") and is_regular(p)]
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
