"""A visitor's upload in the browser: checked off the page while the visitor keeps drawing.

The check (a child process starting TensorFlow) takes seconds. The page must stay live all that
time: not greyed out by a long script run, the canvas read by the model the visitor had, and a
line saying which step the check is at. Then the upload becomes the model, and its line says
what is known of it (layers, parameters, input, and its measured test accuracy), never
"unknown". Each test uploads a file saved just now, so no earlier test's check is reused.
"""

import re

import pytest

from tests.browser.conftest import DESKTOP, PHONE, WAIT_SECONDS, open_page
from tests.browser.test_browser import expect_prediction, screenshot, seven, wait_for_app_idle
from tests.browser.test_browser_page import touch_stroke
from tests.browser_kit import MS, stroke
from tests.conftest import ROOT

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHECK_SECONDS = 120  # a cold check on 2 busy cores: TensorFlow's start in the child, then the load
WORDS = {
    "en": {"checking": "Checking my model.keras: ", "keep": "Keep drawing meanwhile",
           "accepted": "Loaded my model.keras from your upload.", "tab": "Draw",
           "label": "Predicted digit",
           "facts": r"test accuracy 9\d\.\d\d% · 7 layers · 225,034 parameters · input 28×28×1"},
    "fr": {"checking": "Vérification de my model.keras : ", "keep": "Continuez à dessiner",
           "accepted": "my model.keras chargé depuis votre fichier.", "tab": "Dessiner",
           "label": "Chiffre prédit",
           "facts": "précision sur le test 9\\d,\\d\\d\u202f% · 7 couches · 225\u202f034 "
                    "paramètres · entrée 28×28×1"},
}


@pytest.fixture
def fresh_model(tmp_path):
    """The tutorial's model saved again: a .keras file records when it was saved, so its bytes
    (and its hash, which the server's check queue goes by) are new to the server."""
    from mnist_core.untrusted.checked_load import load_model

    path = tmp_path / "my model.keras"
    load_model(ROOT / "models" / "tutorial.keras").model.save(path)
    return path.read_bytes()


def send(page, content):
    page.get_by_test_id("stSidebar").locator("input[type=file]").set_input_files(files=[{
        "name": "my model.keras", "mimeType": "application/octet-stream", "buffer": content}])


@pytest.mark.parametrize("viewport, language", [(DESKTOP, "en"), (PHONE, "fr")],
                         ids=["desktop-en", "phone-fr"])
def test_an_upload_is_checked_while_the_visitor_keeps_drawing(browser, app_url, fresh_model,
                                                             viewport, language):
    words = WORDS[language]
    phone = viewport is PHONE
    page = open_page(browser, app_url, viewport)
    try:
        sidebar = page.get_by_test_id("stSidebar")
        if phone:
            # A finger draws first: on a phone the sidebar covers the canvas while it is open.
            touch_stroke(page, seven(40, 30, 210))
            expect_prediction(page, 7, tab="Draw")
            page.get_by_test_id("stExpandSidebarButton").tap()
        if language == "fr":
            sidebar.get_by_text("Français", exact=True).click()
            expect(page.get_by_role("heading", name="Chiffres manuscrits avec Keras")).to_be_attached()
        wait_for_app_idle(page)
        send(page, fresh_model)
        progress = sidebar.get_by_text(words["checking"])
        expect(progress).to_be_visible()
        expect(progress).to_contain_text(words["keep"])
        # The page is idle while the check runs: nothing greyed, every widget answers.
        wait_for_app_idle(page)
        expect(progress).to_be_visible()
        screenshot(page, f"upload-checking-{'phone' if phone else 'desktop'}-{language}")
        if phone:
            page.get_by_test_id("stSidebarCollapseButton").locator("button").tap()
        else:  # drawn while the check runs, read by the model the visitor had
            stroke(page, seven(40, 30, 210))
        expect_prediction(page, 7, tab=words["tab"], label=words["label"])
        # Said in the sidebar (folded away on a phone) and in a toast that passes.
        expect(sidebar.get_by_text(words["accepted"])).to_be_attached(timeout=CHECK_SECONDS * MS)
        wait_for_app_idle(page)
        expect_prediction(page, 7, tab=words["tab"], label=words["label"])  # the upload reads it
        if phone:
            page.get_by_test_id("stExpandSidebarButton").tap()
        expect(sidebar.get_by_text(re.compile(words["facts"]))).to_be_visible(
            timeout=CHECK_SECONDS * MS)
        expect(sidebar).not_to_contain_text(re.compile("unknown|inconnu"))
        screenshot(page, f"upload-accepted-{'phone' if phone else 'desktop'}-{language}")
    finally:
        page.context.close()


def test_a_refused_upload_says_why_in_one_sentence_and_the_page_keeps_its_model(browser,
                                                                                app_url):
    page = open_page(browser, app_url, DESKTOP)
    try:
        send(page, b"not a model at all")
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_text(re.compile(r"^my model\.keras .*\.$"))).to_be_visible(
            timeout=WAIT_SECONDS * MS)
        expect(sidebar).not_to_contain_text(re.compile("Traceback|/tmp/|mnist-untrusted"))
        expect(sidebar.get_by_role("combobox", name="Model")).to_have_value(
            re.compile(r"^tutorial"))
    finally:
        page.context.close()
