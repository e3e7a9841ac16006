"""What one stroke costs the server, back to back: one protocol visitor, strokes one after another.

    .venv/bin/python bench/stroke_cost.py [--strokes 100] [--rounds 3] [--root OTHER_CHECKOUT]
        [--py-spy FILE [--gil]]

bench/visitors.py --protocol spreads its strokes over 2 s each and counts the open pages'
own work too; this measures only a stroke, with as little else as possible: one visitor (a
`tests.stream_client.Visitor`) draws MNIST test digits one after another, each waiting for its
answer, and the server's CPU from /proc (all its threads) is divided by the strokes answered.
The script thread's own CPU per stroke comes from bench/run_timing (each fragment run that
answered a stroke).

`--root` starts a second server from another checkout of the app (e.g. `git archive main`
unpacked, with .venv linked) and alternates blocks of `--strokes` strokes between the two, so
both are measured under the same load: a change is compared with its base in one run.
`--root bench/stroke_floor` measures what Streamlit itself costs a stroke (a fragment drawing
the canvas and a metric, nothing read): the floor under any change to the page.
`--py-spy FILE` records the (first) server with py-spy during its first block (a flame graph
in SVG, or `--format speedscope` by the extension .json, `--format raw`, collapsed stacks, by
.txt). With `--gil` and a .txt file it also says how long a stroke held the interpreter's lock,
by thread: what bounds the strokes one process answers a second (bench/README.md).
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cpu_share import CLOCK_TICKS, cpu_seconds, stat_fields, system_seconds  # noqa: E402
from footprint import status_kb  # noqa: E402
from protocol_visitors import cpu_model, digit_pool  # noqa: E402

from tests.browser_kit import free_port, start_server, stop_server, wait_until_healthy  # noqa: E402
from tests.stream_client import Visitor  # noqa: E402

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WARM_UP = 10  # strokes before timing: the first ones load what an answer needs


class Server:
    """One `streamlit run streamlit_app.py` from `root`, its script runs logged."""

    def __init__(self, root, folder):
        self.root, self.log = Path(root), folder / "runs.jsonl"
        port = free_port()
        models = folder / "models"
        # Back to back is a script's pace, which the page slows to a hand's
        # (ui/pace.py): lifted here, so that a stroke's cost is what is measured.
        env = {"PYTHONPATH": str(BENCH / "run_timing"), "BENCH_RUN_LOG": str(self.log),
               "MNIST_RUNS_PER_SECOND": "10000",
               "MNIST_MODELS_DIR": str(models), "MNIST_DRAWINGS_DB": str(folder / "d.sqlite")}
        if (self.root / "models").is_dir():  # bench/stroke_floor has none
            subprocess.run(["cp", "-r", str(self.root / "models"), str(models)], check=True)
        self.process = start_server("streamlit_app.py", self.root, port, folder / "server.log",
                                    env=env)
        self.url = f"http://127.0.0.1:{port}"
        wait_until_healthy(self.url, self.process, folder / "server.log")

    def script_cpu(self, since):
        """CPU seconds of the script thread in runs that answered a stroke, from `since`."""
        if not self.log.exists():
            return 0.0, 0
        runs = [json.loads(line) for line in self.log.read_text().splitlines()]
        runs = [r for r in runs if r["predicted"] and r["start"] >= since]
        return sum(r["cpu"] for r in runs), len(runs)


def thread_cpu(pid):
    """`{thread name: CPU seconds}` of a process's threads now (names as /proc/PID/task gives
    them; threads of one name summed; a thread that ended is not counted)."""
    totals = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = stat_fields(task / "stat")
        except OSError:
            continue
        totals[name] = totals.get(name, 0) + (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return totals


SPY_RATE = 200  # py-spy's samples a second (`-r`)


def lock_share(raw_file, strokes):
    """What py-spy's `--gil --format raw` samples say of the interpreter's lock: the ms a
    stroke it was held, in all and by the script's threads, the event loop and the rest.

    With `--gil` py-spy samples only the thread holding the lock, so each sample is 1/SPY_RATE
    s of it held. Item 3's 100 visitors wait on this lock, not on the server's CPU, which
    counts LiteRT, PIL's decoding and the kernel besides (bench/README.md, thirteenth pass)."""
    held = {"script": 0, "event loop": 0, "other": 0}
    for line in Path(raw_file).read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        thread = stack.split(";", 1)[0]
        kind = ("script" if "ScriptRunner" in thread
                else "event loop" if "MainThread" in thread else "other")
        held[kind] += int(count)
    ms = {kind: 1000 * n / SPY_RATE / strokes for kind, n in held.items()}
    return (f"interpreter's lock held {sum(ms.values()):.1f} ms a stroke: "
            + ", ".join(f"{kind} {value:.1f}" for kind, value in ms.items()))


async def block(server, visitor, pool, count, offset):
    """`count` strokes back to back; returns (server CPU s, script CPU s, answered, wrong)."""
    import time

    threads = thread_cpu(server.process.pid)
    system = system_seconds(server.process.pid)
    since, before = time.time(), cpu_seconds([server.process.pid])
    answered = wrong = 0
    for k in range(count):
        value, label = pool[(offset + k) % len(pool)]
        answer = await visitor.draw(value, 60)
        answered += answer is not None
        wrong += answer is not None and answer.digit != label
    server_cpu = cpu_seconds([server.process.pid]) - before
    script_cpu, _ = server.script_cpu(since)
    after = thread_cpu(server.process.pid)
    server.system_ms = 1000 * (system_seconds(server.process.pid) - system) / max(1, answered)
    server.threads = {name: 1000 * (cpu - threads.get(name, 0)) / max(1, answered)
                      for name, cpu in after.items() if cpu - threads.get(name, 0) > 0}
    return server_cpu, script_cpu, answered, wrong


async def main_async(args, servers):
    pool = digit_pool()
    visitors = []
    for server in servers:
        visitor = Visitor(server.url)
        await visitor.open()
        for k in range(WARM_UP):
            await visitor.draw(pool[k][0], 120)
        visitors.append(visitor)
    figures = {s.root.name: [] for s in servers}
    offset = WARM_UP
    for round_ in range(args.rounds):
        for server, visitor in zip(servers, visitors):
            spy = None
            if args.py_spy and round_ == 0 and server is servers[0]:
                spy = subprocess.Popen(
                    [str(Path(sys.executable).parent / "py-spy"), "record", "-p",
                     str(server.process.pid), "-o", args.py_spy, "-r", str(SPY_RATE), "--threads",
                     "--nonblocking"] + (["--gil"] if args.gil else [])
                    + (["--format", "speedscope"] if args.py_spy.endswith(".json") else [])
                    + (["--format", "raw"] if args.py_spy.endswith(".txt") else []),
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                await asyncio.sleep(2)
            load = os.getloadavg()[0]
            server_cpu, script_cpu, answered, wrong = await block(
                server, visitor, pool, args.strokes, offset)
            if spy is not None:
                spy.send_signal(2)
                spy.wait()
            row = {"server_ms": 1000 * server_cpu / max(1, answered),
                   "script_ms": 1000 * script_cpu / max(1, answered),
                   "answered": answered, "wrong": wrong, "load": load,
                   "py_spy": spy is not None}
            figures[server.root.name].append(row)
            print(f"round {round_ + 1} {server.root}: server {row['server_ms']:.1f} ms a "
                  f"stroke ({server.system_ms:.1f} in the kernel), script thread "
                  f"{row['script_ms']:.1f} ms, {answered}/{args.strokes} "
                  f"answered ({wrong} wrong), load {load:.2f}"
                  + (" (py-spy attached)" if spy else ""), flush=True)
            if spy is not None and args.gil and args.py_spy.endswith(".txt"):
                print("   " + lock_share(args.py_spy, max(1, answered)), flush=True)
            if args.threads:
                print("   threads still alive, ms a stroke: " + ", ".join(
                    f"{name} {ms:.1f}" for name, ms in sorted(server.threads.items(),
                                                             key=lambda item: -item[1])))
    await asyncio.gather(*(v.close() for v in visitors))
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strokes", type=int, default=100, help="strokes a block (100)")
    parser.add_argument("--rounds", type=int, default=3, help="blocks per server (3)")
    parser.add_argument("--root", action="append", default=[],
                        help="another checkout of the app to compare (repeatable)")
    parser.add_argument("--threads", action="store_true",
                        help="also the CPU of each thread of the server that outlives a block")
    parser.add_argument("--py-spy", help="record the first server's first block to FILE")
    parser.add_argument("--gil", action="store_true",
                        help="with --py-spy: sample only the thread holding the GIL (where the "
                             "interpreter's time goes, not the threads' waits)")
    args = parser.parse_args()
    print(f"CPU: {cpu_model()}; load {os.getloadavg()}", flush=True)
    servers = []
    with tempfile.TemporaryDirectory() as scratch:
        try:
            for k, root in enumerate([ROOT, *args.root]):
                folder = Path(scratch) / str(k)
                folder.mkdir()
                servers.append(Server(root, folder))
            figures = asyncio.run(main_async(args, servers))
            for server in servers:
                peak = status_kb(server.process.pid, "VmHWM") // 1024
                print(f"{server.root}: peak resident memory {peak} MB")
        finally:
            for server in servers:
                stop_server(server.process)
    for name, rows in figures.items():
        timed = [r for r in rows if not r["py_spy"]] or rows
        print(f"{name}: best server {min(r['server_ms'] for r in timed):.1f} ms a stroke, "
              f"median {sorted(r['server_ms'] for r in timed)[len(timed) // 2]:.1f}; script "
              f"thread best {min(r['script_ms'] for r in timed):.1f} ms")


if __name__ == "__main__":
    main()
