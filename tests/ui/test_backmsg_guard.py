"""ui/backmsg_guard.py: a page never clears the caches every visitor shares, and asks for the
app's git information once."""

import asyncio
import logging

from streamlit.proto.BackMsg_pb2 import BackMsg

from tests.async_kit import run_apart
from ui import backmsg_guard


class Session:
    """What `AppSession.handle_backmsg` calls on its session, recorded."""

    def __init__(self, language="en"):
        self.done, self.sent, self._background_tasks = [], [], set()
        self._session_state = {"language": language}

    def _handle_clear_cache_request(self):
        self.done.append("clear_cache")

    def _handle_git_information_request(self):
        self.done.append("load_git_info")

    def _handle_rerun_script_request(self, request):
        self.done.append("rerun_script")

    def _handle_file_urls_request(self, request):
        self.done.append(f"file_urls_request {len(request.file_names)}")

    async def _handle_backend_operation_request(self, request):
        self.done.append(f"download {request.request_id}")

    def _enqueue_forward_msg(self, msg):
        self.sent.append(msg)


def message(kind, names=1):
    msg = BackMsg()
    if kind == "rerun_script":
        msg.rerun_script.query_string = ""
    elif kind == "file_urls_request":
        msg.file_urls_request.file_names.extend(["model.keras"] * names)
    else:
        setattr(msg, kind, True)
    return msg


def test_a_page_cannot_clear_the_caches_run_git_or_ask_to_upload_thousands_of_files(
        monkeypatch, caplog):
    from streamlit.runtime.app_session import AppSession

    guarded(monkeypatch)
    assert backmsg_guard.refuse_what_is_not_a_pages()  # idempotent
    page = Session()
    most = backmsg_guard.MOST_UPLOAD_NAMES
    with caplog.at_level(logging.WARNING, "ui.backmsg_guard"):
        for kind, names in (("clear_cache", 1), ("load_git_info", 1), ("rerun_script", 1),
                            ("clear_cache", 1), ("file_urls_request", 1),
                            ("file_urls_request", most), ("file_urls_request", 200_000),
                            ("file_urls_request", most + 1), ("load_git_info", 1)):
            AppSession.handle_backmsg(page, message(kind, names))
    assert page.done == ["rerun_script", "file_urls_request 1", f"file_urls_request {most}"]
    assert caplog.text.count("clear the server's caches") == 1  # said once, not at each
    assert caplog.text.count("git information") == 1
    assert caplog.text.count("upload addresses") == 1


def guarded(monkeypatch):
    """The guard in place, AppSession as it was after the test."""
    from streamlit.runtime.app_session import AppSession

    for name in ("handle_backmsg", "_handle_backend_operation_request"):
        monkeypatch.setattr(AppSession, name, getattr(AppSession, name))  # restored after
    monkeypatch.setattr(backmsg_guard, "_told", set())
    monkeypatch.setattr(backmsg_guard, "_downloads", [])
    assert backmsg_guard.refuse_what_is_not_a_pages()


def download(request_id):
    msg = BackMsg()
    msg.backend_operation_request.request_id = request_id
    msg.backend_operation_request.deferred_file.file_id = "file"
    return msg


def test_a_page_asking_for_downloads_back_to_back_is_told_to_wait_in_its_language(monkeypatch):
    # The attack: a download makes its file on a worker thread, unpaced (~3 ms of hashing for
    # the strong model kept, ~60 ms to make one not kept); a script asks ~250 times a second.
    from streamlit.runtime.app_session import AppSession

    guarded(monkeypatch)
    page = Session("fr")

    async def ask():
        for k in range(backmsg_guard.DOWNLOAD_BURST + 3):
            AppSession.handle_backmsg(page, download(f"r{k}"))
        await asyncio.gather(*page._background_tasks)

    run_apart(ask())
    burst = backmsg_guard.DOWNLOAD_BURST
    assert page.done == [f"download r{k}" for k in range(burst)]
    answers = [m.backend_operation_response for m in page.sent]
    assert [a.request_id for a in answers] == [f"r{k}" for k in range(burst, burst + 3)]
    assert all(a.error_msg.startswith("Trop de téléchargements") for a in answers)


def test_a_pages_download_turns_come_back_at_a_persons_pace():
    page, now = Session(), [100.0]
    clock = lambda: now[0]  # noqa: E731
    turns = [backmsg_guard.take_download_turn(page, clock) for _ in range(10)]
    assert turns == [True] * backmsg_guard.DOWNLOAD_BURST + [False] * (10 - backmsg_guard.DOWNLOAD_BURST)
    now[0] += 1 / backmsg_guard.DOWNLOAD_RATE  # a second later: one more
    assert backmsg_guard.take_download_turn(page, clock)
    assert not backmsg_guard.take_download_turn(page, clock)
    now[0] += 3600  # an hour away: the burst again, no more
    turns = [backmsg_guard.take_download_turn(page, clock) for _ in range(10)]
    assert turns.count(True) == backmsg_guard.DOWNLOAD_BURST


def test_the_process_makes_one_download_at_a_time_whatever_the_pages(monkeypatch):
    monkeypatch.setattr(backmsg_guard, "_downloads", [])
    at_once, most = [0], [0]

    async def make(session, request):
        at_once[0] += 1
        most[0] = max(most[0], at_once[0])
        await asyncio.sleep(0.01)
        at_once[0] -= 1

    one_at_a_time = backmsg_guard._one_at_a_time(make)

    async def pages():
        await asyncio.gather(*(one_at_a_time(Session(), k) for k in range(20)))

    run_apart(pages())
    assert most[0] == 1
