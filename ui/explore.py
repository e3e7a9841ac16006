"""The Explore view: the tutorial's last step (predict a test image), its learning curves, then
the chosen model over the whole test set (`ui.test_set_view`) and beside a second model
(`ui.compare_view`)."""

import io
from pathlib import Path

import streamlit as st

from mnist_core.evaluation import plots
from mnist_core.constants import NUM_TEST
from mnist_core.training.model import prepare_images
from ui import pace
from ui.compare_view import compare_view
from ui.mnist_loader import MnistLoading, MnistUnavailable, mnist_test_data, mnist_test_loader
from ui.session_keys import TEST_INDEX
from ui.test_reports import report_load
from ui.test_set_view import ready_report, test_set_view
from ui.texts import text
from ui.visitor_upload import is_upload, visitor_upload

LOADING_POLL_SECONDS = 1.0


def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


def figure_texts(language):
    """The tutorial's figures' words in `language` (`plots.FigureTexts`): on a French page the
    prediction keeps the tutorial's own French title; numbers get a decimal comma."""
    return plots.FigureTexts(
        accuracy_title=text(language, "curves_accuracy_title"),
        loss_title=text(language, "curves_loss_title"), epochs=text(language, "epochs"),
        train_accuracy=text(language, "train_acc"), validation_accuracy=text(language, "val_acc"),
        train_loss=text(language, "train_loss"), validation_loss=text(language, "val_loss"),
        prediction_title=text(language, "prediction_title"), decimal_comma=language == "fr")


@st.cache_data(show_spinner=False, max_entries=64)
def _prediction_png(model_key, index, digit, language, _image):
    """The tutorial's prediction figure as `(PNG, the words it draws)`, cached per model, test
    image and language."""
    figure = plots.prediction_figure(_image, digit, figure_texts(language))
    return _png(figure), plots.figure_words(figure)


@st.cache_data(show_spinner=False, max_entries=16)
def _curves_png(model_key, language, _history):
    """The two learning-curve figures as `(PNG, the words it draws)` pairs, drawn once per model
    and language."""
    return tuple((_png(figure), plots.figure_words(figure))
                 for figure in plots.learning_curves(_history, figure_texts(language)))


@pace.fragment(run_every=LOADING_POLL_SECONDS)
def _wait_for_mnist():
    """Looks every second whether the background load has ended, then redraws the page."""
    if not mnist_test_loader().loading:
        st.rerun()


@pace.fragment
def explore_view(language, predictor, model_key, metadata, digest=None):
    """The tutorial's last step and learning curves, then the model over all test images."""
    st.caption(text(language, "explore_intro"))
    index = int(st.number_input(text(language, "test_index"), 0, NUM_TEST - 1, 0, key=TEST_INDEX))
    data = None
    try:
        data = mnist_test_data()
    except MnistLoading:
        st.info(text(language, "data_loading"))
        _wait_for_mnist()
    except MnistUnavailable as error:
        # For the visitor; the reason and what a deployer can do are in the server's log.
        st.warning(text(language, "data_unavailable", minutes=error.minutes))
    if data is not None:
        _tutorial_step(language, predictor, model_key, data, index)
    _curves(language, model_key, metadata)
    if data is None:
        return
    x_test, y_test = data
    report = ready_report(language, report_load(model_key, predictor, metadata, x_test, y_test,
                                                  digest))
    if report is None:
        return
    test_set_view(language, x_test, report)
    compare_view(language, x_test, y_test, model_key, _model_name(language, model_key), report)


def _tutorial_step(language, predictor, model_key, data, index):
    x_test, y_test = data
    image = prepare_images(x_test[index:index + 1])[0]
    prediction = predictor.predict_prepared(image)
    left, right = st.columns([1, 1])
    png, words = _prediction_png(model_key, index, prediction.digit, language, image)
    left.image(png, width=300, alt=text(language, "prediction_alt", index=index, words=words))
    if language != "fr":  # the tutorial's French line, quoted as its own, beside the figure
        left.caption(text(language, "prediction_quote",
                          title=plots.TUTORIAL.prediction_title.format(digit=prediction.digit)))
    right.metric(text(language, "predicted"), prediction.digit,
                 text(language, "confidence", p=prediction.confidence),
                 delta_color="off", delta_arrow="off")
    right.metric(text(language, "true_label"), int(y_test[index]))
    right.write(text(language, "predicted_sentence", digit=prediction.digit))


def _curves(language, model_key, metadata):
    st.subheader(text(language, "curves"))
    history = metadata.get("history") or {}
    if not history.get("accuracy"):
        st.caption(text(language, "no_history"))
        return
    left, right = st.columns(2)
    for column, (png, words) in zip((left, right), _curves_png(model_key, language, history)):
        column.image(png, alt=text(language, "curves_alt", words=words))


def _model_name(language, model_key):
    if is_upload(model_key):
        upload = visitor_upload()
        return (upload.label(language) if upload is not None and upload.key == model_key
                else text(language, "upload_label", name="?"))
    return Path(model_key).name
