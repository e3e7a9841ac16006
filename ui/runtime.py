"""Two adjustments to Streamlit's per-run housekeeping, which costs this app ~400 ms a run.

After every script or fragment run, Streamlit (1.67) calls `gc.collect(2)` (switched off in
`.streamlit/config.toml`, `runner.postScriptGC`) and `keras.backend.clear_session()`, which
runs another full collection and empties TensorFlow's kernel cache: ~200 ms each, measured with
bench/page_latency.py, holding up the answer to a stroke and eating CPU on every one-second
progress poll during training. This app builds no model in the server (models are loaded once
and cached; training runs in a child process), so there is no per-run Keras state to clear.
"""

import sys


def keep_keras_state():
    """Makes Streamlit's per-run cleanup skip `keras.backend.clear_session()`.

    Uses a private Streamlit function, so it checks that it is there and otherwise changes
    nothing: a newer Streamlit then only costs the time again, it does not break the page.
    """
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:
        return False
    current = getattr(script_runner, "_clean_problem_modules", None)
    if current is None or getattr(current, "keeps_keras_state", False):
        return current is not None

    def clean_without_keras():
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            pyplot.close("all")  # the other half of what Streamlit's cleanup does

    clean_without_keras.keeps_keras_state = True
    clean_without_keras.original = current
    script_runner._clean_problem_modules = clean_without_keras
    return True
