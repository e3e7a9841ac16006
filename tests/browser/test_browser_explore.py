"""Explore over the whole test set and the downloads, in headless Chromium: a click (or a tap on
a phone) on a confusion cell shows its images, nothing overflows a 390-pixel phone, in English
and French, both downloaded files load back as the same model, and a visitor's upload is there
to compare with, across Explore's own reruns.

Server, browser and helpers come from test_browser.py; screenshots go to test-artifacts/.
Run with `pytest tests/browser/test_browser_explore.py`.
"""

import io
import re

import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import DESKTOP, PHONE, open_page
from tests.browser.test_browser import expect_images_loaded, screenshot, wait_for_app_idle
from tests.browser_kit import MS
from tests.conftest import FIXTURES, ROOT
from mnist_core.untrusted.checked_load import load_model

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.slow, pytest.mark.browser]

REPORT_SECONDS = 180  # the first report of the tutorial's model, on shared cores
DIAGONAL = (0xDC, 0xE8, 0xFB)  # ui.test_set_view.confusion_chart's colour for cells read right


def open_explore(page, tab="Explore"):
    page.get_by_role("tab", name=tab).click()
    panel = page.get_by_role("tabpanel", name=tab)
    expect(panel.get_by_test_id("stVegaLiteChart")).to_be_visible(timeout=REPORT_SECONDS * MS)
    wait_for_app_idle(page)
    return panel


def cell_centre(chart, true, read):
    """Where cell (true, read) of the heatmap is on the page, found from its pale diagonal."""
    box = chart.bounding_box()
    shot = np.asarray(Image.open(io.BytesIO(chart.screenshot())).convert("RGB")).astype(int)
    scale = shot.shape[1] / box["width"]  # the phone's pixel ratio
    pale = (np.abs(shot - DIAGONAL).sum(axis=2) < 12).nonzero()
    top, bottom, left, right = pale[0].min(), pale[0].max(), pale[1].min(), pale[1].max()
    height, width = (bottom - top) / 10, (right - left) / 10
    return (box["x"] + (left + (read + 0.5) * width) / scale,
            box["y"] + (top + (true + 0.5) * height) / scale)


def test_a_click_on_a_confusion_cell_shows_its_images(browser, app_url):
    page = open_page(browser, app_url, DESKTOP)
    try:
        panel = open_explore(page)
        expect(panel.get_by_text("Test images misread")).to_be_visible()
        chart = panel.get_by_test_id("stVegaLiteChart")
        chart.scroll_into_view_if_needed()
        x, y = cell_centre(chart, 3, 5)
        page.mouse.click(x, y)
        expect(panel.get_by_text(" images of 3 read as 5, surest first.")).to_be_visible()
        expect(panel.get_by_role("combobox", name="True digit")).to_have_value("3")
        expect(panel.get_by_role("combobox", name="Read as")).to_have_value("5")
        expect_images_loaded(panel.get_by_test_id("stImage").locator("img"))
        screenshot(page, "explore-report")
    finally:
        page.context.close()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_on_a_phone_a_tap_chooses_a_cell_and_nothing_overflows(browser, app_url, language):
    page = open_page(browser, app_url, PHONE)
    try:
        tab, true_label = "Explore", "True digit"
        if language == "fr":
            page.get_by_test_id("stExpandSidebarButton").tap()
            sidebar = page.get_by_test_id("stSidebar")
            sidebar.get_by_text("Français", exact=True).tap()
            heading = page.get_by_role("heading", name="Chiffres manuscrits avec Keras")
            expect(heading).to_be_attached()
            wait_for_app_idle(page)
            page.get_by_test_id("stSidebarCollapseButton").locator("button").tap()
            expect(sidebar).not_to_be_in_viewport()
            tab, true_label = "Explorer", "Vrai chiffre"
        panel = open_explore(page, tab)
        chart = panel.get_by_test_id("stVegaLiteChart")
        chart.scroll_into_view_if_needed()
        x, y = cell_centre(chart, 9, 4)
        page.touchscreen.tap(x, y)
        expect(panel.get_by_role("combobox", name=true_label)).to_have_value("9")
        wait_for_app_idle(page)
        images = panel.get_by_test_id("stImage").locator("img")
        expect_images_loaded(images)
        main = page.get_by_test_id("stMain")
        assert main.evaluate("m => m.scrollWidth <= m.clientWidth"), "the page scrolls sideways"
        for index in range(images.count()):
            box = images.nth(index).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, f"image {index} overflows"
        chart_box = chart.bounding_box()
        assert chart_box["x"] >= 0 and chart_box["x"] + chart_box["width"] <= 390
        screenshot(page, f"phone-{language}-explore")
    finally:
        page.context.close()


def test_the_chosen_model_downloads_as_keras_and_as_mnist_model_h5(browser, app_url, models_dir,
                                                                   tmp_path):
    page = open_page(browser, app_url, DESKTOP)
    try:
        sidebar = page.get_by_test_id("stSidebar")
        files = {}
        for label in (".keras", ".h5"):
            with page.expect_download(timeout=120 * MS) as download:
                sidebar.get_by_role("button", name=label, exact=True).click()
            files[label] = tmp_path / download.value.suggested_filename
            download.value.save_as(files[label])
        assert [path.name for path in files.values()] == ["tutorial.keras", "mnist_model.h5"]
        assert files[".keras"].read_bytes() == (models_dir / "tutorial.keras").read_bytes()
        probe = np.linspace(0, 1, 3 * 28 * 28, dtype=np.float32).reshape(3, 28, 28, 1)
        original = load_model(ROOT / "models" / "tutorial.keras").model
        h5 = load_model(files[".h5"]).model
        np.testing.assert_array_equal(h5.predict(probe, verbose=0),
                                      original.predict(probe, verbose=0))
    finally:
        page.context.close()


def test_a_saved_model_is_compared_with_the_visitors_upload_in_french(browser, app_url):
    page = open_page(browser, app_url, DESKTOP)
    try:
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_text("Français", exact=True).click()
        wait_for_app_idle(page)
        sidebar.locator("input[type=file]").set_input_files(files=[{
            "name": "mnist_model.h5", "mimeType": "application/x-hdf5",
            "buffer": (FIXTURES / "tutorial_tf_keras2.h5").read_bytes()}])
        expect(sidebar.get_by_text("mnist_model.h5 chargé depuis votre fichier.")).to_be_visible()
        wait_for_app_idle(page)
        sidebar.get_by_role("combobox", name="Modèle").click()  # back to the server's model
        page.get_by_role("option", name=re.compile(r"^tutorial( ★)?$")).click()  # tutorial.keras
        wait_for_app_idle(page)
        panel = open_explore(page, "Explorer")
        expect(panel.get_by_role("combobox", name="Second modèle")).to_have_value(
            "mnist_model.h5 (votre fichier)")
        table = panel.locator("table", has_text="mnist_model.h5 (votre fichier)")
        expect(table).to_be_visible(timeout=REPORT_SECONDS * MS)
        expect(table.locator("th")).to_have_text(["Chiffre", "tutorial.keras",
                                                  "mnist_model.h5 (votre fichier)"])
        expect(panel.get_by_text(" images que tutorial.keras lit bien et mnist_model.h5 "
                                 "(votre fichier) mal")).to_be_visible()
        wait_for_app_idle(page)
        screenshot(page, "explore-compare-upload-fr")
        # Another test image reruns Explore's fragment only, without the sidebar: the upload
        # is still there to compare with.
        index = panel.get_by_role("spinbutton", name="Numéro de l'image de test")
        index.fill("1")
        index.press("Enter")
        expect(panel.get_by_test_id("stMetricValue").nth(1)).to_have_text("2")
        wait_for_app_idle(page)
        expect(table).to_be_visible()
    finally:
        page.context.close()
