"""`python -m mnist_core`: see `mnist_core.cli`."""

import sys

from mnist_core.lean_process import freeze_before_exit, leave_out_pandas

leave_out_pandas()  # before the CLI imports Keras: ~0.4 s of every training command

from mnist_core.cli import main  # noqa: E402

sys.exit(freeze_before_exit(main()))
