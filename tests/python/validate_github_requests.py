"""Validates recorded GitHub request bodies against GitHub's published OpenAPI description.

argv[1]: the description (api.github.com.json from npm @octokit/openapi);
stdin: JSON list of {"method", "template", "body"}. Exits 1 naming each invalid body.
"""

import json
import sys

from jsonschema import Draft202012Validator


def main() -> int:
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    requests = json.load(sys.stdin)
    failures = 0
    for r in requests:
        op = spec["paths"][r["template"]][r["method"].lower()]
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
