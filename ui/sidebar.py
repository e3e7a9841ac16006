"""The sidebar: language, the model list with its facts, and a model upload."""

import streamlit as st

from mnist_core.errors import ModelFileError
from ui import resources
from ui.texts import LANGUAGES, text

UPLOADED = "uploaded"


def language_choice():
    """The page language, 'en' or 'fr' (English on a first visit)."""
    return st.sidebar.radio(text(st.session_state.get("language", "en"), "language"),
                            list(LANGUAGES), format_func=LANGUAGES.get, horizontal=True,
                            key="language")


def model_choice(language, jobs_version):
    """Lets the visitor pick a saved model or upload one.

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
            with sidebar, st.spinner(text(language, "upload_checking", name=upload.name)):
                uploaded = resources.uploaded_model(digest, upload.name, content)
        except ModelFileError as error:
            sidebar.error(str(error))
        else:
            if st.session_state.get("accepted_upload") != digest:
                st.session_state["accepted_upload"] = digest
                st.session_state["model_choice"] = UPLOADED  # a new upload is what they want
            sidebar.success(text(language, "upload_ok", name=upload.name))

    models = {str(path): metadata for path, metadata in resources.model_list(jobs_version)}
    options = list(models) + ([UPLOADED] if uploaded else [])
    if not options:
        chooser.warning(text(language, "no_model"))
        return None, None, None
    if st.session_state.get("model_choice") not in options:
        default = str(resources.default_model())
        st.session_state["model_choice"] = default if default in options else options[0]
    names = {key: _label(key, models.get(key, {})) for key in options}
    if uploaded:
        names[UPLOADED] = f"{upload.name} (upload)"
    key = chooser.selectbox(text(language, "model"), options, format_func=names.get,
                            key="model_choice", help=text(language, "model_help"))
    if key == UPLOADED:
        loaded, predictor = uploaded
        key = f"upload:{digest}"
    else:
        try:
            loaded, predictor = resources.saved_model(key, _modified(key))
        except ModelFileError as error:
            chooser.error(str(error))
            return None, None, None
    chooser.caption(_facts(language, loaded.metadata))
    return loaded, predictor, key


def _label(path, metadata):
    from pathlib import Path

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
    import os

    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0
