"""Running a child process with its wall time and peak RSS, and the virtual environments of
the Python tools compared against brickci."""

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LEGACY_CLI = "databricks-cli==0.18.0"
SDK = "databricks-sdk==0.156.0"


@dataclass
class Outcome:
    seconds: float
    returncode: int
    max_rss_kib: int
    output: str


def run(args, env, cwd=None, check=True):
    """Runs args to completion; output to a file so a chatty child never blocks on a pipe.
    Peak RSS comes from wait4 on this one child (ru_maxrss, KiB on Linux)."""
    out = tempfile.TemporaryFile(dir=os.path.join(HERE, ".work"))
    started = time.monotonic()
    proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    text = out.read().decode(errors="replace")
    out.close()
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} exited {proc.returncode}:\n{text[-3000:]}")
    return Outcome(seconds, proc.returncode, usage.ru_maxrss, text)


def venv_python(name, requirement, override_env):
    """Python of bench/.venvs/NAME with `requirement` installed (created on first use), or
    the interpreter in $override_env when set."""
    if os.environ.get(override_env):
        return os.environ[override_env]
    root = os.path.join(HERE, ".venvs", name)
    python = os.path.join(root, "bin", "python")
    marker = os.path.join(root, ".installed")
    if not (os.path.exists(marker) and open(marker).read() == requirement):
        print(f"bench: installing {requirement} into {root}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", "--clear", root], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", requirement], check=True)
        with open(marker, "w") as fh:
            fh.write(requirement)
    return python


def legacy_cli():
    """Path of the legacy `databricks` command (BENCH_LEGACY_CLI overrides)."""
    if os.environ.get("BENCH_LEGACY_CLI"):
        return os.environ["BENCH_LEGACY_CLI"]
    python = venv_python("legacy-cli", LEGACY_CLI, "BENCH_LEGACY_PYTHON")
    return os.path.join(os.path.dirname(python), "databricks")


def sdk_python():
    return venv_python("sdk", SDK, "BENCH_SDK_PYTHON")
