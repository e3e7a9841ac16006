"""A page does not go blank: a whole-page run right after a fragment's writes from the page's
top (ui/page_top.py), and a page whose app crashed all the same reloads itself
(ui/crash_reload.py), once a minute at most, only for the errors of Streamlit's element tree."""

from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.frames import Frames
from tests.browser_kit import MS, canvas, free_port, start_server, stop_server, wait_until_healthy
from tests.conftest import ROOT

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CLICKS = 20
CRASH = "Bad delta path index 2 (should be between [0, 1])"  # as caught in CI


def crash(page, message=CRASH):
    """An error thrown and left uncaught, as React's drawing of the element tree throws it,
    once the page's watch is installed (its element loads after the page's first drawing)."""
    page.wait_for_function("window.mnistCrashReload === true", timeout=30 * MS)
    page.evaluate("(message) => { setTimeout(() => { throw new Error(message); }); }", message)


def test_a_page_whose_app_crashed_reloads_itself_once_a_minute_at_most(page):
    page.evaluate("window.before = true")
    crash(page, "something else went wrong")  # not the element tree's: no reload
    page.wait_for_timeout(1000)
    assert page.evaluate("window.before === true")
    with page.expect_navigation(timeout=30 * MS):
        crash(page)
    expect(canvas(page)).to_be_visible(timeout=60 * MS)  # the page drawn whole again
    assert page.evaluate("window.before === undefined")  # a new document
    page.evaluate("window.before = true")
    crash(page)  # again within the minute: no reload without end
    page.wait_for_timeout(1000)
    assert page.evaluate("window.before === true")


def titles_written(frames):
    return [line for line in frames.story().splitlines() if " heading " in line]


@pytest.fixture(scope="module")
def fragment_then_page_url():
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)  # alone in a fresh clone, no other test has made it
    log = ARTIFACTS / "streamlit-fragment-then-page.log"
    server = start_server(Path(__file__).with_name("fragment_then_page_app.py"), ROOT, port, log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, server, log)
        yield url
    finally:
        stop_server(server)


def test_a_whole_page_run_right_after_a_fragments_run_writes_from_the_top(
        browser, fragment_then_page_url):
    """Without `ui.page_top`'s two resets the page's title is written inside its tab and the page
    loses its button at the first or second click (once "Bad delta path index 5 (should be
    between [0, 2])", then a blank page); either reset alone passes."""
    page = browser.new_page()
    frames = Frames()
    page.on("websocket", frames.watch)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(fragment_then_page_url)
        page.get_by_role("tab", name="Two").click()
        for _ in range(CLICKS):
            try:
                page.get_by_role("button", name="Again").click(timeout=10 * MS)
            except sync_api.TimeoutError:
                raise AssertionError(f"The page lost its button; it threw {errors}; its "
                                     f"titles were written at {titles_written(frames)}") from None
            page.wait_for_timeout(150)
        expect(page.get_by_role("heading", name="Top")).to_be_visible()
        assert not errors, errors
        titles = titles_written(frames)
        # Every whole-page run wrote the title at the page's top.
        assert len(titles) >= 3 and all("delta [0, 0] " in line for line in titles), titles
    finally:
        page.close()
