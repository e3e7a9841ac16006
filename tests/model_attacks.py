"""Hostile model files, built from the project's real models with zipfile, h5py and byte patches.

The tools to build them, and `ATTACKS`, the catalogue that `model_attacks_hdf5` and
`model_attacks_archive` fill with one case per attack of issue #9 (A1-A6). None needs Keras: a
shape bomb declares gigabytes and writes nothing, a zip bomb is a member of zeros, and a header
flag is two bytes.
"""

import io
import json
import shutil
import struct
import warnings
import zipfile

import h5py
import numpy as np

from tests.conftest import FIXTURES, ROOT

KERAS_MODEL = ROOT / "models" / "tutorial.keras"
H5_MODEL = FIXTURES / "tutorial_tf_keras2.h5"
GIB = 2**30

ATTACKS = {}
"""name -> (suffix of the file, `build(path) -> path`, regular expression of its refusal)."""


def case(suffix, refusal):
    """Registers `build(path)` in `ATTACKS` under its function name."""
    def register(build):
        ATTACKS[build.__name__] = (suffix, build, refusal)
        return build
    return register


def members(path=KERAS_MODEL):
    """The members of a `.keras` archive: {name: bytes}."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def config(path=KERAS_MODEL):
    """The model config of a `.keras` archive or of a legacy `.h5` file."""
    if path.suffix == ".h5":
        with h5py.File(path, "r") as f:
            return json.loads(f.attrs["model_config"])
    return json.loads(members(path)["config.json"])


def write_zip(path, entries, method=zipfile.ZIP_STORED):
    """Writes `entries` ([(name, bytes)] or {name: bytes}) as a zip, duplicates allowed."""
    entries = entries.items() if isinstance(entries, dict) else entries
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names, which we want
        with zipfile.ZipFile(path, "w", compression=method) as archive:
            for name, data in entries:
                archive.writestr(name, data)
    return path


def keras_with(path, method=zipfile.ZIP_STORED, **replace):
    """The tutorial `.keras` with some members replaced (`config_json=...`, `weights=...`)."""
    entries = members()
    names = {"config_json": "config.json", "weights": "model.weights.h5"}
    for key, value in replace.items():
        entries[names[key]] = value if isinstance(value, bytes) else json.dumps(value).encode()
    return write_zip(path, entries, method)


def patch_member(path, member, **fields):
    """Overwrites fields of `member`'s local and central headers (flags, method, declared sizes)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    for signature, offsets in ((b"PK\x03\x04", {"flags": 6, "method": 8, "size": 22}),
                               (b"PK\x01\x02", {"flags": 8, "method": 10, "size": 24})):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at:name_at + len(name)] == name:
                for field, value in fields.items():
                    fmt = "<L" if field == "size" else "<H"
                    struct.pack_into(fmt, data, start + offsets[field], value)
            start += 4
    path.write_bytes(bytes(data))
    return path


def keras_weights(edit):
    """The tutorial's `model.weights.h5` bytes after `edit(h5py.File)`."""
    buffer = io.BytesIO(members()["model.weights.h5"])
    with h5py.File(buffer, "a") as f:
        edit(f)
    return buffer.getvalue()


def h5_with(path, edit):
    """A copy of the Keras 2 tutorial `.h5` after `edit(h5py.File)`."""
    shutil.copyfile(H5_MODEL, path)
    with h5py.File(path, "a") as f:
        edit(f)
    return path


def shape_bomb(group, name, shape=(GIB * 3 // 4,)):
    """A float32 dataset declaring 3 GiB that stores nothing (chunks are written only when set)."""
    group.create_dataset(name, shape=shape, dtype="float32", chunks=(1024,) * len(shape))


def replace_dataset(group, name, **create):
    del group[name]
    group.create_dataset(name, **create)


def set_names(group, key, names):
    group.attrs[key] = np.array([n.encode() for n in names], dtype=object)


def nested(depth, leaf="0"):
    """JSON lists nested `depth` deep."""
    return "[" * depth + leaf + "]" * depth


def edit_layers(changes, model_config=None):
    """The tutorial's config (or `model_config`) with some layers' settings changed.

    Args:
        changes: {layer index: {setting: value}}.
    """
    model_config = model_config or config()
    for index, settings in changes.items():
        model_config["config"]["layers"][index]["config"].update(settings)
    return model_config
