"""The line under the model list: what is known of the chosen model, and nothing that is not.

A saved model's metadata gives its test accuracy, recipe, epochs, batch, images and date. An
upload has none of that, but its structure is known once it is rebuilt (layers, parameters,
input shape), and its test accuracy once its report is computed: the line asks for the report
at once (one report at a time per server, `ui.test_reports`) and says it is being measured
until it is there. A fact that is not known is left out, never written "unknown".
"""

import streamlit as st

from mnist_core.errors import MnistError
from mnist_core.explain.structure import structure_of
from ui import pace
from ui.mnist_loader import MnistLoading, mnist_test_loader
from ui.numbers import percent, whole
from ui.test_reports import report_load
from ui.texts import text

POLL_SECONDS = 1.0
SEPARATOR = " · "
MEASURING = "measuring"  # `_measured_accuracy` while the report is under way


def metadata_facts(language, metadata):
    """The metadata's facts as phrases, each only when its value is there and of its type."""
    number = _number(metadata.get("test_accuracy"))
    parts = [text(language, "fact_accuracy", accuracy=percent(language, number, 2))
             if number is not None else None]
    recipe = metadata.get("recipe")
    parts.append(text(language, "fact_recipe", recipe=recipe) if isinstance(recipe, str) else None)
    for key, fact in (("epochs", "fact_epochs"), ("batch_size", "fact_batch"),
                      ("train_images", "fact_images")):
        count = metadata.get(key)
        if isinstance(count, int) and not isinstance(count, bool) and count > 0:
            parts.append(text(language, fact, n=whole(language, count)))
    date = metadata.get("date")
    if isinstance(date, str) and date:
        parts.append(date[:10])
    drawn = _number(metadata.get("drawings_accuracy"))
    heldout = metadata.get("drawings_heldout")
    if drawn is not None and isinstance(heldout, int):
        parts.append(text(language, "fact_drawings", accuracy=percent(language, drawn, 1),
                          heldout=whole(language, heldout)))
    return [part for part in parts if part]


def structure_facts(language, model):
    """Layers, parameters and input shape, as phrases (every loaded model has them)."""
    found = structure_of(model)
    return [text(language, "fact_layers", n=found.layers),
            text(language, "fact_parameters", n=whole(language, found.parameters)),
            text(language, "fact_input", shape="×".join(str(d) for d in found.input_shape))]


def _number(value):
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def facts_line(language, where, loaded, model_key, predictor, role=""):
    """Writes the facts of the chosen model in `where` (the sidebar's container).

    A saved model with its metadata shows that; a model without (an upload, a file copied in
    without its JSON) shows its structure, and its measured test accuracy once known.
    """
    facts = metadata_facts(language, loaded.metadata)
    head = [role] if role else []
    if "recipe" in loaded.metadata and facts:
        where.caption(SEPARATOR.join(head + facts))
        return
    structure = structure_facts(language, loaded.model)
    if _number(loaded.metadata.get("test_accuracy")) is not None:
        where.caption(SEPARATOR.join(head + facts + structure))
        return
    with where:
        _measured_facts(language, head + facts + structure, model_key, predictor, loaded)


def _measured_facts(language, known, model_key, predictor, loaded):
    accuracy = _measured_accuracy(model_key, predictor, loaded)
    if accuracy is MEASURING:
        measuring = text(language, "fact_measuring")

        @pace.fragment(run_every=POLL_SECONDS)
        def waiting():
            if _measured_accuracy(model_key, predictor, loaded) is not MEASURING:
                st.rerun()  # the whole page: the line shows the accuracy and stops polling
            st.caption(SEPARATOR.join([measuring] + known))

        waiting()
        return
    if accuracy is not None:
        known = [text(language, "fact_accuracy", accuracy=percent(language, accuracy, 2))] + known
    st.caption(SEPARATOR.join(known))



def _measured_accuracy(model_key, predictor, loaded):
    """The model's test accuracy when its report is there (starting it otherwise, and then
    `MEASURING`); None when MNIST cannot be had now (no accuracy to promise)."""
    try:
        x_test, y_test = mnist_test_loader().get(wait=0.0)
        return report_load(model_key, predictor, loaded.metadata, x_test, y_test,
                           loaded.digest).get(wait=0.0).test.accuracy
    except MnistLoading:  # MNIST or the report still under way
        return MEASURING
    except MnistError:  # MNIST unreachable, or the report failed: a retry comes later
        return None
