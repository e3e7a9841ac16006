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

    def _handle_file_urls_request(self, request):
        self.done.append(f"file_urls_request {len(request.file_names)}")


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

    monkeypatch.setattr(AppSession, "handle_backmsg", AppSession.handle_backmsg)  # restored after
    monkeypatch.setattr(backmsg_guard, "_told", set())
    assert backmsg_guard.refuse_what_is_not_a_pages()
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
