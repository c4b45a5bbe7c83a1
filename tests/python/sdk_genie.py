"""Drives the emulator's Genie spaces API and the job-run calls with the official Databricks
SDK for Python (w.genie, w.jobs, w.permissions), making every call brickci's deploy makes
for genie_spaces and job_runs (tests/it/genie_and_job_runs_sdk.rs checks that brickci's
calls are among these, with no field the SDK did not send). Exits non-zero with the failing
check when the emulator answers something the SDK does not accept or maps to the wrong
error class.
"""

import base64
import json
import uuid
from datetime import timedelta

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, InvalidState, NotFound, ResourceConflict
from databricks.sdk.service import iam, jobs, workspace

WAREHOUSE = "a1b2c3d4e5f60718"


def expect(error, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except error:
        return
    raise AssertionError(f"{fn.__qualname__}{args} did not raise {error.__name__}")


def genie(w: WorkspaceClient) -> None:
    g = w.genie
    content = json.dumps({"version": 1, "config": {"sample_questions": ["how many"]}})
    expect(InvalidParameterValue, g.create_space, warehouse_id=WAREHOUSE, serialized_space="not json")
    expect(InvalidParameterValue, g.create_space, warehouse_id="nope", serialized_space=content)
    expect(
        InvalidParameterValue,
        g.create_space,
        warehouse_id=WAREHOUSE,
        serialized_space=content,
        parent_path="/Workspace/Shared/missing",
    )
    w.workspace.mkdirs("/Workspace/Shared/genie")
    made = g.create_space(
        warehouse_id=WAREHOUSE,
        serialized_space=content,
        title="Sales",
        description="first",
        parent_path="/Workspace/Shared/genie",
    )
    assert made.space_id and made.title == "Sales" and made.parent_path == "/Shared/genie", made
    brief = g.get_space(made.space_id)
    assert brief.serialized_space is None and brief.etag is None, brief
    full = g.get_space(made.space_id, include_serialized_space=True)
    assert json.loads(full.serialized_space)["version"] == 2, full.serialized_space
    expect(ResourceConflict, g.update_space, made.space_id, title="x", etag="stale")
    moved = g.update_space(
        made.space_id,
        title="Sales 2",
        description="second",
        warehouse_id=WAREHOUSE,
        parent_path="/Workspace/Shared",
        serialized_space=json.dumps({"version": 2, "config": {}}),
    )
    assert moved.title == "Sales 2" and moved.parent_path == "/Shared" and moved.etag != full.etag, moved
    acl = w.permissions.set(
        "genie",
        made.space_id,
        access_control_list=[
            iam.AccessControlRequest(group_name="analysts", permission_level=iam.PermissionLevel.CAN_READ)
        ],
    )
    assert acl.access_control_list[0].group_name == "analysts", acl
    for i in range(2):
        g.create_space(warehouse_id=WAREHOUSE, serialized_space=content, title=f"extra {i}")
    page = g.list_spaces(page_size=2)
    assert len(page.spaces) == 2 and page.next_page_token, page
    rest = g.list_spaces(page_size=2, page_token=page.next_page_token)
    assert len(rest.spaces) == 1 and not rest.next_page_token, rest
    g.trash_space(made.space_id)
    expect(NotFound, g.get_space, made.space_id)
    expect(NotFound, g.trash_space, made.space_id)
    expect(NotFound, w.permissions.get, "genie", made.space_id)


def job_runs(w: WorkspaceClient) -> None:
    w.workspace.import_(
        "/Shared/nb",
        content=base64.b64encode(b"print('hi')").decode(),
        format=workspace.ImportFormat.SOURCE,
        language=workspace.Language.PYTHON,
        overwrite=True,
    )
    job = w.jobs.create(
        name="nightly",
        parameters=[jobs.JobParameterDefinition(name="env", default="none")],
        tasks=[jobs.Task(task_key="main", notebook_task=jobs.NotebookTask(notebook_path="/Shared/nb"))],
    )
    token = str(uuid.uuid4())
    waiter = w.jobs.run_now(job.job_id, job_parameters={"env": "dev"}, idempotency_token=token)
    again = w.jobs.run_now(job.job_id, job_parameters={"env": "dev"}, idempotency_token=token)
    assert again.run_id == waiter.run_id, "one token, one run"
    expect(InvalidState, w.jobs.delete_run, waiter.run_id)
    w.jobs.cancel_run(waiter.run_id).result(timeout=timedelta(seconds=60))
    run = w.jobs.get_run(waiter.run_id)
    assert run.state.life_cycle_state == jobs.RunLifeCycleState.TERMINATED, run.state
    for task in run.tasks:
        w.jobs.get_run_output(task.run_id)
    w.jobs.delete_run(waiter.run_id)
    expect(NotFound, w.jobs.get_run, waiter.run_id)
    done = w.jobs.run_now(job.job_id, idempotency_token=str(uuid.uuid4())).result(timeout=timedelta(seconds=60))
    assert done.state.life_cycle_state == jobs.RunLifeCycleState.TERMINATED, done.state
    w.jobs.delete_run(done.run_id)


def main() -> None:
    w = WorkspaceClient()
    genie(w)
    job_runs(w)
    print("sdk genie and job-run checks passed")


if __name__ == "__main__":
    main()
