"""What starting a command or a child process costs before it does anything: `--help` answers at
once, and the training process lowers its priority and takes the folder's lock before it pays for
TensorFlow. Each package's `__init__` imports its modules, so one heavy import there would be
paid by every entry point below it."""

import subprocess
import sys

import pytest

from mnist_core import paths
from tests.conftest import ROOT

DEEP = {"keras", "tensorflow", "matplotlib"}


HEAVY_LOADED = ("import sys; print(' '.join(sorted({{name.split('.')[0] for name in sys.modules}}"
                " & {heavy!r})), file=sys.stderr)")


def heavy_after(code, heavy):
    answer = subprocess.run([sys.executable, "-c", code + "\n" + HEAVY_LOADED.format(heavy=heavy)],
                            capture_output=True, text=True, cwd=ROOT, check=True, timeout=60)
    return answer.stderr.strip().splitlines()[-1] if answer.stderr.strip() else ""


@pytest.mark.process
def test_help_answers_without_keras_tensorflow_matplotlib_or_h5py():
    code = ("from mnist_core.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass")
    assert heavy_after(code, DEEP | {"h5py"}) == ""


@pytest.mark.process
@pytest.mark.parametrize("module", [paths.TRAIN_WORKER, paths.MODEL_CHECK])
def test_a_child_process_imports_no_heavy_library_before_it_starts(module):
    assert heavy_after(f"import {module}", DEEP) == ""
