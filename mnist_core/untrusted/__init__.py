"""untrusted: every model file is read as untrusted, the server's own folder's too.

Before Keras reads a byte, a file's declared facts are checked within bounds: its zip container
(`zip_checks`), its HDF5 metadata (`hdf5_checks`), its whole config against an allow-list of
layers (`config_checks`, with the shapes that flow through it: `shapes`), and its weights
against what that config needs (`weight_checks`, `weight_layout`); `checks.check_model_file`
runs them all. The folder's own models are then loaded in this process (`checked_load`); a
stranger's upload is checked in a child process and loaded by Keras in a limited one
(`loader.load_untrusted`, `sandbox`, `sandbox_worker`). Depends only on the foundation.
"""

from mnist_core.untrusted.checked_load import check_shapes, load_model
from mnist_core.untrusted.checks import MAX_MODEL_BYTES, check_model_file, short_reason
from mnist_core.untrusted.loader import load_untrusted

__all__ = ["MAX_MODEL_BYTES", "check_model_file", "check_shapes", "load_model", "load_untrusted",
           "short_reason"]
