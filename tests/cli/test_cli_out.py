"""`train` and `tutorial` check their `--out` folder before loading data or training anything."""

import pytest

from mnist_core import models_folder
from mnist_core.cli import commands as cli


@pytest.fixture
def no_data(monkeypatch):
    """Fails the test if the command gets as far as loading MNIST."""
    def load(args):
        raise AssertionError("the data was loaded before --out was checked")

    monkeypatch.setattr(cli, "_load", load)


@pytest.mark.parametrize("command", ["train", "tutorial"])
def test_an_out_that_is_a_file_is_refused_in_one_sentence_before_training(tmp_path, capsys,
                                                                           no_data, command):
    taken = tmp_path / "taken"
    taken.write_text("")
    assert cli.main([command, "--out", str(taken)]) == 1
    err = capsys.readouterr().err
    assert err == (f"error: The output folder {taken} is a file, not a folder; choose a folder "
                   "for the model.\n")


@pytest.mark.parametrize("command", ["train", "tutorial"])
def test_an_out_that_is_not_writable_is_refused_before_training(tmp_path, capsys, monkeypatch,
                                                                 no_data, command):
    def refuse(*args, **kwargs):  # the tests may run as root, who writes anywhere
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(models_folder.tempfile, "mkstemp", refuse)
    assert cli.main([command, "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.endswith("is not writable, so no trained model could be saved; choose a folder "
                        "you can write to.") and "Traceback" not in err and "\n" not in err
