"""The conftest's rules hold: a quick test that starts a child process fails and says why; a
test marked `process` may start one and is left out of the quick suite (`-m "not slow"`)."""

import pytest

from tests.conftest import ROOT

pytest_plugins = ["pytester"]

RULED = '''
import subprocess, sys
import pytest

def test_starts_a_process_unmarked():
    subprocess.run([sys.executable, "-c", "pass"], check=True)

@pytest.mark.process
def test_starts_a_process_marked():
    subprocess.run([sys.executable, "-c", "pass"], check=True)

def test_starts_nothing():
    assert sys.executable
'''


@pytest.fixture
def ruled(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeconftest("from tests.conftest import *  # noqa: F401,F403\n"
                          "from tests.conftest import pytest_collection_modifyitems\n")
    pytester.makeini("[pytest]\nmarkers =\n    slow: slow\n    process: process\n")
    pytester.makepyfile(test_ruled=RULED)
    return pytester


@pytest.mark.process  # runs pytest in a child process
def test_a_quick_test_that_starts_a_process_unmarked_fails_and_names_the_mark(ruled):
    result = ruled.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*started 1 child process*mark it @pytest.mark.process*"])


@pytest.mark.process
def test_the_quick_suite_leaves_out_the_marked_process_test(ruled):
    result = ruled.runpytest_subprocess("-p", "no:cacheprovider", "-m", "not slow")
    # The unmarked test passes its body and errs at teardown, where the rule is checked.
    result.assert_outcomes(passed=2, errors=1, deselected=1)


GROUPED = '''
import pytest

pytestmark = pytest.mark.xdist_group("together")

@pytest.mark.parametrize("n", range(4))
def test_grouped(n):
    pass
'''


@pytest.mark.process  # runs pytest, and its two workers, in child processes
def test_an_xdist_group_runs_on_one_worker(pytester, monkeypatch):
    # The README's command (`--dist loadgroup`) keeps the browser tests on one worker, with one
    # Chromium and one app server; pytest 9.2 dropped the group pytest-xdist 3.8 names.
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeconftest("from tests.conftest import pytest_configure  # noqa: F401\n")
    pytester.makeini("[pytest]\nmarkers =\n    slow: slow\n    process: process\n")
    pytester.makepyfile(test_grouped=GROUPED)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2",
                                           "--dist", "loadgroup", "-v")
    result.assert_outcomes(passed=4)
    workers = {line.split("]")[0] for line in result.outlines if "PASSED" in line}
    assert len(workers) == 1, result.outlines
