"""`python -m mnist_core reports`: each model of a folder read over the test set once, stored,
and read back as the page reads it; a model it cannot read is named and skipped."""

import shutil

import pytest

from mnist_core.cli import commands as cli
from mnist_core.evaluation import report_store
from mnist_core.storage import file_digest
from tests.conftest import ROOT


@pytest.mark.slow  # reads the 10,000 test images with the tutorial's model (~10 s here)
def test_reports_stores_each_models_report_once_and_names_what_it_skips(tmp_path, capsys,
                                                                         mnist):
    shutil.copy(ROOT / "models" / "tutorial.keras", tmp_path / "tutorial.keras")
    shutil.copy(ROOT / "models" / "tutorial.json", tmp_path / "tutorial.json")
    (tmp_path / "broken.keras").write_bytes(b"not a model")
    assert cli.main(["reports", "--dir", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert "tutorial.keras: test accuracy 0.9904, stored in " in out, out
    assert "broken.keras: skipped (" in out and str(tmp_path) not in out
    assert err == f"error: 1 model(s) of {tmp_path.name}/ could not be read; the others' " \
                  "reports are stored.\n"
    (_, _), (_, y_test) = mnist
    model = tmp_path / "tutorial.keras"
    report, drawn = report_store.load_report(model, y_test, file_digest(model))
    assert report.accuracy == 0.9904 and len(report.misclassified()) == 96
    assert drawn == 0.975  # the figure of its metadata
    (tmp_path / "broken.keras").unlink()
    assert cli.main(["reports", "--dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "tutorial.keras: already stored\n"


def test_the_shipped_models_reports_ship_with_them(mnist):
    (_, _), (_, y_test) = mnist
    for name in ("tutorial.keras", "strong.keras"):
        model = ROOT / "models" / name
        assert report_store.load_report(model, y_test, file_digest(model)) is not None, (
            f"models/{name}'s report is missing or stale: run `python -m mnist_core reports`")
