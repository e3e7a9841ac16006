"""bench/visitors.py's figures: percentiles of what the visitors and the server measured, and
the table it prints.

`summarise(args, tally)` turns one run's raw tally (strokes as the pages timed them, the
server's per-run timings, CPU from /proc) into a plain dict, the one `--json` prints.
"""

import math
import os
import statistics

import numpy as np

GOAL_P95_MS = 1000
GOAL_VISITORS = 10


def percentiles(values):
    if not values:
        return None
    values = np.asarray(values, dtype=float)
    return {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95)),
            "max": float(values.max()), "n": int(values.size)}


def mean(values):
    return statistics.fmean(values) if values else 0.0


def summarise(args, tally):
    answered = [s for s in tally["strokes"] if s["answer"]]
    stroke_runs = [r for r in tally["runs"] if r["predicted"] and not r["auto"]]
    polls = [r for r in tally["runs"] if r["auto"]]
    window = tally["window_s"]
    stroke = percentiles([s["answer"]["total"] for s in answered])
    served = [r for r in stroke_runs if r["wait"] is not None]
    server = percentiles([1000 * (r["wait"] + r["wall"]) for r in served])
    return {
        "visitors": args.visitors, "seconds": args.seconds, "period_s": args.period,
        "server_cpus": args.server_cpus or "all", "browser_cpus": args.browser_cpus or "all",
        "training": args.training, "trainings_started": tally["trainings"],
        "cpu_cores": os.cpu_count(), "load_before": tally["load_before"],
        "load_after": tally["load_after"], "window_s": window,
        "scheduled": sum(math.ceil(args.seconds / args.period - k / args.visitors)
                         for k in range(args.visitors)),
        "strokes": len(tally["strokes"]), "answered": len(answered),
        "unanswered": len(tally["strokes"]) - len(answered),
        "wrong": sum(s["answer"]["value"] != str(s["digit"]) for s in answered),
        "late_starts": tally["late"], "visitors_stuck": tally["stuck"],
        "page_errors": len(tally["errors"]) - tally["stuck"] + tally["exceptions"],
        "error_messages": tally["errors"][:10], "exception_boxes": tally["exceptions"],
        "stroke_ms": stroke,
        "to_send_ms": percentiles([s["answer"]["to_send"] for s in answered]),
        "sent_to_shown_ms": percentiles([s["answer"]["total"] - s["answer"]["to_send"]
                                         for s in answered]),
        "server_ms": server,
        "server_wait_ms": percentiles([1000 * r["wait"] for r in served]),
        "server_run_ms": percentiles([1000 * r["wall"] for r in stroke_runs]),
        "server_run_cpu_ms": percentiles([1000 * r["cpu"] for r in stroke_runs]),
        "server_share": server["p50"] / stroke["p50"] if server and stroke else None,
        "polls": {"runs": len(polls), "per_second": len(polls) / window,
                  "wall_ms_mean": 1000 * mean([r["wall"] for r in polls]),
                  "cpu_ms_mean": 1000 * mean([r["cpu"] for r in polls]),
                  "cores": sum(r["cpu"] for r in polls) / window},
        "cores_used": tally["cores"],
    }


def report(figures):
    def row(label, ms):
        if ms is None:
            print(f"  {label:<46} -")
        else:
            print(f"  {label:<46} p50 {ms['p50']:6.0f}  p95 {ms['p95']:6.0f}  "
                  f"max {ms['max']:6.0f} ms")

    f = figures
    training = (f"a training running ({f['trainings_started']} started)" if f["training"]
                else "no training")
    print(f"{f['visitors']} visitors drawing every {f['period_s']:g} s for {f['seconds']:g} s, "
          f"{training}; {f['cpu_cores']} CPU cores (server on {f['server_cpus']}, browsers on "
          f"{f['browser_cpus']}), load average {f['load_before']:.1f} -> {f['load_after']:.1f}:")
    print(f"  strokes scheduled {f['scheduled']}, drawn {f['strokes']}, answered "
          f"{f['answered']}, unanswered {f['unanswered']}, wrong {f['wrong']}, page errors "
          f"{f['page_errors']}, late starts {f['late_starts']}, visitors stuck "
          f"{f['visitors_stuck']}")
    row("stroke: mouse-up -> answer shown", f["stroke_ms"])
    row("  of which mouse-up -> canvas sent", f["to_send_ms"])
    row("  of which canvas sent -> answer shown", f["sent_to_shown_ms"])
    row("server: request -> stroke's run done", f["server_ms"])
    row("  of which waiting for the session's thread", f["server_wait_ms"])
    row("  of which the run (wall)", f["server_run_ms"])
    row("  the run's CPU", f["server_run_cpu_ms"])
    if f["server_share"] is not None:
        print(f"  server's share of a stroke (p50 / p50): {f['server_share']:.2f}")
    p = f["polls"]
    print(f"  progress polls: {p['runs']} runs ({p['per_second']:.1f}/s), "
          f"{p['wall_ms_mean']:.0f} ms wall and {p['cpu_ms_mean']:.0f} ms CPU each, "
          f"{p['cores']:.2f} cores")
    cores = f["cores_used"]
    print(f"  CPU used in the window, in cores: server {cores['server']:.2f}, training "
          f"{cores['training']:.2f}, browsers {cores['browsers']:.2f}")
    for message in f["error_messages"]:
        print(f"  error: {message}")
    goal = (f"goal with {GOAL_VISITORS} visitors during a training, every stroke answered and "
            f"p95 <= {GOAL_P95_MS} ms")
    if f["visitors"] < GOAL_VISITORS or not f["training"]:
        print(f"  {goal}: not what this run measured")
        return
    met = (f["unanswered"] == 0 and f["strokes"] == f["scheduled"]
           and f["stroke_ms"] is not None and f["stroke_ms"]["p95"] <= GOAL_P95_MS)
    print(f"  {goal}, every scheduled stroke drawn: {'met' if met else 'NOT met'} in this run")
