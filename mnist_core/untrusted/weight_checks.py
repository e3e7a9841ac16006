"""An untrusted model's weights compared with what its config's layers need, as Keras pairs them.

`hdf5_checks` has bounded the file's datasets (metadata only); here their paths and shapes
are matched with the layers the config declares (`weight_layout`), in the Keras 3 layout
of a `.keras` or the legacy `weight_names` lists of an `.h5`, so Keras reads no weight that a
layer does not need, and builds no layer whose weights alone exceed the limit.
"""

import h5py

import mnist_core.untrusted.weight_layout as layout
from mnist_core.untrusted.config_checks import quote, size_text
from mnist_core.untrusted.hdf5_checks import MAX_WEIGHT_BYTES, name_list, refused

MIN_BYTES_PER_PARAMETER = 2
"""A weight takes at least 2 bytes (bfloat16); ours are float32, even under mixed precision."""

OPTIMIZER_STATE_FACTOR = 4
"""Optimizer state is at most this many copies of the layers' weights (Adam with amsgrad: 3)."""

MAX_UNMATCHED_BYTES = 2**20
"""Bytes allowed outside layers and optimizer (counters, seeds): Keras writes a few bytes there."""


def check_weights(f, datasets, config, name, container):
    """Compares the datasets with the weights the config's layers need, as Keras will pair them.

    Args:
        f: an open `h5py.File`.
        datasets: what `hdf5_checks.declared_datasets` returned for it.
        config: the walked model config (`config_checks.check_config`).
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
        raise refused(name, "holds more optimizer state than its layers' weights can need")
    if other_bytes > MAX_UNMATCHED_BYTES:
        raise refused(name, "holds data that belongs to none of its layers")
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
        raise refused(name, f"declares layers whose weights take at least {size_text(least)}, far "
                            "more than an MNIST model needs")


def _keras3_layers(f, datasets, config, name):
    """Checks `layers/<group>/vars/<i>` against the config; returns the paths Keras reads."""
    expected, used, found = layout.keras3_groups(config), set(), {}
    for path, (shape, _) in datasets.items():
        parts = path.split("/")
        if parts[0] != "layers" or len(parts) < 3:
            continue
        group = parts[1]
        if group not in expected:
            raise refused(name, "holds weights for a layer its model does not declare")
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
        raise refused(name, "holds no model weights")
    used, listed = set(), []
    for layer in name_list(weights, "layer_names", name) + ["top_level_model_weights"]:
        group = weights.get(layer)
        if layer == "top_level_model_weights" and group is None:
            continue
        if not isinstance(group, h5py.Group):
            raise refused(name, "lists a layer whose weights are missing")
        paths = []
        for weight in name_list(group, "weight_names", name):
            ds = group.get(weight)
            path = ds.name.lstrip("/") if isinstance(ds, h5py.Dataset) else None
            if path not in datasets:
                raise refused(name, "lists a weight that it does not hold")
            if path in used:
                raise refused(name, "lists the same weight more than once")
            used.add(path)
            paths.append(path)
        if paths:
            listed.append((layer, paths))
    declared = [(layer, shapes) for layer, shapes in layout.legacy_layers(config)
                if shapes is None or shapes]
    if len(listed) != len(declared):
        raise refused(name, f"holds weights for {len(listed)} layers where its model declares "
                            f"{len(declared)}")
    for (layer, paths), (_, shapes) in zip(listed, declared):
        if shapes is not None and (len(paths) != len(shapes) or not all(
                layout.shape_matches(s, datasets[p][0]) for s, p in zip(shapes, paths))):
            raise _mismatch(name, layer)
    return used


def _mismatch(name, layer):
    return refused(name, f"holds weights for its layer {quote(layer)} that do not match what that "
                         "layer declares")
