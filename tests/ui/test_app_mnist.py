"""Explore's MNIST through `AppTest` and directly: loaded in the background, a failure remembered
for the deployer's wait and said in the visitor's words, never holding up a stroke or a language.
"""

import threading
import time

import pytest

from tests.app_kit import canvas_of, open_tab, start
from ui.session_keys import LANGUAGE, TEST_INDEX


@pytest.fixture
def unreachable_mnist(monkeypatch):
    """MNIST cannot be loaded: `load_data` fails as with no network, and counts its calls."""
    import mnist_core.data.mnist
    from mnist_core.errors import DataUnavailableError

    calls = []

    def fail(*args, **kwargs):
        calls.append(1)
        raise DataUnavailableError("Could not load MNIST: every source failed; download it and "
                                   "pass it with --data PATH (or set MNIST_PATH=PATH).")

    monkeypatch.setattr(mnist_core.data.mnist, "load_data", fail)
    return calls


def test_a_failed_mnist_load_is_remembered_and_said_in_the_visitors_words(
        models, canvas, unreachable_mnist, mnist):
    (_, _), (x_test, _) = mnist
    at = start()
    canvas(canvas_of(x_test[0]))
    at.run()
    assert at.tabs[0].metric[0].value == "7" and unreachable_mnist == []  # Draw never loads MNIST
    open_tab(at, "explore")
    assert len(unreachable_mnist) == 1
    warning = " ".join(w.value for w in at.tabs[2].warning)
    assert warning == ("The MNIST test images could not be downloaded right now; this page will "
                       "try again in about 5 min.")
    assert "--data" not in warning
    assert len(at.tabs[2].image) == 2  # the learning curves are still shown
    at.number_input(key=TEST_INDEX).set_value(3).run()
    at.sidebar.radio(key=LANGUAGE).set_value("fr").run()
    french = at.tabs[2].warning[0].value
    assert "réessaiera" in french and "--data" not in french
    at2 = start()  # another visitor: the failure is the server's, not one page's
    open_tab(at2, "explore")
    assert len(unreachable_mnist) == 1, "the download chain was tried again within the wait"


def test_the_wait_after_a_failed_mnist_load_is_the_deployers_setting(
        models, canvas, unreachable_mnist, monkeypatch):
    monkeypatch.setenv("MNIST_DATA_RETRY_SECONDS", "1200")
    at = open_tab(start(), "explore")
    assert "try again in about 20 min" in at.tabs[2].warning[0].value
    assert len(unreachable_mnist) == 1


def test_background_load_keeps_a_success_and_waits_after_a_failure():
    from mnist_core.errors import DataUnavailableError
    from ui.mnist_loader import BackgroundLoad, MnistUnavailable

    now = [0.0]
    outcomes = [DataUnavailableError("offline"), "arrays"]
    calls = []

    def load():
        calls.append(now[0])
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    loader = BackgroundLoad(load, lambda: 300.0, clock=lambda: now[0])
    with pytest.raises(MnistUnavailable) as failure:
        loader.get(wait=10)
    assert failure.value.minutes == 5 and str(failure.value).endswith(".")
    now[0] = 299.0
    with pytest.raises(MnistUnavailable) as failure:
        loader.get(wait=10)
    assert failure.value.minutes == 1 and calls == [0.0]
    now[0] = 300.0
    assert loader.get(wait=10) == "arrays" and loader.get() == "arrays"
    assert calls == [0.0, 300.0]


def test_a_slow_load_answers_loading_at_once_and_serves_everyone_when_done():
    from ui.mnist_loader import BackgroundLoad, MnistLoading

    gate = threading.Event()
    calls = []

    def load():
        calls.append(1)
        gate.wait(30)
        return "arrays"

    loader = BackgroundLoad(load, lambda: 300.0)
    for wait in (0.05, 0.0):  # two visitors, the second while the first one's load runs
        started = time.monotonic()
        with pytest.raises(MnistLoading):
            loader.get(wait=wait)
        assert time.monotonic() - started < 1
    assert loader.loading and calls == [1]
    gate.set()
    assert loader.get(wait=10) == "arrays" and not loader.loading and calls == [1]


def test_while_mnist_loads_the_page_says_so_and_drawing_and_languages_go_on(
        models, canvas, mnist, monkeypatch):
    import mnist_core.data.mnist
    import ui.mnist_loader

    (_, _), (x_test, _) = mnist
    gate = threading.Event()
    monkeypatch.setattr(mnist_core.data.mnist, "load_data", lambda *a, **k: gate.wait(30) and mnist)
    monkeypatch.setattr(ui.mnist_loader, "WAIT_SECONDS", 0.05)
    try:
        at = open_tab(start(), "explore")
        assert [i.value for i in at.tabs[2].info] == ["Loading the MNIST test images…"]
        at.sidebar.radio(key=LANGUAGE).set_value("fr").run()
        assert [i.value for i in at.tabs[2].info] == ["Chargement des images de test MNIST…"]
        open_tab(at, "draw", "fr")
        canvas(canvas_of(x_test[0]))
        at.run()
        assert at.tabs[0].metric[0].value == "7"
    finally:
        gate.set()
    ui.mnist_loader.mnist_test_loader().get(wait=30)
    open_tab(at, "explore", "fr")
    assert {m.label: m.value for m in at.tabs[2].metric}["Vrai chiffre"] == "7"
