"""Scenario 5: how long brickci takes to notice a run's end, and how often it polls.

The poll schedule is read from src/cli.rs (the defaults of --poll-min/--poll-max; the wait
loop in src/run/wait.rs doubles the pause from the first up to the longest). A long run is
measured on a compressed clock: the emulator runs S times faster and brickci's pauses are
divided by S, so every interval keeps its proportion and the figures scale back by S."""

import os
import re
import time
from concurrent.futures import ThreadPoolExecutor

from . import procs
from .emulator import Emulator

REPO = os.path.dirname(procs.HERE)


def schedule_defaults():
    """(first pause, longest pause) in seconds, from the --poll-min/--poll-max defaults."""
    cli = open(os.path.join(REPO, "src", "cli.rs")).read()

    def default(env):
        m = re.search(rf'env = "{env}", default_value_t = ([0-9.]+)', cli)
        if not m:
            raise RuntimeError(f"src/cli.rs has no default for {env}")
        return float(m.group(1))

    return default("BRICKCI_POLL_MIN"), default("BRICKCI_POLL_MAX")


def schedule(first, longest, horizon=3600.0):
    """Poll times (seconds after the first poll) within the horizon, pauses doubling."""
    times, t, pause = [0.0], 0.0, first
    while t + pause <= horizon:
        t += pause
        times.append(t)
        pause = min(pause * 2, longest)
    return times


def measure_run(brickci, workdir, run_seconds, speed, scale_polls):
    """Runs a notebook lasting run_seconds (emulated) with `brickci run --notebook`; returns
    the delay from the run's end to brickci's exit and the polls, both in emulated time."""
    first, longest = schedule_defaults()
    nb = os.path.join(workdir, f"wait_{int(run_seconds)}s.py")
    with open(nb, "w") as fh:
        fh.write(f"# Databricks notebook source\n# brickci-emulator: duration {int(run_seconds)}s\nprint('waiting')\n")
    args = [brickci, "run", "--notebook", nb]
    if scale_polls:
        args += ["--poll-min", f"{first / speed:.6f}", "--poll-max", f"{longest / speed:.6f}"]
    with Emulator(brickci, workdir, clock_speed=speed) as emu:
        # Map the request log's clock (ms since the emulator started) to this process's.
        before = time.monotonic()
        emu.api_get("/api/2.0/preview/scim/v2/Me")
        after = time.monotonic()
        offset = (before + after) / 2 - emu.requests()[-1]["at_ms"] / 1000
        emu.clear_requests()
        started = time.monotonic()
        procs.run(args, emu.env(workdir))
        exited = time.monotonic()
        log = emu.requests()
        submit = next(r for r in log if r["path"].endswith("/runs/submit"))
        polls = [r for r in log if r["path"].endswith("/runs/get")]
        run_id = re.search(r"run_id=(\d+)", polls[-1]["query"]).group(1)
        run = emu.api_get(f"/api/2.2/jobs/runs/get?run_id={run_id}")
    ended = offset + submit["at_ms"] / 1000 + (run["end_time"] - run["start_time"]) / 1000 / speed
    waited = (exited - started) * speed
    return {
        "run_seconds": run_seconds,
        "speed": speed,
        "end_to_exit": (exited - ended) * speed,
        "polls": len(polls),
        "waited": waited,
        "polls_per_hour": len(polls) / (waited / 3600),
    }


def measure(brickci, workdir, quick):
    first, longest = schedule_defaults()
    times = schedule(first, longest)
    result = {
        "first": first,
        "longest": longest,
        "schedule_head": times[:10],
        "polls_first_hour": len(times),
        "worst_delay": longest,
        "runs": [],
    }
    # Runs ending at different points of the schedule, side by side (they only wait).
    if quick:
        plans = [(300 + 7 * k, 60.0, True) for k in range(2)]
    else:
        plans = [(3600 + 7 * k, 60.0, True) for k in range(4)] + [(45, 1.0, False)]
    with ThreadPoolExecutor(len(plans)) as pool:
        futures = [pool.submit(measure_run, brickci, workdir, *plan) for plan in plans]
        result["runs"] = [f.result() for f in futures]
    return result
