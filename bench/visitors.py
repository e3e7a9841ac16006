"""Visitors at once: N browser sessions drawing every 2 s, with or without a training running.

    .venv/bin/python bench/visitors.py [--visitors 10] [--seconds 60] [--training] [--json]
    .venv/bin/python bench/visitors.py --protocol [--visitors 30] [--training] [--upload FILE]
        [--url URL --server-pids PIDS]

`--protocol` measures without browsers: see bench/protocol_visitors.py. What follows is the
browser mode, which also measures the canvas component's own delays and the page's rendering.

What is measured: the app runs under `streamlit run` on 127.0.0.1 with a private copy of models/
(`MNIST_MODELS_DIR`, so a training's model never lands in the repository). One headless
Chromium opens N visitors, each a browser context of its own (own cookies, so its own Streamlit
session). Each visitor draws a digit (1, 7, 0, 4 in turn, each slightly moved; the default
model reads them all) every `--period` seconds for `--seconds`, the visitors' first strokes
spread evenly over one period, and clears the canvas with its bin button after each answer
(after one untimed stroke when its page opens, which loads the page's chart library).
For every stroke, as bench/page_latency.py does it, inside the page: the time from the stroke's
mouse-up to the frame showing the Draw view's new "Predicted digit", and the part of it before
the page sent the canvas to the server. A stroke not answered within `--answer-timeout` is
"unanswered"; an answer other than the digit drawn is "wrong". Page errors are uncaught
exceptions in the page, console errors, and Streamlit exception boxes in the page. A stroke
due while the visitor still waits for its last answer or clears its canvas is drawn as soon as
that is done (a late start, counted), and nobody draws past the window: fewer strokes drawn than
scheduled means the visitors could not keep the pace.

With `--training`, one more browser context opens the Train view, sets 50 epochs of the
tutorial recipe and clicks Train; once the progress bar shows a running epoch the visitors open
their pages (so each polls the progress every second, as a visitor arriving during a training
does), and the training is started again should it end before the measurement does (counted).
Timing starts once every page is open.

The server's share: the server runs with bench/run_timing/ on PYTHONPATH, which times every
script run (see its docstring). For each run that answered a stroke: the wait from the moment
the server decoded the visitor's request to the start of the run (the session's script thread
busy with an earlier run, e.g. a progress poll) plus the run itself. Its p50 against the
stroke's p50 in the page is the server's share; the rest is the canvas component's own wait
before sending, the network and the page's rendering. Also shown: CPU used in the measured
window by the server process (all its threads), the training child and the browsers
(Chromium and Playwright's driver), from /proc, in cores (CPU seconds / window seconds).

Where the browsers run matters: a drawing visitor's Chromium needs about a quarter of a core
here (the stroke, the answer, the bin), so ten of them on the server's two cores measure the
browsers more than the app. On a machine with more cores, `--server-cpus 0,1 --browser-cpus
2-7` gives the server (and its training) two cores of its own, as in production where the
visitors' browsers run on their own computers.

Goal: with 10 visitors and a training running, every stroke answered and p95 <= 1 s.
"""

import argparse
import asyncio
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from playwright.async_api import TimeoutError as PlaywrightTimeout
from playwright.async_api import async_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cpu_share import cpu_snapshot, parse_cpus, pinned  # noqa: E402
from launchers import LAUNCHERS, running_server  # noqa: E402
from footprint import process_tree  # noqa: E402
from page_latency import EMPTY_TEXT, INSTRUMENT, ROOT, digit_stroke  # noqa: E402
from visitor_figures import GOAL_VISITORS, report, summarise  # noqa: E402

from tests.browser_kit import (  # noqa: E402
    MS,
    ServerError,
    canvas,
    default_chromium,
    draw_panel,
    free_port,
    launch_chromium,
    start_server,
    stop_server,
    wait_until_healthy,
)

TRAIN_EPOCHS = 50  # the most the Train view allows: far longer than any measurement
PROGRESS = re.compile(r"Epoch \d+/\d+ · batch")
OFFSETS = [(0, 0), (-12, 8), (10, -6), (6, 12), (-8, -10)]  # each stroke of a digit moved a bit
LOOK_SECONDS = 0.2  # a person glances at the answer before clearing
CLEAR_TRIES = 3
# How often the pages check, while Python waits, whether an answer is in. Not part of any timing
# (the stamps are taken by the page's own listeners); Playwright's default, every animation
# frame, kept ten pages busy at 60 checks a second each, on the server's two cores.
POLL_MS = 50
CHECK_TRAINING_SECONDS = 2.0
IDLE = ("() => document.querySelector('[data-testid=\"stApp\"]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'")
ANSWER_DRAWN = """() => {
    const panel = window.__drawPanel();
    const img = panel.querySelector('[data-testid="stImage"] img');
    return img && img.naturalWidth > 0 && panel.querySelector('[data-testid="stVegaLiteChart"]');
}"""
NO_METRIC = "() => !window.__drawPanel().querySelector('[data-testid=\"stMetric\"]')"


# ---- One visitor -------------------------------------------------------------------------

async def pen(page, points):
    """browser_kit.stroke for Playwright's async API: one stroke through canvas `points`.

    One mouse event per point, not browser_kit's three: the points are already 13-42 per digit,
    as many as a real mouse sends in half a second, and each event is a round trip through
    Chromium on the same two cores as the server (1-2 s a digit with three, for ten visitors).
    """
    box = await canvas(page).bounding_box()
    await page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    await page.mouse.down()
    for x, y in points[1:]:
        await page.mouse.move(box["x"] + x, box["y"] + y)
    await page.mouse.up()


async def open_app(context, url, errors, name):
    """A new page of `context` on the app, errors collected in `errors`, canvas ready."""
    page = await context.new_page()
    page.on("pageerror", lambda error: errors.append(f"{name}: page error: {error}"))
    page.on("console", lambda message: message.type == "error"
            and errors.append(f"{name}: console: {message.text[:300]}"))
    await page.goto(url)
    await canvas(page).wait_for(state="visible", timeout=180 * MS)
    await draw_panel(page).get_by_text(EMPTY_TEXT).wait_for(state="visible")
    await page.wait_for_function(IDLE)
    await page.evaluate(INSTRUMENT, EMPTY_TEXT)
    return page


async def draw(page, digit, k, timeout):
    """One timed stroke of `digit` (its k-th, moved a little).

    Returns:
        `{"total", "to_send", "value"}`: ms as `page_latency.measured`; None if unanswered.
    """
    dx, dy = OFFSETS[k % len(OFFSETS)]
    await page.evaluate("() => window.__bench.arm('metric')")
    await pen(page, digit_stroke(digit, dx, dy))
    try:
        await page.wait_for_function("() => window.__bench.shown !== null", polling=POLL_MS,
                                     timeout=timeout * MS)
    except PlaywrightTimeout:
        return None
    t0, sent, shown, value = await page.evaluate(
        "() => { const b = window.__bench; b.kind = null; "
        "return [b.t0, b.sent, b.shown, b.value]; }")
    # The rest of the answer (chart, image) is the end of the stroke's run. Not the page's
    # script state: during a training it is "running" whenever the hidden Train view polls.
    try:
        await page.wait_for_function(ANSWER_DRAWN, polling=POLL_MS, timeout=timeout * MS)
    except PlaywrightTimeout:
        pass  # the metric was shown: answered, whatever the chart does
    return {"total": shown - t0, "to_send": (sent or shown) - t0, "value": value}


async def clear(page, timeout):
    """Bin click until "The canvas is empty" shows with no metric left; False if it never does."""
    for _ in range(CLEAR_TRIES):
        try:
            await canvas(page).hover()  # the toolbar only shows while the pointer is over it
            await page.get_by_role("button", name="Reset canvas & history").click()
            await draw_panel(page).get_by_text(EMPTY_TEXT).wait_for(state="visible",
                                                                  timeout=timeout * MS)
            await page.wait_for_function(NO_METRIC, polling=POLL_MS, timeout=timeout * MS)
            return True
        except PlaywrightTimeout:
            continue
    return False


async def visitor(index, page, clock, args, tally):
    """Draws on schedule until the window closes; appends to `tally["strokes"]`.

    A visitor whose canvas cannot be cleared stops (counted as stuck): its next stroke would
    land on the last one's drawing.
    """
    loop = asyncio.get_running_loop()
    digits = [int(c) for c in args.digits]
    await clock["go"].wait()
    for k in range(10 ** 6):
        due = clock["t0"] + args.period * (index / args.visitors + k)
        if max(due, loop.time()) >= clock["t_end"]:
            break  # a visitor behind schedule does not draw past the window either
        tally["late"] += loop.time() - due > args.period / 2
        await asyncio.sleep(max(0.0, due - loop.time()))
        digit = digits[(index + k) % len(digits)]
        answer = await draw(page, digit, k // len(digits), args.answer_timeout)
        tally["strokes"].append({"visitor": index, "digit": digit, "answer": answer})
        await asyncio.sleep(LOOK_SECONDS)
        if not await clear(page, args.answer_timeout / CLEAR_TRIES):
            tally["stuck"] += 1
            tally["errors"].append(f"visitor {index}: the canvas could not be cleared")
            break
    tally["exceptions"] += await page.get_by_test_id("stException").count()


# ---- The training ----------------------------------------------------------------------------

async def start_training(page, tally):
    """Clicks Train (tutorial recipe, TRAIN_EPOCHS epochs) and waits for a running epoch."""
    await page.get_by_role("tab", name="Train").click()
    train = page.get_by_role("button", name="Train", exact=True)
    await train.wait_for(state="visible")
    epochs = page.get_by_label("Epochs", exact=True)
    if await epochs.input_value() != str(TRAIN_EPOCHS):
        await epochs.fill(str(TRAIN_EPOCHS))
        await epochs.press("Enter")  # a number input commits on Enter or blur
        await page.wait_for_function(IDLE)
    await train.click()
    tally["trainings"] += 1
    progress = page.get_by_role("tabpanel", name="Train").get_by_test_id("stProgress")
    await progress.filter(has_text=PROGRESS).wait_for(state="visible", timeout=300 * MS)


async def keep_training(page, clock, tally):
    """Restarts the training whenever it has ended, until the measurement is over."""
    train = page.get_by_role("button", name="Train", exact=True)
    while not clock["done"].is_set():
        if await train.is_enabled():
            await start_training(page, tally)
        try:
            await asyncio.wait_for(clock["done"].wait(), CHECK_TRAINING_SECONDS)
        except asyncio.TimeoutError:
            pass
    cancel = page.get_by_role("button", name="Cancel", exact=True)
    if await cancel.is_enabled():
        await cancel.click()


# ---- The run -------------------------------------------------------------------------------

async def measure(args, url, server, tally):
    loop = asyncio.get_running_loop()
    clock = {"go": asyncio.Event(), "done": asyncio.Event()}
    # Playwright's driver starts Chromium, so the driver is the process to start on its cores.
    with pinned(parse_cpus(args.browser_cpus)):
        playwright = await async_playwright().start()
    try:
        browser = await launch_chromium(playwright, args.chromium)
        contexts = []
        for _ in range(args.visitors + int(args.training)):
            context = await browser.new_context(viewport={"width": 1400, "height": 1000})
            context.set_default_timeout(120 * MS)
            contexts.append(context)
        jobs = []
        if args.training:
            # Training first, visitors after: a page drawn while a training runs polls its
            # progress every second (one drawn before would not, until its next full run).
            trainer = await open_app(contexts[-1], url, tally["errors"], "trainer")
            await start_training(trainer, tally)
            jobs.append(asyncio.create_task(keep_training(trainer, clock, tally)))
        # Pages open one after another, as a page's first run on two cores takes seconds.
        for k, context in enumerate(contexts[:args.visitors]):
            page = await open_app(context, url, tally["errors"], f"visitor {k}")
            # An untimed first stroke: the page loads its chart library with the first answer
            # (seconds on a busy machine), which a visitor pays once, not on every stroke.
            await draw(page, int(args.digits[0]), 0, args.answer_timeout)
            await clear(page, args.answer_timeout / CLEAR_TRIES)
            jobs.insert(k, asyncio.create_task(visitor(k, page, clock, args, tally)))
        before = cpu_snapshot(server.pid)
        tally["load_before"] = os.getloadavg()[0]
        clock["t0"], tally["wall_t0"] = loop.time(), time.time()
        clock["t_end"] = clock["t0"] + args.seconds
        clock["go"].set()
        await asyncio.gather(*jobs[:args.visitors])
        after = cpu_snapshot(server.pid)
        tally["window_s"] = loop.time() - clock["t0"]
        tally["wall_t1"], tally["load_after"] = time.time(), os.getloadavg()[0]
        clock["done"].set()
        await asyncio.gather(*jobs[args.visitors:])
        tally["cores"] = {key: (after[key] - before[key]) / tally["window_s"] for key in after}
        await browser.close()
    finally:
        await playwright.stop()


def run(args, folder):
    """Serves the app from a private models/ copy, runs the visitors; returns the tally."""
    models = folder / "models"
    shutil.copytree(ROOT / "models", models)
    log, runs = folder / "streamlit.log", folder / "runs.jsonl"
    hook = str(Path(__file__).resolve().parent / "run_timing")
    # The bench's training must outlast the window: lift the server's per-training limits.
    env = {"MNIST_MODELS_DIR": str(models), "BENCH_RUN_LOG": str(runs),
           "MNIST_MAX_TRAIN_IMAGE_EPOCHS": str(10 ** 9), "MNIST_MAX_TRAIN_MINUTES": "600",
           "PYTHONPATH": os.pathsep.join(filter(None, [hook, os.environ.get("PYTHONPATH")]))}
    port = args.port or free_port()
    url = f"http://127.0.0.1:{port}"
    tally = {"strokes": [], "errors": [], "exceptions": 0, "late": 0, "trainings": 0, "stuck": 0}
    with pinned(parse_cpus(args.server_cpus)):
        server = start_server("streamlit_app.py", ROOT, port, log, env=env)
    try:
        wait_until_healthy(url, server, log)
        asyncio.run(measure(args, url, server, tally))
    except ServerError as error:
        sys.exit(str(error))
    finally:
        children = set(process_tree(server.pid)) - {server.pid}
        stop_server(server)
        for pid in children:  # a training child left behind, by its own id only
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
    records = [json.loads(line) for line in runs.read_text().splitlines()] if runs.exists() else []
    tally["runs"] = [r for r in records if tally["wall_t0"] <= r["start"] <= tally["wall_t1"]]
    return tally


def protocol_run(args):
    """The protocol mode on the server `--url` names, else on one this run starts."""
    from protocol_visitors import run as run_protocol

    if args.url:
        pids = [int(p) for p in args.server_pids.split(",") if p.strip()]
        with running_server(args.url, pids) as served:
            return run_protocol(args, served)
    with tempfile.TemporaryDirectory(prefix="bench-protocol-") as folder:
        folder = Path(args.keep or folder)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            launcher = LAUNCHERS[args.launcher]
            with launcher(folder, args.port, parse_cpus(args.server_cpus)) as served:
                return run_protocol(args, served)
        except ServerError as error:
            sys.exit(str(error))


def protocol_report(figures):
    from protocol_visitors import report as report_protocol

    report_protocol(figures)


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The docstring as written, and each flag's default."""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    parser.add_argument("--visitors", type=int, default=GOAL_VISITORS, help="browser sessions")
    parser.add_argument("--seconds", type=float, default=60, help="how long they draw")
    parser.add_argument("--period", type=float, default=2.0, help="seconds between strokes")
    parser.add_argument("--training", action="store_true", help="keep a training running")
    parser.add_argument("--port", type=int, default=0, help="server port (0: a free one)")
    parser.add_argument("--digits", default="1704", help="digits drawn, in turn (from 1, 7, 0, 4)")
    parser.add_argument("--answer-timeout", type=float, default=30,
                        help="seconds after which a stroke counts as unanswered")
    parser.add_argument("--server-cpus", default="",
                        help="cores for the server and its training, as taskset -c takes them "
                             "(e.g. 0,1); empty: all")
    parser.add_argument("--browser-cpus", default="",
                        help="cores for Chromium and Playwright's driver (e.g. 2-7): visitors' "
                             "browsers then do not eat the server's cores; empty: all")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--keep", metavar="NEW_FOLDER",
                        help="keep the server's log and its runs.jsonl (one line a script run) "
                             "in this new folder, for a closer look")
    parser.add_argument("--chromium", default=default_chromium(), help="Chromium executable")
    protocol = parser.add_argument_group("protocol mode (bench/protocol_visitors.py)")
    protocol.add_argument("--protocol", action="store_true",
                          help="visitors speak Streamlit's websocket protocol, no browser")
    protocol.add_argument("--idle-seconds", type=float, default=20,
                          help="pages open, nobody drawing: the cost of an idle page")
    protocol.add_argument("--open-at-once", type=int, default=4,
                          help="visitors opening their pages at the same time")
    protocol.add_argument("--upload", metavar="MODEL_FILE",
                          help="one more visitor uploads this model file through the sidebar's "
                               "uploader while the others draw, and waits for its check")
    protocol.add_argument("--launcher", choices=sorted(LAUNCHERS), default="streamlit",
                          help="how the app is served (bench/launchers.py)")
    protocol.add_argument("--url", help="measure the app already served at this URL (no "
                          "server started; --server-pids says which processes to watch)")
    protocol.add_argument("--server-pids", default="",
                          help="with --url: the server processes' ids, comma-separated")
    args = parser.parse_args()

    if args.protocol:
        figures = protocol_run(args)
        if args.json:
            print(json.dumps(figures, indent=2))
        else:
            protocol_report(figures)
        return

    if args.keep:
        folder = Path(args.keep)
        folder.mkdir(parents=True, exist_ok=False)  # never mixes two runs' logs
        figures = summarise(args, run(args, folder))
    else:
        with tempfile.TemporaryDirectory(prefix="bench-visitors-") as folder:
            figures = summarise(args, run(args, Path(folder)))
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        report(figures)


if __name__ == "__main__":
    main()
