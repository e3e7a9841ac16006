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


FREEZE_CHECK = """
import gc, weakref
from ui.runtime import freeze_long_lived_heap

class Node:
    pass

kept = [Node() for _ in range(20_000)]      # the long-lived heap
garbage = Node(); garbage.me = garbage      # a cycle nobody holds any more
dead = weakref.ref(garbage); del garbage
tracked = len(gc.get_objects())
frozen = freeze_long_lived_heap()
later = Node()
print(dead() is None, frozen >= 20_000, gc.get_freeze_count() == frozen,
      len(gc.get_objects()) < tracked - 20_000, freeze_long_lived_heap() == frozen,
      gc.get_freeze_count() == frozen)
"""


@pytest.mark.process
def test_the_server_takes_its_long_lived_heap_out_of_full_collections_once():
    # A full collection walked ~400,000 long-lived objects, ~260 ms with the GIL held
    # (ui/runtime.py): after the freeze it walks only what came later. Garbage of the start-up
    # is collected first, not kept, and a second call freezes nothing more.
    done = subprocess.run([sys.executable, "-c", FREEZE_CHECK], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    assert done.stdout.split() == ["True"] * 6
    app = (ROOT / "streamlit_app.py").read_text()
    assert "freeze_long_lived_heap()" in app.split("follow_server(jobs)")[-1]
