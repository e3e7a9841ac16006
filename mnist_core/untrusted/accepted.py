"""What the limited child sent back for files it accepted, by hash: the same bytes twice cost
one child process, not two.

A model file's checks depend on its bytes alone, so a file accepted once (a visitor uploading
again a model the page let them download, `evaluate` then `predict` on one file) needs no second
child: its config and weights are rebuilt again from what the first one sent, and checked again
on the way (`loader.rebuild`). Bounded by count and by the weights' bytes, least recently used
forgotten first, so this memory is capped whatever visitors upload.
"""

import collections
import threading

REMEMBERED_FILES = 8
REMEMBERED_BYTES = 16 * 2**20
"""Weights kept at most, all files together (the strong model with its Adam state: 5.5 MiB);
a file above it alone is never kept."""


class Accepted:
    """`(config, weights)` by `(sha256, suffix)`; thread-safe."""

    def __init__(self, files=REMEMBERED_FILES, max_bytes=REMEMBERED_BYTES):
        self._files, self._max_bytes = files, max_bytes
        self._entries = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        """The `(config, weights)` kept for `key`, or None."""
        with self._lock:
            if key not in self._entries:
                return None
            self._entries.move_to_end(key)
            config, weights, _ = self._entries[key]
            return config, weights

    def remember(self, key, config, weights):
        size = sum(int(getattr(w, "nbytes", 0)) for w in weights)
        if size > self._max_bytes:
            return
        with self._lock:
            self._entries[key] = (config, weights, size)
            self._entries.move_to_end(key)
            while len(self._entries) > self._files or self._held() > self._max_bytes:
                self._entries.popitem(last=False)

    def held_bytes(self):
        with self._lock:
            return self._held()

    def _held(self):
        return sum(size for _, _, size in self._entries.values())

    def __len__(self):
        return len(self._entries)

    def clear(self):
        with self._lock:
            self._entries.clear()


accepted = Accepted()
