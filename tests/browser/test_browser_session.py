"""In Chromium, desktop and a 390x844 touch phone: the drawing belongs to the visitor's session.

A visitor draws a 7, visits Train and Explore, switches language, adds a stroke, switches model:
the canvas still shows the drawing and the answer is the current model's reading of all of it.
Clear empties both for good. And saying what one drew counts at once in "How each model reads
visitors' drawings" (issue 20, items 1 and 4).

The shared server (conftest.py); a test that adds a model to its folder removes it after.
Screenshots go to test-artifacts/session-*.png.
"""

import re
import shutil

import pytest

from tests.browser.test_browser import expect_prediction, screenshot, seven, wait_for_app_idle
from tests.browser.test_browser_drawings import digit_button
from tests.browser.test_browser_page import choose_model_when_listed, tap, touch_stroke
from tests.browser.test_browser_inside import chooser
from tests.browser_kit import MS, canvas, draw_panel, line, stroke
from tests.conftest import ROOT
from ui.texts import text

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.slow, pytest.mark.browser]

WORDS = {
    "en": {"draw": "Draw", "train": "Train", "explore": "Explore", "predicted": "Predicted digit",
           "clear": "Clear", "empty": "The canvas is empty",
           "scores": "How each model reads visitors' drawings", "none": "No visitor has said",
           "recorded": "Recorded as 7", "of": "of"},
    "fr": {"draw": "Dessiner", "train": "Entraîner", "explore": "Explorer",
           "predicted": "Chiffre prédit", "clear": "Effacer", "empty": "Le cadre est vide",
           "scores": "Comment chaque modèle lit les dessins des visiteurs",
           "none": "Aucun visiteur n'a encore dit", "recorded": "Enregistré comme 7",
           "of": "sur"},
}
CROSSBAR = line((95, 150), (190, 150))  # across the 7's diagonal: a European 7
INK = """() => {
    // Whether the canvas on screen shows a stroke (white on its black background). The
    // component draws in a shadow root, which document.querySelectorAll does not enter.
    const canvases = root => [...root.querySelectorAll('canvas.dc-canvas.lower-canvas'),
        ...[...root.querySelectorAll('*')].filter(e => e.shadowRoot)
            .flatMap(e => canvases(e.shadowRoot))];
    const canvas = canvases(document).find(c => c.offsetParent !== null);
    if (!canvas) return false;
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < pixels.length; i += 4) if (pixels[i] > 128) return true;
    return false;
}"""


@pytest.fixture(params=["desktop", "phone"])
def device(request):
    """`(page, name)`: a fresh visitor on a desktop, then on a phone."""
    return request.getfixturevalue(request.param), request.param


def pen(page, name, points):
    """One stroke: the mouse on a desktop, a finger on a phone."""
    if name == "phone":
        canvas(page).scroll_into_view_if_needed()
        touch_stroke(page, points)
    else:
        stroke(page, points)


def click(page, name, locator):
    tap(page, locator) if name == "phone" else locator.click()


def expect_ink(page, ink=True):
    """Waits until the canvas on screen shows a drawing (or none)."""
    page.wait_for_function(INK if ink else f"() => !({INK})()")


def choose_language(page, name, language):
    label = {"en": "English", "fr": "Français"}[language]
    sidebar = page.get_by_test_id("stSidebar")
    if name == "phone":
        page.get_by_test_id("stExpandSidebarButton").tap()
        sidebar.get_by_text(label, exact=True).tap()
        wait_for_app_idle(page)
        page.get_by_test_id("stSidebarCollapseButton").locator("button").tap()
        expect(sidebar).not_to_be_in_viewport()
    else:
        sidebar.get_by_text(label, exact=True).click()
    wait_for_app_idle(page)


def model_saw(page, tab):
    """The 28x28 picture the model read: it changes with every stroke that is read."""
    return draw_panel(page, tab).get_by_test_id("stImage").locator("img")


def visit_tabs(page, name, words):
    """Opens Train, then Explore, then Draw again, each drawn by the server before the next
    click (a click during the page's run may be lost)."""
    for tab in ("train", "explore", "draw"):
        click(page, name, page.get_by_role("tab", name=words[tab]))
        panel = page.get_by_role("tabpanel", name=words[tab])
        expect({"train": panel.get_by_role("button", name=words["train"], exact=True),
                "explore": panel.get_by_test_id("stMetricLabel").first,
                "draw": canvas(page)}[tab]).to_be_visible()
        wait_for_app_idle(page)


def test_the_drawing_survives_tabs_and_a_language_switch_and_is_read_whole(device):
    page, name = device
    en, fr = WORDS["en"], WORDS["fr"]
    pen(page, name, seven(40, 30, 210))
    expect_prediction(page, 7)
    wait_for_app_idle(page)

    visit_tabs(page, name, en)
    expect_ink(page)
    expect_prediction(page, 7)
    screenshot(page, f"session-{name}-back-from-tabs")

    choose_language(page, name, "fr")
    expect(page.get_by_role("tab", name=fr["draw"])).to_have_attribute("aria-selected", "true")
    expect_ink(page)
    expect_prediction(page, 7, tab=fr["draw"], label=fr["predicted"])

    # A stroke more is read with the drawing it joins, not alone.
    seen = model_saw(page, fr["draw"])
    before = seen.get_attribute("src")
    pen(page, name, CROSSBAR)
    expect(seen).not_to_have_attribute("src", before)  # the canvas sends strokes 0.2 s late
    wait_for_app_idle(page)
    expect_prediction(page, 7, tab=fr["draw"], label=fr["predicted"])
    visit_tabs(page, name, fr)
    expect_ink(page)
    expect_prediction(page, 7, tab=fr["draw"], label=fr["predicted"])
    screenshot(page, f"session-{name}-fr-crossbar")


@pytest.fixture
def strong_model(models_dir):
    """The strong model in the shared server's folder for one test."""
    added = [models_dir / f"strong{suffix}" for suffix in (".keras", ".json")]
    for path in added:
        shutil.copy(ROOT / "models" / path.name, path)
    yield "strong"  # as the model list names it (no .keras)
    for path in added:
        path.unlink()


def confidence(page, tab="Draw"):
    return draw_panel(page, tab).get_by_test_id("stMetric").get_by_test_id("stMetricDelta")


def test_switching_model_reads_the_same_drawing_again_and_clear_empties_it(strong_model,
                                                                           desktop):
    # The model is in the folder before the page opens: the page's list does not change under
    # the test.
    en = WORDS["en"]
    combobox = desktop.get_by_test_id("stSidebar").get_by_role("combobox")
    choose_model_when_listed(desktop, "tutorial")
    wait_for_app_idle(desktop)
    stroke(desktop, seven(40, 30, 210))
    expect_prediction(desktop, 7)
    before = model_saw(desktop, "Draw").get_attribute("src")
    stroke(desktop, CROSSBAR)
    expect(model_saw(desktop, "Draw")).not_to_have_attribute("src", before)
    wait_for_app_idle(desktop)
    # The page's answer did not reload the canvas (a reload empties its undo history).
    canvas(desktop).hover()
    expect(desktop.get_by_role("button", name="Undo")).to_be_enabled()
    visit_tabs(desktop, "desktop", en)
    expect_prediction(desktop, 7)
    before = confidence(desktop).inner_text()

    choose_model_when_listed(desktop, strong_model)
    expect(combobox).to_have_value(re.compile(r"^strong( ★)?$"))
    wait_for_app_idle(desktop)
    expect_ink(desktop)
    expect_prediction(desktop, 7)
    # The same drawing read again by the other model: it is not exactly as sure.
    expect(confidence(desktop)).not_to_have_text(before)
    screenshot(desktop, "session-desktop-strong-model")

    draw_panel(desktop).get_by_role("button", name=en["clear"]).click()
    expect(draw_panel(desktop).get_by_text(en["empty"])).to_be_visible()
    expect(draw_panel(desktop).get_by_test_id("stMetric")).to_have_count(0)
    expect_ink(desktop, ink=False)
    wait_for_app_idle(desktop)
    visit_tabs(desktop, "desktop", en)  # Clear dropped the kept drawing too
    expect(draw_panel(desktop).get_by_text(en["empty"])).to_be_visible()
    expect(draw_panel(desktop).get_by_test_id("stMetric")).to_have_count(0)
    expect_ink(desktop, ink=False)


def scores(page, words, tab):
    """The open "How each model reads visitors' drawings" panel."""
    expander = draw_panel(page, tab).get_by_test_id("stExpander").filter(has_text=words["scores"])
    summary = expander.locator("summary")
    if expander.locator("details").get_attribute("open") is None:
        summary.scroll_into_view_if_needed()
        summary.click()
    return expander.get_by_test_id("stExpanderDetails")


def tutorial_total(text, words):
    """How many drawings the tutorial's row counts, 0 when nobody has said what they drew."""
    found = re.search(rf"tutorial\.keras ?: .+? \(\d+ {words['of']} (\d+)\)", text)
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize("device, language", [("desktop", "en"), ("phone", "fr")])
def test_saying_what_one_drew_counts_at_once_in_every_models_score(request, device, language):
    page = request.getfixturevalue(device)
    words = WORDS[language]
    if language != "en":
        choose_language(page, device, language)
    pen(page, device, seven(40, 30, 210))
    expect_prediction(page, 7, tab=words["draw"], label=words["predicted"])
    wait_for_app_idle(page)
    panel = scores(page, words, words["draw"])
    expect(panel).to_be_visible()
    total = tutorial_total(panel.inner_text(), words)
    click(page, device, digit_button(page, 7))
    expect(draw_panel(page, words["draw"]).get_by_text(words["recorded"])).to_be_visible()
    panel = scores(page, words, words["draw"])
    expect(panel).to_contain_text(re.compile(
        rf"tutorial\.keras ?: .+? \(\d+ {words['of']} {total + 1}\)"))
    expect(panel).not_to_contain_text(words["none"])
    panel.scroll_into_view_if_needed()
    screenshot(page, f"session-{device}-{language}-scores")


# ---- Choices whose labels change ----------------------------------------------------------------

def test_choices_survive_a_language_switch_and_a_new_best_model(device, models_dir):
    """Streamlit sends a choice as the label shown, so a label that changes between two runs
    (French digits, the ★ moving to a better model) used to lose the choice."""
    from tests.browser.test_browser_training import choose_images

    page, name = device
    en, fr = WORDS["en"], WORDS["fr"]
    click(page, name, page.get_by_role("tab", name=en["train"]))
    choose_images(page, "10,000")
    choose_language(page, name, "fr")
    expect(page.get_by_role("slider", name="Images d'entraînement")).to_have_attribute(
        "aria-valuetext", "10\u202f000")
    click(page, name, page.get_by_role("tab", name=fr["draw"]))
    pen(page, name, seven(40, 30, 210))
    expect_prediction(page, 7, tab=fr["draw"], label="Chiffre prédit")
    panel = draw_panel(page, fr["draw"])
    click(page, name, panel.get_by_text(text("fr", "inside_toggle"), exact=True))
    click(page, name, chooser(panel).get_by_text("Saillance", exact=True))
    expect(panel.get_by_text(text("fr", "inside_saliency_about")[:40])).to_be_visible()
    wait_for_app_idle(page)
    choose_language(page, name, "en")
    expect(draw_panel(page).get_by_text(text("en", "inside_saliency_about")[:40])).to_be_visible()
    # A better model arrives while the page is open: the ★ leaves tutorial for it, and the
    # visitor's choice stays, with no word of a model gone from the server.
    added = [models_dir / f"strong{suffix}" for suffix in (".keras", ".json")]
    try:
        for path in added:
            shutil.copy(ROOT / "models" / path.name, path)
        sidebar = page.get_by_test_id("stSidebar")
        if name == "phone":
            page.get_by_test_id("stExpandSidebarButton").tap()
        # The line under the list says tutorial is now "the tutorial's own model", no more the
        # best: the ★ has moved to strong.
        expect(sidebar.get_by_text(re.compile("^The tutorial's own model"))).to_be_visible(
            timeout=30 * MS)
        wait_for_app_idle(page)
        expect(sidebar.get_by_role("combobox")).to_have_value("tutorial")
        expect(page.get_by_text("no longer on the server")).to_have_count(0)
        screenshot(page, f"session-{name}-new-best-model")
    finally:
        for path in added:
            path.unlink(missing_ok=True)
