"""Scenarios 1 and 2: the same upload by brickci, the legacy CLI and an SDK loop, each against
its own emulator adding LATENCY_MS to every request; then brickci's no-op and one-file
redeploys of the bundle it deployed."""

import os
from collections import Counter
import re
import subprocess

from . import procs, workload
from .emulator import Emulator

LATENCY_MS = 50
WORKSPACE_ROOT = "/Users/ci-bot@example.com/bench"


def default_concurrency(brickci):
    """brickci deploy's default concurrency, from its --help."""
    text = subprocess.run([brickci, "deploy", "--help"], capture_output=True, text=True).stdout
    # The option's help runs until the next line starting with a dash.
    m = re.search(r"--concurrency <[^>]+>(?:(?!\n\s+-).)*?\[default:\s+(\d+)\]", text, re.S)
    if not m:
        raise RuntimeError("brickci deploy --help shows no default for --concurrency")
    return int(m.group(1))


def brickci_deploy(brickci, workdir, count, jobs, redeploys):
    """Deploys a fresh bundle of `count` notebooks; with redeploys, also measures a no-op
    redeploy and one changed notebook in a deployed folder."""
    bundle = os.path.join(workdir, f"brickci-{count}")
    workload.write_bundle(bundle, count, jobs)
    with Emulator(brickci, workdir, latency_ms=LATENCY_MS) as emu:
        env = emu.env(workdir)
        out = procs.run([brickci, "deploy"], env, cwd=bundle)
        row = {"seconds": out.seconds, "requests": len(emu.requests()), "max_rss_kib": out.max_rss_kib}
        if redeploys:
            emu.clear_requests()
            noop = procs.run([brickci, "deploy"], env, cwd=bundle)
            log = emu.requests()
            row["noop"] = summarize(log, noop.seconds)
            with open(os.path.join(bundle, "src", workload.notebook_rel(count // 2) + ".py"), "w") as fh:
                fh.write(workload.notebook_source(count // 2, edit=1))
            emu.clear_requests()
            change = procs.run([brickci, "deploy"], env, cwd=bundle)
            row["one_change"] = summarize(emu.requests(), change.seconds)
    return row


def summarize(log, seconds):
    writes = [r for r in log if r["method"] != "GET"]
    return {
        "seconds": seconds,
        "requests": len(log),
        "writes": len(writes),
        "calls": calls(log),
    }


def calls(log):
    """Distinct calls with how often each was sent, most frequent first: "GET /x ×20"."""
    counts = Counter(f"{r['method']} {r['path']}" for r in log)
    return [f"{call} ×{n}" for call, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def legacy_upload(brickci, workdir, count, jobs):
    """`databricks workspace import_dir` of the folders, then `databricks jobs create` per job."""
    cli = procs.legacy_cli()
    root = os.path.join(workdir, f"legacy-{count}")
    workload.write_notebooks(root, count)
    job_files = workload.write_job_files(root, count, WORKSPACE_ROOT, jobs)
    with Emulator(brickci, workdir, latency_ms=LATENCY_MS) as emu:
        env = emu.env(workdir)
        seconds = procs.run([cli, "workspace", "import_dir", "-o", os.path.join(root, "src"), WORKSPACE_ROOT], env).seconds
        for job in job_files:
            seconds += procs.run([cli, "jobs", "create", "--json-file", job, "--version", "2.1"], env).seconds
        return {"seconds": seconds, "requests": len(emu.requests())}


def sdk_upload(brickci, workdir, count, jobs):
    """bench/sdk_upload.py in the SDK's virtual environment: one process, as a user's script."""
    python = procs.sdk_python()
    root = os.path.join(workdir, f"sdk-{count}")
    workload.write_notebooks(root, count)
    workload.write_job_files(root, count, WORKSPACE_ROOT, jobs)
    script = os.path.join(procs.HERE, "sdk_upload.py")
    with Emulator(brickci, workdir, latency_ms=LATENCY_MS) as emu:
        out = procs.run([python, script, os.path.join(root, "src"), WORKSPACE_ROOT, os.path.join(root, "jobs")], emu.env(workdir))
        return {"seconds": out.seconds, "requests": len(emu.requests())}
