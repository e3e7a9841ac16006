"""Running a coroutine to its end from a test, whatever already runs in the test's thread.

Playwright's sync API, which the browser tests share through session fixtures, keeps an event
loop running in the pytest worker's main thread; `asyncio.run` refuses to start there ("cannot
be called from a running event loop"), so a test that ran after a browser test in the same
worker failed. The coroutine gets a thread and a loop of its own instead.
"""

import asyncio
import concurrent.futures


def run_apart(coroutine):
    """`asyncio.run(coroutine)` in a thread of its own; returns its result or raises its error."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1,
                                               thread_name_prefix="test-loop") as pool:
        return pool.submit(asyncio.run, coroutine).result()
