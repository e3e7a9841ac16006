"""Issue 20 in headless Chromium, on a desktop and a 390x844 touch phone, in English and French:
the tutorial's figures speak the page's language (what the page gets: each figure's alt text,
made from the words the figure draws), an English page quotes the tutorial's French title as
its own, the model list's names are never cut, and the inside view opens on a short section
with a saliency big enough to read. Screenshots go to test-artifacts/language-*.png."""

import json
import re
import shutil

import pytest

from tests.browser.test_browser import (expect_images_loaded, expect_prediction, screenshot,
                                        seven, wait_for_app_idle)
from tests.browser.test_browser_inside import open_inside, show
from tests.browser.test_browser_page import touch_stroke
from tests.browser_kit import draw_panel, stroke
from ui.inside import VIEW
from ui.texts import text

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.slow, pytest.mark.browser]

LONGEST_NAME = "strong-20261202-230530"  # the longest recipe's name and a date, as trained
SHORT_VIEW_PX = 1200
"""The inside view's first section fits in about a screen and a half (every layer's output of
the tutorial's CNN was ~1,900 pixels on a desktop, the strong model's ~8,600)."""
SALIENCY_SEEN_PX = 200  # the saliency's pictures were 140 pixels wide


def in_language(page, language, device):
    """Switches a fresh page to `language` through the sidebar, as a visitor does."""
    if language == "en":
        return
    sidebar = page.get_by_test_id("stSidebar")
    if device == "phone":
        page.get_by_test_id("stExpandSidebarButton").tap()
    sidebar.get_by_text("Français", exact=True).click()
    expect(page.get_by_role("heading", name=text("fr", "title"))).to_be_visible()
    wait_for_app_idle(page)
    if device == "phone":
        page.get_by_test_id("stSidebarCollapseButton").locator("button").tap()
        expect(sidebar).not_to_be_in_viewport()


def visitor(request, device):
    return request.getfixturevalue(device)


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_tutorials_figures_speak_the_pages_language(request, device, language):
    page = visitor(request, device)
    in_language(page, language, device)
    tab = text(language, "tab_explore").split(" ", 1)[1]
    page.get_by_role("tab", name=tab).click()
    panel = page.get_by_role("tabpanel", name=tab)
    images = panel.get_by_test_id("stImage").locator("img")
    expect(images.nth(2)).to_be_visible()  # the test image's figure, then the two curves
    expect_images_loaded(images)
    alts = images.evaluate_all("imgs => imgs.slice(0, 3).map(i => i.alt)")
    french = "Prédiction du chiffre affiché : 7"  # the tutorial's own title for test image 0
    quote = panel.get_by_text(f"«\u00a0{french}\u00a0»")
    if language == "en":
        assert alts == [
            "Test image 0: Prediction of the digit shown: 7",
            ("Learning curve: Training and validation accuracy · Epochs · Training accuracy"
             " · Validation accuracy"),
            ("Learning curve: Training and validation loss · Epochs · Training loss"
             " · Validation loss")], alts
        expect(quote).to_have_text(f"The tutorial's title, in French: «\u00a0{french}\u00a0»")
        expect(quote).to_be_visible()
    else:
        assert alts == [
            f"Image de test 0 : {french}",
            ("Courbe d'apprentissage : Précision à l'entraînement et à la validation · Époques"
             " · Précision (entraînement) · Précision (validation)"),
            ("Courbe d'apprentissage : Perte à l'entraînement et à la validation · Époques"
             " · Perte (entraînement) · Perte (validation)")], alts
        expect(quote).to_have_count(0)  # the figure's title is the tutorial's: nothing to quote
    wait_for_app_idle(page)
    screenshot(page, f"language-{device}-{language}-explore")


@pytest.fixture
def long_named_model(models_dir):
    """A model named as the longest recipe names its trainings, for this test only; the best
    on drawings, so a new visitor gets it, starred: the longest label the list can show."""
    paths = [models_dir / f"{LONGEST_NAME}{suffix}" for suffix in (".keras", ".json")]
    shutil.copy(models_dir / "tutorial.keras", paths[0])
    metadata = json.loads((models_dir / "tutorial.json").read_text())
    metadata.update(recipe="strong", test_accuracy=0.9964, drawn_accuracy=0.99)
    paths[1].write_text(json.dumps(metadata))
    yield f"{LONGEST_NAME} ★"
    for path in paths:
        path.unlink(missing_ok=True)


def cut(element):
    return element.evaluate("e => e.scrollWidth > e.clientWidth")


@pytest.mark.parametrize(("device", "language"), [("desktop", "en"), ("phone", "fr")])
def test_the_model_lists_names_are_never_cut(request, long_named_model, device, language):
    page = visitor(request, device)
    in_language(page, language, device)
    sidebar = page.get_by_test_id("stSidebar")
    if device == "phone":
        page.get_by_test_id("stExpandSidebarButton").tap()
    box = sidebar.get_by_role("combobox", name=text(language, "model"))
    expect(box).to_be_visible()
    box.click()
    options = page.get_by_role("option")
    expect(options).to_have_count(2)
    for index in range(2):
        assert not cut(options.nth(index)), options.nth(index).inner_text()
    page.keyboard.press("Escape")
    expect(box).to_have_value(re.compile(LONGEST_NAME))
    assert not cut(box), box.input_value()
    expect(box).to_have_value(long_named_model)
    facts = sidebar.get_by_text(text(language, "test_accuracy"))
    expect(facts).to_contain_text({"en": "99.64%", "fr": "99,64\u202f%"}[language])
    screenshot(page, f"language-{device}-{language}-model-list")


@pytest.mark.parametrize(("device", "language"), [("desktop", "fr"), ("phone", "en")])
def test_the_inside_view_opens_short_with_a_saliency_big_enough_to_read(request, device,
                                                                       language):
    page = visitor(request, device)
    in_language(page, language, device)
    tab = text(language, "tab_draw").split(" ", 1)[1]
    (touch_stroke if device == "phone" else stroke)(page, seven(60, 40, 180))
    expect_prediction(page, 7, tab=tab, label=text(language, "predicted"))
    panel = open_inside(page, language, tab)
    view = panel.locator(f".st-key-{VIEW}")
    images = view.get_by_test_id("stImage").locator("img")
    expect(images.first).to_be_visible()
    expect_images_loaded(images)
    wait_for_app_idle(page)
    height = view.bounding_box()["height"]
    assert height <= SHORT_VIEW_PX, height
    screenshot(page, f"language-{device}-{language}-inside-first")
    show(page, draw_panel(page, tab), language, "saliency")
    expect_images_loaded(images)
    widths = images.evaluate_all("imgs => imgs.map(i => i.getBoundingClientRect().width)")
    assert len(widths) == 4 and min(widths[:3]) >= SALIENCY_SEEN_PX, widths
    screenshot(page, f"language-{device}-{language}-inside-saliency")
    show(page, draw_panel(page, tab), language, "layers")
    expect(view.get_by_text(text(language, "inside_bars_digits"))).to_be_visible()
    screenshot(page, f"language-{device}-{language}-inside-layers")
