"""Visitors drawing beside a script that opened many pages from one address: their strokes'
latency with the client's turns (`MNIST_RUNS_AT_ONCE_PER_CLIENT`, ui/client_share.py) and
without (0), servers alternated in one run so that both meet the same load.

    .venv/bin/python bench/many_pages.py [--pages 30] [--visitors 10] [--seconds 30]
        [--rounds 2] [--turns 2] [--one-address]

Each server knows its visitors' addresses from `X-Real-IP` (as behind nginx). The script's
`--pages` pages share one address and each sends strokes back to back, at its page's own pace
(`MNIST_RUNS_PER_SECOND`, 4 by default: the most a page may); the `--visitors` visitors have an
address each and draw a stroke every 2 s, each waiting for its answer. Reported per server and
round: the visitors' strokes answered and their stroke->answer p50 / p95 / max, the script's
strokes answered a second, and the server's cores. `--one-address`: the visitors share one
address of their own (a classroom behind one NAT), to see what the turns cost them.
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cpu_share import cpu_seconds  # noqa: E402
from protocol_visitors import cpu_model, digit_pool  # noqa: E402

from tests.browser_kit import free_port, start_server, stop_server, wait_until_healthy  # noqa: E402
from tests.stream_client import Visitor  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCRIPT_ADDRESS = "198.51.100.66"
STROKE_EVERY = 2.0


def start(folder, turns):
    models = folder / "models"
    models.mkdir()
    for name in ("strong.keras", "strong.json", "tutorial.keras", "tutorial.json"):
        (models / name).write_bytes((ROOT / "models" / name).read_bytes())
    port = free_port()
    env = {"MNIST_MODELS_DIR": str(models), "MNIST_DRAWINGS_DB": str(folder / "d.sqlite"),
           "MNIST_CLIENT_HEADER": "X-Real-IP", "MNIST_RUNS_AT_ONCE_PER_CLIENT": str(turns),
           "MNIST_TRAINING_SPARE": "0"}
    process = start_server("streamlit_app.py", ROOT, port, folder / "server.log", env=env)
    url = f"http://127.0.0.1:{port}"
    wait_until_healthy(url, process, folder / "server.log")
    return process, url


async def round_of(url, pid, pool, args):
    script = [Visitor(url, f"script-{i}", headers={"X-Real-IP": SCRIPT_ADDRESS})
              for i in range(args.pages)]
    visitors = [Visitor(url, f"visitor-{i}", headers={
        "X-Real-IP": "192.0.2.1" if args.one_address else f"203.0.113.{i + 1}"})
        for i in range(args.visitors)]
    try:
        for visitor in visitors:  # the first pages of a process take no turns: visitors first
            await visitor.open()
        await asyncio.gather(*(page.open() for page in script))
        before, start_at = cpu_seconds([pid]), time.monotonic()
        until = start_at + args.seconds
        times, script_strokes = [], [0]

        async def flood(page, k):
            while time.monotonic() < until:
                answer = await page.draw(pool[k % len(pool)][0], 60)
                script_strokes[0] += answer is not None
                k += 1

        async def by_hand(visitor, k):
            await asyncio.sleep(STROKE_EVERY * k / len(visitors))  # spread over the 2 s
            while time.monotonic() < until:
                sent = time.monotonic()
                answer = await visitor.draw(pool[k % len(pool)][0], 60)
                times.append(None if answer is None else answer.seconds)
                await asyncio.sleep(max(0.0, sent + STROKE_EVERY - time.monotonic()))
                k += 1

        await asyncio.gather(*(flood(p, i) for i, p in enumerate(script)),
                             *(by_hand(v, i) for i, v in enumerate(visitors)))
        elapsed = time.monotonic() - start_at
        cores = (cpu_seconds([pid]) - before) / elapsed
        answered = sorted(t * 1000 for t in times if t is not None)
        q = statistics.quantiles(answered, n=20) if len(answered) > 1 else answered * 19
        return {"answered": f"{len(answered)}/{len(times)}", "p50": statistics.median(answered),
                "p95": q[18], "max": answered[-1], "script_per_s": script_strokes[0] / elapsed,
                "cores": cores}
    finally:
        await asyncio.gather(*(page.close() for page in [*script, *visitors]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--visitors", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--turns", type=int, default=2, help="MNIST_RUNS_AT_ONCE_PER_CLIENT")
    parser.add_argument("--one-address", action="store_true",
                        help="the visitors share one address (a classroom behind a NAT)")
    args = parser.parse_args()
    print(f"CPU: {cpu_model()}; {os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}")
    pool = digit_pool()
    with tempfile.TemporaryDirectory() as folder:
        servers = {}
        for turns in (args.turns, 0):
            (Path(folder) / str(turns)).mkdir()
            servers[turns] = start(Path(folder) / str(turns), turns)
        try:
            for round_ in range(args.rounds):
                for turns, (process, url) in servers.items():
                    row = asyncio.run(round_of(url, process.pid, pool, args))
                    print(f"round {round_ + 1}, turns {turns or 'off'}: visitors "
                          f"{row['answered']} answered, p50 {row['p50']:.0f} / p95 "
                          f"{row['p95']:.0f} / max {row['max']:.0f} ms; the script "
                          f"{row['script_per_s']:.1f} strokes/s; server {row['cores']:.2f} cores;"
                          f" load {os.getloadavg()[0]:.2f}", flush=True)
        finally:
            for process, _ in servers.values():
                stop_server(process)


if __name__ == "__main__":
    main()
