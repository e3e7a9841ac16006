"""ui/upload_check.py without a page: what a check hands the page once it has passed."""

import numpy as np
import pytest

from tests.conftest import ROOT


@pytest.mark.process
def test_a_passed_check_has_traced_what_the_visitors_first_stroke_reads():
    # The stroke's reading is the model and the gate in one traced call; traced by the check,
    # on the queue's thread, the visitor's first stroke does not pay for it in the page.
    from ui.upload_check import _check

    loaded, predictor = _check((ROOT / "models" / "tutorial.keras").read_bytes(),
                               "mine.keras", lambda step: None)
    assert loaded.path.name == "mine.keras"
    traces = predictor._forward_with_gate.experimental_get_tracing_count
    assert traces() == 1
    predictor.predict_prepared(np.zeros((28, 28), np.float32))  # a stroke's reading
    assert traces() == 1
    # ... by TensorFlow: a stranger's model is not converted for LiteRT in the server.
    assert predictor._compiled is None
