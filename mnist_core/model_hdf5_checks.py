"""The HDF5 part of an untrusted model (a legacy `.h5`, or a `.keras`'s weights): metadata only.

h5py reads object headers (names, shapes, dtypes, layouts, attributes) here, never a dataset's
values. Every dataset must store what it declares, inside the file, once: no chunked or sparse
datasets that declare gigabytes and store nothing, no links to other files or to the same data
twice, only numbers. Then the datasets are compared with the weights the config's layers need,
and what Keras would read (legacy `weight_names` lists included) is bounded before Keras reads it.
"""

import math

import h5py
import numpy as np

from mnist_core import model_weight_layout as layout
from mnist_core.errors import ModelFileError
from mnist_core.model_config_checks import quote, size_text

MAX_WEIGHT_BYTES = 64 * 2**20
"""Most bytes all datasets together may declare; the strong model with its Adam state: 5.5 MiB."""

MAX_HDF5_OVERHEAD_BYTES = 4 * 2**20
"""Most bytes of HDF5 structure beside the weights; Keras files have 20 to 75 KB."""

MIN_BYTES_PER_PARAMETER = 2
"""A weight takes at least 2 bytes (bfloat16); ours are float32, even under mixed precision."""

MAX_HDF5_OBJECTS = 4096
"""Most groups and datasets in one file; the strong model has 130."""

MAX_HDF5_DEPTH = 16
"""Deepest group nesting; Keras writes 3 to 5 levels."""

MAX_WEIGHT_NAMES = 4096
"""Most names in one `layer_names`/`weight_names` attribute."""

MAX_NAME_BYTES = 1024
"""Longest fixed-length string such an attribute may hold per name."""

OPTIMIZER_STATE_FACTOR = 4
"""Optimizer state is at most this many copies of the layers' weights (Adam with amsgrad: 3)."""

MAX_UNMATCHED_BYTES = 2**20
"""Bytes allowed outside layers and optimizer (counters, seeds): Keras writes a few bytes there."""

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
        raise _refuse(name, "holds far more than its weights and model description")
    return datasets


def check_weights(f, datasets, config, name, container):
    """Compares the datasets with the weights the config's layers need, as Keras will pair them.

    Args:
        f: an open `h5py.File`.
        datasets: what `declared_datasets` returned for it.
        config: the walked model config (`model_config_checks.check_config`).
        name: the visitor's file name, for messages.
        container: "keras" (Keras 3 weight layout) or "h5" (legacy layout, Keras 2 or 3).

    Returns:
        `(weights_bytes, datasets)`: total declared bytes and number of datasets.

    Raises:
        ModelFileError: one sentence naming `name`.
    """
    if container == "keras":
        used = _keras3_layers(f, datasets, config, name)
    else:
        used = _legacy_layers(f, datasets, config, name)
    layer_bytes = sum(datasets[p][1] for p in used)
    optimizer_bytes = sum(size for path, (_, size) in datasets.items() if path not in used
                          and path.startswith(("optimizer/", "optimizer_weights/")))
    other_bytes = sum(size for _, size in datasets.values()) - layer_bytes - optimizer_bytes
    if optimizer_bytes > OPTIMIZER_STATE_FACTOR * layer_bytes + MAX_UNMATCHED_BYTES:
        raise _refuse(name, "holds more optimizer state than its layers' weights can need")
    if other_bytes > MAX_UNMATCHED_BYTES:
        raise _refuse(name, "holds data that belongs to none of its layers")
    return sum(size for _, size in datasets.values()), len(datasets)


def check_declared_layers(config, name):
    """Refuses a config whose layers alone would make Keras allocate more than the weight limit.

    Keras builds every layer (allocating its weights) before it reads the weight file, so a
    Dense layer of 10**9 units costs gigabytes whatever the file holds.

    Raises:
        ModelFileError: one sentence naming `name`.
    """
    least = layout.least_parameters(config) * MIN_BYTES_PER_PARAMETER
    if least > MAX_WEIGHT_BYTES:
        raise _refuse(name, f"declares layers whose weights take at least {size_text(least)}, far "
                            "more than an MNIST model needs")


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
        raise _refuse(name, f"has a {key} attribute that is not a model description")
    value = obj.attrs[key]
    raw = value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")
    if len(raw) > limit:
        raise _refuse(name, f"has a {key} attribute over {size_text(limit)}, far more than "
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
                raise _refuse(name, f"has more than {MAX_HDF5_OBJECTS} HDF5 objects")
            if not isinstance(group.get(key, getlink=True), h5py.HardLink):
                raise _refuse(name, "links to data elsewhere (another file or another place "
                                    "in this one)")
            obj, path = group[key], f"{prefix}{key}"
            if h5py.h5o.get_info(obj.id).rc != 1:
                raise _refuse(name, "reaches the same data under more than one name")
            if isinstance(obj, h5py.Group):
                if depth + 1 > MAX_HDF5_DEPTH:
                    raise _refuse(name, f"nests HDF5 groups deeper than {MAX_HDF5_DEPTH} levels")
                stack.append((path + "/", obj, depth + 1))
            elif isinstance(obj, h5py.Dataset):
                shape, size = _check_dataset(obj, name, data_size)
                total += size
                if total > MAX_WEIGHT_BYTES:
                    raise _refuse(name, f"declares more than {size_text(MAX_WEIGHT_BYTES)} of "
                                        "weights, far more than an MNIST model needs")
                datasets[path] = (shape, size)
    return datasets


def _check_dataset(ds, name, data_size):
    dtype, shape = ds.dtype, ds.shape
    if dtype.fields is not None or not (dtype.kind in NUMBER_KINDS
                                        or (dtype.kind == "V" and dtype.itemsize == 2)):
        raise _refuse(name, "holds a dataset that is not numbers")
    shape = () if shape is None else tuple(int(d) for d in shape)
    size = math.prod(shape) * dtype.itemsize
    if size > MAX_WEIGHT_BYTES:
        raise _refuse(name, f"declares a weight of {size_text(size)}, far more than an MNIST "
                            "model needs")
    plist = ds.id.get_create_plist()
    if plist.get_layout() not in _LAYOUTS or plist.get_external_count() or plist.get_nfilters():
        raise _refuse(name, "stores a weight in chunks, compressed or outside the file, "
                            "which Keras never writes")
    offset = ds.id.get_offset()
    if ds.id.get_storage_size() != size or (
            plist.get_layout() == h5py.h5d.CONTIGUOUS and size
            and (offset is None or offset + size > data_size)):
        raise _refuse(name, "declares weights that it does not store")
    return shape, size


def _keras3_layers(f, datasets, config, name):
    """Checks `layers/<group>/vars/<i>` against the config; returns the paths Keras reads."""
    expected, used, found = layout.keras3_groups(config), set(), {}
    for path, (shape, _) in datasets.items():
        parts = path.split("/")
        if parts[0] != "layers" or len(parts) < 3:
            continue
        group = parts[1]
        if group not in expected:
            raise _refuse(name, "holds weights for a layer its model does not declare")
        shapes = expected[group]
        if shapes is None:
            used.add(path)
        elif len(parts) == 4 and parts[2] == "vars":
            index = int(parts[3]) if parts[3].isdigit() else -1
            if not 0 <= index < len(shapes) or not layout.shape_matches(shapes[index], shape):
                raise _mismatch(name, group)
            used.add(path)
            found[group] = found.get(group, 0) + 1
    for group, shapes in expected.items():
        if shapes and found.get(group, 0) != len(shapes):
            raise _mismatch(name, group)
    return used


def _legacy_layers(f, datasets, config, name):
    """Checks `model_weights` and its `weight_names` lists; returns the paths Keras reads.

    Keras pairs the listed layers that have weights with the model's layers that have weights,
    in order, and reads every listed weight before comparing anything: so names are unique,
    each reaches a dataset held once, and each shape is compared here first.
    """
    weights = f.get("model_weights")
    if not isinstance(weights, h5py.Group):
        raise _refuse(name, "holds no model weights")
    used, listed = set(), []
    for layer in _names(weights, "layer_names", name) + ["top_level_model_weights"]:
        group = weights.get(layer)
        if layer == "top_level_model_weights" and group is None:
            continue
        if not isinstance(group, h5py.Group):
            raise _refuse(name, "lists a layer whose weights are missing")
        paths = []
        for weight in _names(group, "weight_names", name):
            ds = group.get(weight)
            path = ds.name.lstrip("/") if isinstance(ds, h5py.Dataset) else None
            if path not in datasets:
                raise _refuse(name, "lists a weight that it does not hold")
            if path in used:
                raise _refuse(name, "lists the same weight more than once")
            used.add(path)
            paths.append(path)
        if paths:
            listed.append((layer, paths))
    declared = [(layer, shapes) for layer, shapes in layout.legacy_layers(config)
                if shapes is None or shapes]
    if len(listed) != len(declared):
        raise _refuse(name, f"holds weights for {len(listed)} layers where its model declares "
                            f"{len(declared)}")
    for (layer, paths), (_, shapes) in zip(listed, declared):
        if shapes is not None and (len(paths) != len(shapes) or not all(
                layout.shape_matches(s, datasets[p][0]) for s, p in zip(shapes, paths))):
            raise _mismatch(name, layer)
    return used


def _names(obj, key, name):
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
            raise _refuse(name, f"has a {key} attribute that is not a short list of names")
        for value in np.atleast_1d(obj.attrs[part]):
            try:
                names.append(value.decode("utf-8") if isinstance(value, bytes) else str(value))
            except UnicodeDecodeError:
                raise _refuse(name, f"has a {key} attribute that is not UTF-8 text") from None
    if len(set(names)) != len(names):
        raise _refuse(name, f"repeats a name in its {key} list, so Keras would read the same "
                            "weights more than once")
    return names


def _mismatch(name, layer):
    return _refuse(name, f"holds weights for its layer {quote(layer)} that do not match what that "
                         "layer declares")


def _refuse(name, what):
    return ModelFileError(f"{name} {what}; it was refused, so save the model again with Keras.")
