"""The Explore view: the tutorial's last step (predict a test image) and its learning curves."""

import io

import streamlit as st

from mnist_core import plots
from mnist_core.constants import NUM_TEST
from mnist_core.model import prepare_images
from ui.mnist_loader import MnistLoading, MnistUnavailable, mnist_test_data, mnist_test_loader
from ui.texts import text

LOADING_POLL_SECONDS = 1.0


def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


@st.cache_data(show_spinner=False, max_entries=64)
def _prediction_png(model_key, index, digit, _image):
    """The tutorial's prediction figure as PNG, cached per model and test image."""
    return _png(plots.prediction_figure(_image, digit))


@st.cache_data(show_spinner=False, max_entries=16)
def _curves_png(model_key, _history):
    """The two learning-curve figures as PNGs, drawn once per model."""
    return tuple(_png(figure) for figure in plots.learning_curves(_history))


@st.fragment(run_every=LOADING_POLL_SECONDS)
def _wait_for_mnist():
    """Looks every second whether the background load has ended, then redraws the page."""
    if not mnist_test_loader().loading:
        st.rerun()


@st.fragment
def explore_view(language, predictor, model_key, metadata):
    """A test image with the model's prediction and the true label, then the learning curves."""
    st.caption(text(language, "explore_intro"))
    index = int(st.number_input(text(language, "test_index"), 0, NUM_TEST - 1, 0, key="test_index"))
    try:
        x_test, y_test = mnist_test_data()
    except MnistLoading:
        st.info(text(language, "data_loading"))
        _wait_for_mnist()
    except MnistUnavailable as error:
        # For the visitor; the reason and what a deployer can do are in the server's log.
        st.warning(text(language, "data_unavailable", minutes=error.minutes))
    else:
        image = prepare_images(x_test[index:index + 1])[0]
        prediction = predictor.predict_prepared(image)
        left, right = st.columns([1, 1])
        left.image(_prediction_png(model_key, index, prediction.digit, image), width=300)
        right.metric(text(language, "predicted"), prediction.digit,
                     text(language, "confidence", p=prediction.confidence),
                     delta_color="off", delta_arrow="off")
        right.metric(text(language, "true_label"), int(y_test[index]))
        right.write(text(language, "predicted_sentence", digit=prediction.digit))
    st.subheader(text(language, "curves"))
    history = metadata.get("history") or {}
    if not history.get("accuracy"):
        st.caption(text(language, "no_history"))
        return
    accuracy, loss = _curves_png(model_key, history)
    left, right = st.columns(2)
    left.image(accuracy)
    right.image(loss)
