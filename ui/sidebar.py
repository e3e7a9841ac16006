"""The sidebar: language, the model list with its facts, and a model upload."""

import os
from pathlib import Path

import streamlit as st

from mnist_core.errors import ModelFileError
from ui import resources
from ui.texts import LANGUAGES, text

UPLOADED = "uploaded"
VANISHED = "vanished_model"  # session key: (file name, model chosen instead)


def language_choice():
    """The page language, 'en' or 'fr' (English on a first visit)."""
    return st.sidebar.radio(text(st.session_state.get("language", "en"), "language"),
                            list(LANGUAGES), format_func=LANGUAGES.get, horizontal=True,
                            key="language")


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
    upload = sidebar.file_uploader(text(language, "upload"), type=["keras", "h5"], key="upload")
    uploaded = None
    if upload is not None:
        content = upload.getvalue()
        digest = resources.digest_of(content)
        try:
            uploaded = resources.uploaded_model(digest, upload.name, content)
        except ModelFileError as error:
            sidebar.error(str(error))
        else:
            if st.session_state.get("accepted_upload") != digest:
                st.session_state["accepted_upload"] = digest
                st.session_state["model_choice"] = UPLOADED  # a new upload is what they want
            sidebar.success(text(language, "upload_ok", name=upload.name))

    models = {str(path): metadata for path, metadata in resources.model_list(fingerprint)}
    options = list(models) + ([UPLOADED] if uploaded else [])
    if not options:
        chooser.warning(text(language, "no_model"))
        return None, None, None
    chosen = st.session_state.get("model_choice")
    if chosen not in options or (chosen != UPLOADED and not os.path.exists(chosen)):
        default = str(resources.default_model())
        fallback = default if default in options else options[0]
        st.session_state["model_choice"] = fallback
        if chosen is not None and chosen != UPLOADED:
            # A model this visitor had chosen was removed from the server meanwhile. The
            # sidebar says so while the fallback stays chosen; a toast reaches phones too,
            # where the sidebar is folded away.
            st.session_state[VANISHED] = (Path(chosen).name, fallback)
            st.toast(text(language, "model_gone", name=Path(chosen).name,
                          fallback=Path(fallback).name), icon=":material/info:")
    names = {key: _label(key, models.get(key, {})) for key in options}
    if uploaded:
        names[UPLOADED] = f"{upload.name} (upload)"
    key = chooser.selectbox(text(language, "model"), options, format_func=names.get,
                            key="model_choice", help=text(language, "model_help"))
    _vanished_notice(language, chooser, key)
    if key == UPLOADED:
        loaded, predictor = uploaded
        key = f"upload:{digest}"
    else:
        try:
            loaded, predictor = resources.saved_model(key, _modified(key))
        except ModelFileError as error:
            if not os.path.exists(key):
                st.rerun()  # removed a moment ago: the next run chooses another and says so
            chooser.error(str(error))
            return None, None, None
    chooser.caption(_facts(language, loaded.metadata))
    return loaded, predictor, key


def _vanished_notice(language, chooser, key):
    """Says which chosen model disappeared, for as long as the fallback stays chosen."""
    vanished = st.session_state.get(VANISHED)
    if vanished is None:
        return
    name, fallback = vanished
    if key == fallback:
        chooser.warning(text(language, "model_gone", name=name, fallback=Path(fallback).name))
    else:
        del st.session_state[VANISHED]  # the visitor has chosen another model since


def _label(path, metadata):
    accuracy = metadata.get("test_accuracy")
    name = Path(path).name
    return f"{name} ({accuracy:.2%})" if isinstance(accuracy, (int, float)) else name


def _facts(language, metadata):
    unknown = text(language, "unknown")
    accuracy = metadata.get("test_accuracy")
    return text(language, "model_facts",
                accuracy=f"{accuracy:.2%}" if isinstance(accuracy, (int, float)) else unknown,
                recipe=metadata.get("recipe", unknown), epochs=metadata.get("epochs", unknown),
                batch=metadata.get("batch_size", unknown),
                images=metadata.get("train_images", unknown),
                date=str(metadata.get("date", unknown))[:10])


def _modified(path):
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0
