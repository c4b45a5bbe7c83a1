#!/usr/bin/env python3
"""Deploy throughput under a workspace rate limit, as a fraction of that limit.

For each limit (default 5 and 50 requests/s) this starts `brickci emulator` with a token
bucket on the workspace import endpoint (`--rate-limit 'POST */workspace/import=RPS'`), deploys
a generated bundle with enough notebooks to keep the limit busy for about 20 seconds (5 with
--quick), and reads the emulator's request log:

  requests  imports the emulator accepted
  429s      imports it refused for the rate limit
  seconds   from the first import request to the last accepted one
  fraction  achieved import rate / limit; the bucket's initial burst (one second's worth,
            taken at once) is left out of the rate, so a client that used every token
            scores 1.0
  wall_seconds  the whole `brickci deploy`, plan and state included
  concurrency   the --concurrency given (null: brickci's default)

Target: fraction >= 0.8 at both limits, and the deploy succeeds (exit 0).

  python3 bench/rate_limit.py --brickci target/release/brickci --json out.json [--quick]

Python 3 standard library only.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

TOKEN = "dapi-emulator-token"
IMPORT = "/api/2.0/workspace/import"
FOLDERS = 20


def start_emulator(brickci, rule):
    proc = subprocess.Popen(
        [brickci, "emulator", "--port", "0", "--rate-limit", rule],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=clean_env(),
    )
    line = proc.stdout.readline()
    prefix = "brickci emulator listening on "
    if not line.startswith(prefix):
        proc.kill()
        raise SystemExit(f"the emulator did not start: {line!r}")
    return proc, line[len(prefix):].strip()


def clean_env(extra=None):
    env = {k: os.environ[k] for k in ("PATH", "HOME", "TMPDIR") if k in os.environ}
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env.update(extra or {})
    return env


def make_bundle(root, notebooks):
    with open(os.path.join(root, "databricks.yml"), "w") as f:
        f.write("bundle:\n  name: ratebench\ntargets:\n  dev:\n    default: true\n")
    for i in range(notebooks):
        folder = os.path.join(root, "src", f"f{i % FOLDERS}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"nb_{i}.py"), "w") as f:
            f.write(f"# Databricks notebook source\nprint({i})\n")


def request_log(url):
    req = urllib.request.Request(url + "/__emulator/requests")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)["requests"]


def is_content_import(r):
    body = r.get("body") or {}
    path = body.get("path", "") if isinstance(body, dict) else ""
    return r["method"] == "POST" and r["path"] == IMPORT and "/state/" not in path


def measure(brickci, limit, seconds, concurrency):
    notebooks = int(limit * seconds)
    proc, url = start_emulator(brickci, f"POST */workspace/import={limit}")
    work = tempfile.mkdtemp(prefix="brickci-ratebench-")
    try:
        make_bundle(work, notebooks)
        env = {"DATABRICKS_HOST": url, "DATABRICKS_TOKEN": TOKEN}
        if concurrency:
            env["BRICKCI_CONCURRENCY"] = str(concurrency)
        started = time.monotonic()
        out = subprocess.run(
            [brickci, "deploy", "--auto-approve"],
            cwd=work,
            env=clean_env(env),
            capture_output=True,
            text=True,
        )
        wall = time.monotonic() - started
        if out.returncode != 0:
            sys.stderr.write(out.stdout + out.stderr)
            raise SystemExit(f"deploy failed at {limit} rps (exit {out.returncode})")
        log = [r for r in request_log(url) if is_content_import(r)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    accepted = [r for r in log if r["status"] == 200]
    refused = [r for r in log if r["status"] == 429]
    # The bundle's databricks.yml is synced too: one file more than the notebooks.
    if len(accepted) != notebooks + 1:
        raise SystemExit(f"{len(accepted)} files imported, not {notebooks + 1}, at {limit} rps")
    span = (max(r["at_ms"] for r in accepted) - min(r["at_ms"] for r in log)) / 1000.0
    burst = max(1.0, limit)
    rate = (len(accepted) - burst) / span if span > 0 else float("inf")
    return {
        "limit_rps": limit,
        "requests": len(accepted),
        "seconds": round(span, 2),
        "fraction": round(rate / limit, 3),
        "429s": len(refused),
        "wall_seconds": round(wall, 2),
        # null: brickci's default --concurrency.
        "concurrency": concurrency,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--brickci", required=True, help="path to the brickci binary")
    ap.add_argument("--json", required=True, help="where to write the rows")
    ap.add_argument("--quick", action="store_true", help="about 5 s per limit instead of 20")
    ap.add_argument("--limits", default="5,50", help="requests per second, comma-separated")
    ap.add_argument(
        "--concurrency",
        default="",
        help="brickci --concurrency values to compare, comma-separated (default: its own)",
    )
    args = ap.parse_args()
    seconds = 5 if args.quick else 20
    limits = [float(x) for x in args.limits.split(",") if x.strip()]
    concurrencies = [int(x) for x in args.concurrency.split(",") if x.strip()] or [None]
    rows = []
    print(f"{'limit/s':>8} {'conc':>7} {'requests':>9} {'seconds':>8} {'fraction':>9} {'429s':>6} {'wall s':>7}")
    for limit in limits:
        for conc in concurrencies:
            row = measure(args.brickci, limit, seconds, conc)
            rows.append(row)
            print(
                f"{row['limit_rps']:>8g} {str(row['concurrency'] or 'default'):>7} {row['requests']:>9} "
                f"{row['seconds']:>8} {row['fraction']:>9} {row['429s']:>6} {row['wall_seconds']:>7}",
                flush=True,
            )
    with open(args.json, "w") as f:
        json.dump(rows, f, indent=2)
    short = [r for r in rows if r["fraction"] < 0.8]
    if short:
        print(f"below the 0.8 target: {[(r['limit_rps'], r['concurrency']) for r in short]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
