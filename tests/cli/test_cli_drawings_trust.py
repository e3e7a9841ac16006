"""`python -m mnist_core drawings review|approve|reject|prune`, and a drawings file made by hand
given to `train --with-drawings` (issue 22)."""

import sqlite3
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

from mnist_core.cli import commands as cli
from mnist_core.drawings import trust
from mnist_core.drawings.store import DrawingsDB
from mnist_core.paths import ROOT
from tests.conftest import FILE_ONLY
from tests.drawings.test_drawings_trust import Reference, record


@pytest.fixture
def judged(monkeypatch, store_location):
    """Nine drawings, eight of them poisoned, in the store the command line opens: the SQLite
    file of `MNIST_DRAWINGS_DB`, then a database named by `MNIST_DRAWINGS_URL`."""
    monkeypatch.setattr(trust, "reference_predictor", lambda loader=None: Reference())
    db = DrawingsDB(store_location, per_minute=1000)
    ids = [record(db, 1, 7, session=f"poison{i}", seed=i, now=float(i)) for i in range(8)]
    ids += [record(db, 2, 2, session="honest", seed=100, now=10.0)]
    return db, ids


def test_review_draws_the_disputed_drawings_with_label_and_readings(judged, tmp_path, capsys):
    _, ids = judged
    out = tmp_path / "grid.png"
    assert cli.main(["drawings", "review", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "0 pending, 1 plausible, 8 disputed" in said and "Wrote 8 disputed drawings" in said
    assert f"{ids[3]:>7}     7               1         1     0.3%" in said  # id, label, readings
    with Image.open(out) as grid:
        assert grid.size == (6 * 64, 2 * 80)  # 8 tiles, 6 a row, each with its label strip


def test_approve_reject_and_an_unknown_id_in_one_sentence(judged, capsys):
    db, ids = judged
    assert cli.main(["drawings", "approve", str(ids[0]), str(ids[1])]) == 0
    assert "2 drawings approved." in capsys.readouterr().out
    assert cli.main(["drawings", "reject", str(ids[2]), "4242"]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    assert dict(db.read("SELECT status, count(*) FROM drawings WHERE status IN "
                        "('approved', 'rejected') GROUP BY status")) == {"approved": 2,
                                                                          "rejected": 1}


def test_an_export_trained_on_holds_only_trusted_labels(judged, tmp_path, capsys):
    """`drawings export` then `train --with-drawings d.npz` (README's way): the poisoned labels
    must not come back through the export, which `--with-drawings` takes as it is."""
    from mnist_core.drawings.training_mix import load_drawings

    db, _ = judged
    for i in range(11):
        record(db, i % 10, i % 10, session=f"h{i}", seed=200 + i, now=20.0 + i)
    out = tmp_path / "d.npz"
    assert cli.main(["drawings", "export", "--out", str(out)]) == 0
    assert "8 whose label is disputed" in capsys.readouterr().out
    _, y = load_drawings(out)
    assert len(y) == 12 and (y == 7).sum() == 1  # the honest 7 only, none of the 8 '1's
    assert cli.main(["drawings", "export", "--all", "--out", str(out)]) == 0
    assert len(load_drawings(out)[1]) == 20


@FILE_ONLY
def test_a_file_that_is_no_drawings_database_is_left_as_it_is(judged, tmp_path, capsys):
    """`train --with-drawings notes.txt` (a typo) moved the deployer's file aside and wrote a
    new SQLite file in its place; an export named `D.NPZ` was taken for a database alike."""
    from mnist_core.drawings.training_mix import drawings_extra

    mine = tmp_path / "mine"
    mine.mkdir()
    notes = mine / "notes.txt"
    notes.write_bytes(b"my precious notes\n")
    for i in range(11):
        record(judged[0], i % 10, i % 10, session=f"h{i}", seed=200 + i, now=20.0 + i)
    export = mine / "D.NPZ"
    assert cli.main(["drawings", "export", "--out", str(mine / "d.npz")]) == 0
    (mine / "d.npz").rename(export)
    assert len(drawings_extra(export).y_train) + len(drawings_extra(export).y_heldout) == 12
    for given in (notes, mine / "empty.sqlite"):
        given.touch()
        before = given.read_bytes()
        assert cli.main(["train", "--recipe", "quick", "--with-drawings", str(given)]) == 1
        said = capsys.readouterr().err
        assert said == (f"error: {given.name} is not a drawings database, nor an .npz "
                        "written by `drawings export`; it was left as it is.\n")
        assert given.read_bytes() == before
    assert sorted(p.name for p in mine.iterdir()) == ["D.NPZ", "empty.sqlite", "notes.txt"]


def test_a_dry_run_leaves_an_unreadable_store_as_it_is(tmp_path, monkeypatch, capsys):
    """`prune --dry-run` moved an unreadable MNIST_DRAWINGS_DB aside and started a new store,
    then said 'nothing deleted'."""
    store = tmp_path / "mine" / "drawings.sqlite"
    store.parent.mkdir()
    store.write_bytes(b"not a database\n")
    monkeypatch.setenv("MNIST_DRAWINGS_DB", str(store))
    assert cli.main(["drawings", "prune", "--disputed", "--dry-run"]) == 1
    assert capsys.readouterr().err == ("error: drawings.sqlite is not a drawings database; it "
                                       "was left as it is.\n")
    assert [p.name for p in store.parent.iterdir()] == ["drawings.sqlite"]
    assert store.read_bytes() == b"not a database\n"


@pytest.mark.parametrize("command", [["review"], ["export"]])
@FILE_ONLY
def test_an_output_the_system_refuses_is_one_sentence(judged, tmp_path, capsys, command):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    suffix = ".png" if command == ["review"] else ".npz"
    out = blocker / f"out{suffix}"
    assert cli.main(["drawings", *command, "--out", str(out)]) == 1
    said = capsys.readouterr().err
    assert said == f"error: out{suffix} could not be written (File exists): choose another --out.\n"


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_an_id_beyond_sqlite_s_integers_is_one_sentence(judged, capsys, action):
    db, ids = judged
    assert cli.main(["drawings", action, str(ids[0]), str(2 ** 64), "--", "-3"]) == 1
    said = capsys.readouterr()
    assert said.err == f"error: No drawing has the ids {2 ** 64}, -3: see `drawings review`.\n"
    assert "1 drawing" in said.out and db.count(trusted=True) == (action == "approve")


def test_prune_says_what_would_go_then_deletes_it(judged, capsys):
    db, _ = judged
    trust.assess(db, Reference())
    assert cli.main(["drawings", "prune", "--disputed", "--dry-run"]) == 0
    assert "8 drawings would be deleted (dry run: nothing deleted): 8 disputed." in \
        capsys.readouterr().out
    assert db.count() == 9
    assert cli.main(["drawings", "prune", "--session", "honest"]) == 0
    assert db.count() == 8
    assert cli.main(["drawings", "prune"]) == 1
    assert capsys.readouterr().err.count("\n") == 1


def hand_made(path, big_mb=0):
    """A drawings file at schema version 3 whose table has no CHECK: one good row, an image of
    the wrong size, a label of 11, a text where a label goes, and (big_mb) a huge image."""
    good = np.zeros(784, np.uint8).tobytes()
    p = np.full(10, 0.1, np.float32).tobytes()
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE drawings (id INTEGER PRIMARY KEY, created REAL, session TEXT, "
                    "language TEXT, model TEXT, predicted INTEGER, probabilities BLOB, label, "
                    "input BLOB, crop BLOB, not_digit_score REAL)")
        rows = [(good, 3), (good[:100], 3), (good, 11), (good, "seven")]
        for image, label in rows:
            raw.execute("INSERT INTO drawings (created, session, language, model, predicted, "
                        "probabilities, label, input, crop) VALUES (0, 's', 'en', 'm', 1, ?, ?, "
                        "?, x'00')", (p, label, image))
        if big_mb:
            raw.execute("INSERT INTO drawings (created, session, language, model, predicted, "
                        "probabilities, label, input, crop) VALUES (0, 's', 'en', 'm', 1, ?, 3, "
                        f"zeroblob({big_mb * 1_000_000}), x'00')", (p,))
        raw.execute("PRAGMA user_version = 3")
    return len(rows) - 1 + (1 if big_mb else 0)


def test_train_with_a_hand_made_drawings_file_is_one_sentence(tmp_path, tiny_data, monkeypatch,
                                                              capsys):
    bad = hand_made(tmp_path / "theirs.sqlite")
    monkeypatch.setattr(cli, "_load", lambda args: tiny_data)
    assert cli.main(["train", "--epochs", "1", "--out", str(tmp_path / "out"),
                     "--with-drawings", str(tmp_path / "theirs.sqlite")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"theirs.sqlite holds {bad} rows this app did not write" in err
    assert str(tmp_path) not in err  # the file's name, not a server path


@pytest.mark.process
def test_a_300_mb_row_is_never_read(tmp_path):
    """The declared size refuses the row: the process stays within ~50 MB of where it began
    (reading it whole took 635 MB), in a child process, bounded in time."""
    path = tmp_path / "big.sqlite"
    bad = hand_made(path, big_mb=300)
    script = textwrap.dedent(f"""
        import resource
        from mnist_core.drawings.training_mix import drawings_extra
        from mnist_core.errors import MnistError
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            drawings_extra({str(path)!r})
        except MnistError as error:
            print(error)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    said, grown_kb = done.stdout.strip().rsplit("\n", 1)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert said == (f"big.sqlite holds {bad} rows this app did not write (an image that is not "
                    "28x28 bytes, a label outside 0-10, or another value of the wrong type or "
                    "size), so it was not read: train with a file the page recorded.")
    assert int(grown_kb) < 50_000


def test_stats_scores_models_on_trusted_labels_only(judged, tmp_path, capsys):
    import shutil

    folder = tmp_path / "models"
    folder.mkdir()
    for name in ("tutorial.keras", "tutorial.json"):
        shutil.copy(ROOT / "models" / name, folder / name)
    assert cli.main(["drawings", "stats", "--dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "9 drawings" in out and "1 plausible, 8 disputed" in out
    assert "as read when drawn, last 1: 100.00%" in out  # the 8 poisoned rows are not scored
    assert "of 1" in out and "of 9" not in out
