"""Untrusted model files: loaded in a limited child process, same predictions, bounded cost.

The good models must come back identical (the child sends config and weights, this process
rebuilds). The attacks here *bypass* the static checks (they are patched to accept), to prove the
child's limits alone hold: each one is loaded by a fresh process that reports its own peak memory,
its child's, and the time the file took, with its temp folder pointed at a folder we list.
"""

import fcntl
import json
import os
import subprocess
import sys
import time
import types
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

from mnist_core import storage
from mnist_core.untrusted import sandbox as model_sandbox
from mnist_core.untrusted import loader as untrusted
from mnist_core.errors import ModelFileError
from mnist_core.training.model import build_tutorial_model, compile_tutorial
from tests import model_attacks as attack
from tests.conftest import FIXTURES, ROOT

PROBE = np.linspace(0, 1, 4 * 28 * 28, dtype=np.float32).reshape(4, 28, 28, 1)
MB = 2**20
PASSED = types.SimpleNamespace(weights_bytes=0)  # what a bypassed static check returns
TOO_COSTLY = "{} needs more memory (or time) than this app allows for a model file; it was refused."


@pytest.fixture(autouse=True)
def fresh_memory():
    # Each test here runs the child for its own files: nothing remembered from another test.
    untrusted.refusals.clear()
    untrusted.accepted.clear()
    yield
    untrusted.refusals.clear()
    untrusted.accepted.clear()


def _same_predictions(loaded, path):
    reference = keras.models.load_model(path, compile=False)
    np.testing.assert_array_equal(loaded.model.predict(PROBE, verbose=0),
                                  reference.predict(PROBE, verbose=0))


# --- Without a child: what the parent decides on its own --------------------------------------

def test_reasons_name_the_visitors_file_never_the_sandbox_path(tmp_path):
    copy = tmp_path / "untrusted-0123.keras"
    text = f"Could not open {copy}, see /usr/lib/python3/zipfile.py or {copy.name}"
    assert model_sandbox._without_paths(text, copy, "mine.keras") == \
        "Could not open mine.keras, see zipfile.py or mine.keras"


def test_reasons_name_no_server_folder_whatever_its_name_holds(tmp_path, monkeypatch):
    # A hostile review's find: a deploy in "/srv/my app" left "my app/.venv/lib/..." in the
    # sentence, a home of "ann+b" its name and the rest of the path.
    import site

    copy = tmp_path / "untrusted-0123.keras"
    monkeypatch.setattr(site, "getsitepackages",
                        lambda: ["/srv/my app/.venv/lib/python3.11/site-packages"])
    monkeypatch.setattr(model_sandbox, "ROOT", Path("/srv/my app"))
    text = ("Unable to open /srv/my app/.venv/lib/python3.11/site-packages/keras/src/saving/"
            "saving_lib.py line 3; see /srv/my app/models/x.keras and /home/ann+b/x/ops.py, "
            "not /srv/my apps/y.py")
    assert model_sandbox._without_paths(text, copy, "mine.keras") == (
        "Unable to open keras/src/saving/saving_lib.py line 3; see models/x.keras and ops.py, "
        "not my apps/y.py")


def test_refuses_a_file_that_is_not_named_as_a_model():
    with pytest.raises(ModelFileError, match=r"^notes\.txt is not a Keras model"):
        untrusted.load_untrusted(b"hello", display_name="notes.txt")


def test_refuses_an_empty_or_oversized_file_before_any_check(monkeypatch):
    monkeypatch.setattr(untrusted, "_static_check", _must_not_run)
    with pytest.raises(ModelFileError, match=r"^e\.keras is empty"):
        untrusted.load_untrusted(b"", display_name="e.keras")
    monkeypatch.setattr(untrusted, "MAX_FILE_BYTES", 10)
    with pytest.raises(ModelFileError, match=r"^big\.h5 is more than"):
        untrusted.load_untrusted(b"x" * 11, display_name="big.h5")


def _must_not_run(*args):
    raise AssertionError("called")


def test_a_refused_file_is_remembered_by_hash_and_starts_no_second_child(monkeypatch):
    started = []

    def refusing_worker(path, name):
        started.append(name)
        raise ModelFileError(TOO_COSTLY.format(name))

    monkeypatch.setattr(untrusted, "_static_check", lambda path, name: PASSED)
    monkeypatch.setattr(untrusted, "run_worker", refusing_worker)
    for name in ("bomb.keras", "bomb.keras", "renamed.keras"):
        with pytest.raises(ModelFileError) as refused:
            untrusted.load_untrusted(b"PK same bytes", display_name=name)
        assert str(refused.value) == TOO_COSTLY.format(name)
    assert started == ["bomb.keras"]
    with pytest.raises(ModelFileError):
        untrusted.load_untrusted(b"PK other bytes", display_name="bomb.keras")
    assert started == ["bomb.keras", "bomb.keras"]


def test_a_static_refusal_is_remembered_too(monkeypatch):
    checked = []

    def refusing_check(path, name):
        checked.append(name)
        raise ModelFileError(f"{name} contains a Lambda layer.")

    monkeypatch.setattr(untrusted, "_static_check", refusing_check)
    monkeypatch.setattr(untrusted, "run_worker", _must_not_run)
    for _ in range(2):
        with pytest.raises(ModelFileError, match=r"^l\.h5 contains a Lambda layer\.$"):
            untrusted.load_untrusted(b"\x89HDF", display_name="l.h5")
    assert checked == ["l.h5"]


@pytest.mark.process
def test_refuses_more_weights_than_the_sandbox_loads_before_starting_a_child(monkeypatch,
                                                                             default_model_path):
    monkeypatch.setattr(untrusted, "MAX_WEIGHT_BYTES", 2**20)
    monkeypatch.setattr(untrusted, "run_worker", _must_not_run)
    with pytest.raises(ModelFileError, match=r"^mine\.keras holds 2\.6 MiB of weights; this app "
                                             r"loads models of at most 1\.0 MiB\.$"):
        untrusted.load_untrusted(default_model_path.read_bytes(), display_name="mine.keras")


def test_no_temp_disk_is_the_servers_trouble_said_in_one_sentence_and_not_remembered(
        monkeypatch):
    def full_disk(**kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tempfile.mkdtemp", full_disk)
    with pytest.raises(ModelFileError, match=r"^The app could not check m\.keras now; try "
                                             r"again in a minute\.$"):
        untrusted.load_untrusted(b"PK bytes", display_name="m.keras")
    assert len(untrusted.refusals) == 0


def test_rebuild_gives_identical_predictions_and_refuses_weights_that_do_not_fit():
    model = build_tutorial_model()
    config = keras.saving.serialize_keras_object(model)
    specs = [[w.dtype.name, list(w.shape)] for w in model.get_weights()]
    payload = b"".join(w.tobytes() for w in model.get_weights())
    weights = model_sandbox.decode_weights(specs, payload, "m.keras")
    rebuilt = untrusted.rebuild(config, weights, "m.keras")
    np.testing.assert_array_equal(rebuilt.predict(PROBE, verbose=0),
                                  model.predict(PROBE, verbose=0))
    for bad_specs, bad_payload in ((specs, payload[:-4]), (specs, payload + b"1234"),
                                   ([["object", [1]]], b"12345678"), ("nothing", b"")):
        with pytest.raises(ModelFileError, match=r"^m\.keras could not be loaded safely"):
            model_sandbox.decode_weights(bad_specs, bad_payload, "m.keras")
    with pytest.raises(ModelFileError, match=r"^m\.keras could not be loaded as a Keras model"):
        untrusted.rebuild(config, weights[::-1], "m.keras")


def test_rebuild_walks_the_returned_config_again():
    config = keras.saving.serialize_keras_object(build_tutorial_model())
    config["config"]["layers"][1]["config"]["kernel_initializer"] = {
        "module": "evil", "class_name": "GlorotUniform", "config": {}}
    with pytest.raises(ModelFileError, match=r"^m\.keras refers to code in the module 'evil'"):
        untrusted.rebuild(config, [], "m.keras")
    config = keras.saving.serialize_keras_object(build_tutorial_model())
    config["config"]["layers"] *= 10
    with pytest.raises(ModelFileError, match=r"^m\.keras has more than 64 layers"):
        untrusted.rebuild(config, [], "m.keras")


# --- With a child ------------------------------------------------------------------------------

@pytest.mark.process
def test_loads_the_tutorial_model_with_identical_predictions_and_leaves_no_temp_file(
        tmp_path, monkeypatch, default_model_path):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    loaded = untrusted.load_untrusted(default_model_path.read_bytes(), display_name="mine.keras")
    assert loaded.path.name == "mine.keras" and loaded.metadata == {}
    _same_predictions(loaded, default_model_path)
    assert list(tmp_path.iterdir()) == []
    # The same bytes again, under another name: rebuilt from what the child sent, no child.
    monkeypatch.setattr(untrusted, "run_worker", lambda *args: pytest.fail("a second child"))
    steps = []
    again = untrusted.load_untrusted(default_model_path.read_bytes(), display_name="again.keras",
                                     progress=steps.append)
    assert steps == ["rebuilding"] and again.path.name == "again.keras"
    assert again.model is not loaded.model
    _same_predictions(again, default_model_path)


@pytest.mark.process
def test_a_server_too_busy_to_start_the_child_is_not_remembered(tmp_path, monkeypatch,
                                                                   default_model_path):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    monkeypatch.setattr(model_sandbox, "START_TIME_LIMIT_S", 0.05)
    content = default_model_path.read_bytes()
    with pytest.raises(ModelFileError, match=r"^The app could not check mine\.keras now"):
        untrusted.load_untrusted(content, display_name="mine.keras")
    assert list(tmp_path.iterdir()) == []
    assert len(untrusted.refusals) == 0


@pytest.mark.slow
@pytest.mark.parametrize("path", [ROOT / "models" / "strong.keras",
                                  FIXTURES / "tutorial_tf_keras2.h5"], ids=lambda p: p.name)
def test_loads_the_projects_models_and_a_keras_2_file_with_identical_predictions(path):
    loaded = untrusted.load_untrusted(path)
    assert loaded.path.name == path.name
    _same_predictions(loaded, path)


@pytest.mark.slow
@pytest.mark.parametrize("policy, suffix", [("mixed_bfloat16", ".keras"),
                                            ("mixed_bfloat16", ".h5"), ("bfloat16", ".keras")])
def test_a_bfloat16_model_keeps_its_policy_and_its_predictions(tmp_path, policy, suffix):
    model = compile_tutorial(build_tutorial_model(dtype=policy))
    storage.save_model(model, tmp_path / "m.keras", {"recipe": "tutorial"}, h5=True)
    loaded = untrusted.load_untrusted(tmp_path / f"m{suffix}")
    assert loaded.model.layers[0].dtype_policy.name == policy
    assert loaded.metadata == {"recipe": "tutorial"}  # read beside a command-line path
    np.testing.assert_array_equal(loaded.model.predict(PROBE, verbose=0),
                                  model.predict(PROBE, verbose=0))


# --- Attacks that bypass the static checks: the child's limits alone must hold ------------------

LOAD_IN_A_FRESH_PROCESS = r"""
import json, logging, re, resource, sys, time
from pathlib import Path
from types import SimpleNamespace
import keras
from mnist_core.untrusted import sandbox as model_sandbox
from mnist_core.untrusted import loader as untrusted

def peak_mb():  # VmHWM: this process's own peak (ru_maxrss would count the parent it forked from)
    return int(re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text())[1]) / 1024

class Times(logging.Handler):
    def emit(self, record):
        self.args = record.args

times = Times()
logging.getLogger("mnist_core.untrusted.sandbox").addHandler(times)
logging.getLogger("mnist_core.untrusted.sandbox").setLevel(logging.INFO)
keras.layers.Dense(1).build((None, 1))  # a server's steady state: Keras imported and used
# Bypass the static checks, to prove that the child's limits hold alone.
untrusted._static_check = lambda path, name: SimpleNamespace(weights_bytes=0)
model_sandbox.CPU_LIMIT_S = float(sys.argv[3])
before, begun = peak_mb(), time.monotonic()
try:
    untrusted.load_untrusted(Path(sys.argv[1]).read_bytes(), display_name=sys.argv[2])
    message = None
except Exception as error:
    message = f"{type(error).__name__}: {error}"
print(json.dumps({"message": message, "seconds": time.monotonic() - begun,
                  "file_seconds": times.args[2] if hasattr(times, "args") else None,
                  "parent_growth_mb": peak_mb() - before,
                  "child_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "child_cpu_s": sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2])}))
"""


def load_in_a_fresh_process(path, display_name, temp, cpu_limit=model_sandbox.CPU_LIMIT_S):
    """Loads `path` through `load_untrusted` in a new process whose temp folder is `temp`, its
    child limited to `cpu_limit` seconds of CPU on the file."""
    temp.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", LOAD_IN_A_FRESH_PROCESS, str(path), display_name,
                           str(cpu_limit)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def good_load(tmp_path_factory):
    """What loading the tutorial model costs, measured the same way as the attacks.

    Measured once per run: under pytest-xdist each worker that runs a test of this module
    would measure it again (a fresh process and its child, two Keras imports: ~11 s), so the
    first writes it to the run's folder that the workers share, under a lock the others wait on.
    """
    def measure():
        temp = tmp_path_factory.mktemp("good") / "tmp"
        result = load_in_a_fresh_process(ROOT / "models" / "tutorial.keras", "good.keras", temp)
        assert result["message"] is None and list(temp.iterdir()) == []
        return result

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return measure()
    shared = tmp_path_factory.getbasetemp().parent / "good_load.json"  # this run's, not older
    with open(shared.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not shared.exists():
            shared.write_text(json.dumps(measure()))
        return json.loads(shared.read_text())


def _weights_bomb(path):
    """A1/A2: the tutorial archive whose weights member inflates to 1 GiB of zeros."""
    entries = attack.members()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name in ("config.json", "metadata.json"):
            archive.writestr(name, entries[name])
        with archive.open("model.weights.h5", "w", force_zip64=True) as member:
            zeros = bytes(64 * MB)
            for _ in range(16):
                member.write(zeros)
    return path


def _h5_shape_bomb(path):
    """A1: a Keras 2 file whose Dense layer lists one 3 GiB dataset, storing nothing, 3 times."""
    return attack.h5_with(path, lambda f: (
        attack.shape_bomb(f["model_weights/dense/dense"], "bomb:0"),
        attack.set_names(f["model_weights/dense"], "weight_names", ["dense/bomb:0"] * 3)))


def _endless_config(path, layers=2000):
    """A config Keras takes minutes to build: thousands of layers that hold no weights."""
    config = attack.config()
    config["config"]["layers"][1:] = [
        {"module": "keras.layers", "class_name": "Activation", "registered_name": None,
         "config": {"name": f"a{i}", "activation": "relu", "trainable": True}}
        for i in range(layers)]
    return attack.keras_with(path, zipfile.ZIP_DEFLATED, config_json=config)


def _extra_members(path):
    """A4: two large extra members (Keras extracts them to disk) and a corrupt one."""
    entries = attack.members()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for index in range(2):
            archive.writestr(f"assets/big{index}.bin", bytes(128 * MB))
        archive.writestr("assets/corrupt.bin", b"x" * 4096, zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    at = data.rfind(b"x" * 4096)
    data[at:at + 4] = b"yyyy"  # its CRC no longer matches
    path.write_bytes(bytes(data))
    return path


COULD_NOT_LOAD = "{} could not be loaded as a Keras model ("


@pytest.mark.slow
def test_the_largest_model_accepted_costs_both_processes_less_than_the_headroom(tmp_path,
                                                                                good_load):
    width = (model_sandbox.MAX_WEIGHT_BYTES // 4 - 10) // (28 * 28 + 11)  # just fits the limit
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(width), keras.layers.Dense(10)])
    model.save(tmp_path / "big.keras")
    result = load_in_a_fresh_process(tmp_path / "big.keras", "big.keras", tmp_path / "tmp")
    print(result)
    assert result["message"] is None
    headroom_mb = model_sandbox.MEMORY_HEADROOM_BYTES / MB
    assert result["parent_growth_mb"] < headroom_mb
    assert result["child_peak_mb"] < good_load["child_peak_mb"] + headroom_mb
    assert list((tmp_path / "tmp").iterdir()) == []


ENDLESS_CPU_LIMIT_S = 3.0
"""The child's CPU limit for the endless config: the attack runs until the limit whatever it
is (Keras takes minutes on it), so a limit shorter than the server's 10 s proves the same bound
7 s sooner; still long enough that the child is well into the file when it is stopped."""


@pytest.mark.slow
@pytest.mark.parametrize("build, suffix, refusals, cpu_limit", [
    # Keras catches the MemoryError of reading the member whole and reads it from the zip
    # instead, where h5py finds no HDF5 signature in the zeros; on a slow machine the time
    # limit may come first.
    (_weights_bomb, ".keras", (COULD_NOT_LOAD + "Unable to synchronously open file (file "
                                                "signature not found)).", TOO_COSTLY),
     model_sandbox.CPU_LIMIT_S),
    (_h5_shape_bomb, ".h5", (TOO_COSTLY,), model_sandbox.CPU_LIMIT_S),
    (_endless_config, ".keras", (TOO_COSTLY,), ENDLESS_CPU_LIMIT_S),
    (_extra_members, ".keras", ("{} makes Keras write files to disk while loading, which no "
                                "plain Keras model needs; it was refused.",),
     model_sandbox.CPU_LIMIT_S),
], ids=["weights_zip_bomb", "h5_shape_bomb", "endless_config", "extra_and_corrupt_members"])
def test_an_attack_past_the_static_checks_costs_only_the_limited_child(
        tmp_path, good_load, build, suffix, refusals, cpu_limit):
    path = build(tmp_path / f"attack{suffix}")
    name = f"visitor's file{suffix}"
    result = load_in_a_fresh_process(path, name, tmp_path / "tmp", cpu_limit=cpu_limit)
    print(name, result)  # the measured costs, shown with -s
    assert result["message"] in ["ModelFileError: " + r.format(name) for r in refusals]
    assert result["parent_growth_mb"] < 300
    limit_mb = model_sandbox.MEMORY_HEADROOM_BYTES / MB
    assert result["child_peak_mb"] < good_load["child_peak_mb"] + limit_mb + 50
    # Its CPU, whatever the wall clock did on a busy machine: the good file's children (the
    # checks, Keras' import, the load) and at most the limit more, a second for the kill.
    assert result["child_cpu_s"] <= good_load["child_cpu_s"] + cpu_limit + 1.5
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.process
def test_the_static_checks_run_in_a_child_that_refuses_a_real_lambda_file():
    # libhdf5 reads the untrusted metadata there; the refusal still names the visitor's file.
    with pytest.raises(ModelFileError, match=r"^mine\.h5 contains a Lambda layer"):
        untrusted.load_untrusted((FIXTURES / "lambda_tf_keras2.h5").read_bytes(),
                                 display_name="mine.h5")


@pytest.mark.process
def test_a_file_that_crashes_the_static_checks_is_refused_and_the_server_goes_on(monkeypatch):
    crash = "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"  # as a libhdf5 fault would
    monkeypatch.setattr(untrusted, "_static_command",
                        lambda path, name: [sys.executable, "-c", crash])
    monkeypatch.setattr(untrusted, "run_worker", _must_not_run)
    with pytest.raises(ModelFileError) as refused:
        untrusted.load_untrusted(b"\x89HDF\r\n\x1a\n crash me", display_name="crash.h5")
    assert str(refused.value) == ("crash.h5 made the checks every model file goes through fail; "
                                  "it was refused.")


@pytest.mark.process
def test_a_static_check_that_cannot_run_is_not_blamed_on_the_file(monkeypatch):
    monkeypatch.setattr(untrusted, "_static_command",
                        lambda path, name: [sys.executable, "-c", "raise SystemExit(1)"])
    with pytest.raises(model_sandbox.NotCheckedNow):
        untrusted.load_untrusted(b"\x89HDF\r\n\x1a\n not blamed", display_name="fine.h5")
    assert untrusted.refusals.get((untrusted.hashlib.sha256(
        b"\x89HDF\r\n\x1a\n not blamed").hexdigest(), ".h5"), "fine.h5") is None


@pytest.mark.process
def test_the_child_that_loads_a_file_runs_below_the_server(tmp_path):
    # Its Keras import and load must not take a core from the strokes the server answers
    # meanwhile. The file is a FIFO, so the child waits at its opening, after the limits.
    from mnist_core.paths import SANDBOX_WORKER
    from mnist_core.untrusted import sandbox_worker

    fifo = tmp_path / "model.keras"
    os.mkfifo(fifo)
    child = subprocess.Popen(
        [sys.executable, "-P", "-s", "-m", SANDBOX_WORKER, str(fifo),
         str(model_sandbox.MEMORY_HEADROOM_BYTES), str(model_sandbox.MAX_WEIGHT_BYTES)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        cwd=tmp_path, env=model_sandbox.child_environment(tmp_path), start_new_session=True)
    try:
        assert child.stdout.readline() == model_sandbox.READY
        nice = int(Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
        assert nice == min(19, os.nice(0) + sandbox_worker.NICE)
    finally:
        os.killpg(child.pid, 9)
        child.wait()


@pytest.mark.process
def test_a_child_asleep_past_the_wall_clock_limit_is_refused(tmp_path, monkeypatch):
    # Short of its CPU limit at the wall-clock limit, and not waiting for a core: the child
    # waits for something the file made it wait for. The file is a FIFO, so the child sleeps at
    # its opening (no model file the loader writes can do this: the static checks refuse links
    # and external data, a hostile review found).
    fifo = tmp_path / "model.keras"
    os.mkfifo(fifo)
    monkeypatch.setattr(model_sandbox, "TIME_LIMIT_S", 1.0)
    with pytest.raises(ModelFileError) as refused:
        model_sandbox.run_worker(fifo, "mine.keras")
    assert not isinstance(refused.value, model_sandbox.NotCheckedNow)
    assert str(refused.value) == TOO_COSTLY.format("mine.keras")


@pytest.mark.process
def test_a_child_waiting_for_a_core_past_the_wall_clock_limit_is_not_blamed_on_the_file(
        tmp_path, monkeypatch):
    # A busy server's check waits for a core: the kernel's count of that wait (stood in for
    # here: a second of it for each second on the file) makes it the server's trouble.
    fifo = tmp_path / "model.keras"
    os.mkfifo(fifo)
    monkeypatch.setattr(model_sandbox, "TIME_LIMIT_S", 1.0)
    monkeypatch.setattr(model_sandbox, "core_wait", lambda pid: time.monotonic())
    with pytest.raises(model_sandbox.NotCheckedNow) as refused:
        model_sandbox.run_worker(fifo, "mine.keras")
    assert str(refused.value) == "The app could not check mine.keras now; try again in a minute."


@pytest.mark.parametrize("on_file, waited, busy", [
    (30.0, 25.0, True), (30.0, 15.0, True), (30.0, 14.0, False), (30.0, 0.01, False),
    (30.0, None, False), (None, None, False)])
def test_a_late_child_is_the_servers_trouble_when_half_its_time_went_waiting_for_a_core(
        on_file, waited, busy):
    assert model_sandbox.waiting_for_a_core(on_file, waited) is busy


@pytest.mark.process
def test_the_wait_for_a_core_is_read_from_the_kernel_for_a_living_process_only():
    waited = model_sandbox.core_wait(os.getpid())
    assert waited is not None and 0 <= waited < 3600  # Linux with schedstat, as here
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    assert model_sandbox.core_wait(int(ended.stdout)) is None


def busy_past_a_cpu_limit(first="", preexec_fn=None):
    """A process that runs `first`, limits itself to one more second of CPU as the worker does
    (`_limit_cpu`), says "limited", then spends up to 30 s of CPU in a busy loop."""
    script = ("import time; from mnist_core.untrusted import sandbox_worker as w; "
              f"{first}w._limit_cpu(1); print('limited', flush=True); "
              "end = time.process_time() + 30\n"
              "while time.process_time() < end: pass\n"
              "print('not stopped')")
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, preexec_fn=preexec_fn)


@pytest.mark.process
@pytest.mark.parametrize("order", ["the worker's", "SIGXCPU left ignored"])
def test_the_child_is_ended_however_it_inherited_sigxcpu_and_a_hard_limit(order):
    # A server started with `ulimit -t 3600` and SIGXCPU ignored (both inherited): before the
    # hostile review's fix, the child ran on past its limit (12 s of CPU for a 2 s limit).
    import resource
    import signal

    def inherited():
        resource.setrlimit(resource.RLIMIT_CPU, (3600, 3600))
        signal.signal(signal.SIGXCPU, signal.SIG_IGN)

    first = "w._default_xcpu(); " if order == "the worker's" else ""
    done = busy_past_a_cpu_limit(first, preexec_fn=inherited)
    assert done.stdout == "limited\n"
    assert done.returncode == (-signal.SIGXCPU if first else -signal.SIGKILL)


@pytest.mark.process
def test_the_child_is_ended_by_the_kernel_once_it_has_spent_its_cpu_on_the_file(tmp_path):
    # The limit counts the CPU the child spends after its Keras import, whatever the wall
    # clock: a second of it here, spent in a busy loop where the file would be read.
    from mnist_core.untrusted import sandbox_worker

    assert sandbox_worker.CPU_LIMIT_S == model_sandbox.CPU_LIMIT_S == 10.0
    done = busy_past_a_cpu_limit()
    assert done.stdout == "limited\n" and done.returncode in (-24, -9)  # SIGXCPU, then SIGKILL
