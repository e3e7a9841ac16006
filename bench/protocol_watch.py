"""What the server spends while protocol visitors use it: CPU from /proc, memory sampled.

Shared by bench/protocol_visitors.py. The server processes are the launcher's pids; their
children (a training, an upload's sandboxed check) are counted apart. Linux only.
"""

import asyncio
import resource

from cpu_share import cpu_seconds
from footprint import process_tree, pss_kb, status_kb

SAMPLE_SECONDS = 0.5
MB = 1_000_000


def own_cpu():
    """CPU seconds this process (the visitors' client) has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_now(pids, memory=None):
    """`{"server", "children", "client"}` CPU seconds so far (a process gone counts 0).

    The client's is this process's less what `memory` (a `MemoryPeak`) spent sampling: the
    visitors' own cost, not the bench's.
    """
    trees = {p for pid in pids for p in process_tree(pid)}
    return {"server": cpu_seconds(pids), "children": cpu_seconds(trees - set(pids)),
            "client": own_cpu() - (memory.spent if memory else 0.0)}


def cores_between(before, after, seconds):
    """CPU used between two `cpu_now` snapshots, in cores (CPU seconds / wall seconds)."""
    return {key: (after[key] - before[key]) / seconds for key in after}


def children(pids):
    """The server processes' descendants now (a training's process, an upload's check)."""
    return {p for pid in pids for p in process_tree(pid)} - set(pids)


class MemoryPeak:
    """Samples the resident memory of the servers and their children every `SAMPLE_SECONDS`.

    Attributes:
        server_mb, children_mb, total_mb: the peaks seen, in MB (the total's peak is that of
            the sum at one sample, not the sum of the peaks), resident (VmRSS: a library
            mapped by the server and a child counts twice).
        total_pss_mb: the peak of the servers' and children's proportional set size summed
            (each shared page counted once, as a container's memory limit counts it).
    """

    def __init__(self, pids):
        self.pids = list(pids)
        self.server_mb = self.children_mb = self.total_mb = self.total_pss_mb = 0.0
        self.spent = 0.0  # CPU seconds this sampling took (/proc is read afresh each time)
        self._task = None

    def sample(self):
        start = own_cpu()
        server = sum(status_kb(pid, "VmRSS") for pid in self.pids) * 1024 / MB
        below = children(self.pids)
        rest = sum(status_kb(pid, "VmRSS") for pid in below) * 1024 / MB
        pss = sum(pss_kb(pid) for pid in [*self.pids, *below]) * 1024 / MB
        self.total_pss_mb = max(self.total_pss_mb, pss)
        self.server_mb = max(self.server_mb, server)
        self.children_mb = max(self.children_mb, rest)
        self.total_mb = max(self.total_mb, server + rest)
        self.spent += own_cpu() - start

    async def _run(self):
        while True:
            self.sample()
            await asyncio.sleep(SAMPLE_SECONDS)

    def start(self):
        self._task = asyncio.create_task(self._run())

    async def stop(self):
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self.sample()

    def figures(self):
        return {"server_mb": self.server_mb, "children_mb": self.children_mb,
                "total_mb": self.total_mb, "total_pss_mb": self.total_pss_mb}
