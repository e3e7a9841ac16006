"""This visitor's accepted upload, kept in their own session for views outside the sidebar.

The sidebar checks and loads an upload on every full run and keeps the result here (None when
there is none, or when it was refused); Explore is a `st.fragment`, whose reruns skip the
sidebar, and still finds it. It lives in `st.session_state`, so no visitor sees another's.
"""

import dataclasses

import streamlit as st

UPLOAD_RECORD = "visitor_upload"  # session key: this visitor's `UploadRecord`, or None


@dataclasses.dataclass(frozen=True)
class UploadRecord:
    """An upload that passed the checks.

    Attributes:
        key: the page's key for the model, `upload:<sha256>` of the file.
        name: the file name the visitor sent.
        loaded: its `mnist_core.storage.LoadedModel`.
        predictor: its `mnist_core.inference.Predictor`.
    """

    key: str
    name: str
    loaded: object
    predictor: object

    @property
    def label(self):
        # Language-neutral, as the sidebar's: a selectbox keeps the labels it was drawn with.
        return f"{self.name} (upload)"


def keep_upload(record):
    """Keeps `record` (an `UploadRecord`, or None) as this visitor's upload until the next
    full run."""
    st.session_state[UPLOAD_RECORD] = record


def visitor_upload():
    """This visitor's accepted upload as an `UploadRecord`, or None."""
    return st.session_state.get(UPLOAD_RECORD)
