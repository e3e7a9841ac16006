"""Times every Streamlit script run of the app's server, for bench/visitors.py.

bench/visitors.py starts the server with this folder on PYTHONPATH and `$BENCH_RUN_LOG` set, so
Python imports this file at start-up. Nothing of Streamlit or the app is imported here: a
finder waits for the modules below to be imported by the server itself, then wraps three
functions. Without `$BENCH_RUN_LOG` it does nothing (the training child inherits the variable
but never imports Streamlit).

One JSON line per script or fragment run, appended to `$BENCH_RUN_LOG`:
  session: the visitor's Streamlit session id;
  start: `time.time()` at the start of the run (to keep only runs inside the measured minute);
  wait: seconds from the earliest rerun request that the visitor's browser sent (not an
      automatic `run_every` poll) to the start of the run that served it; None if only polls
      asked for this run. The request is stamped when `AppSession.request_rerun` is called,
      after the websocket message has been read and decoded;
  wall, cpu: seconds of the run itself, wall clock and CPU of the script thread;
  fragment: a fragment run (a stroke, a bin click, a progress poll) rather than the whole page;
  auto: every request served by this run was a `run_every` poll;
  predicted: the run called `Predictor._read` (`read` where there is none: every reading of a
      drawing ends there), i.e. it answered a stroke.

With `$BENCH_CPROFILE` set to a file too, every fragment run is also profiled with cProfile on
the script thread's CPU clock (`time.thread_time`), and the stats of all of them so far are
written to that file (`pstats` format) after each; read with
`python -c "import pstats; pstats.Stats(FILE).sort_stats('cumulative').print_stats(40)"`.
"""

import importlib.abc
import importlib.machinery
import json
import os
import sys
import threading
import time

LOG = os.environ.get("BENCH_RUN_LOG")
_local = threading.local()
_lock = threading.Lock()
_pending = {}  # session id -> [(perf_counter, is_auto_rerun)] not yet served by a run
PROFILE = os.environ.get("BENCH_CPROFILE")
_profile = None


def _patch_app_session(module):
    original = module.AppSession.request_rerun

    def request_rerun(self, client_state):
        auto = bool(client_state and client_state.is_auto_rerun)
        with _lock:
            _pending.setdefault(self.id, []).append((time.perf_counter(), auto))
        return original(self, client_state)

    module.AppSession.request_rerun = request_rerun


def _patch_script_runner(module):
    # Only the script runner's own reference: fragments run inside a whole-page run call the
    # function through exec_code's module, and are part of that run's time.
    original = module.exec_func_with_error_handling

    def timed(func, ctx):
        start, wall0, cpu0 = time.perf_counter(), time.time(), time.thread_time()
        with _lock:
            requests = _pending.pop(ctx.session_id, [])
        _local.predicted = False
        profiler = _profiler() if PROFILE and ctx.fragment_ids_this_run else None
        try:
            if profiler is None:
                return original(func, ctx)
            return profiler.runcall(original, func, ctx)
        finally:
            if profiler is not None:
                profiler.dump_stats(PROFILE)
            asked = [stamp for stamp, auto in requests if not auto]
            record = {"session": ctx.session_id, "start": wall0,
                      "wait": start - min(asked) if asked else None,
                      "wall": time.perf_counter() - start, "cpu": time.thread_time() - cpu0,
                      "fragment": bool(ctx.fragment_ids_this_run),
                      "auto": bool(requests) and not asked,
                      "predicted": _local.predicted}
            with _lock:
                _log().write(json.dumps(record) + "\n")

    module.exec_func_with_error_handling = timed


_file = []


def _log():
    """The log, opened once and line-buffered: an open and a close a run cost the server's CPU
    this file measures (~0.1 ms a stroke in a py-spy profile of bench/stroke_cost.py)."""
    if not _file:
        _file.append(open(LOG, "a", buffering=1))
    return _file[0]


def _profiler():
    global _profile
    if _profile is None:
        import cProfile

        _profile = cProfile.Profile(time.thread_time)
    return _profile


def _patch_inference(module):
    # Every reading ends in `Predictor._read` (`read` and a stroke's pieces); older checkouts,
    # compared with --root, have only `read`.
    name = "_read" if hasattr(module.Predictor, "_read") else "read"
    original = getattr(module.Predictor, name)

    def read(self, *args, **kwargs):
        _local.predicted = True
        return original(self, *args, **kwargs)

    setattr(module.Predictor, name, read)


PATCHES = {"streamlit.runtime.app_session": _patch_app_session,
           "streamlit.runtime.scriptrunner.script_runner": _patch_script_runner,
           "mnist_core.reading.inference": _patch_inference}


class _PatchingFinder(importlib.abc.MetaPathFinder):
    """Finds the modules in PATCHES as usual, and patches each right after it has run."""

    def find_spec(self, name, path, target=None):
        if name not in PATCHES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            PATCHES[name](module)

        spec.loader.exec_module = exec_module
        return spec


if LOG:
    sys.meta_path.insert(0, _PatchingFinder())
