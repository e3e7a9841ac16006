"""Trainings in headless Chromium, on a server of their own (the other browser tests share one
that never trains): the setup's steps, then progress batch by batch, curves on one epochs axis
and the new model in the list; a training that goes on across a reload, that only its owner can
cancel and that a French phone follows read-only; the live view's answers, filters and the
owner's own drawing, read by each epoch's model; a training another visitor started, seen on an
open page; and a finished training that stays its owner's: other visitors get a line by the
model list, never its results in their Train panel. The server's log holds no Streamlit warning.

Screenshots land in test-artifacts/ (train-*.png, live-*.png).
"""

import collections
import math
import re
import time

import pytest

from mnist_core.constants import DEFAULT_BATCH_SIZE
from mnist_core.jobs.epoch_pictures import FILTER_ZOOM, GAP, ZOOM
from tests.browser.conftest import (
    ARTIFACTS,
    DESKTOP,
    PHONE,
    copy_of_the_default_model,
    open_page,
    serving,
)
from tests.browser.test_browser import expect_prediction, screenshot, seven, wait_for_app_idle
from tests.browser.test_browser_page import FOLLOW_SECONDS, choose_model_when_listed
from tests.browser_kit import MS, canvas, stroke
from ui.session_keys import LANGUAGE, TRAIN_IMAGES

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TRAINING_SECONDS = 120
NEW_MODEL = re.compile(r"tutorial-\d{8}-\d{6}\.keras")
PROGRESS = re.compile(r"Epoch (\d+)/(\d+) · batch (\d+)/(\d+)")
PROGRESS_FR = re.compile(r"Époque (\d+)/(\d+) · lot (\d+)/(\d+)")
IMAGES, IMAGES_SHOWN = 30_000, "30,000"
LOG = "streamlit-training.log"
NEWS = re.compile(r"New: tutorial-\d{8}-\d{6}\.keras, trained by a visitor just now")
NEWS_FR = re.compile(
    r"Nouveau : tutorial-\d{8}-\d{6}\.keras, entraîné par un visiteur à l'instant")


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    """This module's models/: its trainings write here alone."""
    return copy_of_the_default_model(tmp_path_factory.mktemp("training-models"))


@pytest.fixture(scope="module")
def app_url(models_dir, tmp_path_factory):
    """This module's own server, so no other test's page sees its trainings. It keeps no
    training process ready: one warmed after each training took a core from the next test,
    and tests/jobs/test_jobs_spare.py tests the spare itself.

    Its trainings run at the server's priority (`MNIST_TRAINING_NICE=0`): beside the suite's
    other worker (its servers, browsers and models at normal priority on the 2 cores), a
    training at the default nice 19 could spend minutes loading MNIST, and four tests here
    failed so in CI. Two busy loops beside this module reproduced it, 2 runs of 2. These tests
    check what the page shows; tests/jobs/test_jobs_spare.py checks the default priority."""
    drawings = tmp_path_factory.mktemp("training-drawings") / "drawings.sqlite"
    with serving(models_dir, drawings, LOG, env={"MNIST_TRAINING_NICE": "0"}) as url:
        yield url


def open_train_tab(page):
    page.get_by_role("tab", name="Train").click()
    expect(train_button(page)).to_be_visible()


def train_button(page):
    return page.get_by_role("button", name="Train", exact=True)


def shown(page, error, what):
    """`error` again, with the Train panel's text: what the page showed instead of `what` (two
    tests here failed once each in CI on a busy host, the page not as the server should have
    drawn it; this says how, next time)."""
    panel = page.get_by_role("tabpanel", name="Train")
    text = panel.inner_text() if panel.count() else "(no Train panel)"
    status = page.get_by_test_id("stStatusWidget")
    state = status.inner_text() if status.count() else "(no status widget: the page was idle)"
    # The page as it was, for a failure seen only in CI: its picture and its HTML.
    stamp = time.strftime("%H%M%S")
    page.screenshot(path=ARTIFACTS / f"failed-{stamp}.png", full_page=True)
    (ARTIFACTS / f"failed-{stamp}.html").write_text(page.content())
    frames = getattr(page, "frames_kept", None)
    if frames is not None:  # which run and fragment sent what, up to the end
        (ARTIFACTS / f"failed-{stamp}-frames.txt").write_text(frames.story())
    body = page.locator("body").inner_text()[:300]
    # Each different line once, with how often it came, in the order first said: Vega's
    # warnings about a chart without data yet, and the timers' sends after a disconnection,
    # came by the hundred and once hid the one error that said how the page broke.
    counts = collections.Counter(getattr(page, "said", ["(not recorded)"]))
    said = [line if counts[line] == 1 else f"{line} (x{counts[line]})" for line in counts]
    return AssertionError(f"{error}\nInstead of {what}, the Train panel showed: {text!r}; "
                          f"the page's status: {state!r}; its text began {body!r} (the page: "
                          f"test-artifacts/failed-{stamp}.png, .html and -frames.txt); its scripts said: "
                          f"{said!r}")


def click_train(page):
    try:
        expect(train_button(page)).to_be_enabled()
    except AssertionError as error:
        raise shown(page, error, "an enabled Train button") from None
    train_button(page).click()


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


def choose_images(page, shown, label="Training images", key=TRAIN_IMAGES):
    """Moves the training images slider to the count written `shown` ("2,000"), by keyboard
    as a visitor can: one step at a time towards it, each read once the page shows it.

    On busy cores a key pressed while the page reruns for the previous one can be lost (the
    slider is redrawn) or a check made before the page shows a step presses past the count:
    each press is therefore waited for, and pressed again, focus first, if the page lost it.
    Then the count the page last sent the server (its websocket's frames, `page.frames_kept`)
    must be the one shown: a training takes that one, not what the slider shows."""
    thumb = page.get_by_role("slider", name=label)
    want = int(re.sub(r"\D", "", shown))
    for attempt in range(3):
        if attempt:
            # The slider showed `shown` but the page's last word to the server was another
            # count: a training started now would take that one (CI, once: 30,000 shown,
            # 40,000 trained). A step away and back sends the count shown again.
            thumb.focus()
            page.keyboard.press("ArrowLeft" if want > 100 else "ArrowRight")
            expect(thumb).not_to_have_attribute("aria-valuetext", shown)
        _move_slider(page, thumb, want, shown)
        if _server_told(page, key, [shown]):  # a select_slider sends its labels
            return
    raise AssertionError(f"The slider shows {shown} but the page last sent the server "
                         f"{page.frames_kept.last_sent(key)!r}, three times over")


def switch_to_french(page):
    """Clicks "Français" in the sidebar until the page has sent it to the server: in CI the
    radio once showed Français checked while the page, still English 30 s later, had the
    click's value lost on the way, as the slider's count once was (`choose_images`)."""
    sidebar = page.get_by_test_id("stSidebar")
    for attempt in range(3):
        if attempt:  # a radio already checked sends nothing when clicked again
            sidebar.get_by_text("English", exact=True).click()
            wait_for_app_idle(page)
        sidebar.get_by_text("Français", exact=True).click()
        if _server_told(page, LANGUAGE, "Français"):
            return
    raise AssertionError("The page never sent the server the language Français: it last sent "
                         f"{page.frames_kept.last_sent(LANGUAGE)!r}")


def _server_told(page, key, sent):
    """Whether the page's last rerun carried the value `sent` for the widget `key`, waited for
    a little: a widget sends its value as the key or click is released, the rerun at once."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if page.frames_kept.last_sent(key) == sent:
            wait_for_app_idle(page)
            return True
        page.wait_for_timeout(100)
    return False


def _move_slider(page, thumb, want, shown):
    for _ in range(60):
        now = thumb.get_attribute("aria-valuetext")
        count = int(re.sub(r"\D", "", now))  # "10,000", or "10 000" in French
        if count == want:
            break
        thumb.focus()
        page.keyboard.press("ArrowRight" if count < want else "ArrowLeft")
        try:
            expect(thumb).not_to_have_attribute("aria-valuetext", now, timeout=5 * MS)
        except AssertionError:
            continue  # the press was lost: press again
    expect(thumb).to_have_attribute("aria-valuetext", shown)
    wait_for_app_idle(page)


def expect_training_reaches(panel, outcome, timeout):
    """Waits for `outcome` (a locator in the Train panel), failing at once if training fails,
    and saying what the panel showed instead if it never comes."""
    failed = panel.get_by_text("Training failed")
    try:
        expect(outcome.or_(failed).first).to_be_visible(timeout=timeout)
    except AssertionError as error:
        raise shown(panel.page, error, "what the test waited for") from None
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


def epochs_axis(chart):
    """The first chart's x axis as drawn (Vega draws SVG): its tick labels, the plot's width,
    and where the batch curve's line starts, in pixels from the plot's left edge."""
    return chart.evaluate("""chart => {
        const svg = chart.querySelector('svg.marks');
        const axis = [...svg.querySelectorAll('g.role-axis')].find(a =>
            [...a.querySelectorAll('.role-axis-title text')].some(t => t.textContent === 'Epochs'));
        const labels = [...axis.querySelectorAll('.role-axis-label text')].map(t => t.textContent);
        const width = svg.querySelector('path.background').getBBox().width;
        const line = svg.querySelector('g.mark-line path').getAttribute('d');
        return {labels, width, start: parseFloat(line.slice(1))};
    }""")


def test_training_shows_its_setup_then_batch_by_batch_progress_and_one_epochs_axis(
        page, browser, app_url, models_dir):
    open_idle_train_tab(page)
    set_number(page, "Epochs", 1)
    # Enough images for a few seconds of batches, so the once-a-second progress poll sees the
    # bar move (2,000 images in bfloat16 ran in under a second).
    choose_images(page, IMAGES_SHOWN)
    record_progress_texts(page)
    train_button(page).click()

    panel = page.get_by_role("tabpanel", name="Train")
    expect(panel.get_by_test_id("stProgress")).to_be_visible()
    screenshot(page, "train-started")
    expect_training_reaches(panel, panel.get_by_text("Finished: test accuracy"),
                            TRAINING_SECONDS * MS)
    # One chart for accuracy, one for loss, drawn from the finished epoch's history.
    charts = panel.get_by_test_id("stVegaLiteChart")
    expect(charts).to_have_count(2)
    screenshot(page, "train-done")

    texts = page.evaluate("window.progressTexts")
    first = next(i for i, text in enumerate(texts) if PROGRESS.search(text))
    # The setup comes first, named as such, not as "batch 0" of a frozen bar.
    assert first > 0 and all(t.startswith("Setting up") for t in texts[:first]), texts
    batches = [tuple(map(int, match.groups())) for match in map(PROGRESS.search, texts) if match]
    # One epoch of IMAGES images in batches of 64: the settings chosen reached the job.
    steps = math.ceil(IMAGES / DEFAULT_BATCH_SIZE)
    assert batches and all(b[:2] == (1, 1) and b[3] == steps for b in batches), texts
    # The bar moved on batch by batch, seen part-way through the epoch, not only at its end.
    done = [b[2] for b in batches]
    assert any(0 < n < steps for n in done) and done == sorted(done), texts
    # The end is a step of its own: Finished does not follow "0 s left" by seconds unnamed.
    assert any(t.startswith("Finishing:") for t in texts[first:]), texts

    # One axis in epochs for the batches and the epoch: fractional ticks, from 0 to 1, and
    # the batch curve starting at the left, not two thirds across.
    axis = epochs_axis(charts.first)
    assert axis["labels"][0] == "0" and axis["labels"][-1] == "1" and "0.5" in axis["labels"]
    assert axis["start"] < 0.15 * axis["width"], axis

    saved = [path.name for path in models_dir.glob("tutorial-*.keras")]
    assert len(saved) == 1 and NEW_MODEL.fullmatch(saved[0]), saved
    page.get_by_test_id("stSidebar").get_by_role("combobox").click()
    # The list names it without its ".keras" (ui.sidebar._label).
    expect(page.get_by_role("option", name=re.compile(r"^tutorial-\d{8}-\d{6}\b"))).to_be_visible()
    page.keyboard.press("Escape")

    # A new visitor: the training is not theirs, so their Train panel is the idle form, and
    # the new model is one line by their model list.
    stranger = open_page(browser, app_url, DESKTOP)
    try:
        expect(stranger.get_by_test_id("stSidebar").get_by_text(NEWS)).to_be_visible()
        open_train_tab(stranger)
        theirs = stranger.get_by_role("tabpanel", name="Train")
        expect(theirs.get_by_text("Press Train to start")).to_be_visible()
        expect(theirs.get_by_text("Finished")).to_have_count(0)
        expect(theirs.get_by_test_id("stVegaLiteChart")).to_have_count(0)
        expect(theirs.get_by_test_id("stImage")).to_have_count(0)
        screenshot(stranger, "train-done-seen-by-a-new-visitor")
    finally:
        stranger.context.close()


def french_phone(phone):
    """Switches a phone's page to French through its folded sidebar, and folds it again."""
    phone.get_by_test_id("stExpandSidebarButton").tap()
    sidebar = phone.get_by_test_id("stSidebar")
    sidebar.get_by_text("Français", exact=True).tap()
    phone.get_by_test_id("stSidebarCollapseButton").locator("button").tap()
    expect(sidebar).not_to_be_in_viewport()
    return sidebar


def _batch_shown(progress, pattern, timeout_ms):
    """The batch number the progress bar shows, read when it shows one: between two epochs it
    says something else for a moment, which a read right after an `expect` could catch."""
    deadline = time.monotonic() + timeout_ms / MS
    while True:
        expect(progress).to_contain_text(pattern, timeout=timeout_ms)
        found = pattern.search(progress.inner_text())
        if found:
            return found.group(3)
        assert time.monotonic() < deadline, f"no batch in {progress.inner_text()!r}"
        time.sleep(0.1)


def test_training_goes_on_across_a_reload_and_only_its_owner_can_cancel_it(page, browser,
                                                                          app_url):
    open_idle_train_tab(page)
    # The page's most epochs (50) of 10,000 images: the first epoch's pictures come after
    # 10,000 images, not after all 60,000 of five full epochs (the wait that made this the
    # slowest test), while 500,000 images in all still last far longer than the reload, the
    # pictures and the cancel even in bfloat16 (~1 s a 10,000-image epoch here, its
    # validation on 10,000 more); Cancel stops it early anyway. Images first: 50 epochs of
    # 60,000 would be over the server's 600,000 and refused.
    choose_images(page, "10,000")
    set_number(page, "Epochs", 50)
    click_train(page)
    panel = page.get_by_role("tabpanel", name="Train")
    progress = panel.get_by_test_id("stProgress")
    # Training shares the cores with the server: loading the data, compiling, and every page
    # run are slower meanwhile, hence the long waits below.
    busy = TRAINING_SECONDS * MS
    context = None
    try:
        expect_training_reaches(panel, progress.filter(has_text=PROGRESS), busy)

        # Another visitor, on a French phone, then a reload of their page: each is a new
        # session, so only the server's job can say a training is running, and none of them
        # owns it.
        stranger = open_page(browser, app_url, PHONE)
        context = stranger.context
        stranger.reload()
        expect(canvas(stranger)).to_be_visible(timeout=busy)
        french_phone(stranger)
        stranger.get_by_role("tab", name="Entraîner").tap()
        theirs = stranger.get_by_role("tabpanel", name="Entraîner")
        their_progress = theirs.get_by_test_id("stProgress")
        step = _batch_shown(their_progress, PROGRESS_FR, busy)
        # Still moving after the reload: the page follows the job, not a frozen snapshot.
        expect(their_progress).not_to_contain_text(f"lot {step}/", timeout=busy)
        expect(their_progress).to_contain_text("encore environ")
        expect(theirs.get_by_text("Un autre visiteur a lancé cet entraînement")).to_be_visible()
        expect(stranger.get_by_role("button", name="Annuler", exact=True)).to_have_count(0)
        expect(stranger.get_by_role("button", name="Entraîner", exact=True)).to_be_disabled()
        # While it runs, the stranger sees each epoch's grid and filters, within the phone.
        expect(theirs.get_by_text(re.compile(r"Le modèle après l'époque \d"))).to_be_visible(
            timeout=LIVE_SECONDS * MS)
        expect_live_pictures(theirs)
        expect(live_images(theirs)).to_have_count(2)  # the owner's drawing is theirs alone
        for image in range(2):
            box = live_images(theirs).nth(image).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        wide = stranger.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, f"the page is {wide} px wide on a 390 px phone"
        screenshot(stranger, "train-seen-by-another-visitor-phone-fr")

        page.get_by_role("button", name="Cancel", exact=True).click()
        # Keras stops at the end of the current group of batches, and the page polls once a
        # second: a few seconds, more while other work shares the cores.
        expect(panel.get_by_text("cancelled")).to_be_visible()
        expect(progress).to_have_count(0)
        expect(train_button(page)).to_be_enabled()
        screenshot(page, "train-cancelled")
        # The stranger's page is free to train again; how someone else's training ended is
        # not theirs to see.
        expect(their_progress).to_have_count(0, timeout=busy)
        expect(stranger.get_by_role("button", name="Entraîner", exact=True)).to_be_enabled()
        expect(theirs.get_by_text("annulé")).to_have_count(0)
    finally:
        # Never leave a full training running for the tests that follow.
        cancel = page.get_by_role("button", name="Cancel", exact=True)
        if cancel.count() and cancel.is_enabled():
            cancel.click()
        if context is not None:
            context.close()


def saved_models(folder):
    """The models saved in `folder`; not a save in progress (a hidden file, renamed when done)."""
    return {path for path in folder.glob("*.keras") if not path.name.startswith(".")}


def test_a_training_started_by_another_visitor_shows_on_an_open_page(browser, app_url, desktop,
                                                                     models_dir):
    desktop.get_by_role("tab", name="Train").click()
    expect(desktop.get_by_role("button", name="Train", exact=True)).to_be_enabled(
        timeout=120 * MS)  # no training left running by an earlier test
    before = saved_models(models_dir)
    other = open_page(browser, app_url, DESKTOP)
    try:
        other.get_by_role("tab", name="Train").click()
        set_number(other, "Epochs", 1)
        choose_images(other, "2,000")
        other.get_by_role("button", name="Train", exact=True).click()
        # The first page, untouched, learns of the training, follows it, and at its end gets
        # the new model in its list and a line saying so, not the other's results.
        panel = desktop.get_by_role("tabpanel", name="Train")
        news = desktop.get_by_test_id("stSidebar").get_by_text(NEWS)
        expect(panel.get_by_test_id("stProgress").or_(news).first).to_be_visible(
            timeout=FOLLOW_SECONDS * MS)
        # An earlier test's model may have a line already (it stays an hour): wait for this
        # training's file, then for the line naming it.
        deadline = time.monotonic() + 180
        while not (new := saved_models(models_dir) - before):
            assert time.monotonic() < deadline, "the other visitor's training saved no model"
            desktop.wait_for_timeout(500)
        (saved,) = new
        try:
            expect(news).to_contain_text(saved.stem, timeout=FOLLOW_SECONDS * MS)
        except AssertionError as error:  # seen once in CI: say what the page showed instead
            sidebar = desktop.get_by_test_id("stSidebar")
            said = sidebar.inner_text() if sidebar.count() else "(no sidebar)"
            raise shown(desktop, f"{error}\nThe sidebar: {said!r}", "the news line") from None
        expect(panel.get_by_text("Press Train to start")).to_be_visible()
        expect(panel.get_by_text("Finished")).to_have_count(0)
        choose_model_when_listed(desktop, saved.stem)
    finally:
        other.context.close()


GRID_WIDTH = 10 * (28 * ZOOM + GAP) + GAP
FILTERS_WIDTH = 8 * (3 * FILTER_ZOOM + GAP) + GAP
# The machine's two cores are shared (tests run beside other work): an epoch can take minutes.
LIVE_SECONDS = 3 * TRAINING_SECONDS


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
    choose_images(page, "2,000")
    click_train(page)
    panel = page.get_by_role("tabpanel", name="Train")
    try:
        expect(panel.get_by_text(re.compile(r"The model after epoch \d"))).to_be_visible(
            timeout=LIVE_SECONDS * MS)
    except AssertionError as error:
        raise shown(page, error, "the first epoch's pictures") from None
    expect_live_pictures(panel)
    screenshot(page, "live-running")
    expect_training_reaches(panel, panel.get_by_text("Finished: test accuracy"),
                            LIVE_SECONDS * MS)
    # The end of the training reruns the whole page (the new model is adopted): while that
    # run goes, the panel's last drawing stays beside the new one, then is removed.
    wait_for_app_idle(page)
    expect(panel.get_by_text("The model after epoch")).to_have_count(1)
    expect(panel.get_by_text("The model after epoch 3")).to_be_visible()
    # Its caption too may stand twice for a moment (the last drawing's, until removed).
    answers = panel.get_by_text(re.compile(r"\d+ of 40 test digits read right"))
    expect(answers).to_have_count(1)
    expect(answers).to_be_visible()
    # The owner's 7 reached the training process and came back read by its last epoch.
    expect(panel.get_by_text(re.compile(
        r"Your drawing, read by this epoch's model: 7 \(\d+% sure\)"))).to_be_visible()
    expect(live_images(panel)).to_have_count(3)
    expect(panel.get_by_test_id("stVegaLiteChart")).to_have_count(2)
    screenshot(page, "live-done-owner")
    switch_to_french(page)
    french = page.get_by_role("tabpanel", name="Entraîner")
    try:
        expect(french.get_by_text("Le modèle après l'époque 3")).to_be_visible()
    except AssertionError as error:
        raise shown(page, error, "the French panel (the page last sent the language "
                    f"{page.frames_kept.last_sent(LANGUAGE)!r})") from None
    expect(french.get_by_text(re.compile(
        r"Votre dessin, lu par le modèle de cette époque : 7 \(sûr à \d+\u202f%\)"))).to_be_visible()
    screenshot(page, "live-done-owner-fr")

    # Another visitor on a French phone, after the end: the training is not theirs, so their
    # Train panel is the idle form, and the new model a line in their sidebar.
    context = browser.new_context(**PHONE)
    try:
        context.set_default_timeout(30 * MS)
        phone = context.new_page()
        phone.goto(app_url)
        expect(canvas(phone)).to_be_visible(timeout=60 * MS)
        sidebar = french_phone(phone)
        phone.get_by_role("tab", name="Entraîner").tap()
        theirs = phone.get_by_role("tabpanel", name="Entraîner")
        expect(theirs.get_by_text("Appuyez sur Entraîner")).to_be_visible()
        expect(theirs.get_by_text("Le modèle après l'époque")).to_have_count(0)
        expect(theirs.get_by_text("Terminé")).to_have_count(0)
        expect(live_images(theirs)).to_have_count(0)
        screenshot(phone, "live-done-stranger-phone-fr")
        phone.get_by_test_id("stExpandSidebarButton").tap()
        expect(sidebar.get_by_text(NEWS_FR)).to_be_in_viewport()
        screenshot(phone, "live-done-stranger-phone-fr-sidebar")
    finally:
        context.close()


def test_choosing_a_recipe_leaves_no_streamlit_warning_in_the_servers_log(page):
    # Last in the module: the log also holds every training above.
    open_idle_train_tab(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Recipe").click()
    page.get_by_role("option", name="quick", exact=True).click()
    expect(page.get_by_label("Epochs", exact=True)).to_have_value("1")  # issue 24
    expect(page.get_by_label("Batch size", exact=True)).to_have_value("128")
    wait_for_app_idle(page)
    log = (ARTIFACTS / LOG).read_text(errors="replace")
    assert "its value set via the Session State API" not in log
