"""The running app in headless Chromium: real strokes on the canvas, training, reloads, languages.

AppTest (test_app.py) cannot draw on the custom canvas nor see what the browser shows; these
tests start `streamlit run` on a free port and drive it with Playwright as a visitor would. The
server gets a private copy of the default model, so a training here never writes into models/.

Each test leaves a screenshot in test-artifacts/ (gitignored) for a person to look at, beside
the server's log.

Chromium: `$PLAYWRIGHT_CHROMIUM`, else /usr/bin/chromium when it exists, else Playwright's own.
Run with `pytest -m browser`.
"""

import math
import re
import shutil

import pytest

from mnist_core.constants import DEFAULT_BATCH_SIZE, IMAGE_SIZE, NUM_TRAIN
from tests.browser_kit import (
    MS,
    ServerError,
    canvas,
    draw_panel,
    ellipse,
    free_port,
    launch_chromium,
    line,
    start_server,
    stop_server,
    stroke,
    wait_until_healthy,
)
from tests.conftest import ROOT

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ARTIFACTS = ROOT / "test-artifacts"
SERVER_START_SECONDS = 60
WAIT_SECONDS = 30  # for anything the page does in answer to the visitor
TRAINING_SECONDS = 120
MODEL_SAW_PIXELS = IMAGE_SIZE * 6  # ui.draw.ZOOM: the 28x28 input shown 6x larger
NEW_MODEL = re.compile(r"tutorial-\d{8}-\d{6}\.keras")
PROGRESS = re.compile(r"Epoch (\d+)/(\d+) · batch (\d+)/(\d+)")


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    """The server's models/: a copy of the default model, so trainings here write only here."""
    folder = tmp_path_factory.mktemp("models")
    for name in ("tutorial.keras", "tutorial.json"):
        shutil.copy(ROOT / "models" / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def app_url(models_dir):
    """Runs the app in its own server process for this module; yields its URL."""
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "streamlit.log"  # kept beside the screenshots for a failure's story
    server = start_server("streamlit_app.py", ROOT, port, log,
                          env={"MNIST_MODELS_DIR": str(models_dir)})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, server, log, timeout=SERVER_START_SECONDS, interval=0.25)
        yield url
    except ServerError as error:
        pytest.fail(str(error))
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_url):
    """A fresh visitor (own cookies, so its own Streamlit session) on the loaded page."""
    context, tab = visit(browser, app_url)
    yield tab
    context.close()


def visit(browser, app_url):
    """Opens the page as a new visitor; returns `(context, page)` (close the context after)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    # Every page run shares two cores with TensorFlow here; Playwright's 5 s default for
    # `expect` is too short for a rerun after a stroke or a click.
    context.set_default_timeout(WAIT_SECONDS * MS)
    expect.set_options(timeout=WAIT_SECONDS * MS)
    tab = context.new_page()
    tab.goto(app_url)
    expect(tab.get_by_role("heading", name="Handwritten digits with Keras")).to_be_visible(
        timeout=60 * MS)
    expect(canvas(tab)).to_be_visible(timeout=60 * MS)
    return context, tab


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


# ---- Training ---------------------------------------------------------------------------------

def open_train_tab(page):
    page.get_by_role("tab", name="Train").click()
    expect(train_button(page)).to_be_visible()


def train_button(page):
    return page.get_by_role("button", name="Train", exact=True)


def open_idle_train_tab(page):
    # One training at a time per server: should an earlier test have left one running, wait
    # for it rather than fail on a disabled button.
    open_train_tab(page)
    expect(train_button(page)).to_be_enabled(timeout=TRAINING_SECONDS * MS)


def set_number(page, label, value):
    field = page.get_by_label(label, exact=True)
    field.fill(str(value))
    field.press("Enter")  # a number input commits on Enter or blur
    expect(field).to_have_value(str(value))
    wait_for_app_idle(page)


def expect_training_reaches(panel, outcome, timeout):
    """Waits for `outcome` (a locator in the Train panel), failing at once if training fails."""
    failed = panel.get_by_text("Training failed")
    expect(outcome.or_(failed).first).to_be_visible(timeout=timeout)
    assert not failed.count(), failed.first.inner_text()


def record_progress_texts(page):
    """Keeps, in the page, every distinct text the progress bar shows from now on.

    The bar is redrawn once a second; reading it from the test could miss states, and a short
    training passes through them quickly, so the page collects them as they render.
    """
    page.evaluate("""() => {
        window.progressTexts = [];
        const collect = () => document.querySelectorAll('[data-testid="stProgress"]')
            .forEach(bar => {
                const text = bar.innerText.trim();
                if (text && window.progressTexts.at(-1) !== text) window.progressTexts.push(text);
            });
        new MutationObserver(collect).observe(document.body,
            {subtree: true, childList: true, characterData: true});
    }""")


IMAGES = 30_000


def test_training_shows_progress_then_curves_and_lists_the_new_model(page, models_dir):
    open_idle_train_tab(page)
    set_number(page, "Epochs", 1)
    # Enough images for a few seconds of batches, so the once-a-second progress poll sees the
    # bar move (2,000 images in bfloat16 ran in under a second: one chunk of 32 steps).
    set_number(page, "Training images", IMAGES)
    record_progress_texts(page)
    train_button(page).click()

    panel = page.get_by_role("tabpanel", name="Train")
    expect(panel.get_by_test_id("stProgress")).to_be_visible()
    screenshot(page, "train-started")
    expect_training_reaches(panel, panel.get_by_text("Finished: test accuracy"),
                            TRAINING_SECONDS * MS)
    # One chart for accuracy, one for loss, drawn from the finished epoch's history.
    expect(panel.get_by_test_id("stVegaLiteChart")).to_have_count(2)
    screenshot(page, "train-done")

    texts = page.evaluate("window.progressTexts")
    batches = [tuple(map(int, match.groups())) for match in map(PROGRESS.search, texts) if match]
    # One epoch of IMAGES images in batches of 64: the settings typed in reached the job.
    steps = math.ceil(IMAGES / DEFAULT_BATCH_SIZE)
    assert batches and all(b[:2] == (1, 1) and b[3] == steps for b in batches), texts
    # The bar moved on as batches ran.
    done = [b[2] for b in batches]
    assert len(set(done)) >= 2 and done == sorted(done), texts

    saved = [path.name for path in models_dir.glob("tutorial-*.keras")]
    assert len(saved) == 1 and NEW_MODEL.fullmatch(saved[0]), saved
    page.get_by_test_id("stSidebar").get_by_role("combobox").click()
    expect(page.get_by_role("option", name=NEW_MODEL)).to_be_visible()
    page.keyboard.press("Escape")


def test_training_goes_on_across_a_reload_and_only_its_owner_can_cancel_it(page, browser,
                                                                          app_url):
    open_idle_train_tab(page)
    # Five epochs of all 60,000 images: long enough that the reload and the cancel land well
    # before the end even in bfloat16 (~5 s an epoch here); Cancel stops it early anyway.
    set_number(page, "Epochs", 5)
    set_number(page, "Training images", NUM_TRAIN)
    train_button(page).click()
    panel = page.get_by_role("tabpanel", name="Train")
    progress = panel.get_by_test_id("stProgress")
    # Training shares the cores with the server: loading the data, compiling, and every page
    # run are slower meanwhile, hence the long waits below.
    busy = TRAINING_SECONDS * MS
    context = None
    try:
        expect_training_reaches(panel, progress.filter(has_text=PROGRESS), busy)

        # Another visitor, then a reload of their page: each is a new session, so only the
        # server's job can say a training is running, and none of them owns it.
        context, stranger = visit(browser, app_url)
        stranger.reload()
        expect(canvas(stranger)).to_be_visible(timeout=busy)
        open_train_tab(stranger)
        theirs = stranger.get_by_role("tabpanel", name="Train")
        their_progress = theirs.get_by_test_id("stProgress")
        expect(their_progress).to_contain_text(PROGRESS, timeout=busy)
        step = PROGRESS.search(their_progress.inner_text()).group(3)
        # Still moving after the reload: the page follows the job, not a frozen snapshot.
        expect(their_progress).not_to_contain_text(f"batch {step}/", timeout=busy)
        expect(their_progress).to_contain_text("s left")
        expect(theirs.get_by_text("Another visitor started this training")).to_be_visible()
        expect(stranger.get_by_role("button", name="Cancel", exact=True)).to_have_count(0)
        expect(train_button(stranger)).to_be_disabled()
        screenshot(stranger, "train-seen-by-another-visitor")

        page.get_by_role("button", name="Cancel", exact=True).click()
        # Keras stops at the end of the current group of batches, and the page polls once a
        # second: a few seconds, more while other work shares the cores.
        expect(panel.get_by_text("cancelled")).to_be_visible()
        expect(progress).to_have_count(0)
        expect(train_button(page)).to_be_enabled()
        screenshot(page, "train-cancelled")
        expect(theirs.get_by_text("cancelled")).to_be_visible(timeout=busy)
    finally:
        # Never leave a full training running for the tests that follow.
        cancel = page.get_by_role("button", name="Cancel", exact=True)
        if cancel.count() and cancel.is_enabled():
            cancel.click()
        if context is not None:
            context.close()


# ---- Explore and languages --------------------------------------------------------------------

def test_explore_shows_a_test_image_with_its_prediction_and_true_label(page):
    page.get_by_role("tab", name="Explore").click()
    panel = page.get_by_role("tabpanel", name="Explore")
    labels = panel.get_by_test_id("stMetricLabel")
    expect(labels).to_have_text(["Predicted digit", "True label"])
    # The first test image is a 7, and the tutorial model reads it.
    expect(panel.get_by_test_id("stMetricValue")).to_have_text(["7", "7"])
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
