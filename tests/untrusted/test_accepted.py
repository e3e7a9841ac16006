"""The memory of accepted files is bounded by count and bytes, least recently used first."""

import numpy as np

from mnist_core.untrusted.accepted import Accepted


def _weights(n_bytes):
    return [np.zeros(n_bytes, dtype=np.uint8)]


def test_the_least_recently_used_file_is_forgotten_past_the_count():
    kept = Accepted(files=2, max_bytes=1000)
    kept.remember("a", {"a": 1}, _weights(10))
    kept.remember("b", {"b": 1}, _weights(10))
    assert kept.get("a")[0] == {"a": 1}  # a is now the most recently used
    kept.remember("c", {"c": 1}, _weights(10))
    assert kept.get("b") is None and kept.get("a") is not None and kept.get("c") is not None
    assert len(kept) == 2


def test_the_bytes_held_never_pass_the_bound_and_a_file_above_it_is_not_kept():
    kept = Accepted(files=8, max_bytes=100)
    kept.remember("big", {}, _weights(101))
    assert kept.get("big") is None and kept.held_bytes() == 0
    for name in "abcd":
        kept.remember(name, {}, _weights(40))
        assert kept.held_bytes() <= 100
    assert [kept.get(name) is not None for name in "abcd"] == [False, False, True, True]
