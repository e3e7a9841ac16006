"""The live training view in headless Chromium: a real short training shows, after its epochs,
the grid of test digits with the model's answers and the first filters; its owner sees what the
model reads in the digit they drew, a stranger on a phone (in French) sees the rest, and nothing
runs off a 390-pixel screen.

Screenshots land in test-artifacts/ (live-*.png). Run with `pytest -m browser`.
"""

import re

import pytest

from mnist_core.jobs.epoch_pictures import FILTER_ZOOM, GAP, ZOOM
from tests.browser_kit import MS, canvas, stroke
from tests.browser.test_browser import (  # noqa: F401  (fixtures: this module gets its own server)
    TRAINING_SECONDS, app_url, browser, expect_prediction, expect_training_reaches, models_dir,
    open_idle_train_tab, page, screenshot, set_number, seven, train_button, wait_for_app_idle)

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.slow, pytest.mark.browser]

GRID_WIDTH = 10 * (28 * ZOOM + GAP) + GAP
FILTERS_WIDTH = 8 * (3 * FILTER_ZOOM + GAP) + GAP
# The machine's two cores are shared (tests run beside other work): an epoch can take minutes.
LIVE_SECONDS = 3 * TRAINING_SECONDS
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 3}


def live_images(panel):
    return panel.get_by_test_id("stImage").locator("img")


def expect_live_pictures(panel):
    images = live_images(panel)
    expect(images.nth(0)).to_have_js_property("naturalWidth", GRID_WIDTH)
    expect(images.nth(1)).to_have_js_property("naturalWidth", FILTERS_WIDTH)


def test_a_short_training_shows_each_epochs_answers_filters_and_the_owners_drawing(
        page, browser, app_url):
    stroke(page, seven(60, 40, 180))
    expect_prediction(page, 7)
    open_idle_train_tab(page)
    set_number(page, "Epochs", 3)
    set_number(page, "Training images", 3_000)
    train_button(page).click()
    panel = page.get_by_role("tabpanel", name="Train")
    expect(panel.get_by_text(re.compile(r"The model after epoch \d"))).to_be_visible(
        timeout=LIVE_SECONDS * MS)
    expect_live_pictures(panel)
    screenshot(page, "live-running")
    expect_training_reaches(panel, panel.get_by_text("Finished: test accuracy"),
                            LIVE_SECONDS * MS)
    # The end of the training reruns the whole page (the new model is adopted): while that
    # run goes, the panel's last drawing stays beside the new one, then is removed.
    wait_for_app_idle(page)
    expect(panel.get_by_text("The model after epoch")).to_have_count(1)
    expect(panel.get_by_text("The model after epoch 3")).to_be_visible()
    expect(panel.get_by_text(re.compile(r"\d+ of 40 test digits read right"))).to_be_visible()
    # The owner's 7 reached the training process and came back read by its last epoch.
    expect(panel.get_by_text(re.compile(
        r"Your drawing, read by this epoch's model: 7 \(\d+% sure\)"))).to_be_visible()
    expect(live_images(panel)).to_have_count(3)
    expect(panel.get_by_test_id("stVegaLiteChart")).to_have_count(2)
    screenshot(page, "live-done-owner")
    page.get_by_test_id("stSidebar").get_by_text("Français", exact=True).click()
    french = page.get_by_role("tabpanel", name="Entraîner")
    expect(french.get_by_text("Le modèle après l'époque 3")).to_be_visible()
    expect(french.get_by_text(re.compile(
        r"Votre dessin, lu par le modèle de cette époque : 7 \(sûr à \d+\u202f%\)"))).to_be_visible()
    screenshot(page, "live-done-owner-fr")

    context = browser.new_context(**PHONE)
    try:
        context.set_default_timeout(30 * MS)
        phone = context.new_page()
        phone.goto(app_url)
        expect(canvas(phone)).to_be_visible(timeout=60 * MS)
        phone.get_by_test_id("stExpandSidebarButton").tap()
        sidebar = phone.get_by_test_id("stSidebar")
        sidebar.get_by_text("Français", exact=True).tap()
        phone.get_by_test_id("stSidebarCollapseButton").locator("button").tap()
        expect(sidebar).not_to_be_in_viewport()
        phone.get_by_role("tab", name="Entraîner").tap()
        theirs = phone.get_by_role("tabpanel", name="Entraîner")
        expect(theirs.get_by_text("Le modèle après l'époque 3")).to_be_visible()
        expect(theirs.get_by_text(re.compile(r"\d+ chiffres de test sur 40"))).to_be_visible()
        expect_live_pictures(theirs)
        expect(live_images(theirs)).to_have_count(2)  # the owner's drawing is theirs alone
        expect(theirs.get_by_text("Votre dessin")).to_have_count(0)
        for image in range(2):
            box = live_images(theirs).nth(image).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        wide = phone.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, f"the page is {wide} px wide on a 390 px phone"
        screenshot(phone, "live-done-stranger-phone-fr")
    finally:
        context.close()
