"""How the server process runs: Streamlit's per-run housekeeping, TensorFlow's threads, the GC.

Two adjustments to Streamlit's per-run housekeeping, which cost this app ~400 ms a run.

After every script or fragment run, Streamlit (1.67) calls `gc.collect(2)` (switched off in
`.streamlit/config.toml`, `runner.postScriptGC`) and `keras.backend.clear_session()`, which
runs another full collection and empties TensorFlow's kernel cache: ~200 ms each, measured with
bench/page_latency.py, holding up the answer to a stroke and eating CPU on every one-second
progress poll during training. This app builds no model in the server (models are loaded once
and cached; training runs in a child process), so there is no per-run Keras state to clear.

Then the server's own settings: TensorFlow computes a stroke's read on one thread
(`one_thread_per_model_call`), and the heap that lives as long as the server is taken out of
Python's full garbage collections (`freeze_long_lived_heap`).
"""

import sys

from ui.streamlit_patch import patch_once


def keep_keras_state():
    """Makes Streamlit's per-run cleanup skip `keras.backend.clear_session()`.

    Uses a private Streamlit function, so it checks that it is there and otherwise changes
    nothing: a newer Streamlit then only costs the time again, it does not break the page.
    """
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:
        return False
    return patch_once(script_runner, "_clean_problem_modules", "keeps_keras_state",
                      _without_keras)


def _without_keras(current):
    def clean_without_keras():
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            pyplot.close("all")  # the other half of what Streamlit's cleanup does

    clean_without_keras.original = current
    return clean_without_keras


INTRA_OP_THREADS = 1
"""Threads one TensorFlow kernel may use in the server: one."""
INTER_OP_THREADS = 1
"""Threads TensorFlow runs a call's kernels on in the server: one."""


def one_thread_per_model_call():
    """Has TensorFlow compute the server's model calls on one thread, one kernel at a time.

    A stroke's read is one 28x28 image through the model and the not-a-digit gate, ~2 ms of
    arithmetic on one core. TensorFlow's default pools spread each kernel over the cores: ~4.2 ms
    of CPU a read, against ~2.0-2.3 ms on one thread (float32, in one process, 300 reads, best
    of 3). Running each call in its caller's thread instead (inter-op -1) cost ~0.3 ms more a
    read, and in the server ~2 ms more a stroke (bench/stroke_cost.py, alternated, README).
    The price: the server's calls share that thread, so a stroke's read may wait behind a batch
    of a test-set report being computed (one at a time, for a new model; ~200 ms a batch of
    500), and a report computes on one core.

    Must run before TensorFlow's first operation in the process; later (a test process, a
    second call) it changes nothing.

    Returns:
        True when the setting is in place now.
    """
    import tensorflow as tf

    threading = tf.config.threading
    if (threading.get_intra_op_parallelism_threads() == INTRA_OP_THREADS
            and threading.get_inter_op_parallelism_threads() == INTER_OP_THREADS):
        return True
    try:
        threading.set_intra_op_parallelism_threads(INTRA_OP_THREADS)
        threading.set_inter_op_parallelism_threads(INTER_OP_THREADS)
    except RuntimeError:  # TensorFlow already runs: its pools are made
        return False
    return True


_frozen = []  # gc.freeze()'s count, once done in this process


def freeze_long_lived_heap():
    """Takes what the server keeps for good out of the garbage collector's full passes.

    Once the first page has loaded a model, the process holds ~400,000 objects that Python's
    cyclic collector tracks and that live as long as the server: Streamlit, TensorFlow, Keras,
    the cached models. Each full collection walks them all, ~260 ms of CPU with the GIL held
    (gc callbacks in the server, bench/README.md), while every visitor's stroke waits; it comes
    every few hundred strokes. After `gc.freeze()` they sit in a permanent generation that
    collections skip, and a full collection walks only what was made since (~6 ms there).

    The price: an object alive at this moment that later becomes garbage held in a reference
    cycle is never freed (a cached model dropped from the cache, the first visitor's session).
    That happens once per process, for what existed then, and is bounded by it. A collection
    runs first, so no garbage of the start-up is kept.

    Returns:
        How many objects were frozen (the same on later calls, which do nothing).
    """
    import gc

    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen.append(gc.get_freeze_count())
    return _frozen[0]
