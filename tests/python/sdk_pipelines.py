"""Drives the emulator's pipeline updates and events with the official Databricks SDK for Python.

Run by tests/it/run_pipeline.rs with DATABRICKS_HOST and DATABRICKS_TOKEN set. Creates two
pipelines through the SDK: one whose notebook runs for a long time (an update is started,
refused a second time, listed, and stopped with stop_and_wait) and one whose notebook is
scripted to fail (its ERROR event is read back with a filter and one event per page).
Exits non-zero, naming the failing check, when the emulator answers what the SDK rejects.
"""

import io
import time
from datetime import timedelta

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import ResourceConflict
from databricks.sdk.service import pipelines, workspace


def notebook(w: WorkspaceClient, path: str, body: str) -> None:
    w.workspace.mkdirs(path.rsplit("/", 1)[0])
    w.workspace.upload(path, io.BytesIO(f"# Databricks notebook source\n{body}\n".encode()),
                       format=workspace.ImportFormat.SOURCE, language=workspace.Language.PYTHON,
                       overwrite=True)


def pipeline(w: WorkspaceClient, name: str, path: str) -> str:
    created = w.pipelines.create(
        name=name, libraries=[pipelines.PipelineLibrary(notebook=pipelines.NotebookLibrary(path=path))])
    assert created.pipeline_id, created
    return created.pipeline_id


def wait_for(w: WorkspaceClient, pid: str, uid: str, states) -> pipelines.UpdateInfo:
    deadline = time.time() + 60
    while time.time() < deadline:
        update = w.pipelines.get_update(pid, uid).update
        if update.state in states:
            return update
        time.sleep(0.05)
    raise AssertionError(f"update {uid} never reached {states}")


def main() -> None:
    w = WorkspaceClient()
    folder = "/Shared/sdk-pipelines"
    notebook(w, f"{folder}/long", "# brickci-emulator: duration 1h")
    notebook(w, f"{folder}/broken", '# brickci-emulator: fail "AnalysisException: no such table raw.sales"')

    pid = pipeline(w, "sdk long", f"{folder}/long")
    started = w.pipelines.start_update(pid, refresh_selection=["sales", "orders"], full_refresh_selection=["dim"])
    uid = started.update_id
    assert uid, started
    running = wait_for(w, pid, uid, {pipelines.UpdateInfoState.RUNNING})
    assert running.refresh_selection == ["sales", "orders"], running
    assert running.full_refresh_selection == ["dim"], running
    assert running.pipeline_id == pid, running
    try:
        w.pipelines.start_update(pid)
        raise AssertionError("a second update while one is active must be refused")
    except ResourceConflict:
        pass
    listed = w.pipelines.list_updates(pid)
    assert [u.update_id for u in listed.updates] == [uid], listed
    got = w.pipelines.get(pid)
    assert got.state == pipelines.PipelineState.RUNNING, got.state
    assert got.latest_updates[0].update_id == uid, got.latest_updates
    idle = w.pipelines.stop_and_wait(pid, timeout=timedelta(seconds=60))
    assert idle.state == pipelines.PipelineState.IDLE, idle.state
    stopped = w.pipelines.get_update(pid, uid).update
    assert stopped.state == pipelines.UpdateInfoState.CANCELED, stopped.state

    fid = pipeline(w, "sdk broken", f"{folder}/broken")
    fuid = w.pipelines.start_update(fid, full_refresh=True).update_id
    failed = wait_for(w, fid, fuid, {pipelines.UpdateInfoState.FAILED, pipelines.UpdateInfoState.COMPLETED})
    assert failed.state == pipelines.UpdateInfoState.FAILED, failed.state
    assert failed.full_refresh is True, failed
    errors = list(w.pipelines.list_pipeline_events(
        fid, filter=f"update_id = '{fuid}' AND level in ('ERROR')", max_results=1))
    assert len(errors) == 1, errors
    error = errors[0]
    assert error.level == pipelines.EventLevel.ERROR, error
    assert error.origin.update_id == fuid, error.origin
    exc = error.error.exceptions[0]
    assert (exc.class_name, exc.message) == ("AnalysisException", "no such table raw.sales"), exc
    # Every event, one per page: the SDK follows next_page_token to the end, newest first.
    every = list(w.pipelines.list_pipeline_events(fid, max_results=1))
    assert len(every) > 3, every
    assert every[0].level == pipelines.EventLevel.ERROR, every[0]
    stamps = [e.timestamp for e in every]
    assert stamps == sorted(stamps, reverse=True), stamps
    oldest_first = list(w.pipelines.list_pipeline_events(fid, order_by=["timestamp asc"], max_results=100))
    assert [e.id for e in oldest_first] == [e.id for e in reversed(every)], oldest_first
    print("sdk pipeline checks passed")


if __name__ == "__main__":
    main()
