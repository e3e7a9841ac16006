"""Footprint of the app: time from `streamlit run` to a page that answers, and resident memory.

    .venv/bin/python bench/footprint.py [--repeats 1]

What is measured, on a server started fresh for each measurement:
  (a) seconds from launching `python -m streamlit run streamlit_app.py` to /_stcore/health
      answering "ok" (polled every 50 ms);
  (b) seconds from the same launch to a page that answers: headless Chromium (Playwright,
      started beforehand so its own start-up is not counted) opens the app's URL as soon as (a)
      answers, and the page counts once the Draw view's canvas and the sidebar's model facts
      ("Test accuracy ...") are visible, that is the default model is loaded;
  (c) the resident memory (VmRSS from /proc, summed over the server process and any children)
      once that first page run is over and one stroke has been drawn and predicted. Its
      file-backed part (RssFile: mapped libraries, shareable with other processes) and the peak
      (VmHWM) are printed beside it.

Reference, same run: the same three measurements for a minimal Streamlit app written to a temp
folder (`import streamlit as st; st.write("hello")`, ready when "hello" shows), started with the
same command (both with the app's file watcher, poll, unless `--file-watcher` says otherwise).
The ratios app / minimal say what the app's own imports, model and data cost over Streamlit
itself. Apps are measured in turn (minimal, app, minimal, app, ...); with `--repeats`
above 1 the medians are compared.

Goals: RSS <= 900 MB and launch to a page that answers <= 10 s.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

# The digit strokes live in page_latency.py beside this file; it also puts the project root
# on sys.path, where tests/browser_kit.py holds the server and browser helpers.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from page_latency import ROOT, digit_stroke, wait_until_idle  # noqa: E402

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
    stroke,
    wait_until_healthy,
)

MINIMAL_APP = 'import streamlit as st\n\nst.write("hello")\n'
GOAL_MB = 900
GOAL_SECONDS = 10
MB = 1_000_000  # the goal is in MB; /proc counts in KiB


def status_kb(pid, field):
    """A `VmRSS:`-style field of /proc/PID/status in kB (0 if the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def pss_kb(pid):
    """The proportional set size of `pid` in kB (smaps_rollup; 0 if gone or unreadable): its
    private pages plus its share of pages mapped by several processes (TensorFlow's libraries
    in the server and its children), so a sum over processes counts each page once, as the
    memory limit of a container does."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def process_tree(pid):
    """`pid` and all its descendants, from the parent ids in /proc/*/stat."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        tree.append(todo.pop())
        todo += children.get(tree[-1], [])
    return tree


def memory_mb(pid):
    """RSS of the process tree, its file-backed part (mapped libraries, shareable), and the peak
    RSS of `pid` itself, in MB."""
    tree = process_tree(pid)
    kb = 1024 / MB
    return (sum(status_kb(p, "VmRSS") for p in tree) * kb,
            sum(status_kb(p, "RssFile") for p in tree) * kb, status_kb(pid, "VmHWM") * kb)


def wait_for_app_page(page):
    """The Draw view is ready with the default model loaded."""
    canvas(page).wait_for(state="visible")
    page.get_by_test_id("stSidebar").get_by_text("Test accuracy").wait_for(state="visible")


def predict_once(page):
    """One stroke, then the whole answer on the page."""
    wait_until_idle(page)
    stroke(page, digit_stroke(7))
    draw_panel(page).get_by_test_id("stMetricValue").wait_for(state="visible")
    wait_until_idle(page)


def measure(browser, script, cwd, ready, interact, file_watcher, settle, log):
    """Starts `script`, server output to `log`.

    Returns:
        {"health_s", "page_s", "rss_mb", "file_mb", "peak_mb"}: seconds from launch, and MB.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    launched = time.perf_counter()
    server = start_server(script, cwd, port, log, file_watcher)
    try:
        try:
            healthy = wait_until_healthy(url, server, log)
        except ServerError as error:
            sys.exit(str(error))
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(120 * MS)
        page.goto(url)
        ready(page)
        answered = time.perf_counter()
        wait_until_idle(page)  # the rest of the first run (other tabs) is part of the footprint
        interact(page)
        time.sleep(settle)
        rss, file_backed, peak = memory_mb(server.pid)
        page.close()
    finally:
        stop_server(server)
    return {"health_s": healthy - launched, "page_s": answered - launched,
            "rss_mb": rss, "file_mb": file_backed, "peak_mb": peak}


def run(args, folder):
    """Fresh starts of each app in turn; returns {"minimal": [figures], "app": [figures]}."""
    from playwright.sync_api import sync_playwright

    (folder / "minimal_app.py").write_text(MINIMAL_APP)
    subjects = {
        "minimal": ("minimal_app.py", folder,
                    lambda page: page.get_by_text("hello", exact=True).wait_for(state="visible"),
                    lambda page: None),
        "app": ("streamlit_app.py", ROOT, wait_for_app_page, predict_once),
    }
    results = {name: [] for name in subjects}
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, args.chromium)
        for repeat in range(args.repeats):
            for name, (script, cwd, ready, interact) in subjects.items():
                log = folder / f"{name}-{repeat + 1}.log"
                figures = measure(browser, script, cwd, ready, interact, args.file_watcher,
                                  args.settle, log)
                results[name].append(figures)
                print(f"  run {repeat + 1} {name:<7}: health {figures['health_s']:5.2f} s, "
                      f"page answers {figures['page_s']:5.2f} s, "
                      f"RSS {figures['rss_mb']:4.0f} MB (file-backed {figures['file_mb']:4.0f} MB, "
                      f"peak {figures['peak_mb']:4.0f} MB)", flush=True)
        browser.close()
    return results


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The docstring as written, and each flag's default."""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    parser.add_argument("--repeats", type=int, default=1, help="fresh starts of each app")
    parser.add_argument("--settle", type=float, default=1.0,
                        help="seconds to wait after the last answer before reading memory")
    parser.add_argument("--file-watcher", default="poll",
                        choices=["auto", "watchdog", "poll", "none"],
                        help="server.fileWatcherType for both apps (the app's "
                             ".streamlit/config.toml says poll; Streamlit's own default is auto)")
    parser.add_argument("--chromium", default=default_chromium(),
                        help="Chromium executable")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-footprint-") as folder:
        results = run(args, Path(folder))

    median = {name: {key: statistics.median(one[key] for one in runs) for key in runs[0]}
              for name, runs in results.items()}
    app, minimal = median["app"], median["minimal"]
    which = "median of" if args.repeats > 1 else "one run of"
    print(f"Footprint, {os.cpu_count()} CPU cores, {which} {args.repeats} fresh start(s) each, "
          f"file watcher {args.file_watcher}:")
    for label, key, unit in (("launch -> /_stcore/health ok", "health_s", "s"),
                             ("launch -> page answers", "page_s", "s"),
                             ("RSS after one prediction", "rss_mb", "MB"),
                             ("  of which file-backed", "file_mb", "MB"),
                             ("peak RSS (VmHWM)", "peak_mb", "MB")):
        digits = 2 if unit == "s" else 0
        print(f"  {label:<30} app {app[key]:7.{digits}f} {unit:<3}  minimal {minimal[key]:7.{digits}f}"
              f" {unit:<3}  app / minimal {app[key] / minimal[key]:5.2f}")
    print(f"  goal RSS <= {GOAL_MB} MB: {app['rss_mb']:.0f} MB, "
          f"{'goal met' if app['rss_mb'] <= GOAL_MB else 'goal NOT met'}")
    print(f"  goal page answers <= {GOAL_SECONDS} s: {app['page_s']:.2f} s, "
          f"{'goal met' if app['page_s'] <= GOAL_SECONDS else 'goal NOT met'}")


if __name__ == "__main__":
    main()
