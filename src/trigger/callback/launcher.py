# brickci-callback-launcher 1
"""Starts `brickci callback` from a Databricks job task; `brickci deploy` uploads this file.

Usage (the task's parameters, written by deploy):
  brickci_callback.py --binary PATH --sha256 HEX [--secret ENV=SCOPE/KEY]... [--env NAME=VALUE]...
                      -- callback <target> <flags>

The trigger's credentials come from Databricks secret scopes and reach the binary through its
environment only: never through a parameter, never printed. The binary is copied to a private
folder (workspace files cannot be executed in place), checked against the SHA-256 deploy
recorded, and run; its exit code is the task's.
"""

import hashlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile

PREFIX = "brickci callback launcher:"


class LauncherError(Exception):
    pass


def parse(argv):
    """The launcher's own options, and the binary's arguments after `--`."""
    opts = {"binary": None, "sha256": None, "secrets": [], "env": []}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            if not opts["binary"] or not opts["sha256"]:
                raise LauncherError("--binary and --sha256 are required")
            return opts, argv[i + 1 :]
        if arg not in ("--binary", "--sha256", "--secret", "--env"):
            raise LauncherError("unknown option %r (known: --binary, --sha256, --secret, --env, --)" % arg)
        if i + 1 >= len(argv):
            raise LauncherError("%s needs a value" % arg)
        value = argv[i + 1]
        i += 2
        if arg == "--secret":
            env, eq, ref = value.partition("=")
            scope, slash, key = ref.partition("/")
            if not (env and eq and scope and slash and key):
                raise LauncherError("--secret %r: expected ENV=SCOPE/KEY" % value)
            opts["secrets"].append((env, scope, key))
        elif arg == "--env":
            name, eq, val = value.partition("=")
            if not (name and eq):
                raise LauncherError("--env %r: expected NAME=VALUE" % name)
            opts["env"].append((name, val))
        else:
            opts[arg[2:]] = value
    raise LauncherError("no `--` before brickci's arguments")


def check_machine():
    machine = platform.machine().lower()
    system = platform.system()
    if system != "Linux" or machine not in ("x86_64", "amd64"):
        raise LauncherError(
            "brickci's callback binary is built for Linux x86_64, and this compute is %s %s: "
            "run the callback task on x86_64 compute (set compute: under brickci.callbacks in "
            "databricks.yml, e.g. a job cluster with an x86_64 node type, or serverless)"
            % (system, machine or "of an unknown architecture")
        )


def local_path(path):
    """Where a workspace, volume or DBFS path is readable on the driver."""
    if os.path.exists(path):
        return path
    if path.startswith("dbfs:/"):
        return "/dbfs/" + path[len("dbfs:/") :]
    if path.startswith("/") and not path.startswith(("/Workspace/", "/Volumes/", "/dbfs/")):
        return "/Workspace" + path
    return path


def copy_checked(source, expected, folder):
    """Copies the binary into `folder`, executable by us alone, if its SHA-256 is `expected`."""
    target = os.path.join(folder, "brickci")
    digest = hashlib.sha256()
    try:
        with open(source, "rb") as src:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o700)
            with os.fdopen(fd, "wb") as dst:
                while True:
                    chunk = src.read(1 << 20)
                    if not chunk:
                        break
                    digest.update(chunk)
                    dst.write(chunk)
    except OSError as e:
        raise LauncherError("cannot read the brickci binary at %s: %s" % (source, e.strerror or e))
    actual = digest.hexdigest()
    if actual != expected.lower():
        raise LauncherError(
            "the brickci binary at %s is not the one deploy uploaded (SHA-256 %s, expected %s): "
            "run brickci deploy again" % (source, actual, expected)
        )
    os.chmod(target, 0o700)
    return target


def dbutils_here():
    """dbutils on classic and serverless compute (the SDK's runtime module, else Spark's)."""
    try:
        from databricks.sdk.runtime import dbutils

        return dbutils
    except ImportError:
        pass
    try:
        from pyspark.dbutils import DBUtils
        from pyspark.sql import SparkSession

        return DBUtils(SparkSession.builder.getOrCreate())
    except ImportError:
        raise LauncherError("no dbutils here: the callback task must run on Databricks compute")


def read_secrets(dbutils, wanted):
    values = {}
    for env, scope, key in wanted:
        try:
            value = dbutils.secrets.get(scope=scope, key=key)
        except Exception as e:  # dbutils raises its own exception types
            raise LauncherError(
                "cannot read secret %r from scope %r (for %s): %s; the job's run-as identity "
                "needs READ on the scope" % (key, scope, env, str(e).splitlines()[0] if str(e) else type(e).__name__)
            )
        if not value:
            raise LauncherError("secret %r in scope %r (for %s) is empty" % (key, scope, env))
        values[env] = value
    return values


def publish_outputs(dbutils, path):
    """The callback's outputs (the triggered run's id and URL) as task values."""
    try:
        with open(path, encoding="utf-8") as f:
            outputs = json.load(f)
    except (OSError, ValueError):
        return
    try:
        for name, value in outputs.items():
            dbutils.jobs.taskValues.set(key=name.replace("-", "_"), value=value)
    except Exception as e:
        print("%s could not set task values: %s" % (PREFIX, type(e).__name__), file=sys.stderr)


def run(argv):
    opts, args = parse(argv)
    check_machine()
    dbutils = dbutils_here()
    folder = tempfile.mkdtemp(prefix="brickci-callback-")
    try:
        binary = copy_checked(local_path(opts["binary"]), opts["sha256"], folder)
        env = dict(os.environ)
        env.update(opts["env"])
        env.update(read_secrets(dbutils, opts["secrets"]))
        outputs = os.path.join(folder, "outputs.json")
        env["BRICKCI_OUTPUT_FILE"] = outputs
        child = subprocess.Popen([binary] + args, env=env)

        def forward(signum, _frame):
            child.send_signal(signum)

        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, forward)
        code = child.wait()
        publish_outputs(dbutils, outputs)
        # Killed by a signal: the shell's convention, 128 + its number.
        return 128 - code if code < 0 else code
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main():
    try:
        code = run(sys.argv[1:])
    except LauncherError as e:
        print("%s %s" % (PREFIX, e), file=sys.stderr)
        code = 2
    if code != 0:
        print("%s brickci callback exited with %d" % (PREFIX, code), file=sys.stderr)
        sys.exit(code)


if __name__ == "__main__":
    main()
