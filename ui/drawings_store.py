"""The server process's one handle on the drawings store, this session's anonymous id, and the
labels judged (`drawings.trust`); the visitor's address is `ui.client_address`'s."""

import secrets
import threading

import streamlit as st

from mnist_core import settings
from mnist_core.drawings import store as drawings_db
from mnist_core.drawings import trust
from mnist_core.errors import MnistError
from ui import resources
from ui.session_keys import DRAWINGS_SESSION

LIMITS = ("MNIST_DRAWINGS_MAX_ROWS", "MNIST_DRAWINGS_MAX_MB", "MNIST_DRAWINGS_PER_MINUTE",
          "MNIST_DRAWINGS_PER_SESSION", "MNIST_DRAWINGS_PER_CLIENT", "MNIST_DRAWINGS_PER_HOUR",
          "MNIST_DRAWINGS_PER_CLIENT_HOUR",
          "MNIST_DRAWINGS_MAX_SHARE", "MNIST_TRUST_MIN_PROBABILITY", "MNIST_CLIENT_HEADER")
"""The deployer's limits a recording reads."""


@st.cache_resource(show_spinner=False, max_entries=4)
def _store(where):
    return drawings_db.DrawingsDB(where)


def store():
    """The `DrawingsDB` of `MNIST_DRAWINGS_URL`'s server or `MNIST_DRAWINGS_DB`'s file
    (`drawings.store.location`, as the command line), or None when the deployer switched
    recording off (`MNIST_COLLECT_DRAWINGS=0`) or set an unusable value (the log says which)."""
    try:
        if not drawings_db.collecting():
            return None
        for limit in LIMITS:  # read here, so an unusable one never meets a visitor's correction
            settings.get(limit)
        return _store(str(drawings_db.location()))
    except MnistError as error:
        drawings_db.log.warning("%s", error)
        return None


def session_id():
    """This session's anonymous id (16 random hex digits), stored with its drawings.

    Random, drawn when the session first records, derived from nothing about the visitor (not
    the training owner token, which is a secret that cancels trainings).
    """
    return st.session_state.setdefault(DRAWINGS_SESSION, secrets.token_hex(8))


_judging = threading.Lock()
"""Held while one session of this process judges labels: every visitor's page asks at each
rerun, and a script's burst of drawings judged by each of them at once would multiply the
work by the number of visitors; the others go on with what is judged so far."""


def judged(db):
    """Judges the labels not yet judged (`trust.assess`) with the page's cached reference model;
    a failure leaves them pending (the log says why) and the page as it was. When another
    session of this process is judging them, this page neither waits nor judges them again."""
    def cached(path):
        loaded, predictor = resources.saved_model(str(path), resources.file_version(path))
        return loaded.metadata, predictor

    if not _judging.acquire(blocking=False):
        return
    try:
        if trust.pending(db):
            trust.assess(db, trust.reference_predictor(loader=cached))
    except MnistError as error:
        drawings_db.log.warning("Visitors' labels were not judged: %s", error)
    finally:
        _judging.release()
