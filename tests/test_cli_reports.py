"""`python -m mnist_core reports`: each model of a folder read over the test set once, stored,
and read back as the page reads it."""

import shutil

from mnist_core import cli, report_store
from tests.conftest import ROOT


def test_reports_stores_each_models_report_once(tmp_path, capsys, mnist):
    shutil.copy(ROOT / "models" / "tutorial.keras", tmp_path / "tutorial.keras")
    shutil.copy(ROOT / "models" / "tutorial.json", tmp_path / "tutorial.json")
    assert cli.main(["reports", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("tutorial.keras: test accuracy 0.9904, stored in "), out
    (_, _), (_, y_test) = mnist
    report, drawn = report_store.load_report(tmp_path / "tutorial.keras", y_test)
    assert report.accuracy == 0.9904 and len(report.misclassified()) == 96
    assert drawn == 0.975  # the figure of its metadata
    assert cli.main(["reports", "--dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "tutorial.keras: already stored\n"


def test_a_folder_that_takes_no_report_says_so(tmp_path, capsys, mnist):
    shutil.copy(ROOT / "models" / "tutorial.keras", tmp_path / "tutorial.keras")
    (tmp_path / report_store.REPORTS_FOLDER).write_text("not a folder")
    assert cli.main(["reports", "--dir", str(tmp_path)]) == 0
    assert "NOT stored (see the log)" in capsys.readouterr().out


def test_the_shipped_models_reports_ship_with_them(mnist):
    (_, _), (_, y_test) = mnist
    for name in ("tutorial.keras", "strong.keras"):
        assert report_store.load_report(ROOT / "models" / name, y_test) is not None, (
            f"models/{name}'s report is missing or stale: run `python -m mnist_core reports`")
