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
