"""A stand-in for `databricks.sdk.runtime.dbutils`, for testing brickci's callback launcher
off Databricks. Secrets come from the JSON file $STANDIN_SECRETS ({scope: {key: value}});
task values are appended to $STANDIN_TASK_VALUES as JSON lines."""

import json
import os


class _Secrets:
    def get(self, scope, key):
        with open(os.environ["STANDIN_SECRETS"], encoding="utf-8") as f:
            data = json.load(f)
        if scope not in data:
            raise Exception("Scope %s does not exist!" % scope)
        if key not in data[scope]:
            raise Exception("Secret does not exist with scope: %s and key: %s" % (scope, key))
        return data[scope][key]


class _TaskValues:
    def set(self, key, value):
        with open(os.environ["STANDIN_TASK_VALUES"], "a", encoding="utf-8") as f:
            f.write(json.dumps({"key": key, "value": value}) + "\n")


class _Jobs:
    taskValues = _TaskValues()


class _DBUtils:
    secrets = _Secrets()
    jobs = _Jobs()


dbutils = _DBUtils()
