"""Files given with --data: every declared size is checked before the bytes behind it are read."""

import gzip
import io
import struct
import zipfile

import numpy as np
import pytest

from mnist_core.data import dataset_files
from mnist_core.data import sources
from mnist_core.data.mnist import checks_for, load_data
from mnist_core.data.dataset_files import read_idx, read_npz
from mnist_core.errors import DataUnavailableError
from tests.conftest import make_tiny_data

TIB = 2**40


def npy_header(shape, descr="|u1", version=(1, 0), length=None):
    """The first bytes of a .npy file declaring `shape`: nothing else need follow to claim it."""
    text = repr({"descr": descr, "fortran_order": False, "shape": tuple(shape)})
    text += " " * (63 - (len(text) + 10) % 64) + "\n"  # numpy pads the header to 64 bytes
    length_format = "<H" if version == (1, 0) else "<I"
    size = struct.pack(length_format, len(text) if length is None else length)
    return b"\x93NUMPY" + bytes(version) + size + text.encode("latin1")


def write_npz(path, members):
    """An .npz holding `members`: {name: raw .npy bytes}; the four names default to tiny arrays."""
    (x_train, y_train), (x_test, y_test) = make_tiny_data()
    real = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in real.items():
            if name not in members:
                buffer = io.BytesIO()
                np.save(buffer, array)
                members[name] = buffer.getvalue()
        for name, content in members.items():
            archive.writestr(f"{name}.npy", content)
    return path


def test_reads_a_good_npz_exactly_including_fortran_order(tmp_path):
    arrays = make_tiny_data()
    (x_train, y_train), (x_test, y_test) = arrays
    path = tmp_path / "mine.npz"
    np.savez_compressed(path, x_train=np.asfortranarray(x_train), y_train=y_train,
                        x_test=x_test, y_test=y_test)
    got = read_npz(path)
    assert checks_for(got) == checks_for(arrays)
    got[0][0][0, 0, 0] = 7  # writable, like np.load's arrays


def test_refuses_an_npz_declaring_a_9_tib_array_before_reading_it(tmp_path):
    bomb = write_npz(tmp_path / "bomb.npz", {"x_train": npy_header((9 * TIB // 784, 28, 28))})
    assert bomb.stat().st_size < 100_000  # the three tiny arrays beside it
    with pytest.raises(ValueError, match=r"'x_train' declares 9\.9 TB .*more than MNIST's largest"):
        read_npz(bomb)
    with pytest.raises(DataUnavailableError) as raised:
        load_data(cache_dir=tmp_path / "cache", sources=[sources.path_source(bomb)])
    message = str(raised.value)
    assert "bomb.npz failed ('x_train' declares 9.9 TB" in message and "\n" not in message


def test_refuses_an_array_just_over_mnists_largest(tmp_path):
    over = write_npz(tmp_path / "over.npz", {"x_train": npy_header((60_001, 28, 28))})
    with pytest.raises(ValueError, match="more than MNIST's largest array"):
        read_npz(over)


@pytest.mark.parametrize("shape, descr", [((2, 2, 2, 2), "|u1"), ((2**62,), "|V0")],
                         ids=["four_dimensions", "zero_size_items"])
def test_refuses_shapes_no_mnist_array_has(tmp_path, shape, descr):
    path = write_npz(tmp_path / "odd.npz", {"y_test": npy_header(shape, descr)})
    with pytest.raises(ValueError, match="y_test"):
        read_npz(path)


def test_refuses_a_header_length_of_4_gib_before_reading_it(tmp_path):
    header = npy_header((10,), version=(2, 0), length=2**32 - 1)
    path = write_npz(tmp_path / "long_header.npz", {"y_train": header})
    with pytest.raises(ValueError, match="4294967295-byte header"):
        read_npz(path)


def test_refuses_pickled_arrays(tmp_path):
    path = tmp_path / "pickled.npz"
    (x_train, y_train), (x_test, _) = make_tiny_data()
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test,
             y_test=np.array([{"evil": 1}], dtype=object))
    with pytest.raises(ValueError, match="'y_test' holds pickled Python objects"):
        read_npz(path)


def test_refuses_a_zip_directory_larger_than_an_npz_needs(tmp_path, monkeypatch):
    monkeypatch.setattr(dataset_files, "MAX_ZIP_MEMBERS", 8)
    path = write_npz(tmp_path / "crowded.npz", {f"extra{i}": b"" for i in range(10)})
    with pytest.raises(ValueError, match="lists 14 entries"):
        read_npz(path)


def test_refuses_a_zip64_directory_whose_sizes_the_plain_record_would_not_show(tmp_path,
                                                                              monkeypatch):
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 2)  # makes zipfile write ZIP64 records
    path = write_npz(tmp_path / "zip64.npz", {})
    monkeypatch.undo()
    assert len(zipfile.ZipFile(path).namelist()) == 4  # a valid archive all the same
    with pytest.raises(ValueError, match="ZIP64"):
        read_npz(path)


@pytest.mark.parametrize("content, words", [
    (b"PK\x03\x04 not really a zip", "no zip directory"),
    (b"plain text", "no zip directory"),
])
def test_refuses_files_that_are_not_npz(tmp_path, content, words):
    path = tmp_path / "fake.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=words):
        read_npz(path)


def test_refuses_a_missing_array_and_a_cut_short_one(tmp_path):
    header = npy_header((64, 28, 28))
    with pytest.raises(ValueError, match="'x_train' is cut short"):
        read_npz(write_npz(tmp_path / "short.npz", {"x_train": header + b"\0" * 100}))
    path = tmp_path / "three.npz"
    (x_train, y_train), (x_test, _) = make_tiny_data()
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test)
    with pytest.raises(ValueError, match="no array 'y_test'"):
        read_npz(path)


# --- IDX files --------------------------------------------------------------------------------


def idx_bytes(array, shape=None):
    shape = array.shape if shape is None else shape
    return bytes([0, 0, 8, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + array.tobytes()


def write_idx_folder(folder, damaged=None):
    """The four IDX files, gzipped, with `damaged` replacing the training images' bytes."""
    folder.mkdir()
    (x_train, y_train), (x_test, y_test) = make_tiny_data()
    for name, array in zip(sources.IDX_NAMES, (x_train, y_train, x_test, y_test)):
        content = gzip.compress(idx_bytes(array))
        if name == sources.IDX_NAMES[0] and damaged is not None:
            content = damaged(content)
        (folder / f"{name}.gz").write_bytes(content)
    return folder


@pytest.mark.parametrize("damage", [
    lambda gz: gz[:10] + b"\xff" * 40 + gz[50:],  # a gzip header, then garbage: zlib.error
    lambda gz: gz[: len(gz) // 2],  # cut short: EOFError
    lambda gz: b"these are not gzip bytes at all",  # gzip.BadGzipFile
    lambda gz: gz[:-8] + b"\0" * 8,  # a wrong checksum at the end
], ids=["corrupt_deflate", "truncated", "not_gzip", "bad_crc"])
def test_a_damaged_gz_idx_file_is_one_sentence_naming_it(tmp_path, damage):
    folder = write_idx_folder(tmp_path / "idx", damage)
    with pytest.raises(DataUnavailableError) as raised:
        load_data(cache_dir=tmp_path / "cache", sources=[sources.path_source(folder)])
    message = str(raised.value)
    assert "train-images-idx3-ubyte.gz: it " in message and "\n" not in message


def test_refuses_an_idx_header_declaring_more_than_mnist_before_reading(tmp_path):
    path = tmp_path / "huge-idx3-ubyte"
    path.write_bytes(idx_bytes(np.zeros(0, np.uint8), shape=(4_000_000_000, 28, 28)))
    with pytest.raises(ValueError, match=r"declares 3\.1 TB \(shape \(4000000000, 28, 28\)\)"):
        read_idx(path)


def test_a_gzip_bomb_costs_only_what_its_header_declares(tmp_path, monkeypatch):
    path = tmp_path / "bomb-idx3-ubyte.gz"
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(idx_bytes(np.zeros((2, 28, 28), np.uint8)))
        for _ in range(256):
            f.write(bytes(1 << 20))  # 256 MiB of zeros in about 250 KB
    assert path.stat().st_size < 2_000_000
    inflated = []  # bytes handed out by the gzip stream: inflating all 256 MiB takes seconds
    read = gzip.GzipFile.read
    monkeypatch.setattr(gzip.GzipFile, "read",
                        lambda self, size=-1: inflated.append(len(got := read(self, size))) or got)
    with pytest.raises(ValueError, match="more data than its header declares"):
        read_idx(path)
    assert sum(inflated) <= 4 + 3 * 4 + 2 * 28 * 28 + 1, inflated


def test_reads_plain_and_gzipped_idx_files_exactly(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint32).astype(np.uint8).reshape(2, 28, 28)
    (tmp_path / "plain").write_bytes(idx_bytes(images))
    (tmp_path / "packed.gz").write_bytes(gzip.compress(idx_bytes(images)))
    for name in ("plain", "packed.gz"):
        np.testing.assert_array_equal(read_idx(tmp_path / name), images)
