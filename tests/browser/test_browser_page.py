"""The running app in headless Chromium, on a phone and following the server.

Phones: a 390x844 touch screen; strokes are touch events sent through Chromium's DevTools
protocol (Playwright has no touch-drag API). The canvas toolbar only shows on mouse hover, so
a finger clears with the Clear button, and the predicted digit must be readable without
scrolling. Following the server: a model added or removed on disk, or a training started by
another visitor, shows on an open page without a reload.

Server and browser come from conftest.py, helpers from test_browser.py; screenshots go to
test-artifacts/. Run with `pytest tests/browser/test_browser_page.py`.
"""

import re
import shutil
import time

import pytest

from tests.browser.test_browser import (ellipse, expect_prediction, screenshot, seven,
                                        wait_for_app_idle)
from tests.browser_kit import MS, canvas, draw_panel, line, stroke

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.slow, pytest.mark.browser]

FOLLOW_SECONDS = 20  # ui.follow.WATCH_SECONDS (3 s), then a full page run on shared cores


# ---- Phones -------------------------------------------------------------------------------------

def touch_stroke(page, points):
    """One finger stroke through `points`, (x, y) in canvas pixels, as real touch events."""
    # On busy cores the canvas may still be mounting: a box of None is no place to touch.
    expect(canvas(page)).to_be_visible()
    box = canvas(page).bounding_box()
    session = page.context.new_cdp_session(page)
    try:
        for index, (x, y) in enumerate(points):
            kind = "touchStart" if index == 0 else "touchMove"
            session.send("Input.dispatchTouchEvent", {
                "type": kind, "touchPoints": [{"x": box["x"] + x, "y": box["y"] + y}]})
        session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    finally:
        session.detach()


def visible_answer(page):
    # The one-line answer above the canvas; only one element with this class is shown.
    return page.locator(".st-key-phone_answer:visible")


def expect_in_viewport_without_scrolling(page, locator):
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    size = page.viewport_size
    assert 0 <= box["y"] and box["y"] + box["height"] <= size["height"], box
    assert 0 <= box["x"] and box["x"] + box["width"] <= size["width"], box
    scrolled = page.evaluate(
        "[window.scrollY, document.querySelector('[data-testid=stMain]').scrollTop]")
    assert scrolled == [0, 0], f"the page was scrolled: {scrolled}"


def expect_canvas_ink(page, inked, seconds=10):
    """Waits until the visible canvas shows a stroke (white on its black background), or none.

    After Clear the answer says "The canvas is empty" in the same run that mounts a new canvas
    under a new key, and the browser draws that canvas a moment later: the old one, strokes
    and all, can still be on the screen when the sentence shows, so an instant look races it.
    (The canvases sit in the component's shadow DOM, which Playwright's locators pierce.)
    """
    canvases = page.locator("canvas.dc-canvas.lower-canvas")
    deadline = time.monotonic() + seconds
    while True:
        seen = canvases.evaluate_all("""canvases => canvases
            .filter(canvas => canvas.getClientRects().length > 0)
            .map(canvas => {
                const pixels = canvas.getContext('2d')
                    .getImageData(0, 0, canvas.width, canvas.height).data;
                for (let i = 0; i < pixels.length; i += 4) if (pixels[i] > 128) return true;
                return false;
            })""")
        if seen and (any(seen) if inked else not any(seen)):
            return
        assert time.monotonic() < deadline, (
            f"the canvas still {'shows no' if inked else 'shows a'} stroke after {seconds} s")
        page.wait_for_timeout(100)


def tap(page, locator):
    locator.scroll_into_view_if_needed()
    locator.tap()


def test_a_finger_draws_a_digit_read_above_the_fold_and_clear_empties_the_canvas(phone):
    answer = visible_answer(phone)
    expect(answer).to_have_text("Predicted: –")
    clear = draw_panel(phone).get_by_role("button", name="Clear")
    expect_in_viewport_without_scrolling(phone, clear)  # the canvas and Clear fit too

    touch_stroke(phone, line((140, 40), (140, 240)))
    expect(answer).to_contain_text("Predicted: 1")
    expect_in_viewport_without_scrolling(phone, answer)
    expect_prediction(phone, 1)  # the full answer, further down the page
    expect_canvas_ink(phone, True)
    screenshot(phone, "phone-en-prediction")

    tap(phone, clear)
    expect(answer).to_have_text("Predicted: –")
    expect(draw_panel(phone).get_by_text("The canvas is empty")).to_be_visible()
    expect(draw_panel(phone).get_by_test_id("stMetric")).to_have_count(0)
    expect_canvas_ink(phone, False)

    touch_stroke(phone, seven(40, 30, 210))  # the new canvas takes a finger too
    expect(answer).to_contain_text("Predicted: 7")
    expect_in_viewport_without_scrolling(phone, answer)


def test_a_phone_in_french_reads_the_digit_above_the_fold(phone):
    phone.get_by_test_id("stExpandSidebarButton").tap()
    sidebar = phone.get_by_test_id("stSidebar")
    sidebar.get_by_text("Français", exact=True).tap()
    expect(phone.get_by_role("heading", name="Chiffres manuscrits avec Keras")).to_be_attached()
    wait_for_app_idle(phone)
    phone.get_by_test_id("stSidebarCollapseButton").locator("button").tap()
    expect(sidebar).not_to_be_in_viewport()
    answer = visible_answer(phone)
    expect(answer).to_have_text("Prédit : –")
    expect_in_viewport_without_scrolling(
        phone, draw_panel(phone, "Dessiner").get_by_role("button", name="Effacer"))

    touch_stroke(phone, ellipse((140, 140), 65, 95))
    expect(answer).to_contain_text("Prédit : 0")
    expect_in_viewport_without_scrolling(phone, answer)
    screenshot(phone, "phone-fr-prediction")


def test_a_french_phones_first_page_is_in_french(browser, app_url):
    # Many of the tutorial's readers are French: their browser's language is the page's first,
    # with no tap on the sidebar's choice (folded away on a phone).
    from tests.browser.conftest import PHONE, visitor

    with visitor(browser, app_url, {**PHONE, "locale": "fr-FR"}) as phone:
        expect(phone.get_by_role("tab", name="Dessiner")).to_be_visible()
        answer = visible_answer(phone)
        expect(answer).to_have_text("Prédit : –")
        touch_stroke(phone, ellipse((140, 140), 65, 95))
        expect(answer).to_contain_text("Prédit : 0")
        screenshot(phone, "phone-fr-first-visit")


def test_on_a_desktop_the_answer_sits_beside_the_canvas_and_clear_works_with_a_mouse(desktop):
    stroke(desktop, seven(40, 30, 210))
    expect_prediction(desktop, 7)
    expect(desktop.locator(".st-key-phone_answer")).to_be_hidden()  # the phone line
    screenshot(desktop, "desktop-en-prediction")
    draw_panel(desktop).get_by_role("button", name="Clear").click()
    expect(draw_panel(desktop).get_by_text("The canvas is empty")).to_be_visible()
    expect_canvas_ink(desktop, False)

    desktop.get_by_test_id("stSidebar").get_by_text("Français", exact=True).click()
    expect(desktop.get_by_role("heading", name="Chiffres manuscrits avec Keras")).to_be_visible()
    stroke(desktop, line((140, 40), (140, 240)))
    expect_prediction(desktop, 1, tab="Dessiner", label="Chiffre prédit")
    screenshot(desktop, "desktop-fr-prediction")
    expect_uploader_words(desktop, ["Téléverser", "25 Mo par fichier • KERAS, H5"])
    heard = uploader_heard(desktop)  # what a screen reader reads: the French words only
    assert 'button "Téléverser"' in heard and "25 Mo par fichier" in heard, heard
    assert "Upload" not in heard and "25MB" not in heard, heard
    desktop.get_by_test_id("stSidebar").get_by_text("English", exact=True).click()
    expect(desktop.get_by_role("heading", name="Handwritten digits with Keras")).to_be_visible()
    expect_uploader_words(desktop, ["Upload", "25MB per file • KERAS, H5"])
    assert 'button "Upload"' in uploader_heard(desktop)


def uploader_words(page):
    """The words a visitor sees on the uploader's button and limit line: Streamlit's own text
    where it is displayed, then any CSS-generated text drawn after it (`ui.uploader_words`)."""
    return page.evaluate("""() => [
            '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]',
            '[data-testid="stFileUploaderDropzoneInstructions"] > div']
        .map(selector => document.querySelector('[data-testid="stSidebar"] ' + selector))
        .map(box => {
            const own = box.firstElementChild;
            const after = getComputedStyle(box, '::after').content;
            return (getComputedStyle(own).display === 'none' ? '' : own.innerText)
                + (after === 'none' ? '' : JSON.parse(after));
        })""")


def expect_uploader_words(page, words, seconds=10):
    """Waits until the uploader shows `words`: the page's style that swaps them arrives in the
    same run as the heading but may be drawn a moment after it, so one reading can race it."""
    deadline = time.monotonic() + seconds
    while (seen := uploader_words(page)) != words and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert seen == words, f"the uploader shows {seen}, not {words}"


def uploader_heard(page):
    """The uploader's accessibility tree, as Playwright writes it (names and texts)."""
    return page.get_by_test_id("stSidebar").get_by_test_id("stFileUploaderDropzone").aria_snapshot()


def test_the_open_tab_stays_open_when_the_language_changes(desktop):
    # The first two labels are the tutorial's test image; the test-set report's follow once
    # it is read (at once on the shared server, where an earlier test read it).
    desktop.get_by_role("tab", name="Explore").click()
    labels = desktop.get_by_role("tabpanel", name="Explore").get_by_test_id("stMetricLabel")
    expect(labels.nth(0)).to_have_text("Predicted digit")
    expect(labels.nth(1)).to_have_text("True label")
    desktop.get_by_test_id("stSidebar").get_by_text("Français", exact=True).click()
    expect(desktop.get_by_role("tab", name="Explorer")).to_have_attribute("aria-selected", "true")
    labels = desktop.get_by_role("tabpanel", name="Explorer").get_by_test_id("stMetricLabel")
    expect(labels.nth(0)).to_have_text("Chiffre prédit")
    expect(labels.nth(1)).to_have_text("Vrai chiffre")
    screenshot(desktop, "desktop-fr-explore")


# ---- Following the server ------------------------------------------------------------------

def choose_model_when_listed(page, name):
    """Opens the model list until `name` is in it (a rerun may come at any moment, and an open
    list is not refreshed), then chooses it."""
    combobox = page.get_by_test_id("stSidebar").get_by_role("combobox")
    deadline = time.monotonic() + FOLLOW_SECONDS
    while True:
        combobox.click()
        option = page.get_by_role("option", name=name)
        try:
            expect(option).to_be_visible(timeout=1 * MS)
        except AssertionError:
            page.keyboard.press("Escape")
            if time.monotonic() > deadline:
                raise
            page.wait_for_timeout(1 * MS)
            continue
        try:  # a rerun may redraw the open list under the pointer: open it again then
            option.click(timeout=3 * MS)
        except sync_api.TimeoutError:
            page.keyboard.press("Escape")
            if time.monotonic() > deadline:
                raise
            continue
        return


def test_a_model_added_or_removed_on_disk_shows_without_a_reload(desktop, models_dir):
    sidebar = desktop.get_by_test_id("stSidebar")
    for suffix in (".keras", ".json"):
        shutil.copy(models_dir / f"tutorial{suffix}", models_dir / f"added{suffix}")
    try:
        choose_model_when_listed(desktop, "added")  # the list names added.keras "added"
        expect(sidebar.get_by_role("combobox")).to_have_value(re.compile(r"^added( ★)?$"))
        wait_for_app_idle(desktop)
    finally:
        for suffix in (".keras", ".json"):
            (models_dir / f"added{suffix}").unlink()
    expect(sidebar.get_by_test_id("stAlert")).to_have_text(
        "The model added.keras is no longer on the server, so tutorial.keras is chosen instead.",
        timeout=FOLLOW_SECONDS * MS)
    screenshot(desktop, "model-vanished")
    stroke(desktop, line((140, 40), (140, 240)))  # Draw goes on with the default model
    expect_prediction(desktop, 1)





def test_a_page_left_open_asks_the_server_for_no_run(browser, app_url):
    # The server process looks for every open page at once (ui.follow.ServerWatcher) and reruns
    # them when something changed; a page that does nothing sends nothing. Each page once asked
    # every 3 s, a Streamlit run each (~6 ms of the server's CPU).
    from streamlit.proto.BackMsg_pb2 import BackMsg

    from tests.browser.conftest import DESKTOP, WAIT_SECONDS
    from ui.follow import WATCH_SECONDS

    asked = []

    def count(frame):
        message = BackMsg()
        message.ParseFromString(frame if isinstance(frame, bytes) else frame.encode("latin-1"))
        if message.WhichOneof("type") == "rerun_script":
            asked.append(message.rerun_script.fragment_id or "page")

    context = browser.new_context(**DESKTOP)
    context.set_default_timeout(WAIT_SECONDS * MS)
    try:
        page = context.new_page()
        page.on("websocket", lambda socket: socket.on("framesent", count))
        page.goto(app_url)
        expect(canvas(page)).to_be_visible(timeout=60 * MS)
        wait_for_app_idle(page)
        page.wait_for_timeout(500)  # a rerun the first run's widgets ask for, if any, goes first
        wait_for_app_idle(page)
        before = len(asked)
        assert before, "the page's own first run was seen"
        page.wait_for_timeout((WATCH_SECONDS + 1.5) * MS)
        assert asked[before:] == [], "a page left open asked for runs"
    finally:
        context.close()
