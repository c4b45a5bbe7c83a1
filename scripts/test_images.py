"""End-to-end checks of brickci's images, run the way GitHub and CodeBuild run them.

Started by scripts/test-images after both images are built. Each check prints `ok NAME`,
`skip NAME: why` or `FAIL NAME: why`; the last line counts them ("N passed, N failed,
N skipped"). Everything talks to the emulator on 127.0.0.1 only.

Checks that need the binary's input contract (CONTRACT.md: `brickci inputs`, input aliases,
connection inputs, the /brickci-post mode) are skipped, with the reason printed, when the
binary does not know `brickci inputs` yet.
"""

import http.server
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
import xml.etree.ElementTree as ET

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET_DIR = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
BIN = pathlib.Path(
    os.environ.get("BRICKCI_BIN", TARGET_DIR / "x86_64-unknown-linux-gnu/release/brickci")
)
VERSION = re.search(r'^version = "(.*)"$', (ROOT / "Cargo.toml").read_text(), re.M).group(1)
IMAGE = f"localhost/brickci:{VERSION}"
SHELL_IMAGE = f"localhost/brickci:{VERSION}-shell"
TOKEN = "dapi-emulator-token"
RUNNER_UID = 1001  # the `runner` user on GitHub-hosted runners
PODMAN = [
    "podman",
    "--storage-driver",
    os.environ.get("STORAGE_DRIVER", "vfs"),
    "--runtime",
    "runc",
]
RUN = PODMAN + [
    "run",
    "--ulimit", "nofile=1024:20000",
    "--ulimit", "nproc=1024:1024",
    "--network", "host",
]  # fmt: skip

results = {"passed": 0, "failed": 0, "skipped": 0}


def check(name, ok, why=""):
    if ok:
        results["passed"] += 1
        print(f"ok {name}")
    else:
        results["failed"] += 1
        print(f"FAIL {name}: {why}")
    return ok


def excerpt(r, n=2000):
    """The end of a step's output as the runner's log shows it: `::add-mask::` lines are
    consumed by the runner, never shown (and hold the very secret being masked)."""
    text = "\n".join(
        line for line in (r.stdout + r.stderr).splitlines() if not line.startswith("::add-mask::")
    )
    return text[-n:]


def skip(name, why):
    results["skipped"] += 1
    print(f"skip {name}: {why}")


def has_input_contract():
    """P's side of CONTRACT.md is in this binary when it knows `brickci inputs`."""
    r = subprocess.run([BIN, "inputs", "-o", "json"], capture_output=True, text=True)
    return r.returncode == 0


GATE = "needs the binary's input contract (`brickci inputs` is not a known command yet)"


class Emulator:
    def __init__(self):
        self.log = tempfile.NamedTemporaryFile(prefix="emulator-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [BIN, "emulator", "--port", "0", "--clock-speed", "20"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", open(self.log.name).read())
            if m:
                self.url = m.group(1)
                return
            time.sleep(0.1)
        raise SystemExit("the emulator did not start: " + open(self.log.name).read())

    def api(self, path):
        req = urllib.request.Request(
            self.url + path, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def run_state(self, run_id):
        state = self.api(f"/api/2.1/jobs/runs/get?run_id={run_id}")["state"]
        return state.get("result_state") or state["life_cycle_state"]

    def wait_for_end(self, run_id, seconds=60):
        """Polls until the run ends (a bound on waiting, not a timing assertion)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            state = self.run_state(run_id)
            if state not in ("PENDING", "RUNNING", "TERMINATING", "QUEUED", "BLOCKED"):
                return state
            time.sleep(0.2)
        return self.run_state(run_id)

    def post(self, path, body):
        req = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def requests(self):
        with urllib.request.urlopen(self.url + "/__emulator/requests", timeout=10) as r:
            return json.load(r)["requests"]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        os.unlink(self.log.name)


# ---------------------------------------------------------------- the callback


class GitHubDispatches:
    """A GitHub stand-in for one route: a workflow_dispatch answered as API 2026-03-10
    answers it (200 with the run), each request recorded."""

    def __init__(self):
        self.seen = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.seen.append(
                    {"path": self.path, "auth": self.headers.get("Authorization"),
                     "body": json.loads(body or b"{}")}
                )  # fmt: skip
                answer = json.dumps({
                    "workflow_run_id": 9001,
                    "run_url": "http://127.0.0.1/repos/acme/cd/actions/runs/9001",
                    "html_url": "https://github.com/acme/cd/actions/runs/9001",
                }).encode()  # fmt: skip
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


CALLBACK_BUNDLE = """bundle:
  name: retrain
variables:
  github_api:
    default: https://api.github.com
resources:
  jobs:
    train:
      name: retrain
      tasks:
        - task_key: train
          notebook_task:
            notebook_path: ./train.py
brickci:
  callbacks:
    train:
      github:
        repo: acme/cd
        workflow: cd.yml
        ref: main
        api_url: ${var.github_api}
        inputs:
          model_version: "{{tasks.train.values.model_version}}"
      secrets:
        GITHUB_TOKEN: {scope: cicd, key: github-token}
"""


def test_callback(emu, contract):
    """The image's static binary deploys itself as a bundle's callback; the emulator runs
    that uploaded binary as the job's last task, and it dispatches the CD workflow."""
    if not contract:
        return skip("callback", GATE)
    gh = GitHubDispatches()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="brickci-callback-"))
    token = "ghs_imageCallbackToken0123456789"
    try:
        github_workspace(tmp)
        (tmp / "workspace/databricks.yml").write_text(CALLBACK_BUNDLE)
        (tmp / "workspace/train.py").write_text(
            "# Databricks notebook source\n"
            "dbutils.jobs.taskValues.set(key='model_version', value='12')\n"
        )
        for p in (tmp / "workspace").rglob("*"):
            os.chown(p, RUNNER_UID, RUNNER_UID)
        emu.post("/api/2.0/secrets/scopes/create", {"scope": "cicd"})
        emu.post("/api/2.0/secrets/put", {"scope": "cicd", "key": "github-token", "string_value": token})
        conn_inputs, _ = connection(emu, contract)
        step = GitHubStep(
            tmp, {"command": "deploy", "auto-approve": "true", **conn_inputs},
            env={"BUNDLE_VAR_github_api": gh.url},
        )  # fmt: skip
        r = step.run()
        check("callback: deploy from the image exits 0", r.returncode == 0, f"exit {r.returncode}: {excerpt(r)}")
        check(
            "callback: the image's binary is static (no dynamic-linking warning)",
            "dynamically linked" not in r.stdout + r.stderr,
            excerpt(r),
        )
        job = emu.api("/api/2.2/jobs/list")["jobs"][0]
        run = emu.post("/api/2.2/jobs/run-now", {"job_id": job["job_id"]})
        state = emu.wait_for_end(run["run_id"])
        check("callback: the training run with its callback task succeeds", state == "SUCCESS", f"state {state}")
        sent = [d for d in gh.seen if d["path"].endswith("/actions/workflows/cd.yml/dispatches")]
        check("callback: one workflow_dispatch reached GitHub", len(sent) == 1, f"requests: {gh.seen}")
        if sent:
            check(
                "callback: it carries the train task's model version",
                sent[0]["body"].get("inputs", {}).get("model_version") == "12",
                f"body: {sent[0]['body']}",
            )
            check(
                "callback: with the token from the secret scope",
                sent[0]["auth"] == f"Bearer {token}",
                "another Authorization header",
            )
        check(
            "callback: the token is in no request the workspace saw",
            token not in json.dumps(emu.requests()),
            "the emulator's request log holds the token",
        )
    finally:
        gh.stop()
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- GitHub docker action


def parse_file_commands(text):
    """A GITHUB_OUTPUT / GITHUB_STATE file by the runner's rules: NAME=VALUE or a heredoc."""
    out, lines = {}, text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        eq, hd = line.find("="), line.find("<<")
        if eq >= 0 and (hd < 0 or eq < hd):
            out[line[:eq]] = line[eq + 1 :]
            continue
        name, delim = line[:hd], line[hd + 2 :]
        value = []
        while i < len(lines) and lines[i] != delim:
            value.append(lines[i])
            i += 1
        i += 1
        out[name] = "\n".join(value)
    return out


class GitHubStep:
    """One docker-action step as the runner starts it: mounts, env, file-command files."""

    def __init__(self, tmp, with_inputs, env=None, state=None, entrypoint=None):
        self.tmp = tmp
        self.id = uuid.uuid4().hex[:8]
        self.commands = tmp / f"file_commands_{self.id}"
        self.commands.mkdir()
        self.files = {}
        for var, stem in [
            ("GITHUB_OUTPUT", "set_output"),
            ("GITHUB_STATE", "save_state"),
            ("GITHUB_STEP_SUMMARY", "step_summary"),
            ("GITHUB_ENV", "set_env"),
            ("GITHUB_PATH", "add_path"),
        ]:
            f = self.commands / f"{stem}_{uuid.uuid4()}"
            f.write_text("")
            self.files[var] = f
        for p in [self.commands, *self.files.values()]:
            os.chown(p, RUNNER_UID, RUNNER_UID)
        self.env = self.runner_env()
        for name, value in action_inputs(with_inputs).items():
            self.env["INPUT_" + name.replace(" ", "_").upper()] = value
        for name, value in (state or {}).items():
            self.env["STATE_" + name] = value
        # The action's own `runs.env`, which the runner adds to the container's environment.
        for name, value in (yaml.safe_load((ROOT / "action.yml").read_text())["runs"].get("env") or {}).items():
            self.env[name] = str(value)
        self.env.update(env or {})
        self.entrypoint = entrypoint

    def runner_env(self):
        env = {
            "HOME": "/github/home",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": "/github/workspace",
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_EVENT_PATH": "/github/workflow/event.json",
            "GITHUB_REPOSITORY": "octo/shop",
            "GITHUB_REPOSITORY_OWNER": "octo",
            "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_REF_NAME": "main",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_RUN_NUMBER": "7",
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_JOB": "e2e",
            "GITHUB_ACTION": "brickci",
            "GITHUB_ACTOR": "octo",
            "GITHUB_WORKFLOW": "ci",
            "GITHUB_SERVER_URL": "https://github.com",
            # Nothing may reach GitHub from here: a closed local port.
            "GITHUB_API_URL": "http://127.0.0.1:9",
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
            # As on a real runner: set, but not mounted into a docker action.
            "RUNNER_TEMP": "/home/runner/work/_temp",
            "RUNNER_TOOL_CACHE": "/opt/hostedtoolcache",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        for var, f in self.files.items():
            env[var] = f"/github/file_commands/{f.name}"
        return env

    def argv(self, detach_name=None):
        argv = list(RUN)
        argv += ["--rm", "--workdir", "/github/workspace"]
        if detach_name:
            argv += ["-d", "--name", detach_name]
        for k in self.env:
            argv += ["-e", k]
        argv += [
            "-v", f"{self.tmp / 'home'}:/github/home",
            "-v", f"{self.tmp / 'workflow'}:/github/workflow",
            "-v", f"{self.commands}:/github/file_commands",
            "-v", f"{self.tmp / 'workspace'}:/github/workspace",
        ]  # fmt: skip
        if self.entrypoint:
            argv += ["--entrypoint", self.entrypoint]
        return argv + [IMAGE]

    def run(self):
        return subprocess.run(
            self.argv(), env={**os.environ, **self.env}, capture_output=True, text=True
        )

    def start(self, name):
        subprocess.run(
            self.argv(detach_name=name), env={**os.environ, **self.env}, check=True,
            capture_output=True,
        )  # fmt: skip

    def read(self, var):
        return parse_file_commands(self.files[var].read_text())


def action_inputs(with_inputs):
    """Every input action.yml declares, as the runner passes them: the step's `with:` value,
    else the default (expressions evaluated), else empty."""
    declared = yaml.safe_load((ROOT / "action.yml").read_text())["inputs"]
    unknown = set(with_inputs) - set(declared)
    if unknown:
        raise SystemExit(f"test bug: inputs not in action.yml: {sorted(unknown)}")
    out = {}
    for name, spec in declared.items():
        default = str(spec.get("default", ""))
        if default == "${{ github.token }}":
            default = "ghs_notARealTokenForTheImageTest"
        out[name] = with_inputs.get(name, default)
    return out


def github_workspace(tmp):
    for d in ["home", "workflow", "workspace"]:
        (tmp / d).mkdir()
    (tmp / "workflow/event.json").write_text("{}")
    shutil.copy(ROOT / "examples/notebooks/daily_metrics.py", tmp / "workspace/daily_metrics.py")
    (tmp / "workspace/long_job.py").write_text(
        "# Databricks notebook source\n"
        "# brickci-emulator: duration 1h\n"
        "dbutils.notebook.exit('done')\n"
    )
    (tmp / "workspace/tests/unit").mkdir(parents=True)
    (tmp / "workspace/tests/test_prices.py").write_text(notebook([{"name": "adds", "status": "passed"}]))
    (tmp / "workspace/tests/unit/test_tax.py").write_text(notebook([{"name": "vat", "status": "passed"}]))
    for d in ["home", "workspace"]:
        for p in [tmp / d, *(tmp / d).rglob("*")]:
            os.chown(p, RUNNER_UID, RUNNER_UID)


def connection(emu, contract):
    """The workspace as inputs (the contract) or, before it, as the step's env."""
    if contract:
        return {"host": emu.url, "token": TOKEN}, {}
    return {}, {"DATABRICKS_HOST": emu.url, "DATABRICKS_TOKEN": TOKEN}


def test_github(emu, contract):
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="brickci-gh-"))
    try:
        github_workspace(tmp)
        conn_inputs, conn_env = connection(emu, contract)

        # A notebook run, outputs in $GITHUB_OUTPUT.
        step = GitHubStep(
            tmp,
            {"command": "run", "notebook": "daily_metrics.py", "params": "env=qa\nday=2026-12-03",
             **conn_inputs},
            env=conn_env,
        )  # fmt: skip
        r = step.run()
        check("github: run exits 0", r.returncode == 0, f"exit {r.returncode}: {excerpt(r)}")
        out = step.read("GITHUB_OUTPUT")
        run_id = out.get("run-id", "")
        check("github: run-id output", run_id.isdigit(), f"outputs: {out}")
        check(
            "github: result-state output is SUCCESS",
            out.get("result-state") == "SUCCESS",
            f"outputs: {out}",
        )
        check(
            "github: notebook-output output",
            '"rows": 1000' in out.get("notebook-output", ""),
            f"outputs: {out}",
        )
        state = step.read("GITHUB_STATE")
        check("github: run saved for the post step", run_id and run_id in state.values(), f"state: {state}")
        if contract:
            submits = [
                q for q in emu.requests() if q["method"] == "POST" and q["path"].endswith("/runs/submit")
            ]
            body = json.dumps(submits[-1].get("body")) if submits else ""
            check(
                "github: params input (one per line) reached the run",
                '"env": "qa"' in body and '"day": "2026-12-03"' in body,
                body[:500],
            )
            done = GitHubStep(tmp, {"command": "run", "notebook": "daily_metrics.py", **conn_inputs},
                              env=conn_env, state=state, entrypoint="/brickci-post")  # fmt: skip
            r = done.run()
            check(
                "github: post step after a finished run does nothing",
                r.returncode == 0 and emu.run_state(run_id) == "SUCCESS"
                and len([q for q in emu.requests() if q["path"].endswith("/runs/submit")]) == len(submits),
                f"exit {r.returncode}: {excerpt(r, 1000)}",
            )  # fmt: skip
        else:
            skip("github: params input reached the run", GATE)
            skip("github: post step after a finished run does nothing", GATE)

        # Test notebooks by glob (the positional `tests` input), JUnit into the workspace.
        if contract:
            step = GitHubStep(
                tmp,
                {"command": "test", "tests": "tests/**/test_*.py\n", "junit": "junit.xml",
                 "check-run": "false", "pr-comment": "false", **conn_inputs},
                env=conn_env,
            )  # fmt: skip
            r = step.run()
            out = step.read("GITHUB_OUTPUT")
            junit = tmp / "workspace/junit.xml"
            cases = ET.parse(junit).getroot().findall(".//testcase") if junit.exists() else []
            check(
                "github: test by the tests input, JUnit in the workspace, tests-passed output",
                r.returncode == 0 and len(cases) == 2 and out.get("tests-passed") == "2",
                f"exit {r.returncode}, {len(cases)} cases, outputs {out}: {excerpt(r, 1000)}",
            )
        else:
            skip("github: test by the tests input, JUnit in the workspace, tests-passed output", GATE)

        # A bad boolean is refused by name, nothing started.
        if contract:
            bad = GitHubStep(tmp, {"command": "run", "notebook": "daily_metrics.py", "no-wait": "yes",
                                   **conn_inputs}, env=conn_env)  # fmt: skip
            r = bad.run()
            check(
                "github: a bad boolean input exits 2 naming it",
                r.returncode == 2 and "no-wait" in r.stdout + r.stderr,
                f"exit {r.returncode}: {excerpt(r, 1000)}",
            )
        else:
            skip("github: a bad boolean input exits 2 naming it", GATE)

        # The main step is killed mid-run (the job was cancelled past its grace period);
        # the post step, in a fresh container, cancels the run it left behind.
        main = GitHubStep(tmp, {"command": "run", "notebook": "long_job.py", **conn_inputs}, env=conn_env)
        name = f"brickci-main-{main.id}"
        main.start(name)
        saved, deadline = {}, time.monotonic() + 60
        while time.monotonic() < deadline:
            saved = main.read("GITHUB_STATE")
            if any(v.isdigit() for v in saved.values()):
                break
            time.sleep(0.2)
        subprocess.run(PODMAN + ["kill", "--signal", "KILL", name], capture_output=True)
        subprocess.run(PODMAN + ["rm", "-f", name], capture_output=True)
        left = next((v for v in saved.values() if v.isdigit()), None)
        if not check("github: the main step saved its run before it was killed", left, f"state: {saved}"):
            return
        check("github: the killed step left its run running", emu.run_state(left) == "RUNNING",
              emu.run_state(left))  # fmt: skip
        if not contract:
            skip("github: the run left behind is saved where later steps see it", GATE)
            skip("github: post step cancels the run left behind", GATE)
            return
        # /github/home is $RUNNER_TEMP/_github_home on the runner: a later step finds it there.
        file = tmp / "home/brickci/runs" / f"{left}.json"
        check("github: the run left behind is saved where later steps see it", file.exists(),
              f"no {file.relative_to(tmp)}; found {[str(p.relative_to(tmp)) for p in tmp.rglob('*.json')]}")  # fmt: skip
        post = GitHubStep(tmp, {"command": "run", "notebook": "long_job.py", **conn_inputs},
                          env=conn_env, state=saved, entrypoint="/brickci-post")  # fmt: skip
        r = post.run()
        check("github: post step exits 0", r.returncode == 0, f"exit {r.returncode}: {excerpt(r)}")
        check("github: post step cancels the run left behind", emu.wait_for_end(left) == "CANCELED",
              emu.run_state(left))  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- CodeBuild buildspec


BUNDLE = """\
bundle:
  name: wrappers-e2e
targets:
  qa:
    default: true
resources:
  jobs:
    nightly:
      name: nightly
      tasks:
        - task_key: main
          notebook_task:
            notebook_path: ./src/nightly.py
"""


def notebook(tests):
    report = json.dumps({"tests": tests})
    return f"# Databricks notebook source\ndbutils.notebook.exit('{report}')\n"


def codebuild_source(tmp, failing):
    src = tmp / "src"
    (src / "src").mkdir(parents=True)
    (src / "tests/unit").mkdir(parents=True)
    (src / "databricks.yml").write_text(BUNDLE)
    (src / "src/nightly.py").write_text("# Databricks notebook source\nprint('nightly')\n")
    (src / "tests/test_prices.py").write_text(
        notebook([{"name": "adds", "status": "passed"}, {"name": "rounds", "status": "passed"}])
    )
    status = "failed" if failing else "passed"
    (src / "tests/unit/test_tax.py").write_text(
        notebook([{"name": "vat", "status": status, "message": "expected 19, got 7"}])
    )
    return src


def sh_quote(v):
    return "'" + v.replace("'", "'\\''") + "'"


# One `sh -c` per buildspec command. Buildspec 0.2 keeps variables from one command to the
# next, so each command starts from the variables the previous one ended with.
COMMAND = (
    'set -a; . /codebuild/harness/env; set +a; cd "$CODEBUILD_SRC_DIR"; eval "$1"; rc=$?; '
    "export -p > /codebuild/harness/env; exit $rc"
)


def test_codebuild(emu, failing, contract, aws=None):
    """aws: a Secrets Manager stand-in; then the token is the buildspec's `aws-sm://` reference
    that brickci resolves itself, instead of CodeBuild's `secrets-manager` entry."""
    label = "codebuild (failing test)" if failing else "codebuild"
    if aws:
        label = "codebuild (aws-sm:// reference)"
    spec = yaml.safe_load((ROOT / "buildspec.yml").read_text())
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="brickci-cb-"))
    name = f"brickci-cb-{uuid.uuid4().hex[:8]}"
    try:
        src = codebuild_source(tmp, failing)
        harness = tmp / "harness"
        harness.mkdir()
        src_dir = "/codebuild/output/src123/src"
        env = {
            "CODEBUILD_BUILD_ID": f"brickci-e2e:{uuid.uuid4()}",
            "CODEBUILD_BUILD_ARN": "arn:aws:codebuild:eu-west-1:111122223333:build/brickci-e2e:1",
            "CODEBUILD_BUILD_NUMBER": "1",
            "CODEBUILD_BUILD_SUCCEEDING": "1",
            "CODEBUILD_INITIATOR": "codepipeline/shop",
            "CODEBUILD_SRC_DIR": src_dir,
            "CODEBUILD_SOURCE_VERSION": "0123456789abcdef0123456789abcdef01234567",
            "CODEBUILD_RESOLVED_SOURCE_VERSION": "0123456789abcdef0123456789abcdef01234567",
            "AWS_REGION": "eu-west-1",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "HOME": "/root",
            "PATH": "/usr/local/bin:/usr/bin:/bin",
        }
        env.update({k: str(v) for k, v in spec["env"]["variables"].items()})
        # The project's environment overrides beat the buildspec's: the emulator is the workspace.
        env["DATABRICKS_HOST"] = emu.url
        if aws:
            ref = re.search(r'^\s*# DATABRICKS_TOKEN: "(aws-sm://[^"]+)"', (ROOT / "buildspec.yml").read_text(), re.M)
            env.update(aws.env())
            env["DATABRICKS_TOKEN"] = ref.group(1)
        else:
            # CodeBuild resolves secrets-manager entries before the first phase.
            secrets = {"brickci/databricks:token": TOKEN}
            for var, ref in spec["env"]["secrets-manager"].items():
                env[var] = secrets[ref]
        (harness / "env").write_text("".join(f"export {k}={sh_quote(v)}\n" for k, v in env.items()))

        # CodeBuild runs commands as root unless the buildspec says run-as.
        subprocess.run(
            RUN + ["-d", "--rm", "--name", name, "--user", "0:0", "--entrypoint", "/bin/sleep",
                   "-v", f"{src}:{src_dir}", "-v", f"{harness}:/codebuild/harness",
                   SHELL_IMAGE, "3600"],
            check=True, capture_output=True,
        )  # fmt: skip
        build_failed = False
        for phase in ["install", "pre_build", "build", "post_build"]:
            for command in spec["phases"].get(phase, {}).get("commands", []):
                r = subprocess.run(
                    PODMAN + ["exec", name, "/bin/sh", "-c", COMMAND, "sh", command],
                    capture_output=True, text=True,
                )  # fmt: skip
                if r.returncode != 0:
                    if phase in ("install", "pre_build"):
                        check(f"{label}: {phase} phase", False, f"{command!r}: exit {r.returncode}: {excerpt(r)}")
                        return
                    if phase == "build":
                        build_failed = True
                        print(f"   {label}: build command failed (exit {r.returncode}): {command}")
                        break
                    check(f"{label}: post_build phase", False, f"exit {r.returncode}: {excerpt(r)}")
                    return
        check(f"{label}: the build {'fails' if failing else 'succeeds'}", build_failed == failing,
              "build failed" if build_failed else "build succeeded")  # fmt: skip

        for group, report in spec["reports"].items():
            check(f"{label}: report {group} is JUNITXML", report.get("file-format") == "JUNITXML",
                  report.get("file-format"))  # fmt: skip
            base = src / report.get("base-directory", ".")
            found = [p for pattern in report["files"] for p in base.glob(pattern)]
            if not check(f"{label}: the JUnit file is where reports: says", found,
                         f"nothing matches {report['files']} in {base}"):  # fmt: skip
                continue
            root = ET.parse(found[0]).getroot()
            cases = root.findall(".//testcase")
            failures = [c for c in cases if c.find("failure") is not None]
            check(f"{label}: the JUnit file has the 3 tests, {int(failing)} failed",
                  len(cases) == 3 and len(failures) == int(failing),
                  f"{len(cases)} cases, {len(failures)} failures")  # fmt: skip

        final = {}
        for line in (harness / "env").read_text().splitlines():
            m = re.match(r"^export ([A-Za-z_][A-Za-z0-9_]*)='?(.*?)'?$", line)
            if m:
                final[m.group(1)] = m.group(2)
        exported = spec["env"]["exported-variables"]
        check(f"{label}: exported variables are set for CodePipeline",
              final.get("BRICKCI_TESTS_PASSED") == str(3 - int(failing))
              and final.get("BRICKCI_TESTS_FAILED") == str(int(failing)),
              {k: final.get(k) for k in exported})  # fmt: skip
        if contract:
            missing = [k for k in exported if k not in final]
            check(f"{label}: every exported variable is defined (the full set, none stale)", not missing,
                  f"missing: {missing}")  # fmt: skip
        else:
            skip(f"{label}: every exported variable is defined (the full set, none stale)", GATE)
        check(f"{label}: the token is not among the exported values",
              TOKEN not in json.dumps({k: final.get(k) for k in exported}), "token exported")  # fmt: skip
    finally:
        subprocess.run(PODMAN + ["rm", "-f", name], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


class SecretsManager:
    """moto's server from the test venv (scripts/test makes it) holding the Databricks token
    under the name buildspec.yml's aws-sm:// example uses."""

    def __init__(self):
        venv = pathlib.Path(os.environ.get("BRICKCI_TEST_VENV", ROOT / ".venv"))
        self.python, server = venv / "bin/python", venv / "bin/moto_server"
        if not server.exists():
            raise FileNotFoundError(f"no {server} (scripts/test makes the test venv)")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen([server, "-H", "127.0.0.1", "-p", str(port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env={**os.environ, "AWS_EC2_METADATA_DISABLED": "true"})  # fmt: skip
        seed = (
            "import boto3, json, sys\n"
            "sm = boto3.client('secretsmanager', endpoint_url=sys.argv[1], region_name='eu-west-1',"
            " aws_access_key_id='testing', aws_secret_access_key='testing')\n"
            "sm.create_secret(Name='brickci/databricks', SecretString=json.dumps({'token': sys.argv[2]}))\n"
        )
        deadline = time.monotonic() + 30
        while True:
            r = subprocess.run([self.python, "-c", seed, self.url, TOKEN], capture_output=True, text=True)
            if r.returncode == 0:
                return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("moto_server did not take the secret: " + r.stderr[-500:])
            time.sleep(0.3)

    def env(self):
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def test_image_contents():
    """What is in each image, and who it runs as."""
    for image, shell in [(IMAGE, False), (SHELL_IMAGE, True)]:
        info = json.loads(subprocess.run(PODMAN + ["image", "inspect", image], check=True,
                                         capture_output=True, text=True).stdout)[0]  # fmt: skip
        cfg = info["Config"]
        user = cfg.get("User", "")
        check(f"{image}: runs as a non-root uid", user.split(":")[0] not in ("", "0", "root"), user)
        entry = cfg.get("Entrypoint") or []
        want = [] if shell else ["/brickci"]
        check(f"{image}: entrypoint {want}", entry == want, entry)
        # The post mode ignores arguments, so look at the file system instead.
        cid = subprocess.run(PODMAN + ["create", image], check=True, capture_output=True, text=True).stdout.strip()
        try:
            listing = subprocess.run(f"{' '.join(PODMAN)} export {cid} | tar tvf -", shell=True,
                                     capture_output=True, text=True).stdout  # fmt: skip
        finally:
            subprocess.run(PODMAN + ["rm", cid], capture_output=True)
        check(f"{image}: /brickci-post is a link to /brickci", re.search(r" brickci-post -> /?brickci$", listing, re.M),
              listing[:500])  # fmt: skip
        check(f"{image}: /tmp is world-writable with the sticky bit", re.search(r"^drwxrwxrwt .* tmp/$", listing, re.M),
              listing[:500])  # fmt: skip
        r = subprocess.run(RUN + ["--rm", "--entrypoint", "/bin/sh", image, "-c", "true"],
                           capture_output=True, text=True)  # fmt: skip
        check(f"{image}: {'has' if shell else 'has no'} /bin/sh", (r.returncode == 0) == shell,
              f"exit {r.returncode}")  # fmt: skip
        print(f"   {image}: {info['Size']} bytes")


def main():
    if not BIN.exists():
        raise SystemExit(f"no binary at {BIN}: run scripts/build-static")
    contract = has_input_contract()
    if not contract:
        print(f"note: {GATE}; the checks that depend on it are skipped")
    emu = Emulator()
    try:
        test_image_contents()
        test_github(emu, contract)
        test_callback(emu, contract)
        test_codebuild(emu, failing=False, contract=contract)
        test_codebuild(emu, failing=True, contract=contract)
        try:
            aws = SecretsManager()
        except (FileNotFoundError, RuntimeError) as e:
            skip("codebuild (aws-sm:// reference)", str(e))
        else:
            try:
                test_codebuild(emu, failing=False, contract=contract, aws=aws)
            finally:
                aws.stop()
    finally:
        emu.stop()
    print(f"{results['passed']} passed, {results['failed']} failed, {results['skipped']} skipped")
    sys.exit(1 if results["failed"] else 0)


if __name__ == "__main__":
    main()
