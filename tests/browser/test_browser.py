"""The running app in headless Chromium: real strokes on the canvas, training, reloads, languages.

AppTest (tests/ui/) cannot draw on the custom canvas nor see what the browser shows; these
tests drive the shared `streamlit run` server (conftest.py) with Playwright as a visitor would.
Trainings are in test_browser_training.py, on a server of their own.

Each test leaves a screenshot in test-artifacts/ (gitignored) for a person to look at, beside
the server's log.

Chromium: `$PLAYWRIGHT_CHROMIUM`, else /usr/bin/chromium when it exists, else Playwright's own.
Run with `pytest -m browser`.
"""


import pytest

from mnist_core.constants import IMAGE_SIZE
from tests.browser.conftest import ARTIFACTS
from tests.browser_kit import canvas, draw_panel, ellipse, line, stroke

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.slow, pytest.mark.browser]

MODEL_SAW_PIXELS = IMAGE_SIZE * 6  # ui.draw.ZOOM: the 28x28 input shown 6x larger


def screenshot(page, name):
    """Saves the whole page as test-artifacts/NAME.png.

    Streamlit scrolls its main area, not the document, so a full-page screenshot would stop at
    the window: the window is stretched to the content for the shot instead.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    size = page.viewport_size
    height = page.get_by_test_id("stMain").evaluate("main => main.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    page.screenshot(path=ARTIFACTS / f"{name}.png")
    page.set_viewport_size(size)


def expect_images_loaded(images):
    # Images arrive from the media endpoint after the element itself; a shot taken earlier
    # shows an empty box.
    for index in range(images.count()):
        expect(images.nth(index)).not_to_have_js_property("naturalWidth", 0)


def wait_for_app_idle(page):
    # Streamlit's own end-to-end tests wait on this attribute before the next interaction, so
    # that a click does not land in the middle of the rerun a previous input started.
    expect(page.get_by_test_id("stApp")).to_have_attribute(
        "data-test-script-state", "notRunning")


# ---- Drawing ----------------------------------------------------------------------------------

def seven(left, top, size):
    """A 7 in the `size`-pixel square at (left, top): the top bar, then the diagonal down."""
    bar = line((left + 0.15 * size, top + 0.1 * size), (left + 0.85 * size, top + 0.1 * size))
    return bar + line(bar[-1], (left + 0.4 * size, top + 0.95 * size))[1:]


def clear(page):
    # The toolbar (undo, redo, bin) only shows while the pointer is over the canvas.
    canvas(page).hover()
    page.get_by_role("button", name="Reset canvas & history").click()
    expect(draw_panel(page).get_by_text("The canvas is empty")).to_be_visible()
    expect(draw_panel(page).get_by_test_id("stMetric")).to_have_count(0)


def expect_prediction(page, digit, tab="Draw", label="Predicted digit"):
    """Waits for the Draw view's whole answer: the digit, its probabilities, what the model saw."""
    panel = draw_panel(page, tab)
    metric = panel.get_by_test_id("stMetric")
    expect(metric.get_by_test_id("stMetricLabel")).to_have_text(label)
    expect(metric.get_by_test_id("stMetricValue")).to_have_text(str(digit))
    # Neither "the canvas is empty" nor a message about the drawing is left on the page.
    expect(panel.get_by_test_id("stAlert")).to_have_count(0)
    expect(panel.get_by_test_id("stVegaLiteChart")).to_be_visible()
    image = panel.get_by_test_id("stImage").locator("img")
    expect(image).to_have_js_property("naturalWidth", MODEL_SAW_PIXELS)


def test_an_untouched_canvas_asks_for_a_digit(page):
    expect(draw_panel(page).get_by_text("The canvas is empty")).to_be_visible()
    expect(draw_panel(page).get_by_test_id("stMetric")).to_have_count(0)


def test_drawn_strokes_are_read_as_digits_and_the_bin_clears_them(page):
    stroke(page, line((140, 40), (140, 240)))
    expect_prediction(page, 1)

    clear(page)
    stroke(page, seven(40, 30, 210))
    expect_prediction(page, 7)

    clear(page)
    stroke(page, ellipse((140, 140), 65, 95))
    expect_prediction(page, 0)
    screenshot(page, "draw-prediction")

    clear(page)
    screenshot(page, "draw-cleared")


def test_a_small_digit_in_a_corner_is_read_like_a_large_centred_one(page):
    # A quarter-size 7 near the top-left corner: the app crops and centres drawings as MNIST's
    # digits are, so where and how big it is must not matter.
    stroke(page, seven(15, 15, 70))
    expect_prediction(page, 7)
    screenshot(page, "draw-small-corner")


# ---- Explore and languages --------------------------------------------------------------------

def test_explore_shows_a_test_image_with_its_prediction_and_true_label(page):
    page.get_by_role("tab", name="Explore").click()
    panel = page.get_by_role("tabpanel", name="Explore")
    # The tutorial step's two figures come first; the model's report (three more) follows at
    # once when another test has already had it computed.
    labels = panel.get_by_test_id("stMetricLabel")
    expect(labels.nth(0)).to_have_text("Predicted digit")
    expect(labels.nth(1)).to_have_text("True label")
    # The first test image is a 7, and the tutorial model reads it.
    values = panel.get_by_test_id("stMetricValue")
    expect(values.nth(0)).to_have_text("7")
    expect(values.nth(1)).to_have_text("7")
    images = panel.get_by_test_id("stImage").locator("img")
    # The test image, then the two learning curves; the model's report follows once ready.
    expect(images.nth(2)).to_be_visible()
    expect_images_loaded(images)
    screenshot(page, "explore")


def test_choosing_francais_translates_the_page(page):
    page.get_by_test_id("stSidebar").get_by_text("Français", exact=True).click()
    expect(page.get_by_role("heading", name="Chiffres manuscrits avec Keras")).to_be_visible()
    expect(page.get_by_role("tab", name="Dessiner")).to_be_visible()
    stroke(page, line((140, 40), (140, 240)))
    expect_prediction(page, 1, tab="Dessiner", label="Chiffre prédit")
    screenshot(page, "french")
