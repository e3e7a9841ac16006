"""The sidebar: language, the model list with its facts, and a model upload."""

import os
from pathlib import Path

import streamlit as st

from mnist_core import storage
from mnist_core.errors import ModelFileError
from mnist_core.untrusted.check_queue import READY, REFUSED
from ui import resources
from ui.downloads import download_buttons
from ui.model_facts import facts_line
from ui.new_model_line import new_model_line
from ui.session_keys import (ACCEPTED_UPLOAD, ADOPTED_MODEL, ADOPTED_TOLD, LANGUAGE, MODEL_CHOICE,
                             UPLOADER, VANISHED_MODEL)
from ui.texts import LANGUAGES, text
from ui.train import owner_token
from ui.upload_check import show_progress, upload_check
from ui.widget_values import keep_choice
from ui.visitor_upload import UPLOAD_TYPES, UploadRecord, is_upload, keep_upload

UPLOADED = "uploaded"  # the model selectbox's option for the visitor's upload
TUTORIAL_MODEL = "tutorial.keras"  # the tutorial's own model, shipped in models/


def language_choice():
    """The page language, 'en' or 'fr': on a first visit the browser's (French for a French
    browser, the tutorial's readers; English for any other), then the visitor's choice."""
    if LANGUAGE not in st.session_state:
        st.session_state[LANGUAGE] = browser_language()
    return st.sidebar.radio(text(st.session_state.get(LANGUAGE, "en"), "language"),
                            list(LANGUAGES), format_func=LANGUAGES.get, horizontal=True,
                            key=LANGUAGE)


def browser_language():
    """'fr' when the browser's own language (`navigator.language`) is French, else 'en'."""
    try:
        locale = st.context.locale
    except (AttributeError, RuntimeError):  # no browser: a script run without a page
        locale = None
    return "fr" if str(locale or "").lower().startswith("fr") else "en"


def model_choice(language, fingerprint):
    """Lets the visitor pick a saved model or upload one.

    Args:
        language: 'en' or 'fr'.
        fingerprint: `resources.models_fingerprint()` of this run: the list is read again
            whenever it changes, so models added or removed on disk appear or disappear.

    Returns:
        `(loaded, predictor, key)` for the chosen model, or `(None, None, None)` when there is
        none; `key` identifies the model for caches.
    """
    sidebar = st.sidebar
    chooser = sidebar.container()
    upload = sidebar.file_uploader(text(language, "upload"), type=UPLOAD_TYPES, key=UPLOADER)
    uploaded, record = _checked_upload(language, sidebar, upload) if upload else (None, None)
    keep_upload(record)  # for Explore's comparison, whose fragment reruns skip this

    entries = resources.model_list(fingerprint)
    models = {str(path): metadata for path, metadata in entries}
    best = str(storage.default_entry(entries)[0]) if entries else None
    options = list(models) + ([UPLOADED] if uploaded else [])
    if not options:
        chooser.warning(text(language, "no_model"))
        return None, None, None
    chosen = st.session_state.get(MODEL_CHOICE)
    if chosen not in options or (chosen != UPLOADED and not os.path.exists(chosen)):
        fallback = best or options[0]
        st.session_state[MODEL_CHOICE] = fallback
        if chosen is not None and chosen != UPLOADED:
            # A model this visitor had chosen was removed from the server meanwhile. The
            # sidebar says so while the fallback stays chosen; a toast reaches phones too,
            # where the sidebar is folded away.
            st.session_state[VANISHED_MODEL] = (Path(chosen).name, fallback)
            st.toast(text(language, "model_gone", name=Path(chosen).name,
                          fallback=Path(fallback).name), icon=":material/info:")
    else:
        keep_choice(MODEL_CHOICE, options)  # its label may change: the ★, the language
    names = {key: _label(key, key == best) for key in options}
    if record:
        names[UPLOADED] = record.label(language)
    key = chooser.selectbox(text(language, "model"), options, format_func=names.get,
                            key=MODEL_CHOICE, help=text(language, "model_help"))
    _vanished_notice(language, chooser, key)
    _adopted_notice(language, chooser, key)
    new_model_line(language, chooser)
    if key == UPLOADED:
        (loaded, predictor), key = uploaded, record.key
    else:
        try:
            loaded, predictor = resources.saved_model(key, resources.file_version(key))
        except ModelFileError as error:
            if not os.path.exists(key):
                st.rerun()  # removed a moment ago: the next run chooses another and says so
            chooser.error(str(error))
            return None, None, None
    facts_line(language, chooser, loaded, key, predictor, _role(language, key, best,
                                                                loaded.metadata))
    download_buttons(language, chooser, loaded, key,
                     record.name if is_upload(key) else Path(key).name)
    return loaded, predictor, key


def _checked_upload(language, sidebar, upload):
    """The upload's `(LoadedModel, Predictor)` and `UploadRecord` once its check has passed;
    `(None, None)` while it runs (a line says how far it is) or when it was refused (why)."""
    content = upload.getvalue()
    digest = resources.digest_of(content)
    try:
        check = upload_check(digest, upload.name, content, owner_token())
    except ModelFileError as error:
        sidebar.error(_refusal(language, str(error)))
        return None, None
    if check.stage == REFUSED:
        sidebar.error(_refusal(language, check.error_for(upload.name)))
        return None, None
    if check.stage != READY:
        with sidebar:
            show_progress(language, check, upload.name)
        return None, None
    accepted = text(language, "upload_ok", name=upload.name)
    if st.session_state.get(ACCEPTED_UPLOAD) != digest:
        st.session_state[ACCEPTED_UPLOAD] = digest
        st.session_state[MODEL_CHOICE] = UPLOADED  # a new upload is what they want
        st.toast(accepted, icon=":material/check_circle:")  # phones fold the sidebar away
    sidebar.success(accepted)
    return check.value, UploadRecord(digest, upload.name)


def _refusal(language, sentence):
    """The checks' sentence, naming the visitor's file (written in English, as the command line
    prints it); a French page says in French that the file was refused and quotes it."""
    return text(language, "upload_refused", reason=sentence)


def _role(language, key, best, metadata):
    """Why this model is in the list: the best reader of drawings, or the tutorial's own."""
    drawn = metadata.get("drawn_accuracy")
    if key == best and isinstance(drawn, (int, float)):
        return text(language, "role_best", drawn=drawn)
    if Path(key).name == TUTORIAL_MODEL:
        return text(language, "role_tutorial")
    return ""


def _adopted_notice(language, chooser, key):
    """Says that the page switched to the model this visitor has just trained."""
    adopted = st.session_state.get(ADOPTED_MODEL)
    if adopted is None:
        return
    if key != adopted:
        del st.session_state[ADOPTED_MODEL]  # the visitor has chosen another model since
        return
    message = text(language, "own_model", name=Path(adopted).name)
    chooser.success(message)
    if st.session_state.get(ADOPTED_TOLD) != adopted:
        st.session_state[ADOPTED_TOLD] = adopted
        st.toast(message, icon=":material/check_circle:")  # phones fold the sidebar away


def _vanished_notice(language, chooser, key):
    """Says which chosen model disappeared, for as long as the fallback stays chosen."""
    vanished = st.session_state.get(VANISHED_MODEL)
    if vanished is None:
        return
    name, fallback = vanished
    if key == fallback:
        chooser.warning(text(language, "model_gone", name=name, fallback=Path(fallback).name))
    else:
        del st.session_state[VANISHED_MODEL]  # the visitor has chosen another model since


def _label(path, best=False):
    # The name alone, and without the usual ".keras": the list's box is an <input>, which cannot
    # wrap, and "quick-20261202-230530.keras (92.31%)" was cut on a phone and in the desktop
    # sidebar. The accuracy is in the facts just below, written as the page's language writes
    # numbers (with a key, Streamlit 1.67 would redraw translated labels, but still cut them).
    path = Path(path)
    return (path.stem if path.suffix == ".keras" else path.name) + (" ★" if best else "")
