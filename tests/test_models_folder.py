"""The shared models folder: saves that land whole or not at all, clean-up of what a kill left,
pruning that never touches a shipped model, the lock, and room checks before training.

A stand-in model writes a few bytes: these tests are about files, not Keras.
"""

import json
import os
from pathlib import Path

import pytest

from mnist_core import models_folder, storage
from mnist_core.errors import MnistError
from tests.hang_guard import within


class FakeModel:
    """Saves like a Keras model as far as files go; can fail half-way through writing."""

    def __init__(self, fail=False):
        self.fail = fail

    def save(self, path):
        Path(path).write_bytes(b"half a model" if self.fail else b"a whole model")
        if self.fail:
            raise OSError(28, "No space left on device")


def names(folder):
    return sorted(p.name for p in folder.iterdir())


def visitor(folder, stem, date):
    (folder / f"{stem}.keras").write_bytes(b"model")
    (folder / f"{stem}.json").write_text(json.dumps({"trained_by_visitor": True, "date": date}))


def test_a_save_writes_model_and_metadata_and_no_temp(tmp_path):
    written = storage.save_model(FakeModel(), tmp_path / "m.keras", {"recipe": "quick"}, h5=True)
    assert [p.name for p in written] == ["m.keras", "m.h5", "m.json"]
    assert names(tmp_path) == ["m.h5", "m.json", "m.keras"]
    assert storage.read_metadata(tmp_path / "m.keras") == {"recipe": "quick"}


@pytest.mark.parametrize("failing_rename", [0, 1, 2])  # the metadata, the .h5, the .keras
def test_a_save_interrupted_between_renames_leaves_no_model_and_no_temp(tmp_path, monkeypatch,
                                                                        failing_rename):
    renames, replace = [], os.replace

    def interrupted(source, target):
        if len(renames) == failing_rename:
            raise OSError(28, "No space left on device")
        renames.append(target)
        replace(source, target)

    monkeypatch.setattr(storage.os, "replace", interrupted)
    with pytest.raises(OSError):
        storage.save_model(FakeModel(), tmp_path / "m.keras", {"trained_by_visitor": True}, h5=True)
    assert storage.list_models(tmp_path) == [] and names(tmp_path) == []


def test_a_save_that_fails_while_writing_the_model_leaves_nothing(tmp_path):
    with pytest.raises(OSError):
        storage.save_model(FakeModel(fail=True), tmp_path / "m.keras", {})
    assert names(tmp_path) == []


def test_a_kill_between_renames_leaves_metadata_alone_and_clean_up_removes_it(tmp_path):
    # What a SIGKILL after the first rename leaves: the metadata, and the model's temp file.
    (tmp_path / "quick-20260101-000000.json").write_text('{"trained_by_visitor": true}')
    (tmp_path / ".quick-20260101-000000-k3j2.keras").write_bytes(b"a whole model")
    assert storage.list_models(tmp_path) == []  # never listed, even before the clean-up
    removed = models_folder.remove_leftovers(tmp_path)
    assert len(removed) == 2 and names(tmp_path) == []


def test_clean_up_keeps_models_the_lock_and_metadata_without_the_visitor_mark(tmp_path):
    for name in ("tutorial.keras", "tutorial.json", "mnist_model.h5", ".training.lock",
                 "notes.json", ".hidden-notes.txt"):
        (tmp_path / name).write_text("{}")
    visitor(tmp_path, "quick-20260101-000000", "2026-01-01")
    before = names(tmp_path)
    assert models_folder.remove_leftovers(tmp_path) == [] and names(tmp_path) == before


def test_prunes_the_oldest_visitor_models_and_never_a_shipped_one(tmp_path):
    for name in ("tutorial.keras", "tutorial.json", "strong.keras", "strong.json"):
        (tmp_path / name).write_text("{}")  # shipped: no visitor mark
    visitor(tmp_path, "quick-b", "2026-01-02T00:00:00+00:00")
    visitor(tmp_path, "quick-a", "2026-01-01T00:00:00+00:00")
    visitor(tmp_path, "quick-c", "2026-01-03T00:00:00+00:00")
    (tmp_path / "quick-a.h5").write_bytes(b"twin")
    removed = models_folder.prune_visitor_models(tmp_path, keep=1)
    assert sorted(p.name for p in removed) == ["quick-a.h5", "quick-a.keras", "quick-b.keras"]
    assert names(tmp_path) == ["quick-c.json", "quick-c.keras", "strong.json", "strong.keras",
                               "tutorial.json", "tutorial.keras"]
    assert models_folder.prune_visitor_models(tmp_path, keep=0) and \
        names(tmp_path) == ["strong.json", "strong.keras", "tutorial.json", "tutorial.keras"]


def test_the_lock_is_exclusive_and_released(tmp_path):
    first, second = models_folder.FolderLock(tmp_path), models_folder.FolderLock(tmp_path)
    assert first.acquire() and not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_room_check_passes_on_a_writable_folder_and_creates_it(tmp_path):
    models_folder.check_room(tmp_path / "new" / "models")
    assert names(tmp_path / "new" / "models") == []  # the probe is gone


def test_room_check_refuses_a_file_in_one_sentence_naming_what_it_was_told(tmp_path):
    (tmp_path / "taken").write_text("")
    with pytest.raises(MnistError) as refused:
        models_folder.check_room(tmp_path / "taken", what="--out run1")
    assert str(refused.value) == ("--out run1 is a file, not a folder; choose a folder for the "
                                  "model.")
    with pytest.raises(MnistError, match="cannot be created"):
        models_folder.check_room(tmp_path / "taken" / "below")


def test_a_fifo_named_as_a_models_metadata_never_holds_the_prune(tmp_path):
    # issue 22 (B2, B5): every file opened from the models folder is checked to be a plain one.
    visitor(tmp_path, "quick-a", "2026-01-01T00:00:00+00:00")
    (tmp_path / "odd.keras").write_bytes(b"model")
    os.mkfifo(tmp_path / "odd.json")  # reading it would wait for a writer forever
    removed = within(5, models_folder.prune_visitor_models, tmp_path, keep=0,
                     fifos=[tmp_path / "odd.json"])
    assert [p.name for p in removed] == ["quick-a.keras"]
    assert within(5, models_folder.remove_leftovers, tmp_path, fifos=[tmp_path / "odd.json"]) == []
