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
        assert watched(runner._session_id)  # a run that started through the patch
        take_turn("6.6.6.6", runner._session_id)
        assert client_share.TURNS.running("6.6.6.6") == 1
        if ends is not None:
            raise ends

    monkeypatch.setattr(ScriptRunner, "_run_script", run)
    monkeypatch.setattr(client_share, "TURNS", Turns())
    monkeypatch.setenv("MNIST_RUNS_AT_ONCE_PER_CLIENT", "1")
    assert give_back_at_run_ends() and give_back_at_run_ends()  # idempotent
    runner = type("Runner", (), {"_session_id": "page"})()
    for ends in (None, StopException(), RerunException(None), RuntimeError("a bug")):
        assert not watched("page")  # no run under way
        try:
            ScriptRunner._run_script(runner, ends)
        except BaseException as error:  # noqa: BLE001 - the run's own end, passed on
            assert error is ends
        assert client_share.TURNS.running("6.6.6.6") == 0, f"{ends!r} kept the turn"
    assert not watched("page")
