"""Drives the emulator's endpoints for issue 15's kinds with the official Databricks SDK for
Python: catalogs and UC grants, SQL warehouses (with the SDK's waiters), instance pools,
alerts (v2), Lakeview dashboards (published), and apps with deployments (one that fails).
Exits non-zero with the failing check when the emulator answers something the SDK does
not accept, maps to the wrong error class, or never reaches the state a waiter waits for.
"""

import base64
import json
from datetime import timedelta

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound, OperationFailed, ResourceAlreadyExists, ResourceConflict
from databricks.sdk.service import apps, catalog, compute, dashboards, database, sql, vectorsearch, workspace

WAIT = timedelta(seconds=60)
ME = "ci-bot@example.com"


def expect(error, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except error:
        return
    raise AssertionError(f"{fn.__qualname__}{args} did not raise {error.__name__}")


def catalogs(w: WorkspaceClient) -> None:
    c = w.catalogs.create(name="ci_cat", comment="from the sdk", properties={"team": "ci"})
    assert c.catalog_type == catalog.CatalogType.MANAGED_CATALOG and c.full_name == "ci_cat", c
    expect(ResourceConflict, w.catalogs.create, name="ci_cat")
    w.schemas.create(name="raw", catalog_name="ci_cat")
    updated = w.catalogs.update("ci_cat", comment="patched", isolation_mode=catalog.CatalogIsolationMode.ISOLATED)
    assert updated.comment == "patched" and updated.isolation_mode == catalog.CatalogIsolationMode.ISOLATED
    names = sorted(c.name for c in w.catalogs.list(max_results=1))
    assert names == ["ci_cat", "main"], names
    w.grants.update("catalog", "ci_cat", changes=[
        catalog.PermissionsChange(principal="data-eng", add=[catalog.Privilege.USE_CATALOG, catalog.Privilege.CREATE_SCHEMA]),
    ])
    grants = w.grants.get("catalog", "ci_cat")
    assert [(g.principal, sorted(p.value for p in g.privileges)) for g in grants.privilege_assignments] == [
        ("data-eng", ["CREATE_SCHEMA", "USE_CATALOG"])
    ], grants
    w.catalogs.delete("ci_cat", force=True)
    expect(NotFound, w.catalogs.get, "ci_cat")
    expect(NotFound, w.schemas.get, "ci_cat.raw")


def warehouses(w: WorkspaceClient) -> str:
    wh = w.warehouses.create_and_wait(name="ci-sql", cluster_size="X-Small", auto_stop_mins=10, timeout=WAIT)
    assert wh.state == sql.State.RUNNING and wh.odbc_params.path.endswith(wh.id), wh
    w.warehouses.edit_and_wait(wh.id, name="ci-sql", cluster_size="Small", auto_stop_mins=15, timeout=WAIT)
    got = w.warehouses.get(wh.id)
    assert got.cluster_size == "Small" and got.auto_stop_mins == 15, got
    stopped = w.warehouses.stop_and_wait(wh.id, timeout=WAIT)
    assert stopped.state == sql.State.STOPPED
    # Waiting for RUNNING on a stopped warehouse fails, as against a real workspace.
    expect(OperationFailed, w.warehouses.wait_get_warehouse_running, wh.id, timeout=WAIT)
    assert w.warehouses.start_and_wait(wh.id, timeout=WAIT).state == sql.State.RUNNING
    assert sorted(x.name for x in w.warehouses.list(page_size=1)) == ["ci-sql", "ci-warehouse"]
    w.warehouses.set_permissions(wh.id, access_control_list=[
        sql.WarehouseAccessControlRequest(group_name="analysts", permission_level=sql.WarehousePermissionLevel.CAN_USE)
    ])
    acl = w.warehouses.get_permissions(wh.id).access_control_list
    assert [a.group_name for a in acl] == ["analysts"], acl
    expect(NotFound, w.warehouses.get, "0000000000000000")
    return wh.id


def pools(w: WorkspaceClient) -> None:
    pid = w.instance_pools.create(instance_pool_name="ci-pool-2", node_type_id="i3.xlarge", max_capacity=4).instance_pool_id
    p = w.instance_pools.get(pid)
    assert p.state == compute.InstancePoolState.ACTIVE and p.max_capacity == 4, p
    w.instance_pools.edit(pid, instance_pool_name="ci-pool-2b", node_type_id="i3.xlarge", min_idle_instances=1, max_capacity=6)
    assert w.instance_pools.get(pid).instance_pool_name == "ci-pool-2b"
    assert sorted(x.instance_pool_name for x in w.instance_pools.list()) == ["ci-pool", "ci-pool-2b"]
    w.instance_pools.set_permissions(pid, access_control_list=[
        compute.InstancePoolAccessControlRequest(group_name="eng", permission_level=compute.InstancePoolPermissionLevel.CAN_ATTACH_TO)
    ])
    w.instance_pools.delete(pid)
    expect(NotFound, w.instance_pools.get, pid)


def alerts(w: WorkspaceClient, warehouse_id: str) -> None:
    def alert(name: str) -> sql.AlertV2:
        return sql.AlertV2(
            display_name=name, query_text="select count(*) as n from t", warehouse_id=warehouse_id,
            evaluation=sql.AlertV2Evaluation(
                source=sql.AlertV2OperandColumn(name="n"), comparison_operator=sql.ComparisonOperator.GREATER_THAN,
                threshold=sql.AlertV2Operand(value=sql.AlertV2OperandValue(double_value=10)),
            ),
            schedule=sql.CronSchedule(quartz_cron_schedule="0 0 * * * ?", timezone_id="UTC"),
        )

    a = w.alerts_v2.create_alert(alert("rows"))
    assert a.lifecycle_state == sql.AlertLifecycleState.ACTIVE and a.owner_user_name == ME, a
    u = w.alerts_v2.update_alert(a.id, alert("rows-renamed"), update_mask="display_name")
    assert u.display_name == "rows-renamed"
    assert w.alerts_v2.get_alert(a.id).evaluation.comparison_operator == sql.ComparisonOperator.GREATER_THAN
    w.alerts_v2.create_alert(alert("second"))
    assert sorted(x.display_name for x in w.alerts_v2.list_alerts(page_size=1)) == ["rows-renamed", "second"]
    w.alerts_v2.trash_alert(a.id)
    assert w.alerts_v2.get_alert(a.id).lifecycle_state == sql.AlertLifecycleState.DELETED
    w.alerts_v2.trash_alert(a.id, purge=True)
    expect(NotFound, w.alerts_v2.get_alert, a.id)


def legacy_alerts(w: WorkspaceClient) -> None:
    condition = sql.AlertCondition(
        op=sql.AlertOperator.GREATER_THAN,
        operand=sql.AlertConditionOperand(column=sql.AlertOperandColumn(name="n")),
        threshold=sql.AlertConditionThreshold(value=sql.AlertOperandValue(double_value=1)),
    )
    a = w.alerts.create(alert=sql.CreateAlertRequestAlert(display_name="legacy", query_id="q-1", condition=condition))
    assert a.state == sql.AlertState.UNKNOWN and a.lifecycle_state == sql.LifecycleState.ACTIVE, a
    u = w.alerts.update(a.id, "display_name", alert=sql.UpdateAlertRequestAlert(display_name="legacy-2"))
    assert u.display_name == "legacy-2"
    assert [x.display_name for x in w.alerts.list(page_size=1)] == ["legacy-2"]
    w.alerts.delete(a.id)
    assert w.alerts.get(a.id).lifecycle_state == sql.LifecycleState.TRASHED
    assert list(w.alerts.list()) == []
    expect(NotFound, w.alerts.get, "00000000-0000-0000-0000-000000000000")


def lakeview(w: WorkspaceClient, warehouse_id: str) -> None:
    body = json.dumps({"pages": [{"name": "p1", "displayName": "Overview"}]})
    d = w.lakeview.create(dashboards.Dashboard(
        display_name="CI board", parent_path="/Shared/ci", serialized_dashboard=body, warehouse_id=warehouse_id))
    assert d.path == "/Shared/ci/CI board.lvdash.json" and d.lifecycle_state == dashboards.LifecycleState.ACTIVE, d
    expect(ResourceAlreadyExists, w.lakeview.create, dashboards.Dashboard(display_name="CI board", parent_path="/Shared/ci"))
    u = w.lakeview.update(d.dashboard_id, dashboards.Dashboard(display_name="CI board 2", etag=d.etag))
    assert u.display_name == "CI board 2" and u.etag != d.etag
    expect(NotFound, w.lakeview.get_published, d.dashboard_id)
    p = w.lakeview.publish(d.dashboard_id, embed_credentials=False, warehouse_id=warehouse_id)
    assert p.embed_credentials is False and p.warehouse_id == warehouse_id, p
    assert w.lakeview.get_published(d.dashboard_id).display_name == "CI board 2"
    assert [x.dashboard_id for x in w.lakeview.list(page_size=1)] == [d.dashboard_id]
    w.lakeview.unpublish(d.dashboard_id)
    w.lakeview.trash(d.dashboard_id)
    assert w.lakeview.get(d.dashboard_id).lifecycle_state == dashboards.LifecycleState.TRASHED
    assert list(w.lakeview.list()) == []


def put(w: WorkspaceClient, path: str, text: str) -> None:
    w.workspace.import_(path, content=base64.b64encode(text.encode()).decode(),
                        format=workspace.ImportFormat.AUTO, overwrite=True)


def databricks_apps(w: WorkspaceClient) -> None:
    app = w.apps.create_and_wait(apps.App(name="ci-app", description="from the sdk"), timeout=WAIT)
    assert app.compute_status.state == apps.ComputeState.ACTIVE, app
    assert app.app_status.state == apps.ApplicationState.UNAVAILABLE
    expect(ResourceAlreadyExists, w.apps.create, apps.App(name="ci-app"))
    w.workspace.mkdirs("/Users/ci-bot@example.com/app")
    put(w, "/Users/ci-bot@example.com/app/app.py", "print('serving')\n")
    src = "/Workspace/Users/ci-bot@example.com/app"
    dep = w.apps.deploy_and_wait("ci-app", apps.AppDeployment(source_code_path=src), timeout=WAIT)
    assert dep.status.state == apps.AppDeploymentState.SUCCEEDED, dep
    running = w.apps.get("ci-app")
    assert running.app_status.state == apps.ApplicationState.RUNNING, running
    assert running.active_deployment.deployment_id == dep.deployment_id
    put(w, "/Users/ci-bot@example.com/app/app.py", '# brickci-emulator: fail "ModuleNotFoundError: streamlit"\n')
    try:
        w.apps.deploy_and_wait("ci-app", apps.AppDeployment(source_code_path=src), timeout=WAIT)
        raise AssertionError("a failing deployment did not fail")
    except OperationFailed as e:
        assert "ModuleNotFoundError" in str(e), e
    assert w.apps.get("ci-app").active_deployment.deployment_id == dep.deployment_id
    assert len(list(w.apps.list_deployments("ci-app", page_size=1))) == 2
    w.apps.update("ci-app", apps.App(name="ci-app", description="changed"))
    assert w.apps.get("ci-app").description == "changed"
    assert w.apps.stop_and_wait("ci-app", timeout=WAIT).compute_status.state == apps.ComputeState.STOPPED
    assert w.apps.start_and_wait("ci-app", timeout=WAIT).compute_status.state == apps.ComputeState.ACTIVE
    w.apps.set_permissions("ci-app", access_control_list=[
        apps.AppAccessControlRequest(group_name="users", permission_level=apps.AppPermissionLevel.CAN_USE)
    ])
    assert [a.name for a in w.apps.list()] == ["ci-app"]
    w.apps.delete("ci-app")
    expect(NotFound, w.apps.get, "ci-app")


def vector_search(w: WorkspaceClient) -> None:
    e = w.vector_search_endpoints.create_endpoint_and_wait(
        "ci-vs", vectorsearch.EndpointType.STANDARD, timeout=WAIT)
    assert e.endpoint_status.state == vectorsearch.EndpointStatusState.ONLINE, e
    expect(ResourceAlreadyExists, w.vector_search_endpoints.create_endpoint, "ci-vs", vectorsearch.EndpointType.STANDARD)
    assert w.vector_search_endpoints.patch_endpoint("ci-vs", target_qps=3).scaling_info.requested_target_qps == 3
    w.vector_search_endpoints.update_endpoint_custom_tags("ci-vs", [vectorsearch.CustomTag(key="team", value="ml")])
    assert [x.name for x in w.vector_search_endpoints.list_endpoints()] == ["ci-vs"]
    w.vector_search_endpoints.delete_endpoint("ci-vs")
    expect(NotFound, w.vector_search_endpoints.get_endpoint, "ci-vs")


def lakebase(w: WorkspaceClient) -> None:
    db = w.database.create_database_instance_and_wait(database.DatabaseInstance(name="ci-lake", capacity="CU_1"), timeout=WAIT)
    assert db.state == database.DatabaseInstanceState.AVAILABLE and db.effective_capacity == "CU_1", db
    expect(ResourceAlreadyExists, w.database.create_database_instance, database.DatabaseInstance(name="ci-lake"))
    u = w.database.update_database_instance("ci-lake", database.DatabaseInstance(name="ci-lake", capacity="CU_2"), "capacity")
    assert u.effective_capacity == "CU_2", u
    w.database.wait_get_database_instance_database_available("ci-lake", timeout=WAIT)
    assert [x.name for x in w.database.list_database_instances(page_size=1)] == ["ci-lake"]
    w.database.delete_database_instance("ci-lake", purge=True)
    expect(NotFound, w.database.get_database_instance, "ci-lake")


def main() -> None:
    w = WorkspaceClient()
    catalogs(w)
    warehouse_id = warehouses(w)
    pools(w)
    alerts(w, warehouse_id)
    legacy_alerts(w)
    lakeview(w, warehouse_id)
    databricks_apps(w)
    vector_search(w)
    lakebase(w)
    w.warehouses.delete(warehouse_id)
    expect(NotFound, w.warehouses.get, warehouse_id)
    print("sdk kinds-surface checks passed")


if __name__ == "__main__":
    main()
