"""Untrusted model files: every attack of issue #9 (A1-A6) is refused cheaply, in one sentence.

The attacks are built here from the project's real models (tests/model_attacks_*.py); each
refusal must name the visitor's file, never the server path, and the check must stay cheap in a
fresh process (peak memory and time), since it runs in the server before anything is loaded.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import tests.model_attacks_archive  # noqa: F401 (fills ATTACKS)
import tests.model_attacks_hdf5  # noqa: F401 (fills ATTACKS)
from mnist_core.untrusted import checks as model_checks
from mnist_core.errors import ModelFileError
from tests.conftest import ROOT
from tests.model_attacks import ATTACKS

MAX_CHECK_RSS_MB = 150
MAX_CHECK_GROWTH_MB = 64
MAX_CHECK_SECONDS = 1.0


def _build(tmp_path, attack_name):
    suffix, build, _ = ATTACKS[attack_name]
    path = tmp_path / f"srv-upload-7f3a{suffix}"
    build(path)
    return path, f"visitor's {attack_name}{suffix}"


@pytest.mark.parametrize("attack_name", sorted(ATTACKS))
def test_refuses_each_attack_in_one_sentence_naming_the_visitors_file(tmp_path, attack_name):
    path, display_name = _build(tmp_path, attack_name)
    with pytest.raises(ModelFileError, match=ATTACKS[attack_name][2]) as refused:
        model_checks.check_model_file(path, display_name)
    message = str(refused.value)
    assert message.startswith(display_name)
    assert str(tmp_path) not in message and "srv-upload" not in message
    assert message.count(". ") == 0 and message.endswith(".") and "\n" not in message


CHILD = """
import json, re, sys, time
from pathlib import Path
from mnist_core.untrusted.checks import check_model_file
from mnist_core.errors import ModelFileError

def peak_mib():  # VmHWM: this process's own peak (ru_maxrss counts the parent it forked from)
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text())[1]) / 1024

print(json.dumps(["imports", "", 0, peak_mib()]))
for path, name in json.loads(sys.argv[1]):
    start = time.process_time()  # CPU seconds: a shared machine slows the wall clock
    try:
        check_model_file(path, name)
        outcome = "accepted"
    except ModelFileError:
        outcome = "refused"
    print(json.dumps([name, outcome, time.process_time() - start, peak_mib()]))
"""


@pytest.mark.process
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's VmHWM")
def test_every_attack_is_refused_cheaply_in_a_fresh_process(tmp_path):
    # One child checks every attack in turn: its peak memory only grows, so each line bounds its
    # own attack (and every one before it) without starting a process per attack.
    files = []
    for attack_name in sorted(ATTACKS):
        folder = tmp_path / attack_name
        folder.mkdir()
        files.append([str(p) for p in _build(folder, attack_name)])
    result = subprocess.run([sys.executable, "-c", CHILD, json.dumps(files)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    (_, _, _, imports_mib), *lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == len(ATTACKS)
    for name, outcome, seconds, peak_mib in lines:
        assert outcome == "refused", name
        assert peak_mib < MAX_CHECK_RSS_MB and peak_mib - imports_mib < MAX_CHECK_GROWTH_MB, (
            name, imports_mib, peak_mib)
        assert seconds < MAX_CHECK_SECONDS, (name, seconds)
