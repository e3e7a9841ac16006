"""Attacks on the HDF5 side of a model file (issue #9, A1 and A5-A6): each case builds one file.

Each case is `name(path)` that writes the attack to `path`, registered with the suffix the file
gets and a regular expression its refusal must match.
"""

import json

import h5py
import numpy as np

from tests.model_attacks import (case, edit_layers, h5_with, keras_weights, keras_with, set_names,
                                 shape_bomb)
from tests import model_attacks as attack

DENSE = "model_weights/dense"
DENSE_WEIGHTS = "model_weights/dense/dense"
KERNEL_PATH = "/model_weights/dense/dense/kernel:0"


@case(".h5", "declares a weight of 3,072.0 MiB")
def h5_repeated_names_to_shape_bomb(path):
    """A1 as found: one name listed three times, pointing at 3 GiB that are never stored."""
    def edit(f):
        shape_bomb(f[DENSE_WEIGHTS], "bomb:0")
        set_names(f[DENSE], "weight_names", ["dense/bomb:0"] * 3)
    return h5_with(path, edit)


@case(".h5", "chunks")
def h5_shape_bomb_of_the_right_shape(path):
    """A chunked weight of the very shape the layer needs, whose chunks were never written."""
    return h5_with(path, lambda f: attack.replace_dataset(
        f[DENSE_WEIGHTS], "kernel:0", shape=(1600, 128), dtype="f4", chunks=(16, 128)))


@case(".h5", "does not store")
def h5_weight_declared_not_stored(path):
    """A contiguous weight of the right shape whose storage was never allocated."""
    return h5_with(path, lambda f: attack.replace_dataset(
        f[DENSE_WEIGHTS], "kernel:0", shape=(1600, 128), dtype="f4"))


@case(".h5", "declares a weight of 4,096.0 MiB")
def h5_huge_weight_declared(path):
    return h5_with(path, lambda f: attack.replace_dataset(
        f[DENSE_WEIGHTS], "kernel:0", shape=(2**20, 1024), dtype="f4"))


@case(".h5", "declares a weight of 3,072.0 MiB")
def h5_optimizer_state_bomb(path):
    return h5_with(path, lambda f: shape_bomb(f["optimizer_weights"], "bomb"))


@case(".h5", "repeats a name in its weight_names list")
def h5_repeated_weight_name(path):
    """A1's repetition alone, on a weight that is really stored: Keras would read it twice."""
    return h5_with(path, lambda f: set_names(f[DENSE], "weight_names",
                                             ["dense/kernel:0", "dense/kernel:0"]))


@case(".h5", "repeats a name in its weight_names list")
def h5_repeated_weight_name_in_parts(path):
    """The repetition split over `weight_names0` and `weight_names1`, which Keras joins."""
    def edit(f):
        del f[DENSE].attrs["weight_names"]
        set_names(f[DENSE], "weight_names0", ["dense/kernel:0"])
        set_names(f[DENSE], "weight_names1", ["dense/kernel:0"])
    return h5_with(path, edit)


@case(".h5", "repeats a name in its layer_names")
def h5_repeated_layer_name(path):
    return h5_with(path, lambda f: set_names(f["model_weights"], "layer_names", ["dense", "dense"]))


@case(".h5", "more than one name")
def h5_two_names_for_one_weight(path):
    """Two hard links to one dataset: distinct names, the same bytes read twice."""
    def edit(f):
        f[DENSE_WEIGHTS]["copy:0"] = f[DENSE_WEIGHTS]["kernel:0"]
        set_names(f[DENSE], "weight_names", ["dense/kernel:0", "dense/copy:0"])
    return h5_with(path, edit)


@case(".h5", "repeats a name in its weight_names list")
def h5_top_level_weights_repeated(path):
    """`top_level_model_weights`, which Keras also reads, listing one weight twice."""
    return h5_with(path, lambda f: set_names(
        f["model_weights/top_level_model_weights"], "weight_names", [KERNEL_PATH] * 2))


@case(".h5", "lists the same weight more than once")
def h5_top_level_weights_read_twice(path):
    """`top_level_model_weights` listing a layer's weight: read once per list."""
    return h5_with(path, lambda f: set_names(
        f["model_weights/top_level_model_weights"], "weight_names", [KERNEL_PATH]))


@case(".h5", "links to data elsewhere")
def h5_link_to_another_file(path):
    return h5_with(path, lambda f: f[DENSE_WEIGHTS].__setitem__(
        "elsewhere", h5py.ExternalLink("/etc/passwd.h5", "/x")))


@case(".h5", "links to data elsewhere")
def h5_soft_link(path):
    return h5_with(path, lambda f: f[DENSE_WEIGHTS].__setitem__(
        "again", h5py.SoftLink("/model_weights")))


@case(".h5", "do not match")
def h5_weight_of_the_wrong_shape(path):
    return h5_with(path, lambda f: attack.replace_dataset(
        f["model_weights/dense_1/dense_1"], "kernel:0", data=np.zeros((128, 11), "f4")))


@case(".h5", "holds weights for 5 layers where its model declares 4")
def h5_weights_for_an_extra_layer(path):
    def edit(f):
        f.create_dataset("model_weights/extra/w:0", data=np.zeros(4, "f4"))
        set_names(f["model_weights/extra"], "weight_names", ["w:0"])
        set_names(f["model_weights"], "layer_names",
                  ["conv2d", "conv2d_1", "dense", "dense_1", "extra"])
    return h5_with(path, edit)


@case(".h5", "does not hold")
def h5_weight_name_to_nothing(path):
    return h5_with(path, lambda f: set_names(f[DENSE], "weight_names",
                                             ["dense/kernel:0", "dense/absent:0"]))


@case(".h5", "not numbers")
def h5_weight_of_text(path):
    return h5_with(path, lambda f: f[DENSE_WEIGHTS].create_dataset("notes", data=[b"hello"]))


@case(".h5", "not valid JSON")
def h5_model_config_not_json(path):
    return h5_with(path, lambda f: f.attrs.__setitem__("model_config", "{not json"))


@case(".h5", "not UTF-8")
def h5_model_config_not_utf8(path):
    return h5_with(path, lambda f: f.attrs.__setitem__(
        "model_config", np.bytes_(b'{"class_name": "\xff\xfe"}')))


@case(".h5", "over 256.0 KiB")
def h5_model_config_too_long(path):
    return h5_with(path, lambda f: f.attrs.__setitem__("model_config", " " * 2**21 + "{}"))


@case(".h5", "weights only")
def h5_weights_only(path):
    return h5_with(path, lambda f: f.attrs.__delitem__("model_config"))


@case(".h5", "at least 112.2 MiB")
def h5_config_wider_than_its_weights(path):
    """Keras 2 records no input shapes: widths flowing from 100,000 filters are computed here."""
    wide = edit_layers({1: {"filters": 100_000}}, attack.config(attack.H5_MODEL))
    return h5_with(path, lambda f: f.attrs.__setitem__("model_config", json.dumps(wide)))


@case(".keras", "declares a weight of 3,072.0 MiB")
def keras_weights_shape_bomb(path):
    return keras_with(path, weights=keras_weights(lambda f: attack.replace_dataset(
        f["layers/dense/vars"], "0", shape=(2**28, 3), dtype="f4", chunks=(2**16, 3))))


@case(".keras", "do not match")
def keras_weight_of_the_wrong_shape(path):
    return keras_with(path, weights=keras_weights(lambda f: attack.replace_dataset(
        f["layers/dense/vars"], "0", data=np.zeros((1600, 129), "f4"))))


@case(".keras", "a layer its model does not declare")
def keras_weights_of_an_undeclared_layer(path):
    return keras_with(path, weights=keras_weights(
        lambda f: f.create_dataset("layers/lambda/vars/0", data=np.zeros(4, "f4"))))


@case(".keras", "not a readable HDF5 file")
def keras_weights_not_hdf5(path):
    return keras_with(path, weights=bytes(4096))


@case(".keras", "HDF5 \\(.h5\\) file named .keras")
def h5_named_keras(path):
    path.write_bytes(attack.H5_MODEL.read_bytes())
    return path


@case(".h5", "both a zip")
def h5_with_a_zip_appended(path):
    path.write_bytes(attack.H5_MODEL.read_bytes() + attack.KERAS_MODEL.read_bytes())
    return path


@case(".keras", "both a zip")
def keras_with_hdf5_at_512(path):
    """A zip whose first member puts an HDF5 superblock at offset 512, where HDF5 looks too."""
    header_and_name = 30 + len("metadata.json")
    entries = list(attack.members().items())[1:]
    first = ("metadata.json", b" " * (512 - header_and_name) + attack.H5_MODEL.read_bytes()[:64])
    return attack.write_zip(path, [first] + entries)


@case(".h5", "holds far more than its weights and model description")
def h5_model_config_of_60_mib(path):
    """A variable-length attribute is read whole before its length is known: refused unread."""
    return h5_with(path, lambda f: f.attrs.__setitem__("model_config", " " * (60 * 2**20)))
