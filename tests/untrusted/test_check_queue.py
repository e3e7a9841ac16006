"""The server's model-check queue: one check at a time off the page, bounded waiting."""

import threading

import pytest

from mnist_core.errors import ModelFileError
from mnist_core.untrusted import check_queue
from mnist_core.untrusted.check_queue import CHECKING, READY, REFUSED, WAITING, CheckQueue, QueueFull
from mnist_core.untrusted.sandbox import NotCheckedNow


class Gate:
    """A check function that waits for the test to let each file through."""

    def __init__(self):
        self.calls, self.open = [], {}
        self.started = threading.Semaphore(0)

    def __call__(self, content, name, progress):
        self.calls.append(name)
        progress("loading")
        self.started.release()
        self.open.setdefault(name, threading.Event()).wait(10)
        if content == b"bad":
            raise ModelFileError(f"{name} is not a model.")
        if content == b"busy":
            raise NotCheckedNow(f"The app could not check {name} now.")
        if content == b"bug":
            raise RuntimeError("a bug")
        return f"model of {name}"

    def let_through(self, name):
        self.open.setdefault(name, threading.Event()).set()


@pytest.fixture
def gate():
    gate = Gate()
    yield gate
    for event in gate.open.values():
        event.set()


def test_a_submit_returns_at_once_and_the_check_ends_ready(gate):
    queue = CheckQueue(gate)
    check = queue.submit("k1", "a.keras", b"ok", owner="visitor")
    assert check.stage in (WAITING, CHECKING)  # the page goes on while it runs
    assert gate.started.acquire(timeout=5)
    assert check.stage == CHECKING and check.step == "loading"
    gate.let_through("a.keras")
    assert queue.wait("k1", 5).stage == READY
    assert check.value == "model of a.keras" and queue.typical_seconds() is not None


def test_the_same_file_from_two_visitors_is_checked_once(gate):
    queue = CheckQueue(gate)
    first = queue.submit("k1", "a.keras", b"ok", owner="one")
    second = queue.submit("k1", "a.keras", b"ok", owner="two")
    gate.let_through("a.keras")
    assert first is second and queue.wait("k1", 5).stage == READY
    assert gate.calls == ["a.keras"]


def test_a_refusal_is_kept_with_its_sentence_and_not_checked_again(gate):
    queue = CheckQueue(gate)
    queue.submit("k1", "bad.keras", b"bad", owner="one")
    gate.let_through("bad.keras")
    check = queue.wait("k1", 5)
    assert check.stage == REFUSED and check.error == "bad.keras is not a model."
    assert queue.submit("k1", "bad.keras", b"bad", owner="one") is check
    assert gate.calls == ["bad.keras"]


def test_a_bug_in_the_check_ends_in_a_sentence_not_a_page_checking_forever(gate):
    queue = CheckQueue(gate)
    queue.submit("k1", "odd.keras", b"bug", owner="one")
    gate.let_through("odd.keras")
    check = queue.wait("k1", 5)
    assert check.stage == REFUSED and check.error.startswith("The app could not check odd.keras")
    assert check.transient


def test_the_servers_trouble_is_checked_again_after_a_while(gate):
    now = [0.0]
    queue = CheckQueue(gate, clock=lambda: now[0])
    queue.submit("k1", "a.keras", b"busy", owner="one")
    gate.let_through("a.keras")
    assert queue.wait("k1", 5).transient
    assert queue.submit("k1", "a.keras", b"busy", owner="one").stage == REFUSED  # not at once
    now[0] += check_queue.RETRY_SECONDS + 1
    assert queue.submit("k1", "a.keras", b"ok", owner="one").stage in (WAITING, CHECKING)


def test_an_owner_has_one_file_waiting_a_newer_one_takes_its_place(gate):
    queue = CheckQueue(gate)
    queue.submit("k0", "first.keras", b"ok", owner="other")  # keeps the thread busy
    assert gate.started.acquire(timeout=5)
    for index in range(50):  # a scripted visitor sending file after file
        queue.submit(f"k{index + 1}", f"{index}.keras", b"ok", owner="scripted")
    assert [key for key, check in queue._checks.items() if check.stage == WAITING] == ["k50"]
    gate.let_through("first.keras")
    gate.let_through("49.keras")
    assert queue.wait("k50", 5).stage == READY
    assert gate.calls == ["first.keras", "49.keras"]


def test_many_owners_wait_within_the_bound_then_are_told_to_come_back(gate):
    queue = CheckQueue(gate, max_waiting=3)
    queue.submit("k0", "first.keras", b"ok", owner="x")
    assert gate.started.acquire(timeout=5)
    for index in range(3):
        queue.submit(f"k{index + 1}", f"{index}.keras", b"ok", owner=f"session {index}")
    with pytest.raises(QueueFull, match=r"^The server is checking other visitors' models; "
                                        r"send late\.keras again in a minute\.$"):
        queue.submit("k9", "late.keras", b"ok", owner="session 9")


def test_only_a_few_finished_checks_are_kept(gate):
    queue = CheckQueue(gate, max_kept=2)
    for index in range(4):
        gate.let_through(f"{index}.keras")
        queue.submit(f"k{index}", f"{index}.keras", b"ok", owner=f"s{index}")
        assert queue.wait(f"k{index}", 5).stage == READY
    assert queue.find("k0") is None and queue.find("k1") is None
    assert queue.find("k3").value == "model of 3.keras"


def test_a_refusal_names_the_file_as_each_visitor_called_it(gate):
    queue = CheckQueue(gate)
    queue.submit("k1", "private name.keras", b"bad", owner="one")
    gate.let_through("private name.keras")
    check = queue.wait("k1", 5)
    assert check.error_for("mine.keras") == "mine.keras is not a model."
