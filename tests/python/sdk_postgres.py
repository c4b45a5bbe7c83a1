"""Drives the emulator's Lakebase Postgres API with the official Databricks SDK for Python
(its operation waiters included), making every call brickci's deploy makes for the seven
postgres_* kinds (tests/it/postgres_sdk.rs checks that brickci's calls are among these,
with no field the SDK did not send): projects, branches, endpoints, roles, databases,
catalogs, synced tables, the database-projects ACL. Exits non-zero with the failing check
when the emulator answers something the SDK does not accept or maps to the wrong error
class.
"""

import time

from google.protobuf.duration_pb2 import Duration

from databricks.sdk import WorkspaceClient
from databricks.sdk.common.types.fieldmask import FieldMask
from databricks.sdk.errors import AlreadyExists, BadRequest, InvalidParameterValue, NotFound
from databricks.sdk.service import iam
from databricks.sdk.service import postgres as pg


def expect(error, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except error:
        return
    raise AssertionError(f"{fn.__qualname__}{args} did not raise {error.__name__}")


def mask(*paths):
    return FieldMask(field_mask=list(paths))


def project_spec(display_name: str) -> pg.ProjectSpec:
    return pg.ProjectSpec(
        display_name=display_name,
        pg_version=16,
        history_retention_duration=Duration(seconds=604800),
        default_endpoint_settings=pg.ProjectDefaultEndpointSettings(
            autoscaling_limit_min_cu=0.5, autoscaling_limit_max_cu=4
        ),
    )


def projects(p: pg.PostgresAPI) -> None:
    made = p.create_project(project=pg.Project(spec=project_spec("Shop")), project_id="shop").wait()
    assert made.name == "projects/shop" and made.status.display_name == "Shop", made
    assert made.status.default_branch == "projects/shop/branches/production", made.status
    assert made.status.history_retention_duration.seconds == 604800, made.status
    assert made.status.default_endpoint_settings.autoscaling_limit_max_cu == 4, made.status
    expect(AlreadyExists, p.create_project, project=pg.Project(spec=pg.ProjectSpec()), project_id="shop")
    expect(InvalidParameterValue, p.create_project, project=pg.Project(spec=pg.ProjectSpec()), project_id="Not_Valid")
    p.create_project(project=pg.Project(spec=pg.ProjectSpec()), project_id="other").wait()
    names = [x.name for x in p.list_projects(page_size=1)]
    assert names == ["projects/other", "projects/shop"], names
    updated = p.update_project(
        name="projects/shop",
        project=pg.Project(spec=project_spec("Shop 2")),
        update_mask=mask("spec.display_name"),
    ).wait()
    assert updated.status.display_name == "Shop 2", updated
    expect(
        BadRequest,
        p.update_project,
        name="projects/shop",
        project=pg.Project(spec=pg.ProjectSpec(pg_version=17)),
        update_mask=mask("spec.pg_version"),
    )
    assert p.get_project(name="projects/shop").uid == made.uid


def branches(p: pg.PostgresAPI) -> None:
    expect(
        NotFound,
        p.create_branch,
        parent="projects/nope",
        branch=pg.Branch(spec=pg.BranchSpec(no_expiry=True)),
        branch_id="dev",
    )
    dev = p.create_branch(
        parent="projects/shop", branch=pg.Branch(spec=pg.BranchSpec(no_expiry=True)), branch_id="dev"
    ).wait()
    assert dev.name == "projects/shop/branches/dev" and dev.parent == "projects/shop", dev
    assert dev.status.current_state == pg.BranchStatusState.READY, dev.status
    taken = p.create_branch(
        parent="projects/shop",
        branch=pg.Branch(spec=pg.BranchSpec(no_expiry=True)),
        branch_id="production",
        replace_existing=True,
    ).wait()
    assert taken.status.default, taken.status
    p.update_branch(
        name=dev.name, branch=pg.Branch(spec=pg.BranchSpec(is_protected=True)), update_mask=mask("spec.is_protected")
    ).wait()
    expect(BadRequest, p.delete_branch, name=dev.name)
    p.update_branch(
        name=dev.name, branch=pg.Branch(spec=pg.BranchSpec(is_protected=False)), update_mask=mask("spec.is_protected")
    ).wait()
    dev = p.update_branch(
        name=dev.name,
        branch=pg.Branch(spec=pg.BranchSpec(ttl=Duration(seconds=604800))),
        update_mask=mask("spec.no_expiry", "spec.ttl"),
    ).wait()
    assert dev.status.expire_time is not None, dev.status
    listed = sorted(b.branch_id for b in p.list_branches(parent="projects/shop"))
    assert listed == ["dev", "production"], listed
    qa = p.create_branch(
        parent="projects/shop", branch=pg.Branch(spec=pg.BranchSpec(ttl=Duration(seconds=3600))), branch_id="qa"
    ).wait()
    assert qa.status.expire_time is not None, qa.status
    p.delete_branch(name=qa.name).wait()
    deleted = [b.branch_id for b in p.list_branches(parent="projects/shop", show_deleted=True) if b.status.delete_time]
    assert deleted == ["qa"], deleted
    # The default branch goes with its project only.
    expect(BadRequest, p.delete_branch, name="projects/shop/branches/production")


def endpoints(p: pg.PostgresAPI) -> None:
    spec = pg.EndpointSpec(
        endpoint_type=pg.EndpointType.ENDPOINT_TYPE_READ_ONLY, autoscaling_limit_min_cu=0.5, autoscaling_limit_max_cu=2
    )
    e = p.create_endpoint(
        parent="projects/shop/branches/dev", endpoint=pg.Endpoint(spec=spec), endpoint_id="reader"
    ).wait()
    assert e.status.endpoint_type == pg.EndpointType.ENDPOINT_TYPE_READ_ONLY, e.status
    # A second read-write endpoint on a branch is refused.
    expect(
        BadRequest,
        p.create_endpoint,
        parent="projects/shop/branches/dev",
        endpoint=pg.Endpoint(spec=pg.EndpointSpec(endpoint_type=pg.EndpointType.ENDPOINT_TYPE_READ_WRITE)),
        endpoint_id="writer",
    )
    spec.autoscaling_limit_max_cu = 4
    e = p.update_endpoint(
        name=e.name, endpoint=pg.Endpoint(spec=spec), update_mask=mask("spec.autoscaling_limit_max_cu")
    ).wait()
    assert e.status.autoscaling_limit_max_cu == 4, e.status
    ids = sorted(x.endpoint_id for x in p.list_endpoints(parent="projects/shop/branches/dev"))
    assert ids == ["primary", "reader"], ids
    while p.get_endpoint(name=e.name).status.pending_state:
        time.sleep(0.05)
    p.delete_endpoint(name=e.name).wait()
    expect(NotFound, p.get_endpoint, name=e.name)


def roles_and_databases(p: pg.PostgresAPI) -> None:
    br = "projects/shop/branches/dev"
    role = p.create_role(
        parent=br,
        role=pg.Role(spec=pg.RoleRoleSpec(postgres_role="owner", attributes=pg.RoleAttributes(createdb=True))),
        role_id="owner",
    ).wait()
    assert role.status.attributes.createdb and role.status.auth_method, role.status
    role = p.update_role(
        name=role.name,
        role=pg.Role(spec=pg.RoleRoleSpec(postgres_role="owner", attributes=pg.RoleAttributes(createrole=True))),
        update_mask=mask("spec.attributes.createrole"),
    ).wait()
    assert role.status.attributes.createrole and role.status.attributes.createdb, role.status
    expect(
        NotFound,
        p.create_database,
        parent=br,
        database=pg.Database(spec=pg.DatabaseDatabaseSpec(role=f"{br}/roles/nobody", postgres_database="x")),
        database_id="x",
    )
    db = p.create_database(
        parent=br,
        database=pg.Database(spec=pg.DatabaseDatabaseSpec(role=role.name, postgres_database="sales")),
        database_id="sales",
    ).wait()
    assert db.status.role == role.name, db.status
    expect(
        BadRequest,
        p.create_database,
        parent=br,
        database=pg.Database(spec=pg.DatabaseDatabaseSpec(role=role.name, postgres_database="sales")),
        database_id="sales",
    )
    db = p.update_database(
        name=db.name,
        database=pg.Database(spec=pg.DatabaseDatabaseSpec(role=role.name, postgres_database="sales")),
        update_mask=mask("spec.postgres_database"),
    ).wait()
    assert p.get_database(name=db.name).status.postgres_database == "sales"
    assert p.get_role(name=role.name).status.postgres_role == "owner"
    assert [d.database_id for d in p.list_databases(parent=br)] == ["sales"]
    assert [r.role_id for r in p.list_roles(parent=br)] == ["owner"]


def catalogs_and_synced_tables(p: pg.PostgresAPI) -> None:
    br = "projects/shop/branches/dev"
    cat = p.create_catalog(
        catalog=pg.Catalog(spec=pg.CatalogCatalogSpec(postgres_database="sales", branch=br)), catalog_id="shop_cat"
    ).wait()
    assert cat.name == "catalogs/shop_cat" and cat.status.project == "projects/shop", cat
    expect(
        AlreadyExists,
        p.create_catalog,
        catalog=pg.Catalog(spec=pg.CatalogCatalogSpec(postgres_database="sales", branch=br)),
        catalog_id="shop_cat",
    )
    t = p.create_synced_table(
        synced_table=pg.SyncedTable(
            spec=pg.SyncedTableSyncedTableSpec(
                source_table_full_name="main.sales.orders",
                primary_key_columns=["id"],
                scheduling_policy=pg.SyncedTableSyncedTableSpecSyncedTableSchedulingPolicy.SNAPSHOT,
            )
        ),
        synced_table_id="shop_cat.public.orders",
    ).wait()
    assert t.name == "synced_tables/shop_cat.public.orders" and t.status.pipeline_id, t
    assert p.get_synced_table(name=t.name).status.project == "projects/shop"
    p.delete_synced_table(name=t.name).wait()
    expect(NotFound, p.get_synced_table, name=t.name)
    p.delete_catalog(name=cat.name).wait()
    expect(NotFound, p.get_catalog, name=cat.name)


def permissions(w: WorkspaceClient) -> None:
    acl = w.permissions.set(
        request_object_type="database-projects",
        request_object_id="shop",
        access_control_list=[
            iam.AccessControlRequest(group_name="analysts", permission_level=iam.PermissionLevel.CAN_USE)
        ],
    )
    assert acl.access_control_list[0].group_name == "analysts", acl
    got = w.permissions.get(request_object_type="database-projects", request_object_id="shop")
    assert got.access_control_list == acl.access_control_list, got


def deletes(p: pg.PostgresAPI) -> None:
    br = "projects/shop/branches/dev"
    p.delete_database(name=f"{br}/databases/sales").wait()
    p.delete_role(name=f"{br}/roles/owner").wait()
    p.delete_branch(name=br, purge=True).wait()
    expect(NotFound, p.get_branch, name=br)
    p.delete_project(name="projects/shop", purge=True).wait()
    expect(NotFound, p.get_project, name="projects/shop")
    expect(NotFound, p.get_branch, name="projects/shop/branches/production")


def main() -> None:
    w = WorkspaceClient()
    p = w.postgres
    projects(p)
    branches(p)
    endpoints(p)
    roles_and_databases(p)
    catalogs_and_synced_tables(p)
    permissions(w)
    deletes(p)
    print("sdk postgres checks passed")


if __name__ == "__main__":
    main()
