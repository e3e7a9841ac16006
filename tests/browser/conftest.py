"""The browser tests' shared fixtures: one Chromium for the whole run, and one app server for
every test that only reads (draws, switches language, opens a view, uploads into its own
session). A module whose tests train keeps a server of its own (test_browser_training.py), so a
new model or a running training never shows in another test's page.

Servers start `streamlit run` on a free port with a private copy of the default model and a
private drawings file; their logs go to test-artifacts/ beside the screenshots.
"""

import contextlib
import shutil
import time

import pytest

from tests.browser.frames import Frames
from tests.browser_kit import (MS, ServerError, canvas, free_port, launch_chromium, start_server,
                               stop_server, streamlit_warnings, wait_until_healthy)
from tests.conftest import ROOT

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

ARTIFACTS = ROOT / "test-artifacts"
SERVER_START_SECONDS = 60
WAIT_SECONDS = 30  # for anything the page does in answer to the visitor
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         # A phone's pixel ratio: the canvas must still send its 280-pixel image.
         "device_scale_factor": 3}
DESKTOP = {"viewport": {"width": 1400, "height": 1000}}


def copy_of_the_default_model(folder):
    """`folder` holding the tutorial's model, so a server writes only there."""
    for name in ("tutorial.keras", "tutorial.json"):
        shutil.copy(ROOT / "models" / name, folder / name)
    return folder


@contextlib.contextmanager
def serving(models, drawings, log_name, env=None):
    """Runs the app on a free port with these folders (and the settings `env` adds); yields its
    URL. It keeps no training process ready (`MNIST_TRAINING_SPARE=0`):
    tests/jobs/test_jobs_spare.py tests that one."""
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / log_name  # kept beside the screenshots for a failure's story
    # The folder holds only the tutorial's model: it judges visitors' labels (issue 22), as
    # a deployer whose folder holds no strong.keras would name it.
    server = start_server("streamlit_app.py", ROOT, port, log, env={
        "MNIST_MODELS_DIR": str(models), "MNIST_DRAWINGS_DB": str(drawings),
        "MNIST_TRUST_MODEL": "tutorial.keras", "MNIST_TRAINING_SPARE": "0", **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, server, log, timeout=SERVER_START_SECONDS, interval=0.25)
        yield url
    except ServerError as error:
        pytest.fail(str(error))
    finally:
        stop_server(server)
    # The page must not make Streamlit warn (a widget given a default and a session value, a
    # cached widget...): the server log of every browser test is read for it.
    warned = streamlit_warnings(log)
    assert not warned, f"Streamlit warned in {log.name}:\n" + "\n".join(warned)


def pytest_collection_modifyitems(items):
    # Under pytest-xdist, the tests of the shared server run in one worker, so that they share one
    # Chromium and one server there (`--dist loadgroup`). The training tests have a server of
    # their own: they are a group of their own, run beside the others on the second worker.
    for item in items:
        if "tests/browser/" in item.nodeid:
            group = "browser-training" if "test_browser_training" in item.nodeid else "browser"
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory):
    """The shared server's models/: tests may add a file and remove it, never train into it."""
    return copy_of_the_default_model(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def drawings_db(tmp_path_factory):
    """The shared server's drawings file."""
    return tmp_path_factory.mktemp("drawings") / "drawings.sqlite"


@pytest.fixture(scope="session")
def app_url(models_dir, drawings_db):
    """The shared server's URL."""
    with serving(models_dir, drawings_db, "streamlit.log") as url:
        yield url


def open_page(browser, app_url, options):
    """A new visitor (own cookies, so its own Streamlit session) on the loaded page. The browser
    speaks English unless `options` give a `locale` (a French browser's page opens in French)."""
    options = {"locale": "en-US", **options}
    context = browser.new_context(**options)
    # Every page run shares two cores with TensorFlow here; Playwright's 5 s default for
    # `expect` is too short for a rerun after a stroke or a click.
    context.set_default_timeout(WAIT_SECONDS * MS)
    expect.set_options(timeout=WAIT_SECONDS * MS)
    page = context.new_page()
    # What the page's scripts said, for a failure's story (`said`): its uncaught errors, its
    # console's errors and warnings, a crash, the websocket closing.
    page.said = []
    page.on("pageerror", lambda error: page.said.append(f"page error: {error}"))
    page.on("console", lambda message: message.type in ("error", "warning")
            and page.said.append(f"console {message.type}: {message.text[:1500]}"))
    page.on("crash", lambda _: page.said.append("the page crashed"))
    page.on("websocket", lambda socket: socket.on(
        "close", lambda _: page.said.append(f"websocket closed at {time.strftime('%X')}")))
    page.frames_kept = Frames()  # the websocket's last messages, read when a test fails
    page.on("websocket", page.frames_kept.watch)
    page.goto(app_url)
    title = ("Chiffres manuscrits avec Keras" if options["locale"].lower().startswith("fr")
             else "Handwritten digits with Keras")
    expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=60 * MS)
    expect(canvas(page)).to_be_visible(timeout=60 * MS)
    return page


@contextlib.contextmanager
def visitor(browser, app_url, options):
    """`open_page`, its browser context closed afterwards."""
    page = open_page(browser, app_url, options)
    try:
        yield page
    finally:
        page.context.close()


@pytest.fixture
def page(browser, app_url):
    """A fresh visitor on a desktop."""
    with visitor(browser, app_url, DESKTOP) as page:
        yield page


@pytest.fixture
def desktop(page):
    """The same fresh desktop visitor, by the name the layout tests use."""
    return page


@pytest.fixture
def phone(browser, app_url):
    """A fresh visitor on a 390x844 phone with touch."""
    with visitor(browser, app_url, PHONE) as page:
        yield page
