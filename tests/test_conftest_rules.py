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
