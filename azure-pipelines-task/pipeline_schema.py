"""Writes the Azure Pipelines schema check-jsonschema vendors, plus an entry for the brickci
task built from task.json. The vendored schema lists only Microsoft's tasks, so any pipeline
with `- task: brickci@0` fails it as is; with this entry such steps pass, and their inputs are
checked against task.json (unknown input names, pickList values).
Usage: python pipeline_schema.py OUT.json   (run with the Python that has check-jsonschema)"""
import json
import pathlib
import sys

import check_jsonschema

HERE = pathlib.Path(__file__).resolve().parent
VENDORED = pathlib.Path(check_jsonschema.__file__).parent / "builtin_schemas/vendor/azure-pipelines.json"


def input_schema(i):
    if i["type"] == "boolean":
        # YAML may write true or "true"; the agent passes both as text.
        return {"type": ["boolean", "string"], "enum": [True, False, "true", "false"]}
    if i["type"] == "pickList" and i.get("properties", {}).get("EditableOptions") == "False":
        return {"type": "string", "enum": list(i["options"])}
    return {"type": "string"}


def main():
    task = json.loads((HERE / "brickci/task.json").read_text())
    schema = json.loads(VENDORED.read_text())
    major = task["version"]["Major"]
    entry = {
        "properties": {
            "task": {"description": task["friendlyName"], "pattern": f"^{task['name']}@{major}$"},
            "inputs": {
                "description": f"{task['name']} inputs",
                "properties": {i["name"]: input_schema(i) for i in task["inputs"]},
                "additionalProperties": False,
                "required": [i["name"] for i in task["inputs"] if i.get("required")],
            },
        },
        "firstProperty": ["task"],
        "required": ["task"],
    }
    name = f"{task['name']}@{major}"
    schema["definitions"]["task"]["properties"]["task"]["anyOf"].append(
        {"description": task["friendlyName"], "enum": [name]}
    )
    schema["definitions"]["task"]["anyOf"].append(entry)
    pathlib.Path(sys.argv[1]).write_text(json.dumps(schema))


if __name__ == "__main__":
    main()
