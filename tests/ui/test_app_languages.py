"""Issue 20: every text and figure of Explore and the sidebar follows the page's language. The
tutorial's matplotlib figures are drawn in it (the command line keeps the tutorial's own words),
the model list writes its percentages as the page does, and on an English page the tutorial's
French title is only quoted, as its own."""

import pytest

import ui.explore
from mnist_core.evaluation import plots
from tests.app_kit import open_tab, start
from ui.session_keys import LANGUAGE, MODEL_CHOICE

ENGLISH_WORDS = ("Training", "Validation", "Epochs", "accuracy", "loss")


@pytest.fixture
def drawn(monkeypatch):
    """The words of every tutorial figure the page draws, in order."""
    words = []

    def recording(make):
        def draw(*args, **kwargs):
            figures = make(*args, **kwargs)
            for figure in figures if isinstance(figures, tuple) else (figures,):
                words.append(_words(figure))
            return figures
        return draw

    monkeypatch.setattr(ui.explore.plots, "learning_curves", recording(plots.learning_curves))
    monkeypatch.setattr(ui.explore.plots, "prediction_figure", recording(plots.prediction_figure))
    return words


def _words(figure):
    """What a figure draws, read from its Axes: title, x label, legend, joined by " · "."""
    axes = figure.axes[0]
    legend = axes.get_legend()
    texts = [axes.get_title(), axes.get_xlabel()]
    texts += [t.get_text() for t in legend.get_texts()] if legend is not None else []
    return " · ".join(t for t in texts if t)


def image_alts(at):
    return [img.alt for image in at.tabs[2].get("image") for img in image.proto.imgs]


def test_the_french_explore_draws_its_figures_in_french(models, canvas, mnist, drawn):
    at = start(**{LANGUAGE: "fr"})
    at = open_tab(at, "explore", "fr")
    assert not at.exception, at.exception
    prediction, accuracy, loss = drawn[:3]
    assert prediction.startswith("Prédiction du chiffre affiché : ")  # the tutorial's own line
    assert accuracy.startswith("Précision à l'entraînement et à la validation · Époques")
    assert loss.startswith("Perte à l'entraînement et à la validation · Époques")
    for words in drawn:
        assert not any(english in words for english in ENGLISH_WORDS), words
    alts = image_alts(at)
    assert any(alt.startswith("Courbe d'apprentissage : Précision") for alt in alts), alts
    captions = " ".join(c.value for c in at.tabs[2].caption)
    assert "«" not in captions  # nothing to quote: the figure's title is the tutorial's


def test_the_english_explore_quotes_the_tutorials_french_title(models, canvas, mnist, drawn):
    at = open_tab(start(), "explore")
    assert not at.exception, at.exception
    prediction, accuracy, _ = drawn[:3]
    assert prediction.startswith("Prediction of the digit shown: ")
    assert accuracy.startswith("Training and validation accuracy · Epochs")
    digit = prediction.rsplit(" ", 1)[-1]
    captions = [c.value for c in at.tabs[2].caption]
    quote = f"The tutorial's title, in French: «\u00a0Prédiction du chiffre affiché : {digit}\u00a0»"
    assert quote in captions


def test_the_model_list_shows_names_and_its_facts_one_number_format(models, canvas):
    at = start()
    at.sidebar.radio(key=LANGUAGE).set_value("fr").run()
    options = at.sidebar.selectbox(key=MODEL_CHOICE).options
    assert options == ["tutorial ★"]  # no "(99.04%)" beside the facts' "99,04 %"
    facts = at.sidebar.caption[0].value
    assert "99,04\u202f%" in facts and "99.04" not in facts


def test_the_confusion_matrix_groups_its_counts_as_the_page_does():
    import numpy as np

    from ui.numbers import NARROW_SPACE
    from ui.test_set_view import confusion_chart

    spec = confusion_chart("fr", np.eye(10, dtype=np.int64) * 1135, (0, 0))
    counts = spec["layer"][1]["encoding"]["text"]
    assert counts.get("format") == ","  # 1135 is written "1 135", as the table beside it
    assert spec["config"]["locale"]["number"]["thousands"] == NARROW_SPACE
    tooltip = {t["field"]: t for t in spec["layer"][0]["encoding"]["tooltip"]}
    assert tooltip["count"].get("format") == ","


def test_a_first_visit_speaks_the_browsers_language_then_the_visitors_choice(models):
    """Many of the tutorial's readers are French: a French browser's first page is French; any
    other browser's, English; and a choice made on the page stays, whatever the browser says."""
    from streamlit.testing.v1 import AppTest

    from tests.app_kit import APP

    def first_visit(locale):
        at = AppTest.from_file(APP, default_timeout=60)
        at.context = {"locale": locale}
        at.run()
        assert not at.exception, at.exception
        return at

    for locale, language, title in (("fr-FR", "fr", "Chiffres manuscrits"),
                                    ("fr-CA", "fr", "Chiffres manuscrits"),
                                    ("en-US", "en", "Handwritten digits"),
                                    ("de-DE", "en", "Handwritten digits"),
                                    (None, "en", "Handwritten digits")):
        at = first_visit(locale)
        assert at.session_state[LANGUAGE] == language, locale
        assert at.title[0].value.startswith(title), (locale, at.title[0].value)
    at = first_visit("fr-FR")
    at.sidebar.radio(key=LANGUAGE).set_value("en").run()
    at.run()  # a later run reads the browser again: the visitor's choice stands
    assert at.session_state[LANGUAGE] == "en" and at.title[0].value.startswith("Handwritten")
