"""Drives the emulator's endpoints for issue 15's later kinds with the official Databricks
SDK for Python, making every call brickci's deploy makes for them (tests/it/more_kinds.rs
checks that brickci's calls are among these, with no field the SDK did not send): legacy
MLflow models. Exits non-zero with the failing check when the emulator answers something
the SDK does not accept or maps to the wrong error class.
"""

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound, ResourceAlreadyExists
from databricks.sdk.service import iam, ml


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


def main() -> None:
    w = WorkspaceClient()
    models(w)
    print("sdk more-kinds checks passed")


if __name__ == "__main__":
    main()
