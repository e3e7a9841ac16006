"""From a visitor's Train click to the first batch on the progress bar, in a real browser, with
a training process kept ready (`MNIST_TRAINING_SPARE=1`) and without (0, the reference).

    .venv/bin/python bench/train_start.py [--repeats 2] [--finish quick]

What is measured: the app runs under `streamlit run` on a free port with a private copy of the
models folder, once with spares on and once off (in turn, `--repeats` times each). A headless
Chromium page (Playwright) opens the Train tab, sets 1 epoch of the chosen recipe (tutorial by
default) and, on a warm server (the page loaded once, the spare's process quiet: it has warmed
up), clicks Train. Stamps are taken in the page with `performance.now()`: the click (a
capture-phase `click` listener) and the first frame whose progress bar reads "batch N/M" with
N >= 1 (a MutationObserver, then the next animation frame); every other text the bar shows
between them is kept, with its time, so the setup steps the visitor saw are printed too. The
training is then cancelled, and the next click waits for the next spare to warm up.

`--finish RECIPE` then trains RECIPE with its own settings to the end on each server and times
the click to "Finished: test accuracy" (what a visitor waits for a model, issue 24's quick recipe
goal is <= 20 s), printing the accuracy shown.

Memory: the server and its children (VmRSS summed over the process tree, and PSS, which shares
each mapped library among the processes mapping it), with the spare warm and idle, and the
highest seen while training (sampled every `SAMPLE_SECONDS`). The Community Cloud budget: <= 2.5 GB.

Goal (issue 24): click -> first batch <= 3 s on a warm server.
"""

import argparse
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from footprint import process_tree, pss_kb, status_kb  # noqa: E402
from page_latency import ROOT  # noqa: E402

from tests.browser_kit import (MS, default_chromium, free_port, launch_chromium,  # noqa: E402
                               start_server, stop_server, wait_until_healthy)

GOAL_S, BUDGET_MB = 3.0, 2500
MB = 1_000_000
WAIT_MS = 300 * MS
BATCH = re.compile(r"batch (\d+)/(\d+)")

INSTRUMENT = """() => {
    const b = window.__train = {click: null, texts: [], first: null};
    addEventListener('click', e => {
        if (b.click === null && e.target.closest('button')?.innerText.trim() === 'Train')
            b.click = performance.now();
    }, true);
    const check = () => {
        if (b.click === null) return;
        const bar = document.querySelector('[data-testid="stProgress"]');
        const text = bar ? bar.innerText.trim() : '';
        if (text && b.texts.at(-1)?.[1] !== text) b.texts.push([performance.now() - b.click, text]);
        const m = /batch (\\d+)\\//.exec(text);
        if (b.first === null && m && +m[1] >= 1) {
            b.first = -1;
            requestAnimationFrame(() => { b.first = performance.now() - b.click; });
        }
    };
    new MutationObserver(check).observe(document.body,
        {subtree: true, childList: true, characterData: true});
}"""


def memory(pid):
    """`(rss_mb, pss_mb, processes)` of the server's process tree."""
    tree = process_tree(pid)
    return (sum(status_kb(p, "VmRSS") for p in tree) * 1024 / MB,
            sum(pss_kb(p) for p in tree) * 1024 / MB, len(tree))


def cpu_ticks(pid):
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (FileNotFoundError, ProcessLookupError):
        return None


def tree_cpu(server_pid):
    """`(server, children)` CPU seconds (user + sys) so far; children that ended are not
    counted, so it is read while the training process runs."""
    tick = os.sysconf("SC_CLK_TCK")
    children = [p for p in process_tree(server_pid) if p != server_pid]
    return (cpu_ticks(server_pid) or 0) / tick, sum(cpu_ticks(p) or 0 for p in children) / tick


def reaped_cpu(server_pid):
    """CPU seconds of the server's children that have ended and been waited for."""
    fields = Path(f"/proc/{server_pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def wait_until_quiet(server_pid, spare, timeout=300):
    """Waits until the server has its one spare child (when `spare`; else none) and it has used
    no CPU for 2 s."""
    deadline, last, since = time.monotonic() + timeout, None, time.monotonic()
    while time.monotonic() < deadline:
        children = [p for p in process_tree(server_pid) if p != server_pid]
        ticks = sum(cpu_ticks(p) or 0 for p in children)
        if ticks != last:
            last, since = ticks, time.monotonic()
        elif time.monotonic() - since > 2 and len(children) == (1 if spare else 0):
            return
        time.sleep(0.2)
    raise SystemExit("the spare did not warm up in time")


SAMPLE_SECONDS = 1.0
"""How often the memory is sampled. Every 0.2 s the sampler itself took 0.15 of a core (it reads
every process' stat and the TensorFlow processes' smaps_rollup), which the training it times
lost (AVX2-only emulation, issue 24); a training's memory is a plateau a second's sampling
finds."""


class Sampler:
    """The highest memory of the server's tree while it runs."""

    def __init__(self, pid):
        self.pid, self.top, self._stop = pid, (0, 0, 0), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(SAMPLE_SECONDS):
            self.top = max(self.top, memory(self.pid))

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.top


def open_train_tab(page, url):
    page.goto(url)
    page.get_by_role("tab", name="Train").click(timeout=WAIT_MS)
    page.get_by_role("button", name="Train", exact=True).wait_for(timeout=WAIT_MS)


def set_settings(page, recipe, epochs):
    box = page.get_by_label("Recipe")
    box.click()
    page.get_by_role("option", name=recipe, exact=True).click()
    idle(page)
    if epochs:
        field = page.get_by_label("Epochs", exact=True)
        field.fill(str(epochs))
        field.press("Enter")
        idle(page)


def idle(page):
    page.wait_for_function("() => document.querySelector('[data-testid=\"stApp\"]')"
                           "?.getAttribute('data-test-script-state') === 'notRunning'",
                           timeout=WAIT_MS)


def click_train(page):
    page.evaluate(INSTRUMENT)
    train = page.get_by_role("button", name="Train", exact=True)
    train.wait_for(timeout=WAIT_MS)
    page.wait_for_function("() => !document.evaluate(\"//button[normalize-space()='Train']\", "
                           "document, null, 9, null).singleNodeValue.disabled", timeout=WAIT_MS)
    train.click()


def first_batch(page, server_pid):
    """Click -> first batch, in seconds, and the texts the bar showed until then."""
    sampler = Sampler(server_pid)
    before = tree_cpu(server_pid)
    click_train(page)
    page.wait_for_function("() => window.__train.first > 0", timeout=WAIT_MS)
    after = tree_cpu(server_pid)
    result = page.evaluate("window.__train")
    result["texts"].append([0, f"CPU meanwhile: server {after[0] - before[0]:.1f} s, training "
                               f"process {after[1] - before[1]:.1f} s"])
    page.get_by_role("button", name="Cancel").click()
    page.get_by_text("Training was cancelled").wait_for(timeout=WAIT_MS)
    return result["first"] / 1000, result["texts"], sampler.stop()


def finished(page, server_pid):
    """Click -> "Finished: test accuracy ...", in seconds, that text and the CPU the training
    process spent after the click (all it spent once reaped, less its warm-up before)."""
    sampler = Sampler(server_pid)
    warm, reaped = tree_cpu(server_pid)[1], reaped_cpu(server_pid)
    click_train(page)
    done = page.get_by_text(re.compile("Finished: test accuracy|Training failed"))
    done.wait_for(timeout=WAIT_MS)
    seconds = page.evaluate("performance.now() - window.__train.click") / 1000
    deadline = time.monotonic() + 30
    while reaped_cpu(server_pid) == reaped and time.monotonic() < deadline:
        time.sleep(0.2)  # the server waits for the training process as it exits
    cpu = reaped_cpu(server_pid) - reaped - warm
    return seconds, f"{done.inner_text()} (training process CPU after the click {cpu:.1f} s)", \
        sampler.stop()


def one_server(browser, spare, args, folder, log):
    models = Path(folder) / f"models-{spare}"
    models.mkdir(exist_ok=True)
    for name in ("tutorial.keras", "tutorial.json"):
        shutil.copy(ROOT / "models" / name, models / name)
    port = free_port()
    server = start_server("streamlit_app.py", ROOT, port, log, env={
        "MNIST_MODELS_DIR": str(models), "MNIST_TRUST_MODEL": "tutorial.keras",
        "MNIST_DRAWINGS_DB": str(Path(folder) / "drawings.sqlite"),
        "MNIST_TRAINING_SPARE": "1" if spare else "0"})
    rows = []
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, server, log, timeout=120)
        page = browser.new_page()
        open_train_tab(page, url)
        set_settings(page, args.recipe, 1)
        wait_until_quiet(server.pid, spare)
        idle_mem = memory(server.pid)
        seconds, texts, top = first_batch(page, server.pid)
        rows.append(("first", seconds, texts, idle_mem, top, os.getloadavg()[0]))
        if args.finish:
            page.get_by_role("button", name="Train", exact=True).wait_for(timeout=WAIT_MS)
            set_settings(page, args.finish, args.finish_epochs)
            wait_until_quiet(server.pid, spare)
            seconds, text, top = finished(page, server.pid)
            rows.append(("finish", seconds, text, memory(server.pid), top, os.getloadavg()[0]))
        page.close()
    finally:
        stop_server(server)
    return rows


def niced(chromium, nice, folder):
    """`chromium`, or a script in `folder` that starts it `nice` steps below normal priority
    (its renderers inherit it)."""
    if not nice:
        return chromium
    script = Path(folder) / "chromium-niced"
    script.write_text(f'#!/bin/sh\nexec nice -n {int(nice)} {chromium or "chromium"} "$@"\n')
    script.chmod(0o755)
    return str(script)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--recipe", default="tutorial", help="recipe of the first-batch timing")
    parser.add_argument("--finish", default=None, help="then train this recipe to the end")
    parser.add_argument("--finish-epochs", type=int, default=None)
    parser.add_argument("--only", choices=("spare", "cold"), default=None)
    parser.add_argument("--chromium", default=default_chromium())
    parser.add_argument("--browser-nice", type=int, default=0,
                        help="run Chromium this much below normal priority (19: it takes only "
                             "what the server and the training leave, as a visitor's own "
                             "machine would)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    modes = [m for m in (True, False) if args.only is None or args.only == ("spare" if m else "cold")]
    print(f"{os.cpu_count()} CPU cores, {cpu_model()}; Chromium at nice {args.browser_nice}")
    with tempfile.TemporaryDirectory(prefix="bench-train-start-") as folder, \
            sync_playwright() as playwright:
        browser = launch_chromium(playwright, niced(args.chromium, args.browser_nice, folder))
        for repeat in range(args.repeats):
            for spare in modes:
                log = Path(folder) / f"streamlit-{spare}-{repeat}.log"
                for kind, seconds, what, idle_mem, top, load in one_server(
                        browser, spare, args, folder, log):
                    name = "spare on " if spare else "spare off"
                    if kind == "first":
                        cpu = what.pop()[1]
                        shown = []
                        for t, text in what:  # each step once, when it first showed
                            step = text.split(" · ")[0]
                            if not shown or shown[-1][1] != step:
                                shown.append((t, step))
                        steps = " -> ".join(f"{t / 1000:.1f} s {step!r}" for t, step in shown)
                        print(f"[{name}] click -> first batch {seconds:5.2f} s (load {load:.1f}); "
                              f"goal <= {GOAL_S} s: {'met' if seconds <= GOAL_S else 'NOT met'}")
                        print(f"    the bar showed: {steps}")
                        print(f"    {cpu} (the spare's warm-up is before the click)")
                    else:
                        print(f"[{name}] click -> finished {args.finish}: {seconds:5.1f} s "
                              f"(load {load:.1f}): {what.splitlines()[0]}")
                    print(f"    memory, server + children: before {idle_mem[0]:.0f} MB RSS / "
                          f"{idle_mem[1]:.0f} MB PSS ({idle_mem[2]} processes); highest while "
                          f"training {top[0]:.0f} MB RSS / {top[1]:.0f} MB PSS; budget "
                          f"{BUDGET_MB} MB: {'met' if top[1] <= BUDGET_MB else 'NOT met'} (PSS)")
        browser.close()


def cpu_model():
    try:
        return next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                    if line.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown CPU"


if __name__ == "__main__":
    main()
