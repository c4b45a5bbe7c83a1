"""Scenario 3: deploys at the workspace's rate limit, measured by bench/rate_limit.py when this
build has it (the script belongs to the rate-limit work; this harness only runs it)."""

import json
import os
import subprocess
import sys

from . import procs

SCRIPT = os.path.join(procs.HERE, "rate_limit.py")


def measure(brickci, workdir, quick):
    """The script's rows, or (None, why) when it is absent or failed."""
    if not os.path.exists(SCRIPT):
        return None, "not measured (no rate-limit support in this build)"
    out = os.path.join(workdir, "rate_limit.json")
    args = [sys.executable, SCRIPT, "--brickci", brickci, "--json", out]
    if quick:
        args.append("--quick")
    run = subprocess.run(args, capture_output=True, text=True)
    if run.returncode != 0 and quick and "--quick" in run.stderr:
        # An older script without --quick: run it in full.
        run = subprocess.run(args[:-1], capture_output=True, text=True)
    if run.returncode != 0 or not os.path.exists(out):
        tail = (run.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"not measured (bench/rate_limit.py exited {run.returncode}: {tail})"
    with open(out, encoding="utf-8") as f:
        rows = json.load(f)
    if isinstance(rows, dict):
        rows = rows.get("rows", [])
    return rows, None
