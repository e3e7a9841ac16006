"""Driving the app in a real browser: its server, Chromium, and pen strokes on the canvas.

Shared by the browser tests (tests/test_browser.py) and the page benchmarks
(bench/page_latency.py, bench/footprint.py), so that both measure the page the same way.
Needs Playwright only for the `page` objects its callers pass in; nothing here imports it.
"""

import math
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from itertools import pairwise
from pathlib import Path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
CANVAS = 280  # ui.canvas.CANVAS_SIZE
MS = 1000  # Playwright counts in milliseconds


class ServerError(RuntimeError):
    """The app's server exited or did not answer; the message holds its log."""


def default_chromium():
    """`$PLAYWRIGHT_CHROMIUM`, else /usr/bin/chromium when it exists, else None (Playwright's)."""
    installed = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    return os.environ.get("PLAYWRIGHT_CHROMIUM") or installed


def launch_chromium(playwright, executable=None):
    return playwright.chromium.launch(executable_path=executable or default_chromium(),
                                      args=CHROMIUM_ARGS)


# ---- The server -----------------------------------------------------------------------------

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


STREAMLIT_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
STREAMLIT_WARNING = re.compile(r"^\S+ \S+ (WARNING|ERROR|CRITICAL) streamlit[.\w]*: .*$", re.M)
"""A warning or error Streamlit itself logged, as `STREAMLIT_LOG_FORMAT` writes it."""


def streamlit_warnings(log):
    """The warnings and errors Streamlit logged in the server log file `log`, one per line."""
    return [match.group(0)
            for match in STREAMLIT_WARNING.finditer(log.read_text(errors="replace"))]


def start_server(script, cwd, port, log, file_watcher="none", env=None):
    """`streamlit run script` on `port`, output to the file `log`; returns the Popen.

    `file_watcher` "none" runs the code as it was at start (no reruns when files change, and no
    watcher thread to slow timings); footprint.py passes "poll", what the app is configured
    with. `env`: extra environment variables.
    """
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    with open(log, "wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", file_watcher,
             # Bound to the loopback, the server does not look for its external address (a
             # network call, and a warning in its log where there is no network).
             "--server.address", "127.0.0.1",
             # Each line says its level and logger, so a test can find Streamlit's warnings.
             "--logger.messageFormat", STREAMLIT_LOG_FORMAT],
            cwd=cwd, env=full_env, stdout=output, stderr=subprocess.STDOUT)


def wait_until_healthy(url, server, log, timeout=120, interval=0.05):
    """Polls /_stcore/health until it answers "ok"; returns time.perf_counter() at that moment.

    Raises:
        ServerError: the server exited, or did not answer within `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise ServerError(
                f"streamlit exited with {server.returncode}:\n{Path(log).read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read().decode().strip() == "ok":
                    return time.perf_counter()
        except OSError:
            pass  # not listening yet
        time.sleep(interval)
    raise ServerError(f"streamlit did not answer within {timeout} s:\n{Path(log).read_text()}")


def stop_server(server):
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# ---- The canvas -----------------------------------------------------------------------------

def canvas(page):
    # The component stacks a background canvas and fabric's two layers, and Vega draws charts
    # on canvases too: fabric's upper layer is the one on top, which receives the mouse.
    return page.locator("canvas.upper-canvas")


def draw_panel(page, name="Draw"):
    # Inactive tabs stay in the DOM (hidden, without the tabpanel role), and the Explore tab
    # has its own "Predicted digit" metric, so everything is looked up in the visible panel.
    return page.get_by_role("tabpanel", name=name)


def stroke(page, points):
    """One pen stroke through `points`, (x, y) in canvas pixels, as real mouse events.

    Raises:
        ValueError: the canvas on the page is not CANVAS x CANVAS pixels.
    """
    # A person scrolls back to the canvas; the mouse only reaches what is on screen (a page
    # grown by the inside view or the digits under the answer can push the canvas off it).
    canvas(page).scroll_into_view_if_needed()
    box = canvas(page).bounding_box()
    if box["width"] != CANVAS or box["height"] != CANVAS:
        raise ValueError(f"the canvas is {box['width']}x{box['height']}, not {CANVAS}x{CANVAS}")
    page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=3)
    page.mouse.up()


def line(start, end, n=12):
    (x0, y0), (x1, y1) = start, end
    return [(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(n + 1)]


def polyline(*corners):
    points = [corners[0]]
    for start, end in pairwise(corners):
        points += line(start, end)[1:]
    return points


def ellipse(centre, rx, ry, n=40):
    cx, cy = centre
    return [(cx + rx * math.sin(2 * math.pi * i / n), cy - ry * math.cos(2 * math.pi * i / n))
            for i in range(n + 2)]  # two extra points close the loop
