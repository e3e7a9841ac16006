"""ui/client_share.py: one client's pages take turns, at most MNIST_RUNS_AT_ONCE_PER_CLIENT of
their runs at once (a script opening many pages must not take the server's interpreter)."""

import logging
import threading
import time

import pytest

from ui import client_share
from ui.client_share import Turns, give_back_at_run_ends, take_turn, watched

WAIT = 10  # seconds a test waits for a thread that should be done at once


def started(turns, client, session, most=2, **kwargs):
    """`session` taking its turn in a thread of its own; returns (thread, its result list)."""
    done = []

    def run():
        try:
            done.append(turns.take(client, session, most, **kwargs))
        except Exception as error:  # noqa: BLE001 - the test reads it
            done.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done


def waits(turns, client, count):
    """Waits until `count` of `client`'s pages wait for a turn."""
    deadline = time.monotonic() + WAIT
    while turns.waiting(client) != count:
        assert time.monotonic() < deadline, f"{turns.waiting(client)} waiting, not {count}"
        time.sleep(0.01)


def test_a_clients_pages_run_at_most_so_many_at_once_and_in_the_order_they_asked():
    turns = Turns()
    assert turns.take("6.6.6.6", "s1", 2) == 0.0
    assert turns.take("6.6.6.6", "s2", 2) == 0.0
    line = {}
    for name in ("s3", "s4", "s5"):
        line[name] = started(turns, "6.6.6.6", name)
        waits(turns, "6.6.6.6", len(line))  # each asks after the one before
    assert turns.running("6.6.6.6") == 2, "a third run of the client's started at once"
    for holder, next_one in (("s1", "s3"), ("s2", "s4"), ("s3", "s5")):
        assert turns.give_back(holder)
        thread, done = line[next_one]
        thread.join(WAIT)
        # The turn given back went to the first page waiting, and only to it.
        assert done and done[0] > 0, f"{next_one} did not get the turn {holder} gave back"
        assert [name for name, (_, d) in line.items() if d] == list(line)[:len(
            [h for h in ("s3", "s4", "s5") if h <= next_one])]
        assert turns.running("6.6.6.6") == 2
    for holder in ("s4", "s5"):
        turns.give_back(holder)
    assert turns.running("6.6.6.6") == 0 and turns.waiting("6.6.6.6") == 0


def test_another_client_never_waits_for_a_busy_one():
    turns = Turns()
    for session in ("a1", "a2"):
        turns.take("6.6.6.6", session, 2)
    thread, done = started(turns, "6.6.6.6", "a3")
    waits(turns, "6.6.6.6", 1)
    assert turns.take("203.0.113.8", "visitor", 2) == 0.0  # at once
    turns.give_back("visitor")
    assert not done
    turns.give_back("a1")
    thread.join(WAIT)
    assert done == [pytest.approx(done[0])] and done[0] > 0


def test_a_run_inside_its_pages_own_run_takes_no_second_turn_and_gives_back_once():
    turns = Turns()
    assert turns.take("6.6.6.6", "page", 1) == 0.0
    assert turns.take("6.6.6.6", "page", 1) == 0.0  # its Draw fragment's reading, nested
    assert turns.running("6.6.6.6") == 1
    assert turns.give_back("page") and not turns.give_back("page")
    assert turns.running("6.6.6.6") == 0


def test_a_waiting_run_that_a_newer_request_replaced_leaves_the_line(monkeypatch):
    monkeypatch.setattr(client_share, "CHECK_SECONDS", 0.01)
    turns, replaced = Turns(), threading.Event()

    def stop_if_replaced():
        if replaced.is_set():
            raise RuntimeError("replaced")  # Streamlit's StopException, as its yield check

    turns.take("6.6.6.6", "busy", 1)
    first, first_done = started(turns, "6.6.6.6", "replaced", 1, stop_if_replaced=stop_if_replaced)
    waits(turns, "6.6.6.6", 1)
    second, second_done = started(turns, "6.6.6.6", "next", 1)
    waits(turns, "6.6.6.6", 2)
    replaced.set()
    first.join(WAIT)
    assert isinstance(first_done[0], RuntimeError)
    waits(turns, "6.6.6.6", 1)
    turns.give_back("busy")
    second.join(WAIT)
    assert second_done and second_done[0] > 0, "the turn went to the run that had ended"
    assert turns.running("6.6.6.6") == 1  # "next"'s, and none left to the replaced run


def test_a_run_stopped_as_it_is_handed_the_turn_passes_it_on():
    turns = Turns()
    turns.take("6.6.6.6", "busy", 1)
    handed = threading.Event()
    calls = []

    def stop_if_replaced():
        # The turn is handed over between the wait's end and this check: the run ends anyway.
        calls.append(1)
        if len(calls) == 1:
            turns.give_back("busy")
            handed.set()
            raise RuntimeError("replaced")

    client_share.CHECK_SECONDS, saved = 0.01, client_share.CHECK_SECONDS
    try:
        thread, done = started(turns, "6.6.6.6", "late", 1, stop_if_replaced=stop_if_replaced)
        thread.join(WAIT)
    finally:
        client_share.CHECK_SECONDS = saved
    assert handed.is_set() and isinstance(done[0], RuntimeError)
    assert turns.running("6.6.6.6") == 0 and turns.waiting("6.6.6.6") == 0
    assert turns.take("6.6.6.6", "after", 1) == 0.0  # nothing leaked


def test_pages_of_no_known_address_and_a_limit_of_0_never_wait(monkeypatch):
    monkeypatch.setattr(client_share, "TURNS", Turns())
    monkeypatch.setenv("MNIST_RUNS_AT_ONCE_PER_CLIENT", "1")
    take_turn("6.6.6.6", "first")
    assert take_turn(None, "local") == 0.0 and take_turn(None, "local2") == 0.0
    monkeypatch.setenv("MNIST_RUNS_AT_ONCE_PER_CLIENT", "0")
    assert take_turn("6.6.6.6", "second") == 0.0  # no limit: not even counted
    assert client_share.TURNS.running("6.6.6.6") == 1


def test_an_ipv6_clients_addresses_in_its_64_are_one_client(monkeypatch):
    # A phone picks any address of its /64 at will: the pages of one are one client.
    monkeypatch.setattr(client_share, "TURNS", Turns())
    monkeypatch.setenv("MNIST_RUNS_AT_ONCE_PER_CLIENT", "1")
    take_turn("2001:db8:1:2::1", "first")
    stop = threading.Event()

    def stop_if_replaced():
        if stop.is_set():
            raise RuntimeError("stopped")

    thread = threading.Thread(target=lambda: pytest.raises(
        RuntimeError, take_turn, "2001:db8:1:2:ffff::9", "second", stop_if_replaced),
        daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT
    while client_share.TURNS.waiting("2001:db8:1:2::/64") != 1:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    stop.set()
    thread.join(WAIT)
    assert not thread.is_alive()


def test_a_bad_setting_keeps_the_default_and_says_so(monkeypatch, caplog):
    monkeypatch.setattr(client_share, "TURNS", Turns())
    monkeypatch.setenv("MNIST_RUNS_AT_ONCE_PER_CLIENT", "many")
    monkeypatch.setattr(client_share, "_warned", [])
    with caplog.at_level(logging.WARNING, "ui.client_share"):
        take_turn("6.6.6.6", "first")
        take_turn("6.6.6.6", "second")  # the default, 2: at once
    assert client_share.TURNS.running("6.6.6.6") == 2
    assert caplog.text.count("MNIST_RUNS_AT_ONCE_PER_CLIENT") == 1  # once, not at every run


def test_a_runs_end_gives_its_turn_back_however_it_ends(monkeypatch):
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner
    from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

    def run(runner, ends):  # a run of the page: takes its turn, then ends as told
        assert watched(runner._requests)  # a run that started through the patch
        take_turn("6.6.6.6", runner._requests)
        assert client_share.TURNS.running("6.6.6.6") == 1
        if ends is not None:
            raise ends

    monkeypatch.setattr(ScriptRunner, "_run_script", run)
    monkeypatch.setattr(client_share, "TURNS", Turns())
    monkeypatch.setenv("MNIST_RUNS_AT_ONCE_PER_CLIENT", "1")
    assert give_back_at_run_ends() and give_back_at_run_ends()  # idempotent
    runner = Runner()
    for ends in (None, StopException(), RerunException(None), RuntimeError("a bug")):
        assert not watched(runner._requests)  # no run under way
        try:
            ScriptRunner._run_script(runner, ends)
        except BaseException as error:  # noqa: BLE001 - the run's own end, passed on
            assert error is ends
        assert client_share.TURNS.running("6.6.6.6") == 0, f"{ends!r} kept the turn"


class Runner:
    """A page's ScriptRunner as the patch sees it: its own queue of requests."""

    def __init__(self):
        self._requests = object()


def test_a_pages_old_run_ending_beside_its_new_one_gives_back_only_its_own_turn(monkeypatch):
    """Streamlit starts a page's new run in a new runner while the one it replaced stops (its
    fast reruns): the page has two runs at once. The reviewer's attack: each page of a script
    asks for a new whole-page run as soon as its run has the turn; the old run's end gave the
    page's one turn back while the new one went on, and 7 runs of a client limited to 1 ran
    at once. Each runner now holds a turn of its own."""
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    inside, leave = threading.Event(), threading.Event()

    def run(runner, hold):
        take_turn("6.6.6.6", runner._requests)
        if hold:
            inside.set()
            assert leave.wait(WAIT)

    monkeypatch.setattr(ScriptRunner, "_run_script", run)
    monkeypatch.setattr(client_share, "TURNS", Turns())
    monkeypatch.setenv("MNIST_RUNS_AT_ONCE_PER_CLIENT", "1")
    give_back_at_run_ends()
    old, new = Runner(), Runner()  # one page's two runners
    old_run = threading.Thread(target=ScriptRunner._run_script, args=(old, True), daemon=True)
    old_run.start()
    assert inside.wait(WAIT)
    new_run = threading.Thread(target=ScriptRunner._run_script, args=(new, False), daemon=True)
    new_run.start()
    waits(client_share.TURNS, "6.6.6.6", 1)  # the new run waits for the old one's turn
    assert client_share.TURNS.running("6.6.6.6") == 1
    leave.set()
    old_run.join(WAIT)
    new_run.join(WAIT)
    assert not new_run.is_alive()
    assert client_share.TURNS.running("6.6.6.6") == 0


def test_a_page_writing_its_own_forwarded_address_is_not_freed_from_the_turns(monkeypatch):
    """The reviewer's other attack: without MNIST_CLIENT_HEADER, the drawings store leaves out
    an address that also stands in `X-Forwarded-For` (the server may have taken it from there);
    a page writing its own address in that header was then no client at all, and never waited.
    Such pages are one client together; only a page of no address seen is no one's."""
    import types

    from streamlit.runtime.context import StreamlitHeaders

    from ui import client_address

    def seen_as(address, forwarded=None):
        headers = StreamlitHeaders([("X-Forwarded-For", forwarded)] if forwarded else [])
        context = types.SimpleNamespace(ip_address=address, headers=headers)
        monkeypatch.setattr(client_address, "st", types.SimpleNamespace(context=context))
        return client_address.turns_client()

    monkeypatch.delenv("MNIST_CLIENT_HEADER", raising=False)
    monkeypatch.setattr(client_address, "_told_proxy", [True])
    assert seen_as("198.51.100.66") == "198.51.100.66"
    assert seen_as("198.51.100.66", "198.51.100.66") == client_address.UNTRUSTED
    assert seen_as("203.0.113.9", "203.0.113.9") == client_address.UNTRUSTED
    assert seen_as(None) is None  # Community Cloud: no address at all
    assert seen_as("::ffff:127.0.0.1", "203.0.113.9") is None  # a proxy on this machine
