"""bench/visitors.py --protocol: N visitors speaking Streamlit's websocket protocol, no browser.

Each visitor is a `tests.stream_client.Visitor`: its own cookies and Streamlit session, the
page's first run, the auto reruns of its `run_every` fragments, and every `--period` seconds a
stroke: the canvas value holding a real MNIST test digit (white on black, 280x280 PNG, as the
component sends it), timed from the send to the "Predicted digit" in the returned deltas. A
visitor waits for its answer before its next stroke; a stroke due meanwhile is drawn late.

Phases, on one server: (1) with `--training`, one more visitor opens the Train tab, sets 50
epochs of the tutorial recipe and clicks Train, and the others open once an epoch runs; (2) the
visitors open their pages (a few at a time) and draw one untimed stroke; (3) `--idle-seconds`
with every page open and nobody drawing: the server's CPU per open page per second; (4)
`--seconds` of drawing, with the training kept running and, with `--upload`, one more
visitor uploading a model file through the sidebar's uploader (its sandboxed check). Before
(2), a reference: the server's CPU with no page open for `--idle-seconds` (at most 10).

CPU is from /proc: the server processes (all threads), their children (training, upload
check) apart, and this client's own. Memory: the resident memory of the servers and their
children, sampled every 0.5 s, peaks. "CPU per stroke" is the server's CPU over the drawing
window divided by the strokes answered (open pages' own polling included); "beyond idle"
subtracts what the same pages cost idle.
"""

import asyncio
import itertools
import os
import platform
import re
from pathlib import Path

from protocol_watch import MemoryPeak, children, cores_between, cpu_now
from streamlit.proto.NumberInput_pb2 import NumberInput
from visitor_figures import percentiles

from tests.stream_client import ProtocolError, Visitor, canvas_value

TRAIN_EPOCHS = 50  # the most the Train view allows: far longer than any measurement
PROGRESS = re.compile(r"Epoch \d+/\d+ · batch")
POOL = 300  # MNIST test digits drawn, in turn
BASELINE_SECONDS = 10
CHECK_TRAINING_SECONDS = 2.0


def digit_pool(size=POOL):
    """`[(canvas value, label)]` for the first `size` MNIST test digits, encoded beforehand."""
    from mnist_core.data.mnist import load_data

    _, (x_test, y_test) = load_data()
    return [(canvas_value(x_test[i]), int(y_test[i])) for i in range(size)]


def cpu_model():
    """"NAME, family F model M" of the first CPU in /proc/cpuinfo: the name alone is often only
    the vendor's ("AMD EPYC"), and hosts of one name differ several times in speed."""
    fields = {}
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if not line.strip():
            break
        name, _, value = line.partition(":")
        fields.setdefault(name.strip(), value.strip())
    if "model name" not in fields:
        return platform.processor()
    return (f"{fields['model name']}, family {fields.get('cpu family', '?')} "
            f"model {fields.get('model', '?')}")


# ---- The training and the upload, as a visitor does them --------------------------------------

def tab(visitor, name):
    return next(label for label in visitor.page.tab_labels if label.endswith(name))


async def start_training(trainer, timeout=300):
    """Train tab, TRAIN_EPOCHS epochs, Train; waits for a running epoch in the progress bar."""
    await trainer.open_tab(tab(trainer, "Train"))
    epochs = trainer.page.widgets["Epochs"].element
    field = "int_value" if epochs.data_type == NumberInput.INT else "double_value"
    await trainer.set_value("Epochs", field, TRAIN_EPOCHS)
    await trainer.set_value("Train", "trigger_value", True)
    await trainer.wait(lambda: PROGRESS.search(trainer.page.progress), timeout, "running epoch")


async def keep_training(trainer, pids, done, tally):
    """Clicks Train again whenever no training process runs, until `done` is set."""
    while not done.is_set():
        if not children(pids) and not trainer.page.widgets["Train"].element.disabled:
            tally["trainings"] += 1
            await start_training(trainer)
        try:
            await asyncio.wait_for(done.wait(), CHECK_TRAINING_SECONDS)
        except TimeoutError:
            pass


# ---- The visitors --------------------------------------------------------------------------

async def open_visitors(url, count, at_once, pool, tally):
    """Opens `count` visitors, `at_once` at a time, each with one untimed stroke."""
    gate = asyncio.Semaphore(at_once)

    async def one(k):
        async with gate:
            visitor = Visitor(url, f"visitor {k}")
            await visitor.open()
            # The first stroke of a session loads what an answer needs (seconds on a busy
            # machine), which a visitor pays once, not on every stroke.
            if await visitor.draw(pool[k % len(pool)][0], 60) is None:
                tally["errors"].append(f"visitor {k}: no answer to the first stroke")
            return visitor

    return await asyncio.gather(*(one(k) for k in range(count)))


async def draw_on_schedule(index, visitor, clock, args, pool, tally):
    """Draws every `args.period` s, the visitors' first strokes spread over one period."""
    loop = asyncio.get_running_loop()
    for k in itertools.count():
        due = clock["t0"] + args.period * (index / args.visitors + k)
        if max(due, loop.time()) >= clock["t_end"]:
            break  # a visitor behind schedule does not draw past the window either
        tally["late"] += loop.time() - due > args.period / 2
        await asyncio.sleep(max(0.0, due - loop.time()))
        which = (index * 37 + k) % len(pool)
        value, label = pool[which]
        try:
            answer = await visitor.draw(value, args.answer_timeout)
        except ProtocolError as error:
            tally["errors"].append(str(error))
            break
        if answer is None:
            tally["notes"].append(f"visitor {index}: no answer to MNIST test digit {which} (a "
                                   f"{label}); runs started meanwhile "
                                   f"{visitor.runs_while_unanswered}, canvas moved "
                                   f"{visitor.page.canvas_moves} times so far")
        tally["strokes"].append({"visitor": index, "digit": label, "answer": answer,
                                 "sent_s": loop.time() - clock["t0"]})


async def measure(args, served, tally):
    loop = asyncio.get_running_loop()
    pool = digit_pool()
    memory = MemoryPeak(served.pids)
    memory.start()
    extra, done = [], asyncio.Event()
    try:
        before = cpu_now(served.pids, memory)
        baseline = min(args.idle_seconds, BASELINE_SECONDS)
        await asyncio.sleep(baseline)
        tally["no_page"] = cores_between(before, cpu_now(served.pids, memory), baseline)
        if args.training:
            trainer = Visitor(served.url, "trainer")
            await trainer.open()
            extra.append(trainer)
            tally["trainings"] += 1
            await start_training(trainer)
        visitors = await open_visitors(served.url, args.visitors, args.open_at_once, pool, tally)
        tally["pages"] = len(visitors) + len(extra)
        before = cpu_now(served.pids, memory)
        await asyncio.sleep(args.idle_seconds)
        tally["idle"] = cores_between(before, cpu_now(served.pids, memory), args.idle_seconds)
        jobs = []
        if args.training:
            jobs.append(asyncio.create_task(keep_training(extra[0], served.pids, done, tally)))
        if args.upload:
            from protocol_upload import check_upload

            jobs.append(asyncio.create_task(check_upload(served.url, Path(args.upload), tally)))
        clock = {"t0": loop.time()}
        clock["t_end"] = clock["t0"] + args.seconds
        before, tally["load_before"] = cpu_now(served.pids, memory), os.getloadavg()[0]
        await asyncio.gather(*(draw_on_schedule(k, v, clock, args, pool, tally)
                               for k, v in enumerate(visitors)))
        tally["window_s"] = loop.time() - clock["t0"]
        tally["drawing"] = cores_between(before, cpu_now(served.pids, memory), tally["window_s"])
        tally["load_after"] = os.getloadavg()[0]
        done.set()
        for outcome in await asyncio.gather(*jobs, return_exceptions=True):
            if isinstance(outcome, BaseException):
                tally["errors"].append(f"{type(outcome).__name__}: {outcome}")
        everyone = visitors + extra
        tally["exceptions"] = [e for v in everyone for e in v.page.exceptions]
        tally["compile_errors"] = sum(v.compile_errors for v in everyone)
        tally["closed"] = sum(v.closed_by_server for v in everyone)
        tally["auto_reruns"] = sum(v.auto_reruns for v in everyone)
        await asyncio.gather(*(v.close() for v in everyone))
    finally:
        done.set()
        await memory.stop()
        tally["memory"] = memory.figures()


def run(args, served):
    """Runs the phases against `served` (a `launchers.Served`); returns the figures."""
    tally = {"strokes": [], "errors": [], "notes": [], "late": 0, "trainings": 0, "upload": None}
    asyncio.run(measure(args, served, tally))
    return summarise(args, tally)


# ---- Figures -------------------------------------------------------------------------------

def summarise(args, tally):
    answered = [s for s in tally["strokes"] if s["answer"]]
    window, idle, drawing = tally["window_s"], tally["idle"], tally["drawing"]
    pages = tally["pages"]
    stroke_cpu = drawing["server"] * window / max(1, len(answered))
    beyond_idle = (drawing["server"] - idle["server"]) * window / max(1, len(answered))
    return {
        "mode": "protocol", "visitors": args.visitors, "seconds": args.seconds,
        "period_s": args.period, "training": args.training, "trainings_started":
        tally["trainings"], "upload": tally["upload"], "cpu_model": cpu_model(),
        "cpu_cores": os.cpu_count(), "load_before": tally["load_before"],
        "load_after": tally["load_after"], "window_s": window,
        "strokes": len(tally["strokes"]), "answered": len(answered),
        "unanswered": len(tally["strokes"]) - len(answered),
        "wrong": sum(s["answer"].digit != s["digit"] for s in answered),
        "late_starts": tally["late"],
        "page_errors": len(tally["exceptions"]) + tally["compile_errors"] + tally["closed"]
        + len(tally["errors"]),
        "error_messages": (tally["errors"] + tally["exceptions"])[:10],
        "unanswered_notes": tally["notes"][:10],
        "stroke_ms": percentiles([1000 * s["answer"].seconds for s in answered]),
        "stroke_ms_by_window": by_window(answered),
        "server_cpu_ms_per_stroke": 1000 * stroke_cpu,
        "server_cpu_ms_per_stroke_beyond_idle": 1000 * beyond_idle,
        "idle_pages": pages, "idle_s": args.idle_seconds,
        "server_cpu_ms_per_idle_page_s": 1000 * (idle["server"] - tally["no_page"]["server"])
        / max(1, pages),
        "auto_reruns": tally["auto_reruns"],
        "client_cores_per_visitor": drawing["client"] / max(1, args.visitors),
        "cores": {"no_page": tally["no_page"], "idle": idle, "drawing": drawing},
        "peak_memory_mb": tally["memory"],
    }


WINDOW_S = 10


def by_window(answered):
    """`[(start s, strokes, p95 ms, max ms)]` of the strokes sent in each `WINDOW_S` seconds of
    the drawing, so that a slow stretch (an upload being loaded, a training's model arriving)
    shows where it is."""
    windows = {}
    for stroke in answered:
        windows.setdefault(int(stroke["sent_s"] // WINDOW_S), []).append(
            1000 * stroke["answer"].seconds)
    return [(k * WINDOW_S, len(ms), percentiles(ms)["p95"], max(ms))
            for k, ms in sorted(windows.items())]


def report(f):
    training = (f"a training running ({f['trainings_started']} started)" if f["training"]
                else "no training")
    print(f"{f['visitors']} protocol visitors drawing every {f['period_s']:g} s for "
          f"{f['seconds']:g} s, {training}{', an upload checked' if f['upload'] else ''}; "
          f"{f['cpu_model']}, {f['cpu_cores']} cores, load average {f['load_before']:.1f} -> "
          f"{f['load_after']:.1f}:")
    print(f"  strokes sent {f['strokes']}, answered {f['answered']}, unanswered "
          f"{f['unanswered']}, wrong {f['wrong']}, page errors {f['page_errors']}, late starts "
          f"{f['late_starts']}")
    ms = f["stroke_ms"]
    if ms:
        print(f"  stroke sent -> answer received: p50 {ms['p50']:.0f}  p95 {ms['p95']:.0f}  "
              f"max {ms['max']:.0f} ms")
    if f["stroke_ms_by_window"]:
        print("  by when it was sent: " + ", ".join(
            f"{start}-{start + WINDOW_S} s p95 {p95:.0f} (max {top:.0f})"
            for start, _, p95, top in f["stroke_ms_by_window"]) + " ms")
    print(f"  server CPU per stroke answered: {f['server_cpu_ms_per_stroke']:.1f} ms "
          f"({f['server_cpu_ms_per_stroke_beyond_idle']:.1f} ms beyond the pages' idle cost)")
    print(f"  server CPU per idle open page: {f['server_cpu_ms_per_idle_page_s']:.2f} ms a "
          f"second ({f['idle_pages']} pages for {f['idle_s']:g} s, over the server with no "
          f"page; {f['auto_reruns']} auto reruns sent in all)")
    for phase, cores in f["cores"].items():
        print(f"  cores, {phase.replace('_', ' ')}: server {cores['server']:.2f}, its children "
              f"{cores['children']:.2f}, this client {cores['client']:.3f}")
    print(f"  this client per drawing visitor: {1000 * f['client_cores_per_visitor']:.1f} "
          f"thousandths of a core")
    m = f["peak_memory_mb"]
    print(f"  peak resident memory: server {m['server_mb']:.0f} MB, its children "
          f"{m['children_mb']:.0f} MB, both at once {m['total_mb']:.0f} MB (RSS); "
          f"proportional (PSS, shared pages once) {m['total_pss_mb']:.0f} MB")
    if f["upload"]:
        print(f"  upload: {f['upload']}")
    for message in f["error_messages"]:
        print(f"  error: {message}")
    for message in f["unanswered_notes"]:
        print(f"  unanswered: {message}")
