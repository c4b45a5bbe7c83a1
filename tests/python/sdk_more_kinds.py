"""Drives the emulator's endpoints for issue 15's later kinds with the official Databricks
SDK for Python, making every call brickci's deploy makes for them (tests/it/more_kinds.rs
checks that brickci's calls are among these, with no field the SDK did not send): legacy
MLflow models, external locations. Exits non-zero with the failing check when the emulator answers something
the SDK does not accept or maps to the wrong error class.
"""

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, NotFound, ResourceAlreadyExists, ResourceConflict
from databricks.sdk.service import catalog, ml


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


def main() -> None:
    w = WorkspaceClient()
    models(w)
    external_locations(w)
    print("sdk more-kinds checks passed")


if __name__ == "__main__":
    main()
