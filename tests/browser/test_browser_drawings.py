"""In Chromium: draw, say what you drew, and see your score change; on a phone, the ten digits
and "Not a digit" wrap inside the screen and a finger can tap them.

The shared server (conftest.py) has a private drawings file. Screenshots (desktop and phone,
English and French) go to test-artifacts/drawings-*.png. Run with
`pytest tests/browser/test_browser_drawings.py`.
"""

import pytest

from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, open_page
from tests.browser.test_browser import screenshot, seven, wait_for_app_idle
from tests.browser.test_browser_page import touch_stroke
from tests.browser_kit import draw_panel, line, stroke

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def server(app_url, drawings_db):
    """`(url, drawings file)` of the shared server."""
    return app_url, drawings_db


def digit_button(page, digit):
    # st.pills draws a radio group of buttons, visible in the open tab only.
    return page.locator("[data-testid=stButtonGroup]:visible").get_by_role(
        "radio", name=str(digit), exact=True)


def test_draw_choose_the_digit_and_see_the_score_change(browser, server):
    url, drawings = server
    page = open_page(browser, url, DESKTOP)
    panel = draw_panel(page)
    stroke(page, seven(60, 40, 180))
    expect(panel.get_by_text("What did you draw?")).to_be_visible()
    wait_for_app_idle(page)
    digit_button(page, 7).click()
    expect(panel.get_by_text("Recorded as 7. Thank you!")).to_be_visible()
    expect(panel.get_by_text("read right 1 of 1")).to_be_visible()
    wait_for_app_idle(page)
    stroke(page, line((150, 60), (150, 240)))  # a stroke more: a new drawing
    # ... with a fresh control, none of its digits chosen yet
    expect(page.locator("[data-testid=stButtonGroup]:visible [aria-checked=true]")).to_have_count(0)
    wait_for_app_idle(page)
    digit_button(page, 4).click()  # whatever it reads, not a 4
    expect(panel.get_by_text("read right 1 of 2")).to_be_visible()
    expect(panel.get_by_text("read as")).to_be_visible()
    screenshot(page, "drawings-desktop-en")
    assert drawings.exists()
    page.get_by_text("Français").click()
    expect(page.get_by_text("Qu'avez-vous dessiné ?")).to_be_visible()
    expect(page.get_by_text("Comment chaque modèle lit les dessins des visiteurs")).to_be_visible()
    wait_for_app_idle(page)
    screenshot(page, "drawings-desktop-fr")
    page.context.close()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_on_a_phone_the_ten_digits_wrap_inside_the_screen_and_take_a_tap(browser, server,
                                                                         language):
    not_a_digit = "Not a digit" if language == "en" else "Pas un chiffre"
    url, _ = server
    page = open_page(browser, url, PHONE)
    if language == "fr":
        page.get_by_test_id("stExpandSidebarButton").tap()
        page.get_by_text("Français").tap()
        page.get_by_test_id("stSidebarCollapseButton").tap()
        expect(page.get_by_test_id("stSidebar")).not_to_be_in_viewport()  # then draw
        expect(page.get_by_text("Qu'avez-vous dessiné ?")).to_have_count(0)
        wait_for_app_idle(page)
    touch_stroke(page, line((140, 40), (140, 240)))
    first = digit_button(page, 0)
    expect(first).to_be_visible()
    wait_for_app_idle(page)
    group = page.locator("[data-testid=stButtonGroup]:visible [role=radiogroup]")
    frame = group.bounding_box()
    assert group.evaluate("g => g.scrollWidth <= g.clientWidth")  # nothing hidden sideways
    assert frame["x"] >= 0 and frame["x"] + frame["width"] <= page.viewport_size["width"]
    for digit in [*range(10), not_a_digit]:
        box = digit_button(page, digit).bounding_box()
        assert box["x"] >= frame["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"]
        assert box["height"] >= 24 and box["width"] >= 24  # a finger's target
    one = digit_button(page, 1)
    one.scroll_into_view_if_needed()
    one.tap()
    recorded = "Recorded as 1" if language == "en" else "Enregistré comme 1"
    expect(draw_panel(page, "Draw" if language == "en" else "Dessiner").get_by_text(
        recorded)).to_be_visible()
    wait_for_app_idle(page)
    assert digit_button(page, 9).bounding_box()["y"] > one.bounding_box()["y"]  # a second row
    assert digit_button(page, not_a_digit).bounding_box()["y"] >= digit_button(
        page, 9).bounding_box()["y"]
    page.screenshot(path=ARTIFACTS / f"drawings-phone-{language}.png")  # the screen as seen
    page.context.close()
