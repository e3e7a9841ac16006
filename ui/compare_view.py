"""Explore's comparison of the chosen model with a second one: a model of the server's list or
this visitor's own upload; accuracy per digit side by side, and the test images one reads right
and the other wrong."""

from pathlib import Path

import streamlit as st

from mnist_core.errors import ModelFileError
from mnist_core.evaluation.test_report import compare
from ui import resources
from ui.session_keys import COMPARE_WITH, UPLOADER
from ui.test_reports import report_load
from ui.test_set_view import GRID_SHOWN, grid, misread_labels, per_digit_table, ready_report
from ui.texts import text
from ui.widget_values import keep_choice
from ui.visitor_upload import upload_model, visitor_upload


def compare_view(language, x_test, y_test, model_key, name, report):
    """Lets the visitor pick a second model and shows where the two differ.

    Args:
        language: 'en' or 'fr'.
        x_test, y_test: MNIST's test split.
        model_key: the chosen model's key (a path, or `upload:<sha256>`).
        name: its display name.
        report: its `ui.test_reports.ModelReport`.
    """
    st.subheader(text(language, "compare_title"))
    upload = visitor_upload()
    entries = resources.model_list(resources.models_fingerprint())
    labels = {str(path): Path(path).name for path, _ in entries}
    if upload is not None:
        labels[upload.key] = upload.label(language)
    labels.pop(model_key, None)
    if not labels:
        st.caption(text(language, "compare_none"))
        return
    others = list(labels)
    if keep_choice(COMPARE_WITH, others) is None:  # its label changes with the language
        st.session_state[COMPARE_WITH] = others[0]  # e.g. the upload compared with was removed
    other = st.selectbox(text(language, "compare_with"), others, key=COMPARE_WITH,
                         format_func=labels.get, help=text(language, "compare_with_help"))
    if upload is not None and other == upload.key:
        other_name = upload.label(language)
        try:
            loaded, predictor = upload_model(upload, st.session_state[UPLOADER].getvalue())
        except (KeyError, AttributeError, ModelFileError):
            return  # cleared a moment ago: the next full run drops it from the list
    else:
        other_name = Path(other).name
        try:
            version = resources.file_version(other)
            if version is None:
                raise FileNotFoundError(other)
            loaded, predictor = resources.saved_model(other, version)
        except (OSError, ModelFileError) as error:
            st.warning(str(error) if isinstance(error, ModelFileError)
                       else text(language, "model_gone_short", name=other_name))
            return
    second = ready_report(language, report_load(other, predictor, loaded.metadata,
                                                x_test, y_test, loaded.digest))
    if second is None:
        return
    first_name, second_name = name, other_name
    comparison = compare(report.test, second.test)
    st.markdown(per_digit_table(language, [first_name, second_name], comparison.per_digit))
    st.caption(text(language, "compare_totals", first=first_name, second=second_name,
                    a=report.test.accuracy, b=second.test.accuracy,
                    da=report.drawn, db=second.drawn))
    sides = ((comparison.only_first, second.test, first_name, second_name),
             (comparison.only_second, report.test, second_name, first_name))
    for only, reader, right, wrong in sides:
        shown = only[:GRID_SHOWN]
        grid(language, x_test, shown, misread_labels(language, report.test, shown, reader),
             text(language, "only_right", count=len(only), right=right, wrong=wrong), len(only))
