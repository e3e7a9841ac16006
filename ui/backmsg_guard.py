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
request for more than `MOST_UPLOAD_NAMES` files; the deployer's log says so once each. Every
other message passes as before.
"""

import functools
import logging

LOG = logging.getLogger(__name__)

_told = set()

MOST_UPLOAD_NAMES = 16
"""Most files one upload request may name: the page's uploaders take one file each."""


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
    handle = getattr(AppSession, "handle_backmsg", None)
    if handle is None:
        return False
    if getattr(handle, "refuses_cache_clearing", False):
        return True

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
        return handle(session, msg, *args, **kwargs)

    handle_backmsg.refuses_cache_clearing = True
    AppSession.handle_backmsg = handle_backmsg
    return True


def _refused(kind, words):
    """Says `words` in the deployer's log, the first time for `kind`; the message is dropped."""
    if kind not in _told:
        _told.add(kind)
        LOG.warning("%s", words)
