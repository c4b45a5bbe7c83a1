"""The upload loop a user writes with databricks-sdk: mkdirs per folder, import per notebook,
jobs.create per job. Runs in the SDK's virtual environment; reads DATABRICKS_HOST/TOKEN.

    python sdk_upload.py SRC_DIR WORKSPACE_ROOT JOBS_JSON_DIR
"""

import base64
import json
import os
import sys

from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs
from databricks.sdk.service.workspace import ImportFormat, Language


def main(src, root, jobs_dir):
    w = WorkspaceClient()
    for folder in sorted(os.listdir(src)):
        w.workspace.mkdirs(f"{root}/{folder}")
        for name in sorted(os.listdir(os.path.join(src, folder))):
            with open(os.path.join(src, folder, name), "rb") as fh:
                content = base64.b64encode(fh.read()).decode()
            w.workspace.import_(
                f"{root}/{folder}/{name.removesuffix('.py')}",
                content=content,
                format=ImportFormat.SOURCE,
                language=Language.PYTHON,
                overwrite=True,
            )
    for name in sorted(os.listdir(jobs_dir)):
        with open(os.path.join(jobs_dir, name)) as fh:
            settings = json.load(fh)
        w.jobs.create(
            name=settings["name"],
            tasks=[jobs.Task.from_dict(t) for t in settings["tasks"]],
        )


if __name__ == "__main__":
    main(*sys.argv[1:4])
