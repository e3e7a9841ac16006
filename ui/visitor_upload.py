"""This visitor's accepted upload, kept in their own session for views outside the sidebar.

The sidebar checks and loads an upload on every full run and keeps the result here (None when
there is none, or when it was refused); Explore is a `st.fragment`, whose reruns skip the
sidebar, and still finds it. It lives in `st.session_state`, so no visitor sees another's.
The record names the upload only: its model stays in the server's check queue, which keeps 4
(`ui.upload_check`), so a session never pins a stranger-sized model in memory beyond the bytes
Streamlit already keeps of its upload.
"""

import dataclasses

import streamlit as st

from ui.session_keys import UPLOAD_RECORD
from ui.texts import text
from ui.train import owner_token
from ui.upload_check import checked_model

UPLOAD_TYPES = ("keras", "h5")  # the file types it takes
UPLOAD_PREFIX = "upload:"  # an upload's model key is `upload:<sha256>`; a saved model's, its path


@dataclasses.dataclass(frozen=True)
class UploadRecord:
    """An upload that passed the checks.

    Attributes:
        digest: the sha256 of the file.
        name: the file name the visitor sent.
    """

    digest: str
    name: str

    @property
    def key(self):
        """The page's key for the model, `upload:<sha256>`."""
        return UPLOAD_PREFIX + self.digest

    def label(self, language):
        """The upload's name as the page lists it: 'x.keras (your upload)', or in French."""
        return text(language, "upload_label", name=self.name)


def is_upload(model_key):
    """Whether the page's model key names an upload (else it is a saved model's path)."""
    return model_key.startswith(UPLOAD_PREFIX)


def keep_upload(record):
    """Keeps `record` (an `UploadRecord`, or None) as this visitor's upload until the next
    full run."""
    st.session_state[UPLOAD_RECORD] = record


def visitor_upload():
    """This visitor's accepted upload as an `UploadRecord`, or None."""
    return st.session_state.get(UPLOAD_RECORD)


def upload_model(record, content):
    """`(LoadedModel, Predictor)` of the upload: the one its check left in the server's queue,
    or checked again (`ui.upload_check.checked_model`) should the queue have let it go.

    Args:
        record: this visitor's `UploadRecord`.
        content: the upload's bytes (the uploader's value).

    Raises:
        ModelFileError: one sentence naming the visitor's file.
    """
    return checked_model(record.digest, record.name, content, owner_token())
