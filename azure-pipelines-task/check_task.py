"""Checks task.json beyond what tfx does (it validates nothing there): the schema in
task.schema.json, then what a schema cannot say (cross references, versions, handlers).
Usage: python check_task.py [INPUTS_JSON]  (INPUTS_JSON: `brickci inputs -o json`, optional)."""
import json
import pathlib
import re
import sys

import jsonschema

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent


def fail(msg):
    print(f"task.json: {msg}", file=sys.stderr)
    sys.exit(1)


def cargo_version():
    m = re.search(r'^version\s*=\s*"([^"]+)"', (REPO / "Cargo.toml").read_text(), re.M)
    return m.group(1)


def norm(name):
    # The binary matches input names case-insensitively, ignoring - and _ (CONTRACT.md).
    return name.replace("-", "").replace("_", "").lower()


def main():
    manifest = json.loads((HERE / "vss-extension.json").read_text())
    contribution = manifest["contributions"][0]
    folder = HERE / contribution["properties"]["name"]
    task = json.loads((folder / "task.json").read_text())
    schema = json.loads((HERE / "task.schema.json").read_text())
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(task), key=str)
    if errors:
        fail("; ".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors))

    # Both current Node handlers, on the same launcher, which exists.
    execution = task["execution"]
    for handler in ("Node24", "Node20_1"):
        if handler not in execution:
            fail(f"execution lacks the {handler} handler")
    targets = {h["target"] for h in execution.values()}
    if len(targets) != 1:
        fail(f"the handlers point at different launchers: {sorted(targets)}")
    if not (folder / targets.pop()).is_file():
        fail("the launcher named in execution is not in the task folder")

    names = [i["name"] for i in task["inputs"]]
    if len(set(n.lower() for n in names)) != len(names):
        fail("two inputs share a name (the agent upper-cases them into one INPUT_ variable)")
    groups = {g["name"] for g in task.get("groups", [])}
    for i in task["inputs"]:
        if "groupName" in i and i["groupName"] not in groups:
            fail(f"input {i['name']}: unknown group {i['groupName']}")
        for ref in re.findall(r"([A-Za-z][A-Za-z0-9]*)\s*(?:=|!=|<|>)", i.get("visibleRule", "")):
            if ref not in names:
                fail(f"input {i['name']}: visibleRule names unknown input {ref}")
        if i["type"] == "boolean" and i.get("defaultValue", "false") not in ("true", "false"):
            fail(f"input {i['name']}: boolean default must be 'true' or 'false'")
    for ref in re.findall(r"\$\(([^)]+)\)", task["instanceNameFormat"]):
        if ref not in names:
            fail(f"instanceNameFormat names unknown input {ref}")

    outputs = [o["name"] for o in task.get("outputVariables", [])]
    wanted = ["runId", "runUrl", "resultState", "notebookOutput", "jobIds", "changes",
              "reportPath", "testsFailed", "testsPassed", "triggeredRunId", "triggeredRunUrl",
              "triggeredConclusion", "gatePassed", "candidateRunId", "candidateModelVersion",
              "candidateMetrics", "targetResults"]
    missing = [o for o in wanted if o not in outputs]
    if missing:
        fail(f"outputVariables lacks {missing}")

    # One version everywhere: agents cache tasks by version.
    v = task["version"]
    task_version = f"{v['Major']}.{v['Minor']}.{v['Patch']}"
    if not (task_version == manifest["version"] == cargo_version()):
        fail(f"versions differ: task.json {task_version}, vss-extension.json "
             f"{manifest['version']}, Cargo.toml {cargo_version()}")

    if len(sys.argv) > 1:
        known = json.loads(pathlib.Path(sys.argv[1]).read_text())
        known_names, azure_names = set(), set()
        collect_names(known, known_names, azure_names)
        unknown = [n for n in names if norm(n) not in known_names]
        if unknown:
            fail(f"inputs the binary does not read (brickci inputs): {unknown}")
        check_commands_covered(task, known)
        # Where the binary documents the Azure DevOps spelling, the task uses exactly that.
        if azure_names:
            misspelt = [n for n in names if n not in azure_names]
            if misspelt:
                fail(f"inputs spelt unlike brickci inputs' azure_name: {misspelt}")
            left_out = sorted(azure_names - set(names))
            if left_out:
                print(f"task.json: inputs the binary reads that the task leaves to env: {left_out}")
    print(f"task.json: ok ({len(names)} inputs, {len(outputs)} output variables, version {task_version})")


def visible_for(i, command):
    """Whether the input shows when `command` is picked: no rule, or a rule of
    `command = X` terms joined by || naming it (other rule shapes count as visible)."""
    rule = i.get("visibleRule", "").strip()
    if not rule:
        return True
    terms = [t.strip() for t in rule.split("||")]
    if not all(re.fullmatch(r"command\s*=\s*[^=|&<>!]+", t) for t in terms):
        return True
    return command in (t.split("=", 1)[1].strip() for t in terms)


def check_commands_covered(task, known):
    """Every command the binary has is a `command` option, and what it requires is an input
    that shows when it is picked (each required input; one of each required_one_of group)."""
    commands = known.get("commands")
    if not isinstance(commands, dict):
        return
    picklist = next(i for i in task["inputs"] if i["name"] == "command").get("options", {})
    missing = sorted(set(commands) - set(picklist))
    if missing:
        fail(f"the command input lacks the binary's commands {missing}")
    by_norm = {norm(i["name"]): i for i in task["inputs"]}
    for command, spec in commands.items():
        for wanted in spec.get("inputs", []):
            if not wanted.get("required"):
                continue
            i = by_norm.get(norm(wanted["name"]))
            if i is None or not visible_for(i, command):
                fail(f"{command} requires input {wanted['name']}: not an input shown for it")
        for group in spec.get("required_one_of", []):
            shown = [n for n in group if norm(n) in by_norm and visible_for(by_norm[norm(n)], command)]
            if not shown:
                fail(f"{command} needs one of {group}: none is an input shown for it")


def collect_names(value, out, azure):
    """Every `name` anywhere in `brickci inputs -o json`, normalised, and every `azure_name`
    as spelt (its exact shape is the binary's; any nesting with these fields works)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "name" and isinstance(v, str):
                out.add(norm(v))
            elif k == "azure_name" and isinstance(v, str):
                azure.add(v)
            else:
                collect_names(v, out, azure)
    elif isinstance(value, list):
        for v in value:
            collect_names(v, out, azure)


if __name__ == "__main__":
    main()
