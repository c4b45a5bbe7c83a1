"""Validates recorded GitHub request bodies against GitHub's published OpenAPI description.

argv[1]: the description (api.github.com.json from npm @octokit/openapi);
stdin: JSON list of {"method", "template", "body", optional "query"}. Exits 1 naming each
invalid body and each query parameter the operation does not declare or whose value does not
fit its schema.
"""

import json
import sys
from urllib.parse import parse_qsl

from jsonschema import Draft202012Validator


def query_problems(spec, r, op):
    if not r.get("query"):
        return 0
    declared = {}
    for p in op.get("parameters", []):
        if "$ref" in p:
            p = spec["components"]["parameters"][p["$ref"].split("/")[-1]]
        if p.get("in") == "query":
            declared[p["name"]] = p.get("schema", {})
    problems = 0
    for name, value in parse_qsl(r["query"], keep_blank_values=True):
        if name not in declared:
            problems += 1
            print(f"{r['method']} {r['template']}: query parameter {name} is not declared", file=sys.stderr)
            continue
        schema = declared[name]
        if schema.get("type") in ("integer", "number"):
            try:
                value = int(value)
            except ValueError:
                pass
        elif schema.get("type") == "boolean":
            value = {"true": True, "false": False}.get(value, value)
        doc = {**schema, "components": spec["components"]}
        for e in Draft202012Validator(doc).iter_errors(value):
            problems += 1
            print(f"{r['method']} {r['template']}: query {name}: {e.message}", file=sys.stderr)
    return problems


def main() -> int:
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    requests = json.load(sys.stdin)
    failures = 0
    for r in requests:
        op = spec["paths"][r["template"]][r["method"].lower()]
        failures += query_problems(spec, r, op)
        if r["body"] is None:
            continue
        escaped = r["template"].replace("~", "~0").replace("/", "~1")
        pointer = f"#/paths/{escaped}/{r['method'].lower()}/requestBody/content/application~1json/schema"
        assert "requestBody" in op, f"{r['method']} {r['template']} takes no body"
        schema = {"$ref": pointer, "components": spec["components"], "paths": spec["paths"]}
        errors = list(Draft202012Validator(schema).iter_errors(r["body"]))
        for e in errors:
            failures += 1
            where = "/".join(str(p) for p in e.absolute_path)
            print(f"{r['method']} {r['template']}: {where}: {e.message}", file=sys.stderr)
    print(f"validated {len(requests)} requests, {failures} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
