"""Scenario 4: cold start, binary size and image size."""

import os
import re
import statistics
import subprocess
import sys
import time

from . import procs
from .emulator import clean_env

REPO = os.path.dirname(procs.HERE)


def cold_start(brickci, runs):
    """Median wall seconds of each command over `runs` runs (one warm-up run first)."""
    commands = {
        "brickci --version": [brickci, "--version"],
        "legacy databricks --version": [procs.legacy_cli(), "--version"],
        "python3 -c pass": [sys.executable, "-c", "pass"],
    }
    env = clean_env()
    result = {}
    for name, args in commands.items():
        subprocess.run(args, env=env, capture_output=True, check=True)
        times = []
        for _ in range(runs):
            started = time.monotonic()
            subprocess.run(args, env=env, capture_output=True, check=True)
            times.append(time.monotonic() - started)
        result[name] = statistics.median(times)
    return result


def image_size(brickci):
    """Size in bytes of the `brickci` image scripts/build-images makes from this binary, or
    the reason it could not be built here."""
    version = re.search(r'^version = "(.*)"$', open(os.path.join(REPO, "Cargo.toml")).read(), re.M).group(1)
    name = "brickci-bench"
    env = dict(os.environ, BRICKCI_BIN=brickci)
    build = subprocess.run([os.path.join(REPO, "scripts", "build-images"), name], env=env, cwd=REPO, capture_output=True, text=True)
    if build.returncode != 0:
        return None, "scripts/build-images failed: " + (build.stderr.strip().splitlines() or ["?"])[-1]
    try:
        size = subprocess.run(
            ["podman", "--storage-driver", "vfs", "image", "inspect", "--format", "{{.Size}}", f"{name}:{version}"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        return int(size), None
    finally:
        subprocess.run(["buildah", "--storage-driver", "vfs", "rmi", f"{name}:{version}", f"{name}:{version}-shell"], capture_output=True)
