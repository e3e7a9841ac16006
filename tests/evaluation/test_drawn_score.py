"""The prepared drawn set is made once and read back from the cache, never stale or malformed."""

import numpy as np
import pytest

from mnist_core.evaluation import drawn_score
from mnist_core.evaluation.drawn_score import prepared_drawn_set
from tests.conftest import make_tiny_data

X, Y = make_tiny_data(n_train=10, n_test=30)[1]
N = 6


def files(folder):
    return sorted(p.name for p in folder.iterdir())


def refuse_to_make(*args):
    raise AssertionError("the set was made again instead of read from the cache")


def test_the_second_call_reads_the_very_arrays_the_first_made(tmp_path, monkeypatch):
    images, labels = prepared_drawn_set(X, Y, N, 0, tmp_path)
    assert images.shape == (N, 28, 28) and images.dtype == np.float32
    assert labels.shape == (N,) and labels.dtype == np.int64
    assert 0 <= images.min() and images.max() <= 1
    monkeypatch.setattr(drawn_score, "_make", refuse_to_make)
    again, labels_again = prepared_drawn_set(X, Y, N, 0, tmp_path)
    np.testing.assert_array_equal(images, again)
    np.testing.assert_array_equal(labels, labels_again)
    assert len(files(tmp_path)) == 1 and not any(name.startswith(".") for name in files(tmp_path))


def test_the_cached_set_equals_one_made_from_scratch(tmp_path):
    prepared_drawn_set(X, Y, N, 0, tmp_path)
    cached = prepared_drawn_set(X, Y, N, 0, tmp_path)
    made = drawn_score._make(X, Y, N, 0)
    np.testing.assert_array_equal(cached[0], made[0])
    np.testing.assert_array_equal(cached[1], made[1])


def test_other_test_digits_make_another_file_and_replace_the_stale_one(tmp_path):
    prepared_drawn_set(X, Y, N, 0, tmp_path)
    first = files(tmp_path)
    other = X.copy()
    other[0, 0, 0] ^= 1
    prepared_drawn_set(other, Y, N, 0, tmp_path)
    assert files(tmp_path) != first and len(files(tmp_path)) == 1


def test_a_change_to_the_drawing_code_makes_another_file(tmp_path, monkeypatch):
    before = drawn_score._digest(X, Y, N, 0)
    real = drawn_score.inspect.getsource
    monkeypatch.setattr(drawn_score.inspect, "getsource", lambda module: real(module) + "#")
    assert drawn_score._digest(X, Y, N, 0) != before


@pytest.mark.parametrize("damage", [
    lambda path: path.write_bytes(b"not a zip at all"),
    lambda path: np.savez(path, images=np.full((N, 28, 28), 2.0, np.float32),
                          labels=np.zeros(N, np.int64)),  # out of [0, 1]
    lambda path: np.savez(path, images=np.zeros((N, 28, 28), np.float64),
                          labels=np.zeros(N, np.int64)),  # wrong dtype
    lambda path: np.savez(path, images=np.zeros((N, 28, 28), np.float32),
                          labels=np.full(N, 11, np.int64)),  # not a digit
    lambda path: np.savez(path, labels=np.zeros(N, np.int64)),  # images missing
])
def test_a_damaged_cache_file_is_made_again(tmp_path, damage):
    images, labels = prepared_drawn_set(X, Y, N, 0, tmp_path)
    (path,) = tmp_path.iterdir()
    damage(path)
    again, labels_again = prepared_drawn_set(X, Y, N, 0, tmp_path)
    np.testing.assert_array_equal(images, again)
    np.testing.assert_array_equal(labels, labels_again)


def test_a_cache_folder_that_cannot_be_written_still_gives_the_set(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("a file where the folder would be")
    images, labels = prepared_drawn_set(X, Y, N, 0, blocker / "cache")
    np.testing.assert_array_equal(images, drawn_score._make(X, Y, N, 0)[0])
    assert files(tmp_path) == ["a_file"]


def test_the_drawn_score_read_in_batches_is_the_score_read_at_once():
    from mnist_core.evaluation.drawn_score import share_read_right

    class Reader:
        calls = []

        def probabilities(self, images):
            self.calls.append(len(images))
            return np.eye(10, dtype=np.float32)[np.asarray(images).sum(axis=(1, 2)).astype(int) % 10]

    images = np.random.default_rng(0).integers(0, 3, (250, 28, 28)).astype(np.float32)
    labels = np.random.default_rng(1).integers(0, 10, 250)
    reader, pauses = Reader(), []
    whole = share_read_right(reader, (images, labels))
    batched = share_read_right(reader, (images, labels), batch_size=100,
                               before_batch=lambda: pauses.append(1))
    assert whole == batched and Reader.calls == [250, 100, 100, 50] and len(pauses) == 3
