"""A drawing that is no digit, in headless Chromium (issue 21): a big letter X drawn with the
mouse gets "That does not look like a digit" and the model's best guesses, never a bare digit;
a plain 1 or 7 drawn after it is still read as a digit. English, then French.

It needs the shipped gate (mnist_core/reading/not_a_digit.keras): the page flags nothing
without it. The page's words are tested without a browser, with a fake gate, in
tests/ui/test_app_not_digit.py. Screenshots go to test-artifacts/.
"""

import re

import pytest

from mnist_core.reading.not_a_digit import GATE_FILE
from tests.browser.test_browser import (clear, expect_prediction, screenshot, seven,
                                        wait_for_app_idle)
from tests.browser_kit import canvas, draw_panel, line, stroke

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.slow, pytest.mark.browser,
              pytest.mark.skipif(not GATE_FILE.exists(), reason="needs the shipped gate")]


def letter_x(page):
    """A big X: two diagonal strokes crossing in the canvas's middle."""
    stroke(page, line((50, 40), (230, 240)))
    stroke(page, line((230, 40), (50, 240)))


def expect_no_digit(page, tab, headline, guesses):
    """Waits for the headline in place of the digit, the best guesses and the chart below."""
    panel = draw_panel(page, tab)
    expect(panel.get_by_role("heading", name=headline)).to_be_visible()
    expect(panel.get_by_text(re.compile(rf"^{guesses}\d \(\d+\s?%\)"))).to_be_visible()
    expect(panel.get_by_test_id("stMetric")).to_have_count(0)  # no big digit
    expect(panel.get_by_test_id("stVegaLiteChart")).to_be_visible()


def test_a_letter_x_does_not_look_like_a_digit_and_a_one_still_does(page):
    letter_x(page)
    expect_no_digit(page, "Draw", "That does not look like a digit", r"Best guess(es)?: ")
    screenshot(page, "not-digit-en")

    clear(page)
    stroke(page, line((140, 40), (140, 240)))
    expect_prediction(page, 1)
    expect(draw_panel(page).get_by_role("heading", name="That does not look like a digit")
           ).to_have_count(0)


def test_in_french_a_letter_x_ne_ressemble_pas_a_un_chiffre_and_a_seven_is_read(page):
    page.get_by_test_id("stSidebar").get_by_text("Français", exact=True).click()
    expect(page.get_by_role("heading", name="Chiffres manuscrits avec Keras")).to_be_visible()
    # The switch draws the canvas afresh: a stroke made before it is ready would be lost.
    wait_for_app_idle(page)
    expect(draw_panel(page, "Dessiner").get_by_text("Le cadre est vide")).to_be_visible()
    letter_x(page)
    expect_no_digit(page, "Dessiner", "Ça ne ressemble pas à un chiffre",
                    r"Meilleures? hypothèses?\s?: ")
    screenshot(page, "not-digit-fr")

    draw_panel(page, "Dessiner").get_by_role("button", name="Effacer").click()
    expect(draw_panel(page, "Dessiner").get_by_text("Le cadre est vide")).to_be_visible()
    wait_for_app_idle(page)  # the button's canvas is a new one: draw once it is in place
    expect(canvas(page)).to_have_count(1)
    stroke(page, seven(40, 30, 210))
    expect_prediction(page, 7, tab="Dessiner", label="Chiffre prédit")
