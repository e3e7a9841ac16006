"""What a page may ask of the server besides its runs: never to clear its caches, and the app's
git information once.

Streamlit (1.67) answers two of a page's messages for the whole process, unpaced:
- `clear_cache` (its developer menu's "Clear caches"; any script can send it) clears every
  `st.cache_resource` and `st.cache_data`, for every visitor: the models loaded, the training
  jobs' manager (a training under way would lose its page and its one-at-a-time lock), the
  drawings store's handle. One visitor would act on everyone's work.
- `load_git_info` runs git on the server's event loop (~17 ms here, more with a remote), which
  every page's messages wait for; the page asks for it once, as it connects, and a script
  asking back to back would hold the server.
`refuse_what_is_not_a_pages()` patches `AppSession.handle_backmsg` to drop the first and answer
the second once per session; the deployer's log says so once. Every other message passes as
before.
"""

import functools
import logging

LOG = logging.getLogger(__name__)

_told = set()


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
            _say_once("clear_cache", "A page asked to clear the server's caches, which every "
                      "visitor shares: refused.")
            return None
        if kind == "load_git_info":
            if getattr(session, "_mnist_git_info_sent", False):
                _say_once("load_git_info", "A page asked for the app's git information again: "
                          "answered once per page only.")
                return None
            session._mnist_git_info_sent = True
        return handle(session, msg, *args, **kwargs)

    handle_backmsg.refuses_cache_clearing = True
    AppSession.handle_backmsg = handle_backmsg
    return True


def _say_once(kind, words):
    if kind not in _told:
        _told.add(kind)
        LOG.warning("%s", words)
