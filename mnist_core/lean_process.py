"""What a process of this project that trains or reads digits and then ends can skip: pandas,
and the garbage collector's work at exit.

The command line (`python -m mnist_core`) and the server's training processes
(`jobs.worker`, `jobs.spare_worker`) call both; the server itself does not (Streamlit needs
pandas, and it never ends on purpose). Measured on the project's 2-core AMD EPYC
(bench/README.md, "Cold start"): pandas is ~0.4 s of the ~4 s TensorFlow import and ~64 MB of
resident memory; the collector's passes over ~360,000 objects at exit are ~1 s.
"""

import gc
import sys


def leave_out_pandas():
    """Makes `import pandas` fail in this process, unless something imported it already.

    Keras' array adapter imports pandas when it is installed, only to recognise a DataFrame
    (`keras/src/trainers/data_adapters/array_slicing.py`; TensorFlow's own does the same,
    lazily); it carries on without it when the import fails. This project hands Keras NumPy
    arrays and `tf.data` pipelines, never a DataFrame. Call it before Keras is imported.
    """
    sys.modules.setdefault("pandas", None)


def freeze_before_exit(status):
    """Returns `status` after moving every object to the collector's permanent generation, so
    the interpreter's shutdown does not walk them again and again (~1 s after a training,
    ~0.1 s after). Call it last, once everything the process writes is written and closed:
    the memory goes back to the system with the process."""
    gc.freeze()
    return status
