"""The HDF5 part of an untrusted model (a legacy `.h5`, or a `.keras`'s weights): metadata only.

h5py reads object headers (names, shapes, dtypes, layouts, attributes) here, never a dataset's
values. Every dataset must store what it declares, inside the file, once: no chunked or sparse
datasets that declare gigabytes and store nothing, no links to other files or to the same data
twice, only numbers; and the attributes Keras reads (`model_config`, the legacy `layer_names` and
`weight_names` lists) are bounded before they are read. `weight_checks` then compares the
datasets with the weights the config's layers need.
"""

import math

import h5py
import numpy as np

from mnist_core.errors import ModelFileError
from mnist_core.untrusted.config_checks import size_text

MAX_WEIGHT_BYTES = 64 * 2**20
"""Most bytes all datasets together may declare; the strong model with its Adam state: 5.5 MiB."""

MAX_HDF5_OVERHEAD_BYTES = 4 * 2**20
"""Most bytes of HDF5 structure beside the weights; Keras files have 20 to 75 KB."""

MAX_HDF5_OBJECTS = 4096
"""Most groups and datasets in one file; the strong model has 130."""

MAX_HDF5_DEPTH = 16
"""Deepest group nesting; Keras writes 3 to 5 levels."""

MAX_WEIGHT_NAMES = 4096
"""Most names in one `layer_names`/`weight_names` attribute."""

MAX_NAME_BYTES = 1024
"""Longest fixed-length string such an attribute may hold per name."""

NUMBER_KINDS = frozenset("biuf")
"""numpy dtype kinds of booleans, integers and floats; bfloat16 is stored as 2-byte opaque data."""

_LAYOUTS = (h5py.h5d.CONTIGUOUS, h5py.h5d.COMPACT)


def declared_datasets(f, name, data_size, beyond=0):
    """Walks every dataset of an open HDF5 file, reading metadata only, and bounds them.

    Also bounds what is not weights: a file whose bytes exceed its declared weights by more
    than `MAX_HDF5_OVERHEAD_BYTES + beyond` holds something else (a huge attribute, which h5py
    would read whole before its size is known), so it is refused before any attribute is read.

    Args:
        f: an open `h5py.File`.
        name: the visitor's file name, for messages.
        data_size: bytes in the HDF5 data, so a dataset cannot point past its end.
        beyond: bytes allowed besides weights and HDF5's own structure (the model config).

    Returns:
        dict: path -> (shape, declared bytes), one entry per dataset.

    Raises:
        ModelFileError: one sentence naming `name`.
    """
    datasets = _walk(f, name, data_size)
    if data_size - sum(size for _, size in datasets.values()) > MAX_HDF5_OVERHEAD_BYTES + beyond:
        raise refused(name, "holds far more than its weights and model description")
    return datasets


def read_text_attribute(obj, key, limit, name):
    """Reads a scalar string attribute (`model_config`) after checking its declared size.

    Call it after `declared_datasets`, which bounds what a variable-length string can hold.

    Args:
        obj: an h5py group or file.
        key: the attribute's name.
        limit: most bytes accepted.
        name: the visitor's file name, for messages.

    Returns:
        The text, or None when the attribute is absent.

    Raises:
        ModelFileError: not a string, more than `limit` bytes, or not UTF-8.
    """
    if key not in obj.attrs:
        return None
    attribute = h5py.h5a.open(obj.id, key.encode())
    info = h5py.check_string_dtype(attribute.dtype)
    if attribute.shape != () or info is None or (info.length or 0) > limit:
        raise refused(name, f"has a {key} attribute that is not a model description")
    value = obj.attrs[key]
    raw = value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")
    if len(raw) > limit:
        raise refused(name, f"has a {key} attribute over {size_text(limit)}, far more than "
                            "any model of standard layers needs")
    return raw


def _walk(f, name, data_size):
    """Every dataset reached by hard links, each once: path -> (shape, declared bytes)."""
    datasets, total, count = {}, 0, 0
    stack = [("", f, 0)]
    while stack:
        prefix, group, depth = stack.pop()
        for key in group:
            count += 1
            if count > MAX_HDF5_OBJECTS:
                raise refused(name, f"has more than {MAX_HDF5_OBJECTS} HDF5 objects")
            if not isinstance(group.get(key, getlink=True), h5py.HardLink):
                raise refused(name, "links to data elsewhere (another file or another place "
                                    "in this one)")
            obj, path = group[key], f"{prefix}{key}"
            if h5py.h5o.get_info(obj.id).rc != 1:
                raise refused(name, "reaches the same data under more than one name")
            if isinstance(obj, h5py.Group):
                if depth + 1 > MAX_HDF5_DEPTH:
                    raise refused(name, f"nests HDF5 groups deeper than {MAX_HDF5_DEPTH} levels")
                stack.append((path + "/", obj, depth + 1))
            elif isinstance(obj, h5py.Dataset):
                shape, size = _check_dataset(obj, name, data_size)
                total += size
                if total > MAX_WEIGHT_BYTES:
                    raise refused(name, f"declares more than {size_text(MAX_WEIGHT_BYTES)} of "
                                        "weights, far more than an MNIST model needs")
                datasets[path] = (shape, size)
    return datasets


def _check_dataset(ds, name, data_size):
    dtype, shape = ds.dtype, ds.shape
    if dtype.fields is not None or not (dtype.kind in NUMBER_KINDS
                                        or (dtype.kind == "V" and dtype.itemsize == 2)):
        raise refused(name, "holds a dataset that is not numbers")
    shape = () if shape is None else tuple(int(d) for d in shape)
    size = math.prod(shape) * dtype.itemsize
    if size > MAX_WEIGHT_BYTES:
        raise refused(name, f"declares a weight of {size_text(size)}, far more than an MNIST "
                            "model needs")
    plist = ds.id.get_create_plist()
    if plist.get_layout() not in _LAYOUTS or plist.get_external_count() or plist.get_nfilters():
        raise refused(name, "stores a weight in chunks, compressed or outside the file, "
                            "which Keras never writes")
    offset = ds.id.get_offset()
    if ds.id.get_storage_size() != size or (
            plist.get_layout() == h5py.h5d.CONTIGUOUS and size
            and (offset is None or offset + size > data_size)):
        raise refused(name, "declares weights that it does not store")
    return shape, size


def name_list(obj, key, name):
    """A list-of-names attribute, as Keras reads it (also split into `key0`, `key1`, ...)."""
    keys = [key] if key in obj.attrs else []
    while not keys or keys[0] != key:  # Keras splits attributes over 64 KiB into numbered parts
        if f"{key}{len(keys)}" not in obj.attrs or len(keys) >= MAX_WEIGHT_NAMES:
            break
        keys.append(f"{key}{len(keys)}")
    names = []
    for part in keys:
        attribute = h5py.h5a.open(obj.id, part.encode())
        info = h5py.check_string_dtype(attribute.dtype)
        count = math.prod(attribute.shape or ())
        too_long = info is not None and (info.length or 0) > MAX_NAME_BYTES
        if (len(attribute.shape or ()) > 1 or count + len(names) > MAX_WEIGHT_NAMES
                or (info is None and count) or too_long):
            raise refused(name, f"has a {key} attribute that is not a short list of names")
        for value in np.atleast_1d(obj.attrs[part]):
            try:
                names.append(value.decode("utf-8") if isinstance(value, bytes) else str(value))
            except UnicodeDecodeError:
                raise refused(name, f"has a {key} attribute that is not UTF-8 text") from None
    if len(set(names)) != len(names):
        raise refused(name, f"repeats a name in its {key} list, so Keras would read the same "
                            "weights more than once")
    return names


def refused(name, what):
    """The `ModelFileError` for the visitor's file `name`, which `what` (e.g. "holds no model
    weights"): one sentence that says what to do."""
    return ModelFileError(f"{name} {what}; it was refused, so save the model again with Keras.")
