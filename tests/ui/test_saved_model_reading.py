"""ui/resources.saved_model: the server's own models read a stroke compiled for LiteRT, and
only a model someone draws with pays for the compilation."""

import numpy as np

from tests.conftest import ROOT


def test_a_saved_model_is_compiled_on_its_first_stroke_not_when_scored():
    from mnist_core.reading.compiled_read import CompiledRead
    from mnist_core.reading.inference import NOT_YET
    from ui import resources

    path = str(ROOT / "models" / "tutorial.keras")
    _, predictor = resources.saved_model(path, resources.file_version(path))
    assert predictor._compiled is NOT_YET
    predictor.read(np.zeros((3, 28, 28), np.float32))  # a score, a comparison: batches
    assert predictor._compiled is NOT_YET
    predictor.read(np.zeros((1, 28, 28), np.float32))  # a stroke
    assert isinstance(predictor._compiled, CompiledRead)
