"""Drives the emulator's endpoints for issue 15's later kinds with the official Databricks
SDK for Python, making every call brickci's deploy makes for them (tests/it/more_kinds.rs
checks that brickci's calls are among these, with no field the SDK did not send): legacy
MLflow models, external locations, database instances (with the SDK's waiter),
database catalogs, synced database tables, Unity Catalog secrets. Exits non-zero with the failing check when the emulator answers something
the SDK does not accept or maps to the wrong error class.
"""

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, NotFound, ResourceAlreadyExists, ResourceConflict
from datetime import timedelta

from databricks.sdk.common.types.fieldmask import FieldMask
from databricks.sdk.service import catalog, database, iam, ml


def expect(error, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except error:
        return
    raise AssertionError(f"{fn.__qualname__}{args} did not raise {error.__name__}")


def models(w: WorkspaceClient) -> None:
    r = w.model_registry
    made = r.create_model(name="churn", description="first", tags=[ml.ModelTag(key="team", value="ml")])
    assert made.registered_model.name == "churn", made
    expect(ResourceAlreadyExists, r.create_model, name="churn")
    got = r.get_model(name="churn").registered_model_databricks
    assert got.id and got.description == "first" and got.tags[0].key == "team", got
    updated = r.update_model(name="churn", description="second")
    assert updated.registered_model.description == "second", updated
    renamed = r.rename_model(name="churn", new_name="churn2")
    assert renamed.registered_model.name == "churn2", renamed
    r.set_model_tag(name="churn2", key="stage", value="dev")
    r.delete_model_tag(name="churn2", key="team")
    got = r.get_model(name="churn2").registered_model_databricks
    assert [t.key for t in got.tags] == ["stage"], got.tags
    acl = r.set_permissions(
        got.id,
        access_control_list=[
            ml.RegisteredModelAccessControlRequest(
                group_name="analysts", permission_level=ml.RegisteredModelPermissionLevel.CAN_READ
            )
        ],
    )
    assert acl.access_control_list[0].group_name == "analysts", acl
    assert r.get_permissions(got.id).access_control_list == acl.access_control_list
    assert [m.name for m in r.list_models(max_results=1)] == ["churn2"]
    r.delete_model(name="churn2")
    expect(NotFound, r.get_model, name="churn2")
    expect(NotFound, r.delete_model, name="churn2")


def external_locations(w: WorkspaceClient) -> None:
    e = w.external_locations
    made = e.create(name="raw_landing", url="s3://acme-raw/landing", credential_name="acme_cred", comment="landing zone")
    assert made.name == "raw_landing" and made.credential_id, made
    expect(ResourceConflict, e.create, name="raw_landing", url="s3://acme-raw/x", credential_name="acme_cred")
    expect(InvalidParameterValue, e.create, name="nested", url="s3://acme-raw/landing/sub", credential_name="acme_cred")
    w.grants.update("external_location", "raw_landing", changes=[
        catalog.PermissionsChange(principal="data-eng", add=[catalog.Privilege.READ_FILES]),
    ])
    updated = e.update(
        "raw_landing", new_name="raw_zone", url="s3://acme-raw/landing2", comment="moved", read_only=False,
        skip_validation=True, owner="ci-bot@example.com", isolation_mode=catalog.IsolationMode.ISOLATION_MODE_OPEN,
        enable_file_events=False, fallback=False,
    )
    assert updated.name == "raw_zone" and updated.url == "s3://acme-raw/landing2", updated
    grants = w.grants.get("external_location", "raw_zone")
    assert grants.privilege_assignments[0].principal == "data-eng", grants
    w.grants.update("external_location", "raw_zone", changes=[
        catalog.PermissionsChange(principal="data-eng", add=[catalog.Privilege.WRITE_FILES]),
    ])
    assert [x.name for x in e.list(max_results=1)] == ["raw_zone"]
    assert e.get("raw_zone").comment == "moved"
    e.delete("raw_zone", force=True)
    expect(NotFound, e.get, "raw_zone")
    expect(NotFound, e.delete, "raw_zone", force=True)


def database_instances(w: WorkspaceClient) -> None:
    d = w.database
    made = d.create_database_instance_and_wait(
        database.DatabaseInstance(name="orders-db", capacity="CU_1", pg_version="PG_VERSION_16"),
        timeout=timedelta(seconds=60),
    )
    assert made.state == database.DatabaseInstanceState.AVAILABLE and made.read_write_dns, made
    expect(ResourceAlreadyExists, d.create_database_instance, database.DatabaseInstance(name="orders-db", capacity="CU_1"))
    expect(InvalidParameterValue, d.create_database_instance, database.DatabaseInstance(name="Orders", capacity="CU_1"))
    updated = d.update_database_instance(
        "orders-db", database.DatabaseInstance(name="orders-db", capacity="CU_2", pg_version="PG_VERSION_16"), "*"
    )
    assert updated.capacity == "CU_2" and updated.state == database.DatabaseInstanceState.UPDATING, updated
    ready = d.wait_get_database_instance_database_available("orders-db", timeout=timedelta(seconds=60))
    assert ready.effective_capacity == "CU_2", ready
    w.permissions.set("database-instances", "orders-db", access_control_list=[
        iam.AccessControlRequest(group_name="apps", permission_level=iam.PermissionLevel.CAN_USE),
    ])
    assert w.permissions.get("database-instances", "orders-db").access_control_list[0].group_name == "apps"
    assert [i.name for i in d.list_database_instances(page_size=1)] == ["orders-db"]
    cat = d.create_database_catalog(database.DatabaseCatalog(
        name="orders_cat", database_instance_name="orders-db", database_name="orders", create_database_if_not_exists=True,
    ))
    assert cat.uid and d.get_database_catalog("orders_cat").database_name == "orders", cat
    expect(ResourceAlreadyExists, d.create_database_catalog, database.DatabaseCatalog(
        name="orders_cat", database_instance_name="orders-db", database_name="orders",
    ))
    synced = d.create_synced_database_table(database.SyncedDatabaseTable(
        name="main.sales.orders_synced", database_instance_name="orders-db", logical_database_name="databricks_postgres",
        spec=database.SyncedTableSpec(
            source_table_full_name="main.sales.orders", primary_key_columns=["id"],
            scheduling_policy=database.SyncedTableSchedulingPolicy.SNAPSHOT,
            new_pipeline_spec=database.NewPipelineSpec(storage_catalog="main", storage_schema="sales"),
        ),
    ))
    assert synced.data_synchronization_status.pipeline_id, synced
    assert d.get_synced_database_table("main.sales.orders_synced").effective_database_instance_name == "orders-db"
    d.delete_synced_database_table("main.sales.orders_synced")
    expect(NotFound, d.get_synced_database_table, "main.sales.orders_synced")
    d.delete_database_catalog("orders_cat")
    expect(NotFound, d.get_database_catalog, "orders_cat")
    d.delete_database_instance("orders-db", purge=True)
    expect(NotFound, d.get_database_instance, "orders-db")
    expect(NotFound, d.delete_database_instance, "orders-db", purge=True)


def uc_secrets(w: WorkspaceClient) -> None:
    u = w.secrets_uc
    w.schemas.create(name="dev_ci_bot_app", catalog_name="main")
    made = u.create_secret(catalog.Secret(
        name="api_key", catalog_name="main", schema_name="dev_ci_bot_app", value="first-value-7f3a", comment="for the app",
    ))
    assert made.full_name == "main.dev_ci_bot_app.api_key" and made.value is None, made
    expect(ResourceAlreadyExists, u.create_secret, catalog.Secret(
        name="api_key", catalog_name="main", schema_name="dev_ci_bot_app", value="x",
    ))
    updated = u.update_secret("main.dev_ci_bot_app.api_key", catalog.Secret(
        name="api_key", catalog_name="main", schema_name="dev_ci_bot_app", value="second", comment="rotated",
    ), FieldMask(field_mask=["*"]))
    assert updated.comment == "rotated", updated
    assert u.get_secret("main.dev_ci_bot_app.api_key").comment == "rotated"
    u.delete_secret("main.dev_ci_bot_app.api_key")
    expect(NotFound, u.get_secret, "main.dev_ci_bot_app.api_key")


def main() -> None:
    w = WorkspaceClient()
    models(w)
    external_locations(w)
    database_instances(w)
    uc_secrets(w)
    print("sdk more-kinds checks passed")


if __name__ == "__main__":
    main()
