"""Who used the CPU during a page benchmark, and on which cores each side runs, from /proc.

Shared by bench/visitors.py; Linux only. `process_tree` is footprint.py's.
"""

import os
from pathlib import Path

from footprint import process_tree

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def stat_fields(path):
    """The fields of a /proc `stat` file (a process's or a thread's) after its command name:
    utime is [11], stime [12], in clock ticks."""
    return Path(path).read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pids):
    """utime + stime of each process (all its threads) in `pids`, summed; gone ones count 0."""
    total = 0
    for pid in pids:
        try:
            fields = stat_fields(f"/proc/{pid}/stat")
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def system_seconds(pid):
    """The kernel's part of a process's CPU seconds so far (stime, all its threads)."""
    return int(stat_fields(f"/proc/{pid}/stat")[12]) / CLOCK_TICKS


def cpu_snapshot(server_pid):
    """CPU seconds so far of the server process, its children (training), and the browsers.

    The browsers are every other descendant of this process: Chromium's processes and
    Playwright's driver. A process that starts or ends between two snapshots is counted
    from its start or up to the first snapshot only.
    """
    server_tree = set(process_tree(server_pid))
    ours = set(process_tree(os.getpid())) - server_tree - {os.getpid()}
    return {"server": cpu_seconds([server_pid]),
            "training": cpu_seconds(server_tree - {server_pid}),
            "browsers": cpu_seconds(ours)}


def parse_cpus(text):
    """A CPU list as `taskset -c` takes it ("0,1" or "2-7") as a set of ints; None for ""."""
    if not text:
        return None
    cpus = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        cpus.update(range(int(first), int(last or first) + 1))
    return cpus


def pinned(cpus):
    """Context manager: processes started inside it run on `cpus` (None: no change).

    The affinity is this thread's, which a child started from it inherits (its own children
    too, like the training process), so the server and Chromium can be given cores of their
    own on a machine that has enough.
    """
    import contextlib

    @contextlib.contextmanager
    def scope():
        before = os.sched_getaffinity(0)
        if cpus:
            os.sched_setaffinity(0, cpus)
        try:
            yield
        finally:
            os.sched_setaffinity(0, before)

    return scope()
