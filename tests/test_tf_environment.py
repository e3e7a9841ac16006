"""What importing mnist_core sets up for TensorFlow before TensorFlow is imported."""

import os
import platform
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def onednn_after_import(**env):
    base = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    done = subprocess.run(
        [sys.executable, "-c",
         "import os, mnist_core; print(os.environ.get('TF_ENABLE_ONEDNN_OPTS'))"],
        capture_output=True, text=True, cwd=ROOT, env={**base, **env}, check=True)
    return done.stdout.strip()


@pytest.mark.process
@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86 only")
def test_onednn_kernels_are_asked_for_on_x86():
    assert onednn_after_import() == "1"


@pytest.mark.process
def test_a_deployers_own_onednn_setting_wins():
    assert onednn_after_import(TF_ENABLE_ONEDNN_OPTS="0") == "0"


@pytest.mark.process
def test_the_server_computes_its_model_calls_on_one_thread():
    # The page's first run asks for it (streamlit_app.py): ~4.2 ms of CPU a stroke's read with
    # TensorFlow's default pools, ~2.2 ms this way (ui/runtime.py).
    done = subprocess.run(
        [sys.executable, "-c",
         "from ui.runtime import one_thread_per_model_call as asked; import tensorflow as tf; "
         "first = asked(); tf.constant(1.0) + 1.0; t = tf.config.threading; "
         "print(first, asked(), t.get_intra_op_parallelism_threads(), "
         "t.get_inter_op_parallelism_threads())"],
        capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.split()[-4:] == ["True", "True", "1", "1"]
    assert "one_thread_per_model_call()" in (ROOT / "streamlit_app.py").read_text()
