"""The command line's and the training processes' lean start and exit (`mnist_core.lean_process`)."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT


def python(code, *flags):
    done = subprocess.run([sys.executable, *flags, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


@pytest.mark.process
@pytest.mark.parametrize("module", ["mnist_core", "mnist_core.jobs.worker",
                                    "mnist_core.jobs.spare_worker"])
def test_each_entry_point_leaves_pandas_out(module):
    done = python(
        "import runpy, sys\n"
        f"sys.argv = [{module!r}, '--help']\n"
        "try:\n"
        f"    runpy.run_module({module!r}, run_name='__main__', alter_sys=True)\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('pandas:', sys.modules.get('pandas', 'not imported'))\n")
    assert done.stdout.strip().endswith("pandas: None")


@pytest.mark.process
def test_keras_trains_and_predicts_on_arrays_without_pandas():
    done = python(
        "import sys\n"
        "from mnist_core.lean_process import leave_out_pandas\n"
        "leave_out_pandas()\n"
        "import keras, numpy as np\n"
        "net = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(4, 3),\n"
        "                        keras.layers.Flatten(), keras.layers.Dense(10, 'softmax')])\n"
        "net.compile('adam', 'categorical_crossentropy', metrics=['accuracy'])\n"
        "x, y = np.random.rand(64, 28, 28, 1).astype('float32'), np.eye(10)[np.arange(64) % 10]\n"
        "net.fit(x, y, epochs=1, batch_size=16, validation_data=(x, y), verbose=0)\n"
        "print(net.predict(x[:2], verbose=0).shape, sys.modules['pandas'])\n")
    assert done.stdout.strip() == "(2, 10) None"


@pytest.mark.process
def test_the_command_line_imports_keras_and_not_pandas(tmp_path):
    from PIL import Image, ImageDraw

    one = Image.new("L", (28, 28))
    ImageDraw.Draw(one).line([(14, 4), (14, 23)], fill=255, width=3)
    one.save(tmp_path / "one.png")
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mnist_core", "predict",
         str(ROOT / "models" / "tutorial.keras"), str(tmp_path / "one.png")],
        capture_output=True, text=True, cwd=ROOT, timeout=300)
    imported = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:")}
    assert done.returncode == 0, done.stderr[-2000:]
    assert "keras" in imported and "tensorflow" in imported
    # Keras' attempt is listed as "pandas" (it fails at once); pandas' own modules are not.
    assert not [name for name in imported if name.startswith("pandas.")]


def test_a_process_that_has_pandas_keeps_it():
    import pandas

    from mnist_core.lean_process import leave_out_pandas

    leave_out_pandas()
    assert sys.modules["pandas"] is pandas


@pytest.mark.process
def test_the_exit_freeze_hands_back_the_status_with_the_heap_frozen():
    done = python("import gc, sys\n"
                  "from mnist_core.lean_process import freeze_before_exit\n"
                  "garbage = [[] for _ in range(1000)]\n"
                  "status = freeze_before_exit(3)\n"
                  "print(status, gc.get_freeze_count() >= 1000)\n")
    assert done.stdout.strip() == "3 True"
