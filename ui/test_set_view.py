"""Explore's report of the chosen model on the 10,000 test images: its accuracy (and on the
project's drawn digits), the confusion matrix whose cells show their images, accuracy per digit,
and the images it misreads, surest first."""

import numpy as np
import streamlit as st

from mnist_core.constants import NUM_CLASSES
from mnist_core.evaluation.image_grid import image_grid
from ui import pace
from ui.mnist_loader import MnistLoading, MnistUnavailable
from ui.numbers import chart_locale, percent, whole
from ui.session_keys import CELL_READ, CELL_TRUE, CONFUSION_CHART
from ui.texts import text

GRID_SHOWN = 48
"""Images in one grid: 8 rows of 6, one ~60 KB picture."""
REPORT_WAIT_SECONDS = 2.5
"""How long a page waits for a report before showing that it is being computed: the
tutorial's model fits (~2 s), a slower one is looked at again every second."""
POLL_SECONDS = 1.0


def ready_report(language, load):
    """The report from `load` (a `BackgroundLoad`), or None after saying it is on its way."""
    try:
        return load.get(wait=REPORT_WAIT_SECONDS)
    except MnistLoading:
        st.info(text(language, "report_computing"))
        _wait_for(load)
    except MnistUnavailable:
        st.warning(text(language, "report_failed"))
    return None


@pace.fragment(run_every=POLL_SECONDS)
def _wait_for(load):
    """Looks every second whether the report is ready, then redraws the page."""
    if not load.loading:
        st.rerun()


def test_set_view(language, x_test, report):
    """The chosen model's report: figures, the confusion matrix and its cells, misread images."""
    test = report.test
    st.subheader(text(language, "test_set_title"))
    wrong = test.misclassified()
    figures = st.columns(3)
    figures[0].metric(text(language, "test_accuracy"), percent(language, test.accuracy, 2))
    figures[1].metric(text(language, "misread"), whole(language, len(wrong)))
    figures[2].metric(text(language, "drawn_accuracy"), percent(language, report.drawn))
    _default_cell(test.confusion)
    matrix, per_digit = st.columns([3, 2], gap="medium")
    with matrix:
        st.caption(text(language, "confusion_caption"))
        st.vega_lite_chart(confusion_chart(language, test.confusion, _chosen()), width="stretch",
                           key=CONFUSION_CHART, on_select=_cell_from_chart, selection_mode="cell")
    with per_digit:
        st.markdown(per_digit_table(language, [text(language, "accuracy")], [test.per_digit],
                                    counts=test.confusion.sum(axis=1)))
    true, read = st.columns(2)
    true.selectbox(text(language, "cell_true"), range(NUM_CLASSES), key=CELL_TRUE)
    read.selectbox(text(language, "cell_read"), range(NUM_CLASSES), key=CELL_READ)
    chosen = test.cell(*_chosen())
    shown = chosen[:GRID_SHOWN]
    key = "cell_right" if _chosen()[0] == _chosen()[1] else "cell_wrong"
    caption = text(language, key, count=len(chosen), true=_chosen()[0], read=_chosen()[1])
    grid(language, x_test, shown, confidence_labels(language, test, shown), caption, len(chosen))
    st.subheader(text(language, "misread_title"))
    shown = wrong[:GRID_SHOWN]
    grid(language, x_test, shown, misread_labels(language, test, shown, test),
         text(language, "misread_caption", count=len(wrong)), len(wrong))


def grid(language, x_test, indices, labels, caption, count):
    """One picture of the images `indices` with their labels; says how many are left out."""
    if count == 0:
        st.caption(caption)
        return
    if count > len(indices):
        caption += " " + text(language, "grid_more", shown=len(indices), count=count)
    # The caption is written apart: as the image's own, a caption wider than the picture
    # stretched the picture to the caption's width, blurring it.
    st.image(image_grid(x_test[np.asarray(indices, dtype=np.int64)], labels))
    st.caption(caption)


def confidence_labels(language, reader, indices):
    """Labels "98%" ("98 %" in French): how sure `reader` was of each image."""
    return [percent(language, reader.confidence[i], 0) for i in indices]


def misread_labels(language, truth, indices, reader):
    """Labels "7>1|98%" ("7>1|98 %" in French): the true digit, what `reader` read and how
    sure it was."""
    return [f"{truth.labels[i]}>{reader.predicted[i]}|{label}"
            for i, label in zip(indices, confidence_labels(language, reader, indices))]


def per_digit_table(language, names, accuracies, counts=None):
    """Markdown table of accuracy per digit: a row per digit, a column per model."""
    head = [text(language, "digit")] + ([text(language, "images")] if counts is not None else [])
    lines = ["| " + " | ".join(head + list(names)) + " |",
             "|" + " ---: |" * (len(head) + len(names))]
    for digit in range(NUM_CLASSES):
        cells = [str(digit)] + ([whole(language, counts[digit])] if counts is not None else [])
        cells += ["–" if np.isnan(a[digit]) else percent(language, a[digit]) for a in accuracies]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _default_cell(counts):
    """On a first look, the model's most frequent mistake."""
    if CELL_TRUE in st.session_state and CELL_READ in st.session_state:
        return
    off = np.array(counts, dtype=np.int64)
    np.fill_diagonal(off, -1)
    true, read = np.unravel_index(int(off.argmax()), off.shape)
    st.session_state[CELL_TRUE], st.session_state[CELL_READ] = int(true), int(read)


def _chosen():
    return int(st.session_state[CELL_TRUE]), int(st.session_state[CELL_READ])


def _cell_from_chart():
    """A click on a cell chooses it. The point comes from the browser: only digits count."""
    state = st.session_state.get(CONFUSION_CHART) or {}
    points = (state.get("selection") or {}).get("cell") or []
    point = points[0] if points and isinstance(points[0], dict) else {}
    true, read = point.get("true"), point.get("predicted")
    if all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < NUM_CLASSES
           for v in (true, read)):
        st.session_state[CELL_TRUE], st.session_state[CELL_READ] = true, read


def confusion_chart(language, counts, chosen, height=330):
    """The confusion matrix as a Vega-Lite heatmap spec: rows true digit, columns predicted.

    Mistakes are shaded by count (the diagonal, read right, in one pale colour so that its
    ~1,000s do not wash the mistakes out), every non-zero count is written in its cell, the
    chosen cell is outlined, and a click on a cell selects it (parameter `cell`).
    """
    counts = np.asarray(counts, dtype=np.int64)
    most = max(1, max(int(counts[t, p]) for t in range(NUM_CLASSES) for p in range(NUM_CLASSES)
                      if t != p))
    values = [{"true": t, "predicted": p, "count": int(counts[t, p]),
               "mistakes": int(counts[t, p]) if t != p else 0, "right": t == p,
               "dark": bool(t != p and counts[t, p] > most / 2),  # white text on the darkest shades
               "chosen": (t, p) == tuple(chosen)}
              for t in range(NUM_CLASSES) for p in range(NUM_CLASSES)]
    true, read = text(language, "cell_true"), text(language, "cell_read")
    return chart_locale(language, {
        "data": {"values": values}, "height": height,
        "encoding": {
            "x": {"field": "predicted", "type": "ordinal", "title": read,
                  "axis": {"labelAngle": 0, "orient": "top"}},
            "y": {"field": "true", "type": "ordinal", "title": true}},
        "layer": [
            {"mark": {"type": "rect", "cursor": "pointer"},
             "params": [{"name": "cell", "select": {"type": "point",
                                                     "fields": ["true", "predicted"]}}],
             "encoding": {
                 "color": {"condition": [{"test": "datum.right", "value": "#dce8fb"},
                                         {"test": "datum.count == 0", "value": "#ffffff"}],
                           "field": "mistakes", "type": "quantitative", "legend": None,
                           "scale": {"scheme": "oranges", "type": "sqrt"}},
                 "stroke": {"condition": {"test": "datum.chosen", "value": "#1f6feb"},
                            "value": "#eeeeee"},
                 "strokeWidth": {"condition": {"test": "datum.chosen", "value": 3}, "value": 0.5},
                 "tooltip": [{"field": "true", "title": true},
                             {"field": "predicted", "title": read},
                             {"field": "count", "title": text(language, "images"),
                              "format": ","}]}},
            {"mark": {"type": "text", "fontSize": 10},
             "transform": [{"filter": "datum.count > 0"}],
             "encoding": {"text": {"field": "count", "format": ","},  # 1,135 / 1 135
                          "color": {"condition": {"test": "datum.dark",
                                                  "value": "#ffffff"}, "value": "#333333"}}},
        ],
    })
