"""`train --with-drawings F.npz` on a file made to hurt (issue 22, B3): refused in one sentence
naming the file, before its arrays are read, at a bounded cost measured in a child process."""

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from mnist_core.constants import MOST_DRAWINGS
from mnist_core.drawings.training_mix import load_drawings
from mnist_core.errors import MnistError
from tests.conftest import ROOT
from tests.hang_guard import within

MIB = 2**20


def npy_header(shape, descr="|u1"):
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": descr, "fortran_order": False,
                                               "shape": shape})
    return out.getvalue()


def write_export(path, count, body_bytes=None, level=1):
    """An export whose x declares `count` drawings, followed by `body_bytes` zero bytes of data
    (all it declares when None), deflated; y is `count` zero labels, as declared."""
    declared = count * 28 * 28
    body = declared if body_bytes is None else body_bytes
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        with archive.open("x.npy", "w", force_zip64=True) as member:
            member.write(npy_header((count, 28, 28)))
            zeros = bytes(MIB)
            for start in range(0, body, MIB):
                member.write(zeros[:min(MIB, body - start)])
        archive.writestr("y.npy", npy_header((count,)) + bytes(min(count, 10**6)))
    return path


def one_sentence_naming(message, name, tmp_path):
    assert message.startswith(name), message
    assert str(tmp_path) not in message and "\n" not in message
    assert message.count(". ") == 0 and message.endswith(".")


def test_an_export_declaring_a_73_gib_array_is_one_sentence_naming_it(tmp_path):
    # The issue's: an `_ArrayMemoryError` traceback, numpy allocating what the header declares.
    path = write_export(tmp_path / "huge.npz", 100_000_000, body_bytes=MIB)
    with pytest.raises(MnistError) as refused:
        within(5, load_drawings, path)
    message = str(refused.value)
    one_sentence_naming(message, "huge.npz", tmp_path)
    assert "'x' declares 78,400 MB (shape (100000000, 28, 28), uint8), more than what an " \
           f"export of {MOST_DRAWINGS:,} drawings holds (157 MB)" in message


def test_a_fifo_given_as_an_export_is_one_sentence_and_never_waited_on(tmp_path):
    os.mkfifo(tmp_path / "pipe.npz")
    with pytest.raises(MnistError) as refused:
        within(5, load_drawings, tmp_path / "pipe.npz", fifos=[tmp_path / "pipe.npz"])
    assert str(refused.value) == ("pipe.npz is a pipe (FIFO), not a drawings export; write one "
                                  "with `python -m mnist_core drawings export --out FILE.npz`.")


@pytest.mark.parametrize("shape, descr, words", [
    ((12, 28, 28), "<f4", "x is (12, 28, 28) float32, not uint8 (N, 28, 28)"),
    ((12, 28, 29), "|u1", "x is (12, 28, 29) uint8, not uint8 (N, 28, 28)"),
])
def test_an_export_of_another_shape_or_type_is_refused_from_its_header(tmp_path, shape, descr,
                                                                       words):
    path = tmp_path / "odd.npz"
    with zipfile.ZipFile(path, "w") as archive:
        dtype = np.dtype(descr)
        archive.writestr("x.npy", npy_header(shape, descr) + bytes(np.prod(shape) * dtype.itemsize))
        archive.writestr("y.npy", npy_header((12,)) + bytes(12))
    with pytest.raises(MnistError) as refused:
        load_drawings(path)
    one_sentence_naming(str(refused.value), "odd.npz", tmp_path)
    assert words in str(refused.value)


CHILD = """
import json, re, sys
from pathlib import Path
from mnist_core.drawings.training_mix import load_drawings
from mnist_core.errors import MnistError

def peak_mib():  # VmHWM: this process's own peak (ru_maxrss counts the parent it forked from)
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text())[1]) / 1024

before = peak_mib()
try:
    load_drawings(sys.argv[1])
    said = None
except MnistError as error:
    said = str(error)
print(json.dumps([before, peak_mib(), said]))
"""


def peak_growth_reading(path):
    """`(peak MiB growth, refusal or None)` of `load_drawings(path)` in a fresh process."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    before, after, said = json.loads(done.stdout.splitlines()[-1])
    return after - before, said


@pytest.mark.process
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's VmHWM")
def test_an_export_that_inflates_past_the_bound_costs_no_memory_in_a_child(tmp_path):
    # 300,000 blank drawings: 235 MB once inflated, 1 MB on disk; an export holds 200,000 at most.
    path = write_export(tmp_path / "blank.npz", 300_000)
    assert path.stat().st_size < 2 * MIB
    growth, said = peak_growth_reading(path)
    assert said is not None and said.startswith("blank.npz is not a drawings export")
    assert growth < 32, f"reading the refused export grew the peak by {growth:.0f} MiB"


@pytest.mark.slow
@pytest.mark.process
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's VmHWM")
def test_the_issues_export_inflating_to_2_gb_costs_no_memory_in_a_child(tmp_path):
    # The issue's: ~2 GB once inflated drove `train` to 18.8 GB and the OOM killer.
    path = write_export(tmp_path / "bomb.npz", 2_700_000)
    growth, said = peak_growth_reading(path)
    assert said is not None and re.match(r"bomb\.npz is not a drawings export .*'x' is declared as "
                                         r"2,117 MB once inflated", said)
    assert growth < 32, f"reading the refused export grew the peak by {growth:.0f} MiB"
