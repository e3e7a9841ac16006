"""The command line: help with defaults, the tutorial end to end, and one-sentence errors."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from mnist_core.cli import commands as cli
from mnist_core.data import mnist as data
from mnist_core.training.recipes import dtype_for
from tests.conftest import ROOT


def run_cli(*args, timeout=600):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}  # no wrapped help lines
    return subprocess.run([sys.executable, "-m", "mnist_core", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT, env=env)


@pytest.mark.process
@pytest.mark.parametrize("command, shown", [
    ("train", ["(default: tutorial)", "(default: 1234)", "tutorial: 10", "tutorial: 64",
               "{auto,float32}", "(default: auto)"]),
    ("tutorial", ["(default: 1234)", "--out DIR", "(default: auto)"]),
    ("evaluate", ["MODEL"]), ("predict", ["--json"]), ("data", ["--refresh"])])
def test_every_command_has_help_with_defaults(command, shown):
    done = run_cli(command, "--help")
    assert done.returncode == 0
    for words in shown:
        assert words in done.stdout


def test_no_data_source_ends_in_one_sentence_and_exit_1(tmp_path, monkeypatch, capsys):
    def unreachable(path=None):
        return [data.Source("the official Keras file", _fail), data.Source("the PyPI mirror", _fail)]

    monkeypatch.setenv("MNIST_CORE_CACHE", str(tmp_path))
    monkeypatch.setattr(data, "default_sources", unreachable)
    assert cli.main(["data"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: Could not load MNIST: the official Keras file failed")
    assert "Traceback" not in "".join(err)


def _fail(progress):
    raise OSError("Name or service not known")


@pytest.mark.parametrize("args, words", [
    (["evaluate", "no-such-model.keras"], "There is no model file"),
    (["train", "--epochs", "0", "--out", "unused"], "Epochs must be"),
])
def test_user_mistakes_exit_1_with_one_line(args, words, capsys, mnist):
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err and err.count("\n") == 1


@pytest.mark.process
def test_evaluate_confirms_the_default_model(default_model_path, capsys, mnist):
    assert cli.main(["evaluate", str(default_model_path)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("Test accuracy: 0.99") and len(line.split(": ")[1]) == 6


@pytest.mark.process
def test_predict_reads_images_of_any_size_and_polarity(tmp_path, default_model_path, mnist,
                                                       capsys):
    (_, _), (x_test, y_test) = mnist
    files = []
    for i, (size, invert) in enumerate([(28, False), (280, True), (97, False)]):
        pixels = 255 - x_test[i] if invert else x_test[i]
        path = tmp_path / f"digit{i}.{'png' if i != 2 else 'jpg'}"
        Image.fromarray(pixels).resize((size, size), Image.BILINEAR).save(path)
        files.append(str(path))
    assert cli.main(["predict", str(default_model_path), *files, "--json"]) == 0
    answers = json.loads(capsys.readouterr().out)
    assert [a["file"] for a in answers] == files
    assert [a["digit"] for a in answers] == list(y_test[:3])
    assert all(len(a["probabilities"]) == 10 and abs(sum(a["probabilities"]) - 1) < 1e-3
               for a in answers)


@pytest.mark.process
def test_predict_refuses_a_file_that_is_not_an_image(tmp_path, default_model_path, capsys):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    assert cli.main(["predict", str(default_model_path), str(text)]) == 1
    assert "notes.png" in capsys.readouterr().err


@pytest.mark.slow
def test_train_with_a_small_limit_saves_a_model_and_prints_accuracy(tmp_path, mnist):
    done = run_cli("train", "--limit", "2000", "--epochs", "1", "--precision", "float32",
                   "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("Test accuracy: 0.")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tutorial.json", "tutorial.keras"]
    metadata = json.loads((tmp_path / "tutorial.json").read_text())
    assert metadata["dtype_policy"] == "float32"
    assert 0.3 < metadata["drawn_accuracy"] <= 1  # measured once, when the model is saved


@pytest.mark.slow
def test_tutorial_runs_end_to_end(tmp_path, mnist):
    done = run_cli("tutorial", "--limit", "6000", "--epochs", "2", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "Test accuracy: 0.9" in done.stdout
    assert "Le chiffre prédit est : 7" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "accuracy.png", "loss.png", "mnist_model.h5", "mnist_model.json", "mnist_model.keras",
        "prediction.png"]
    meta = json.loads((tmp_path / "mnist_model.json").read_text())
    assert meta["epochs"] == 2 and meta["train_images"] == 6000 and meta["recipe"] == "tutorial"
    assert meta["dtype_policy"] == dtype_for("auto")  # bfloat16 where the CPU has it natively
    assert "epoch" in done.stdout.lower() or "Epoch" in done.stderr + done.stdout  # Keras' bar


@pytest.mark.parametrize("seed", ["-1", "4294967296", "1.5"])
def test_refuses_a_seed_keras_cannot_use_in_one_line(seed, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["train", "--seed", seed, "--out", "unused"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "argument --seed" in err and "Traceback" not in err
    assert err.strip().splitlines()[-1].endswith(("outside 0..4294967295", "not a whole number"))


def test_the_seed_range_is_the_one_keras_accepts():
    import keras

    for seed in (0, cli.MAX_SEED):
        assert cli.build_parser().parse_args(["train", "--seed", str(seed)]).seed == seed
        keras.utils.set_random_seed(seed)
    with pytest.raises(ValueError):
        keras.utils.set_random_seed(cli.MAX_SEED + 1)


@pytest.mark.process
def test_predict_names_a_blank_file_without_speaking_of_a_canvas(tmp_path, default_model_path,
                                                                 capsys):
    blank = tmp_path / "blank.png"
    Image.new("L", (50, 50), 255).save(blank)
    assert cli.main(["predict", str(default_model_path), str(blank)]) == 1
    err = capsys.readouterr().err
    assert f"'{blank}' holds no digit: it is blank" in err
    assert "canvas" not in err and err.count("\n") == 1


def test_models_lists_each_model_with_its_facts_and_stars_the_default(capsys):
    from mnist_core.cli.commands import main

    assert main(["models", "--dir", str(ROOT / "models")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("* strong.keras") and "drawn  99.40%" in lines[0]
    assert lines[1].startswith("  tutorial.keras") and "test  99.04%" in lines[1]
    assert "recipe tutorial" in lines[1] and "10 epochs" in lines[1] and "2026-11-25" in lines[1]


def test_models_in_an_empty_folder_says_so_in_one_sentence(tmp_path, capsys):
    from mnist_core.cli.commands import main

    assert main(["models", "--dir", str(tmp_path)]) == 1
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.process
def test_evaluate_confusion_prints_the_matrix_under_the_accuracy(default_model_path, capsys,
                                                                  mnist):
    from mnist_core.cli.commands import main

    assert main(["evaluate", str(default_model_path), "--confusion"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Test accuracy: 0.9904"
    assert lines[1].split() == ["true\\pred"] + [str(d) for d in range(10)]
    rows = [[int(n) for n in line.split()] for line in lines[2:]]
    assert [row[0] for row in rows] == list(range(10)) and len(rows) == 10
    counts = np.array([row[1:] for row in rows])
    (_, _), (_, y_test) = mnist
    assert (counts.sum(axis=1) == np.bincount(y_test, minlength=10)).all()  # rows: true digit
    assert np.trace(counts) == 9904
