"""ui/backmsg_guard.py: a page never clears the caches every visitor shares, and asks for the
app's git information once."""

import logging

from streamlit.proto.BackMsg_pb2 import BackMsg

from ui import backmsg_guard


class Session:
    """What `AppSession.handle_backmsg` calls on its session, recorded."""

    def __init__(self):
        self.done = []

    def _handle_clear_cache_request(self):
        self.done.append("clear_cache")

    def _handle_git_information_request(self):
        self.done.append("load_git_info")

    def _handle_rerun_script_request(self, request):
        self.done.append("rerun_script")


def message(kind):
    msg = BackMsg()
    if kind == "rerun_script":
        msg.rerun_script.query_string = ""
    else:
        setattr(msg, kind, True)
    return msg


def test_a_page_cannot_clear_the_caches_and_gets_git_information_once(monkeypatch, caplog):
    from streamlit.runtime.app_session import AppSession

    monkeypatch.setattr(AppSession, "handle_backmsg", AppSession.handle_backmsg)  # restored after
    monkeypatch.setattr(backmsg_guard, "_told", set())
    assert backmsg_guard.refuse_what_is_not_a_pages()
    assert backmsg_guard.refuse_what_is_not_a_pages()  # idempotent
    first, second = Session(), Session()
    with caplog.at_level(logging.WARNING, "ui.backmsg_guard"):
        for kind in ("clear_cache", "load_git_info", "rerun_script", "clear_cache",
                     "load_git_info", "load_git_info"):
            AppSession.handle_backmsg(first, message(kind))
        AppSession.handle_backmsg(second, message("load_git_info"))
    assert first.done == ["load_git_info", "rerun_script"]
    assert second.done == ["load_git_info"]  # each page once
    assert caplog.text.count("clear the server's caches") == 1  # said once, not at each
    assert caplog.text.count("git information again") == 1
