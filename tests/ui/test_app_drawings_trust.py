"""The page and issue 22: the visitor's address passed down to the store (hashed there), a
store full for this visitor said once, in the visitor's language."""

import logging
import types

import pytest
from streamlit.runtime.context import StreamlitHeaders

from mnist_core.drawings.store import DrawingsDB, db_path
from tests.app_kit import start
from tests.ui.test_app_drawings import choose, draw
from ui import client_address, drawings_store
from ui.session_keys import LANGUAGE


def test_a_full_store_is_said_once_then_nothing_more_is_offered(models, canvas, mnist,
                                                                monkeypatch):
    monkeypatch.setenv("MNIST_DRAWINGS_MAX_ROWS", "1")
    (_, _), (x_test, _) = mnist
    at = start()
    choose(draw(at, canvas, x_test[0]), 7)
    choose(draw(at, canvas, x_test[1]), 2)
    said = [i.value for i in at.info if "keeps no more drawings" in i.value]
    assert len(said) == 1
    draw(at, canvas, x_test[2])
    assert not at.pills and not [i for i in at.info if "keeps no more" in i.value]
    assert DrawingsDB(db_path()).count() == 1


@pytest.mark.parametrize("language, words", [("en", "as many drawings as one visitor may keep"),
                                             ("fr", "autant de dessins qu'un visiteur")])
def test_one_address_opening_fresh_sessions_reaches_its_limit(models, canvas, mnist,
                                                              monkeypatch, language, words):
    monkeypatch.setenv("MNIST_DRAWINGS_PER_CLIENT", "1")
    monkeypatch.setattr("ui.correction.client_address", lambda: "203.0.113.5")
    (_, _), (x_test, _) = mnist
    choose(draw(start(), canvas, x_test[0]), 7)
    fresh = start(**{LANGUAGE: language})  # a new session, the same address
    choose(draw(fresh, canvas, x_test[1]), 2)
    assert any(words in i.value for i in fresh.info)
    assert DrawingsDB(db_path()).count() == 1


def test_the_address_is_the_connections_or_the_proxys_last_entry(monkeypatch):
    context = types.SimpleNamespace(ip_address="198.51.100.7", headers=StreamlitHeaders(
        [("X-Forwarded-For", "10.9.9.9, 203.0.113.8")]))
    monkeypatch.setattr(client_address, "st", types.SimpleNamespace(context=context))
    assert client_address.client_address() == "198.51.100.7"
    monkeypatch.setenv("MNIST_CLIENT_HEADER", "X-Forwarded-For")
    assert client_address.client_address() == "203.0.113.8"  # what the proxy wrote
    context.headers = StreamlitHeaders([])
    assert client_address.client_address() is None


def test_a_visitor_sending_the_header_first_cannot_choose_its_address(monkeypatch):
    """A proxy that adds its own line (HAProxy) after the visitor's forged one: every forged
    value still reads as the proxy's address, so one visitor cannot look like many."""
    monkeypatch.setenv("MNIST_CLIENT_HEADER", "X-Forwarded-For")
    seen = set()
    for forged in ("6.6.6.1", "6.6.6.2, 6.6.6.3", "7.7.7.7"):
        headers = StreamlitHeaders([("x-forwarded-for", forged),
                                    ("x-forwarded-for", "203.0.113.8")])
        context = types.SimpleNamespace(ip_address="127.0.0.9", headers=headers)
        monkeypatch.setattr(client_address, "st", types.SimpleNamespace(context=context))
        seen.add(client_address.client_address())
    assert seen == {"203.0.113.8"}


def test_without_the_header_neither_the_proxy_nor_a_forwarded_address_is_a_visitor(monkeypatch, caplog):
    """Measured on Streamlit 1.67: a dual-stack server sees a proxy on this machine as
    ::ffff:127.0.0.1, which st.context.ip_address does not leave out as it does 127.0.0.1, so
    every visitor was that one client (after MNIST_DRAWINGS_PER_CLIENT drawings of all of
    them, nobody could record). And a server bound to 127.0.0.1 took the address from the
    visitor's X-Forwarded-For when the proxy passed it on (the last two): one visitor, any
    number of addresses. The deployer's log names the missing setting, once."""
    monkeypatch.setattr(client_address, "_told_proxy", [], raising=False)
    seen = []
    with caplog.at_level(logging.WARNING, "mnist_core.drawings.store"):
        for address, forwarded in (("::ffff:127.0.0.1", "203.0.113.8"), ("127.0.0.1", "6.6.6.6"),
                                   ("10.1.2.3", "203.0.113.9"), ("203.0.113.7", "1.2.3.4"),
                                   ("6.6.6.6", "6.6.6.6"), ("8.8.8.8", "7.7.7.7, 8.8.8.8")):
            headers = StreamlitHeaders([("X-Forwarded-For", forwarded)])
            context = types.SimpleNamespace(ip_address=address, headers=headers)
            monkeypatch.setattr(client_address, "st", types.SimpleNamespace(context=context))
            seen.append(client_address.client_address())
    assert seen == [None, None, "10.1.2.3", "203.0.113.7", None, None]
    assert caplog.text.count("carry a proxy's header (X-Forwarded-For)") == 1


def test_while_one_page_judges_labels_the_others_do_not_judge_them_again(monkeypatch):
    """A script's burst of drawings was judged by every visitor's page at once (each rerun
    asks), the work multiplied by the number of visitors on the server's cores."""
    import threading

    from mnist_core.drawings import trust

    asked, started, finish = [], threading.Event(), threading.Event()

    def slow_assess(db, predictor):
        asked.append(threading.current_thread().name)
        started.set()
        finish.wait(5)

    monkeypatch.setattr(trust, "pending", lambda db: True)
    monkeypatch.setattr(trust, "reference_predictor", lambda loader=None: None)
    monkeypatch.setattr(trust, "assess", slow_assess)
    first = threading.Thread(target=drawings_store.judged, args=(None,), name="first")
    first.start()
    assert started.wait(5)
    others = [threading.Thread(target=drawings_store.judged, args=(None,)) for _ in range(3)]
    for thread in others:
        thread.start()
    for thread in others:
        thread.join(5)
    finish.set()
    first.join(5)
    assert asked == ["first"] and not first.is_alive()
