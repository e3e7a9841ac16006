"""Explore's comparison of the chosen model with a second one of the list: accuracy per digit
side by side, and the test images one reads right and the other wrong."""

import os
from pathlib import Path

import streamlit as st

from mnist_core.errors import ModelFileError
from mnist_core.evaluation import compare
from ui import resources
from ui.test_reports import report_load
from ui.test_set_view import GRID_SHOWN, grid, misread_labels, per_digit_table, ready_report
from ui.texts import text

OTHER = "compare_with"  # session key: the second model's path


def compare_view(language, x_test, y_test, name, report):
    """Lets the visitor pick a second model of the list and shows where the two differ.

    Args:
        language: 'en' or 'fr'.
        x_test, y_test: MNIST's test split.
        name: the chosen model's file name.
        report: its `ui.test_reports.ModelReport`.
    """
    st.subheader(text(language, "compare_title"))
    entries = resources.model_list(resources.models_fingerprint())
    others = [str(path) for path, _ in entries if Path(path).name != name]
    if not others:
        st.caption(text(language, "compare_none"))
        return
    if st.session_state.get(OTHER) not in others:
        st.session_state[OTHER] = others[0]
    other = st.selectbox(text(language, "compare_with"), others, key=OTHER,
                         format_func=lambda path: Path(path).name)
    try:
        modified = os.stat(other).st_mtime
        loaded, predictor = resources.saved_model(other, modified)
    except (OSError, ModelFileError) as error:
        st.warning(str(error) if isinstance(error, ModelFileError)
                   else text(language, "model_gone_short", name=Path(other).name))
        return
    second = ready_report(language, report_load(other, predictor, loaded.metadata,
                                                x_test, y_test))
    if second is None:
        return
    first_name, second_name = name, Path(other).name
    comparison = compare(report.test, second.test)
    st.markdown(per_digit_table(language, [first_name, second_name], comparison.per_digit))
    st.caption(text(language, "compare_totals", first=first_name, second=second_name,
                    a=report.test.accuracy, b=second.test.accuracy,
                    da=report.drawn, db=second.drawn))
    sides = ((comparison.only_first, second.test, first_name, second_name),
             (comparison.only_second, report.test, second_name, first_name))
    for only, reader, right, wrong in sides:
        shown = only[:GRID_SHOWN]
        grid(language, x_test, shown, misread_labels(report.test, shown, reader),
             text(language, "only_right", count=len(only), right=right, wrong=wrong), len(only))
