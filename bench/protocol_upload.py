"""bench/visitors.py --protocol --upload: one visitor uploads a model file while others draw.

The file goes through the sidebar's uploader as a browser sends it (tests.stream_client's
upload); the server checks it in a sandboxed child process (ui/upload_check.py), and the page
says "Loaded <name> from your upload." or why it refused it. The time from the upload's start
to that sentence, and which it was, go into the figures.
"""

import time

from tests.stream_client import Visitor

UPLOADER = "Or upload a model (.keras or .h5)"  # ui.texts "upload", en
CHECK_TIMEOUT = 600


async def check_upload(url, path, tally):
    visitor = Visitor(url, "uploader")
    await visitor.open()
    try:
        start, seen = time.perf_counter(), len(visitor.page.alerts)
        await visitor.upload(UPLOADER, path.name, path.read_bytes())

        def said():
            return [a for a in list(visitor.page.alerts)[seen:] if path.name in a]

        await visitor.wait(said, CHECK_TIMEOUT, "word on the upload")
        tally["upload"] = {"file": path.name, "bytes": path.stat().st_size,
                           "seconds": time.perf_counter() - start, "page_said": said()[0][:200]}
    finally:
        tally["exceptions_upload"] = list(visitor.page.exceptions)
        await visitor.close()
