"""A page whose app crashed in the browser reloads itself (ui/crash_reload.py), once a minute
at most, and only for the errors that remove Streamlit's element tree."""

import pytest

from tests.browser_kit import MS, canvas

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CRASH = "Bad delta path index 2 (should be between [0, 1])"  # as caught in CI


def crash(page, message=CRASH):
    """An error thrown and left uncaught, as React's drawing of the element tree throws it."""
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
