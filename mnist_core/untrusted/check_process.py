"""The static checks in a process of their own: `python -m mnist_core.untrusted.check_process`.

libhdf5 reads an untrusted file's metadata during `checks.check_model_file`, so the upload path
(`loader.load_untrusted`) runs the checks here, in a child: a file that crashed libhdf5 ends only
this process. Kept apart from `checks`, which the package imports, so that running this module
does not import it a second time.
"""

from mnist_core.errors import ModelFileError
from mnist_core.untrusted.checks import check_model_file

CHECK_CHILD_MEMORY_BYTES = 1024 * 2**20
"""Address space of this process once its modules are imported: the checks peak near 50 MB, so
this only bounds what libhdf5 could be made to allocate."""


def main(argv=None):
    """`python -m mnist_core.untrusted.check_process PATH NAME`: prints one JSON line,
    `{"weights_bytes": N}` or `{"refused": "one sentence"}`."""
    import json
    import resource
    import sys

    path, name = (sys.argv[1:] if argv is None else argv)[:2]
    try:
        resource.setrlimit(resource.RLIMIT_AS,
                           (CHECK_CHILD_MEMORY_BYTES, CHECK_CHILD_MEMORY_BYTES))
    except (ValueError, OSError):  # a lower hard limit is already in place
        pass
    try:
        answer = {"weights_bytes": check_model_file(path, name).weights_bytes}
    except ModelFileError as error:
        answer = {"refused": str(error)}
    print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
