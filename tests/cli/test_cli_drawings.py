"""`python -m mnist_core drawings stats|export` and `train --with-drawings`."""

import json
import shutil

import numpy as np
import pytest

from mnist_core.cli import commands as cli
from mnist_core.cli import models as cli_models
from mnist_core.constants import NOT_A_DIGIT
from mnist_core.drawings.store import DrawingsDB, db_path
from tests.conftest import ROOT


def fill(n, right_every=2, not_digits=()):
    db = DrawingsDB(db_path())
    rng = np.random.default_rng(0)
    for i in range(n):
        db.record(session=f"s{i % 3}", label=NOT_A_DIGIT if i in not_digits else i % 10,
                  predicted=i % 10 if i % right_every == 0
                  else (i + 1) % 10, probabilities=np.full(10, 0.1),
                  image=rng.integers(0, 256, (28, 28), dtype=np.uint8),
                  crop=np.zeros((56, 56), np.uint8), model="tutorial.keras", language="en",
                  now=float(i * 10))
    return db


def approved(db, monkeypatch):
    """The deployer's word on every row, and no cap on a session's share: these tests are
    about counting, scoring and mixing (the trust rule's own are in test_cli_drawings_trust)."""
    db.write("UPDATE drawings SET status = 'approved'")
    monkeypatch.setenv("MNIST_DRAWINGS_MAX_SHARE", "1")
    return db


def test_export_writes_the_keras_layout_and_reads_back_the_same(tmp_path, capsys):
    db = fill(25)
    out = tmp_path / "out" / "drawings.npz"
    assert cli.main(["drawings", "export", "--all", "--out", str(out)]) == 0
    assert "Wrote 25 drawings" in capsys.readouterr().out
    with np.load(out) as data:
        assert set(data.files) == {"x", "y", "label_names"}
        assert data["x"].dtype == np.uint8 and data["x"].shape == (25, 28, 28)
        assert data["y"].dtype == np.uint8 and data["y"].shape == (25,)
        x, y = db.images()
        np.testing.assert_array_equal(data["x"], x)
        np.testing.assert_array_equal(data["y"], y)


def test_export_says_which_drawings_are_not_digits(tmp_path, capsys):
    fill(12, not_digits=(3, 4))
    out = tmp_path / "drawings.npz"
    assert cli.main(["drawings", "export", "--all", "--out", str(out)]) == 0
    assert "Wrote 12 drawings to" in (said := capsys.readouterr().out)
    assert "(2 not a digit, y = 10)" in said
    with np.load(out) as data:
        names = data["label_names"]
        assert [names[label] for label in data["y"][2:6]] == ["2", "not a digit",
                                                               "not a digit", "5"]
        assert names.tolist() == [str(d) for d in range(10)] + ["not a digit"]


def test_export_refuses_a_name_that_is_not_npz_in_one_line(tmp_path, capsys):
    fill(1)
    assert cli.main(["drawings", "export", "--out", str(tmp_path / "d.csv")]) == 1
    assert capsys.readouterr().err.count("\n") == 1


def test_stats_prints_counts_and_each_models_accuracy(tmp_path, capsys, monkeypatch):
    approved(fill(30), monkeypatch)
    folder = tmp_path / "models"
    folder.mkdir()
    for name in ("tutorial.keras", "tutorial.json"):
        shutil.copy(ROOT / "models" / name, folder / name)
    assert cli.main(["drawings", "stats", "--dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "30 drawings" in out
    assert "per digit: 0: 3  1: 3" in out
    assert "as read when drawn, last 30: 50.00%" in out
    assert "tutorial.keras" in out and "of 30" in out


def test_stats_counts_not_a_digit_apart_from_every_accuracy(tmp_path, capsys, monkeypatch):
    approved(fill(12, right_every=1, not_digits=(3, 4)), monkeypatch)  # every digit read right
    folder = tmp_path / "models"
    folder.mkdir()
    for name in ("tutorial.keras", "tutorial.json"):
        shutil.copy(ROOT / "models" / name, folder / name)
    assert cli.main(["drawings", "stats", "--dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "12 drawings" in out and "per digit: 0: 2  1: 2  2: 1  3: 0  4: 0  5: 1" in out
    assert "not a digit: 2" in out
    assert "as read when drawn, last 10: 100.00%" in out
    assert "tutorial.keras" in out and "of 10" in out


def test_stats_of_no_drawing_says_so(capsys):
    assert cli.main(["drawings", "stats"]) == 0
    assert capsys.readouterr().out.startswith("0 drawings")


def test_train_with_drawings_puts_the_held_out_share_in_the_metadata(tmp_path, tiny_data,
                                                                     monkeypatch, capsys):
    approved(fill(30), monkeypatch)
    monkeypatch.setattr(cli, "_load", lambda args: tiny_data)
    assert cli.main(["train", "--epochs", "1", "--batch-size", "16", "--out", str(tmp_path),
                     "--with-drawings"]) == 0
    assert "Held-out drawings:" in capsys.readouterr().out
    metadata = json.loads((tmp_path / "tutorial.json").read_text())
    assert metadata["drawings_heldout"] == 6 and metadata["drawings_trained"] == 24
    line = cli_models.describe_model(tmp_path / "tutorial.keras", metadata)
    assert "drawings" in line and "of 6" in line


@pytest.mark.parametrize("source", ["missing.npz", "missing.sqlite"])
def test_train_with_a_missing_drawings_file_is_one_line(tmp_path, tiny_data, monkeypatch,
                                                         capsys, source):
    monkeypatch.setattr(cli, "_load", lambda args: tiny_data)
    assert cli.main(["train", "--epochs", "1", "--out", str(tmp_path),
                     "--with-drawings", str(tmp_path / source)]) == 1
    assert capsys.readouterr().err.count("\n") == 1
