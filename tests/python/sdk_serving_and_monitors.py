"""Drives the emulator's serving endpoints and quality monitors with the official Databricks
SDK for Python, with the calls brickci makes for `model_serving_endpoints` and
`quality_monitors`: create and wait, partial updates, permissions on the endpoint's id, a
failed config update, a conflicting update, delete. Exits non-zero with the failing check.
"""

import os
import time
from datetime import timedelta

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound, OperationFailed, ResourceAlreadyExists, ResourceConflict
from databricks.sdk.service import catalog, serving


def expect(error, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except error:
        return
    raise AssertionError(f"{fn.__qualname__}{args} did not raise {error.__name__}")


def entity(version, env=None):
    return serving.ServedEntityInput(
        entity_name="main.ml.churn",
        entity_version=version,
        workload_size="Small",
        scale_to_zero_enabled=True,
        environment_vars=env,
    )


def serving_endpoints(w):
    e = w.serving_endpoints.create_and_wait(
        name="churn",
        description="churn model",
        config=serving.EndpointCoreConfigInput(name="churn", served_entities=[entity("1")]),
        tags=[serving.EndpointTag(key="team", value="ml")],
        timeout=timedelta(seconds=120),
    )
    assert e.state.config_update == serving.EndpointStateConfigUpdate.NOT_UPDATING, e.state
    assert e.state.ready == serving.EndpointStateReady.READY, e.state
    assert e.config.served_entities[0].entity_version == "1", e.config
    assert e.config.traffic_config.routes[0].traffic_percentage == 100, e.config
    assert e.id and e.creator, e
    expect(ResourceAlreadyExists, w.serving_endpoints.create, name="churn")

    # A config update deploys in the background; a second one meanwhile is refused.
    wait = w.serving_endpoints.update_config(name="churn", served_entities=[entity("2")])
    pending = w.serving_endpoints.get("churn")
    assert pending.state.config_update == serving.EndpointStateConfigUpdate.IN_PROGRESS, pending.state
    assert pending.pending_config.served_entities[0].entity_version == "2", pending.pending_config
    expect(ResourceConflict, w.serving_endpoints.update_config, name="churn", served_entities=[entity("3")])
    done = wait.result(timeout=timedelta(seconds=120))
    assert done.config.served_entities[0].entity_version == "2", done.config
    assert done.config.config_version == 2, done.config

    # The other partial updates brickci sends.
    tags = w.serving_endpoints.patch(
        name="churn", add_tags=[serving.EndpointTag(key="owner", value="ci")], delete_tags=["team"]
    )
    assert [t.key for t in tags.tags] == ["owner"], tags
    gw = w.serving_endpoints.put_ai_gateway(
        name="churn", usage_tracking_config=serving.AiGatewayUsageTrackingConfig(enabled=True)
    )
    assert gw.usage_tracking_config.enabled, gw
    w.serving_endpoints.update_notifications(
        name="churn", email_notifications=serving.EmailNotifications(on_update_failure=["ml@example.com"])
    )
    assert w.serving_endpoints.get("churn").email_notifications.on_update_failure == ["ml@example.com"]
    acl = w.serving_endpoints.set_permissions(
        serving_endpoint_id=e.id,
        access_control_list=[
            serving.ServingEndpointAccessControlRequest(
                group_name="analysts", permission_level=serving.ServingEndpointPermissionLevel.CAN_QUERY
            )
        ],
    )
    assert acl.access_control_list, acl
    expect(NotFound, w.serving_endpoints.set_permissions, serving_endpoint_id="churn")

    # A deployment that fails: the waiter says so; the old config keeps serving.
    w.serving_endpoints.update_config(
        name="churn", served_entities=[entity("3", {"EMULATOR_FAIL_DEPLOYMENT": "image build failed"})]
    )
    expect(OperationFailed, w.serving_endpoints.wait_get_serving_endpoint_not_updating, "churn",
           timeout=timedelta(seconds=120))
    failed = w.serving_endpoints.get("churn")
    assert failed.state.config_update == serving.EndpointStateConfigUpdate.UPDATE_FAILED, failed.state
    state = failed.pending_config.served_entities[0].state
    assert state.deployment == serving.ServedModelStateDeployment.DEPLOYMENT_FAILED, state
    assert state.deployment_state_message == "image build failed", state
    assert failed.config.served_entities[0].entity_version == "2", failed.config

    assert [x.name for x in w.serving_endpoints.list()] == ["churn"]
    w.serving_endpoints.delete("churn")
    expect(NotFound, w.serving_endpoints.get, "churn")
    expect(NotFound, w.serving_endpoints.delete, "churn")


def quality_monitors(w):
    w.schemas.create(name="quality", catalog_name="main")
    expect(NotFound, w.quality_monitors.create, table_name="nocatalog.s.t", output_schema_name="main.quality",
           assets_dir="/Shared/m", snapshot=catalog.MonitorSnapshot())
    m = w.quality_monitors.create(
        table_name="main.quality.orders",
        output_schema_name="main.quality",
        assets_dir="/Shared/monitors/orders",
        snapshot=catalog.MonitorSnapshot(),
        slicing_exprs=["region"],
    )
    assert m.status == catalog.MonitorInfoStatus.MONITOR_STATUS_PENDING, m
    assert m.profile_metrics_table_name == "main.quality.orders_profile_metrics", m
    expect(ResourceAlreadyExists, w.quality_monitors.create, table_name="main.quality.orders",
           output_schema_name="main.quality", assets_dir="/Shared/x", snapshot=catalog.MonitorSnapshot())
    deadline = time.time() + 60
    while w.quality_monitors.get("main.quality.orders").status != catalog.MonitorInfoStatus.MONITOR_STATUS_ACTIVE:
        assert time.time() < deadline, "monitor never became active"
        time.sleep(0.1)
    active = w.quality_monitors.get("main.quality.orders")
    assert active.dashboard_id, active
    u = w.quality_monitors.update(
        table_name="main.quality.orders",
        output_schema_name="main.quality",
        snapshot=catalog.MonitorSnapshot(),
        slicing_exprs=["country"],
    )
    assert u.slicing_exprs == ["country"] and u.monitor_version == 2, u
    w.quality_monitors.delete("main.quality.orders")
    expect(NotFound, w.quality_monitors.get, "main.quality.orders")


def main() -> None:
    w = WorkspaceClient(host=os.environ["DATABRICKS_HOST"], token=os.environ["DATABRICKS_TOKEN"])
    serving_endpoints(w)
    quality_monitors(w)
    print("serving and monitor checks passed")


if __name__ == "__main__":
    main()
