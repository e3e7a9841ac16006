"""The server process's one handle on the drawings file, and this session's anonymous id."""

import secrets

import streamlit as st

from mnist_core import settings
from mnist_core.drawings import store as drawings_db
from mnist_core.errors import MnistError
from ui.session_keys import DRAWINGS_SESSION

LIMITS = ("MNIST_DRAWINGS_MAX_ROWS", "MNIST_DRAWINGS_MAX_MB", "MNIST_DRAWINGS_PER_MINUTE")
"""The deployer's limits a recording reads."""


@st.cache_resource(show_spinner=False, max_entries=4)
def _store(path):
    return drawings_db.DrawingsDB(path)


def store():
    """The `DrawingsDB` of `MNIST_DRAWINGS_DB`, or None when the deployer switched recording
    off (`MNIST_COLLECT_DRAWINGS=0`) or set an unusable value (the log says which)."""
    try:
        if not drawings_db.collecting():
            return None
        for limit in LIMITS:  # read here, so an unusable one never meets a visitor's correction
            settings.get(limit)
        return _store(str(drawings_db.db_path()))
    except MnistError as error:
        drawings_db.log.warning("%s", error)
        return None


def session_id():
    """This session's anonymous id (16 random hex digits), stored with its drawings.

    Random, drawn when the session first records, derived from nothing about the visitor (not
    the training owner token, which is a secret that cancels trainings).
    """
    return st.session_state.setdefault(DRAWINGS_SESSION, secrets.token_hex(8))
