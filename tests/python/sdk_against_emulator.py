"""Drives brickci's emulator with the official Databricks SDK for Python.

Run by tests/it/python_sdk.rs with DATABRICKS_HOST and either DATABRICKS_TOKEN or
DATABRICKS_CLIENT_ID/SECRET set. Exits non-zero (with the failing check) when the emulator
answers something the SDK does not accept.
"""

import io
import sys

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound, ResourceAlreadyExists, InvalidParameterValue
from databricks.sdk.service import jobs, workspace


def main() -> None:
    w = WorkspaceClient()
    me = w.current_user.me()
    assert me.user_name, me
    print(f"auth={w.config.auth_type} user={me.user_name}")

    folder = f"/Users/{me.user_name}/sdk-check"
    w.workspace.mkdirs(folder)
    source = b"# Databricks notebook source\nprint('hello')\ndbutils.notebook.exit('sdk says hi')\n"
    w.workspace.upload(f"{folder}/hello", io.BytesIO(source), format=workspace.ImportFormat.SOURCE,
                       language=workspace.Language.PYTHON, overwrite=True)
    status = w.workspace.get_status(f"{folder}/hello")
    assert status.object_type == workspace.ObjectType.NOTEBOOK, status
    assert status.language == workspace.Language.PYTHON, status
    listed = [o.path for o in w.workspace.list(folder)]
    assert f"{folder}/hello" in listed, listed
    with w.workspace.download(f"{folder}/hello") as f:
        assert b"sdk says hi" in f.read()

    try:
        w.workspace.upload(f"{folder}/hello", io.BytesIO(source), format=workspace.ImportFormat.SOURCE,
                           language=workspace.Language.PYTHON)
        raise AssertionError("import over an existing notebook without overwrite must fail")
    except ResourceAlreadyExists:
        pass
    try:
        w.workspace.get_status(f"{folder}/missing")
        raise AssertionError("get-status of a missing path must fail")
    except NotFound:
        pass

    run = w.jobs.submit(
        run_name="sdk check",
        tasks=[jobs.SubmitTask(task_key="hello",
                               notebook_task=jobs.NotebookTask(notebook_path=f"{folder}/hello"))],
    ).result()
    assert run.state.result_state == jobs.RunResultState.SUCCESS, run.state
    out = w.jobs.get_run_output(run.tasks[0].run_id)
    assert out.notebook_output.result == "sdk says hi", out

    try:
        w.jobs.get_run(987654321)
        raise AssertionError("an unknown run id must fail")
    except (NotFound, InvalidParameterValue) as e:
        assert "does not exist" in str(e), e

    runs = list(w.jobs.list_runs(limit=1))
    assert any(r.run_id == run.run_id for r in runs), runs

    w.workspace.delete(folder, recursive=True)
    try:
        w.workspace.get_status(folder)
        raise AssertionError("deleted folder still there")
    except NotFound:
        pass
    print("sdk checks passed")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        raise
