"""The tutorial's figures: titles, styles, and PNGs written headless."""

import io

import numpy as np
import pytest
from matplotlib.colors import to_rgba

from mnist_core.evaluation import plots

HISTORY = {"accuracy": [0.9, 0.95, 0.97], "val_accuracy": [0.92, 0.96, 0.975],
           "loss": [0.3, 0.15, 0.1], "val_loss": [0.25, 0.12, 0.09]}


def test_learning_curves_are_the_tutorials_two_figures():
    accuracy, loss = plots.learning_curves(HISTORY)
    for figure, title, key in ((accuracy, "Training and validation accuracy", "accuracy"),
                               (loss, "Training and validation loss", "loss")):
        axes = figure.axes[0]
        assert axes.get_title() == title
        dots, line = axes.get_lines()
        assert (dots.get_marker(), dots.get_linestyle()) == ("o", "None")
        assert line.get_linestyle() == "-"
        assert to_rgba(dots.get_color()) == to_rgba(line.get_color()) == to_rgba("b")
        assert list(dots.get_xdata()) == [1, 2, 3] and list(dots.get_ydata()) == HISTORY[key]
        assert list(line.get_ydata()) == HISTORY["val_" + key]
        legend = [text.get_text() for text in axes.get_legend().get_texts()]
        assert legend == [f"Training {key}", f"Validation {key}"]  # the tutorial's own labels


def test_prediction_figure_shows_the_image_in_grey_with_the_french_title():
    image = np.zeros((28, 28, 1), dtype=np.float32)
    figure = plots.prediction_figure(image, 7)
    axes = figure.axes[0]
    assert axes.get_title() == "Prédiction du chiffre affiché : 7"
    assert axes.get_images()[0].get_cmap().name == "gray"


def test_figures_save_as_png(tmp_path):
    path = plots.save_png(plots.learning_curves(HISTORY)[0], tmp_path / "accuracy.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_save_png_replaces_a_symlink_itself_never_its_target(tmp_path):
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("not yours to overwrite")
    out = tmp_path / "run"
    out.mkdir()
    (out / "accuracy.png").symlink_to(elsewhere)
    plots.save_png(plots.learning_curves(HISTORY)[0], out / "accuracy.png")
    assert elsewhere.read_text() == "not yours to overwrite"
    assert not (out / "accuracy.png").is_symlink()
    assert (out / "accuracy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "accuracy.png").stat().st_mode & 0o777 == 0o644


def test_a_failing_save_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "loss.png"
    path.write_bytes(b"the previous figure")
    figure = plots.learning_curves(HISTORY)[1]

    def fail_halfway(target, **kwargs):
        target.write(b"\x89PNG half")
        raise OSError("No space left on device")

    monkeypatch.setattr(figure, "savefig", fail_halfway)
    with pytest.raises(OSError, match="No space"):
        plots.save_png(figure, path)
    assert path.read_bytes() == b"the previous figure"
    assert [p.name for p in tmp_path.iterdir()] == ["loss.png"]


# issue 20: the page draws the figures in its own language; the command line keeps the tutorial's
FRENCH = plots.FigureTexts(
    accuracy_title="Précision à l'entraînement et à la validation",
    loss_title="Perte à l'entraînement et à la validation", epochs="Époques",
    train_accuracy="Précision (entraînement)", validation_accuracy="Précision (validation)",
    train_loss="Perte (entraînement)", validation_loss="Perte (validation)",
    prediction_title="Prédiction du chiffre affiché : {digit}", decimal_comma=True)


def _drawn_words(figure):
    """Every text the figure draws, read back from its Axes after a render (ticks included)."""
    figure.savefig(io.BytesIO(), format="png")  # lays out the tick labels
    axes = figure.axes[0]
    legend = axes.get_legend()
    return {"title": axes.get_title(), "x": axes.get_xlabel(),
            "legend": [t.get_text() for t in legend.get_texts()] if legend else [],
            "ticks": [t.get_text() for t in axes.get_yticklabels() if t.get_text()]}


def test_learning_curves_draw_the_words_they_are_given_and_french_decimal_commas():
    accuracy, loss = plots.learning_curves(HISTORY, FRENCH)
    words = _drawn_words(accuracy)
    assert words["title"] == FRENCH.accuracy_title and words["x"] == "Époques"
    assert words["legend"] == ["Précision (entraînement)", "Précision (validation)"]
    assert words["ticks"] and all("." not in tick for tick in words["ticks"])
    assert any("," in tick for tick in words["ticks"]), words["ticks"]
    assert _drawn_words(loss)["legend"] == ["Perte (entraînement)", "Perte (validation)"]


def test_by_default_the_curves_keep_the_tutorials_words_and_decimal_points():
    words = _drawn_words(plots.learning_curves(HISTORY)[0])
    assert (words["title"], words["x"]) == ("Training and validation accuracy", "Epochs")
    assert any("." in tick for tick in words["ticks"]) and not any("," in t for t in words["ticks"])


def test_the_prediction_title_is_the_one_given():
    image = np.zeros((28, 28), dtype=np.float32)
    english = plots.FigureTexts(prediction_title="Prediction of the digit shown: {digit}")
    assert plots.prediction_figure(image, 3, english).axes[0].get_title() == (
        "Prediction of the digit shown: 3")


def test_figure_words_lists_what_a_figure_says():
    accuracy, _ = plots.learning_curves(HISTORY, FRENCH)
    assert plots.figure_words(accuracy) == (
        "Précision à l'entraînement et à la validation · Époques · Précision (entraînement)"
        " · Précision (validation)")
    image = np.zeros((28, 28), dtype=np.float32)
    assert plots.figure_words(plots.prediction_figure(image, 7)) == (
        "Prédiction du chiffre affiché : 7")
