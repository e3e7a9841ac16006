"""What a page may ask of the server besides its runs: never to clear its caches or run git,
and upload addresses for a few files at a time.

Streamlit (1.67) answers three of a page's messages on the server's event loop, unpaced, which
every page's messages wait for:
- `clear_cache` (its developer menu's "Clear caches"; any script can send it) clears every
  `st.cache_resource` and `st.cache_data`, for every visitor: the models loaded, the training
  jobs' manager (a training under way would lose its page and its one-at-a-time lock), the
  drawings store's handle. One visitor would act on everyone's work.
- `load_git_info` runs git (~17 ms here, more with a remote). The page sends it only from the
  "Deploy" button, which this app's toolbar does not show (`toolbarMode = "minimal"`).
- `file_urls_request` makes an upload address for each file name it lists, with no limit: one
  message of 200,000 names held the loop 2.6 s and made a 47 MB answer (a second review,
  2026-12-04); the page's uploaders take one file each.
`refuse_what_is_not_a_pages()` patches `AppSession.handle_backmsg` to drop the first two and a
request for more than `MOST_UPLOAD_NAMES` files; the deployer's log says so once each.

A download (a `backend_operation_request` for a deferred file) makes its file on a worker
thread, unpaced: ~3 ms of hashing for the strong model's 6 MB kept, ~60 ms to make one not
kept, ~250 a second for a script. A page gets `DOWNLOAD_BURST` at once, then
`DOWNLOAD_RATE` a second (a person clicks a download button now and then); a faster one is
answered, in the page's language, to wait and try again, which its button shows. And the
process makes one at a time (`_one_at_a_time`), whatever the number of pages asking. Every
other message passes as before.
"""

import asyncio
import functools
import logging
import time

from ui.streamlit_patch import patch_once

LOG = logging.getLogger(__name__)

_told = set()

MOST_UPLOAD_NAMES = 16
"""Most files one upload request may name: the page's uploaders take one file each."""
DOWNLOAD_BURST = 4
DOWNLOAD_RATE = 1.0
"""A page's downloads: `DOWNLOAD_BURST` at once, then `DOWNLOAD_RATE` a second."""
_PACE = "_mnist_download_pace"  # on the AppSession: (turns left, when counted)


def refuse_what_is_not_a_pages():
    """Patches the private `AppSession.handle_backmsg` (looked up at each message, so every
    session is covered from now on). Idempotent.

    Returns:
        True when the patch is in place; False where Streamlit has no such method.
    """
    try:
        from streamlit.runtime.app_session import AppSession
    except ImportError:
        return False
    if not patch_once(AppSession, "handle_backmsg", "refuses_cache_clearing", _guarding):
        return False
    patch_once(AppSession, "_handle_backend_operation_request", "one_at_a_time",
               _one_at_a_time)
    return True


def _guarding(handle):
    """`AppSession.handle_backmsg`, refusing what is not a page's (the module's docstring)."""
    @functools.wraps(handle)
    def handle_backmsg(session, msg, *args, **kwargs):
        kind = msg.WhichOneof("type")
        if kind == "clear_cache":
            return _refused(kind, "A page asked to clear the server's caches, which every "
                            "visitor shares: refused.")
        if kind == "load_git_info":
            return _refused(kind, "A page asked for the app's git information, which this "
                            "app does not show: refused.")
        if (kind == "file_urls_request"
                and len(msg.file_urls_request.file_names) > MOST_UPLOAD_NAMES):
            return _refused(kind, f"A page asked for upload addresses for more than "
                            f"{MOST_UPLOAD_NAMES} files at once: refused.")
        if kind == "backend_operation_request" and not take_download_turn(session):
            _refused("downloads", "A page asked for downloads faster than "
                     f"{DOWNLOAD_RATE:g} a second: answered to wait.")
            return _answer_wait(session, msg.backend_operation_request.request_id)
        return handle(session, msg, *args, **kwargs)

    return handle_backmsg


def take_download_turn(session, clock=time.monotonic):
    """Takes one of `session`'s download turns; False when it has none left now."""
    from ui.pace import turns_left

    now = clock()
    left = turns_left(getattr(session, _PACE, None), now, DOWNLOAD_RATE, DOWNLOAD_BURST)
    if left < 1.0:
        setattr(session, _PACE, (left, now))
        return False
    setattr(session, _PACE, (left - 1.0, now))
    return True


def _answer_wait(session, request_id):
    """Answers the page's request with the sentence its button shows, in its language."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    from ui.session_keys import LANGUAGE
    from ui.texts import text

    try:
        language = session._session_state[LANGUAGE]
    except Exception:  # noqa: BLE001 - no page language yet (or no state): English
        language = "en"
    msg = ForwardMsg()
    msg.backend_operation_response.request_id = request_id
    msg.backend_operation_response.error_msg = text(language, "downloads_paced")
    session._enqueue_forward_msg(msg)


_downloads = []  # the process's one semaphore, made in the event loop at first use


def _one_at_a_time(operation):
    """`AppSession._handle_backend_operation_request`, run one at a time in the process: pages
    asking together wait in turn, on the event loop, at no cost."""
    @functools.wraps(operation)
    async def one_at_a_time(session, *args, **kwargs):
        if not _downloads:
            _downloads.append(asyncio.Semaphore(1))
        async with _downloads[0]:
            return await operation(session, *args, **kwargs)

    return one_at_a_time


def _refused(kind, words):
    """Says `words` in the deployer's log, the first time for `kind`; the message is dropped."""
    if kind not in _told:
        _told.add(kind)
        LOG.warning("%s", words)
