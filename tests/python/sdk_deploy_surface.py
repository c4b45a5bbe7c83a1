"""Drives the emulator's deploy surface with the official Databricks SDK for Python:
clusters, pools, policies, warehouses, service principals, Unity Catalog, the Files API,
DBFS, secrets, pipelines and experiments. Exits non-zero with the failing check when the
emulator answers something the SDK does not accept or maps to the wrong error class.
"""

import io

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import AlreadyExists, ResourceConflict, NotFound, ResourceAlreadyExists, ResourceDoesNotExist
from databricks.sdk.service import catalog, compute, workspace


def expect(error, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except error:
        return
    raise AssertionError(f"{fn.__qualname__}{args} did not raise {error.__name__}")


def main() -> None:
    w = WorkspaceClient()

    # Name directories a bundle's lookup reads.
    assert [p.instance_pool_name for p in w.instance_pools.list()] == ["ci-pool"]
    assert [p.name for p in w.cluster_policies.list()] == ["ci-policy"]
    assert [h.name for h in w.warehouses.list()] == ["ci-warehouse"]
    sps = list(w.service_principals.list(filter='displayName eq "ci-deployer"'))
    assert len(sps) == 1 and sps[0].application_id, sps

    # Clusters: create (without waiting), get, edit, list with pagination, terminate, delete.
    ids = []
    for n in range(3):
        wait = w.clusters.create(cluster_name=f"sdk-{n}", spark_version="15.4.x-scala2.12", num_workers=1)
        ids.append(wait.cluster_id)
    details = w.clusters.get(ids[0])
    assert details.cluster_name == "sdk-0" and details.state == compute.State.RUNNING, details
    w.clusters.delete(ids[0]).result()
    assert w.clusters.get(ids[0]).state == compute.State.TERMINATED
    w.clusters.edit(cluster_id=ids[0], spark_version="15.4.x-scala2.12", cluster_name="sdk-0b", num_workers=2)
    assert w.clusters.get(ids[0]).num_workers == 2
    names = sorted(c.cluster_name for c in w.clusters.list(page_size=2))
    assert names == ["sdk-0b", "sdk-1", "sdk-2"], names
    # The service says 400 INVALID_PARAMETER_VALUE "Cluster ... does not exist"; the SDK maps it.
    expect(ResourceDoesNotExist, w.clusters.get, "0000-000000-nothere0")
    w.clusters.permanent_delete(ids[2])

    # Unity Catalog: schema, volume, duplicate and missing parents, patch, paginated list.
    w.schemas.create(name="ci", catalog_name="main", comment="from the sdk")
    # 409 SCHEMA_ALREADY_EXISTS: a code the SDK has no class for, so the status decides.
    expect(ResourceConflict, w.schemas.create, name="ci", catalog_name="main")
    expect(NotFound, w.schemas.create, name="x", catalog_name="nope")
    w.volumes.create(catalog_name="main", schema_name="ci", name="artifacts", volume_type=catalog.VolumeType.MANAGED)
    assert w.volumes.read("main.ci.artifacts").volume_type == catalog.VolumeType.MANAGED
    assert w.schemas.update("main.ci", comment="patched").comment == "patched"
    for n in range(3):
        w.volumes.create(catalog_name="main", schema_name="ci", name=f"v{n}", volume_type=catalog.VolumeType.MANAGED)
    assert len(list(w.volumes.list(catalog_name="main", schema_name="ci", max_results=2))) == 4
    expect(NotFound, w.schemas.get, "main.gone")

    # Files API in the volume: upload, metadata, download, listing, conflict, delete.
    path = "/Volumes/main/ci/artifacts/dist/app-0.1-py3-none-any.whl"
    w.files.upload(path, io.BytesIO(b"wheel bytes"), overwrite=True)
    assert w.files.get_metadata(path).content_length == len(b"wheel bytes")
    assert w.files.download(path).contents.read() == b"wheel bytes"
    listed = [e.name for e in w.files.list_directory_contents("/Volumes/main/ci/artifacts")]
    assert listed == ["dist"], listed
    expect(AlreadyExists, w.files.upload, path, io.BytesIO(b"x"), overwrite=False)
    w.files.delete(path)
    expect(NotFound, w.files.get_metadata, path)

    # DBFS streaming upload through the SDK's own helper (create, add-block, close).
    big = bytes(range(256)) * 9000  # a little over 2 MiB: three blocks
    with w.dbfs.open("/FileStore/ci/big.bin", write=True, overwrite=True) as f:
        f.write(big)
    assert w.dbfs.get_status("/FileStore/ci/big.bin").file_size == len(big)
    with w.dbfs.open("/FileStore/ci/big.bin", read=True) as f:
        assert f.read() == big
    expect(ResourceAlreadyExists, w.dbfs.create, "/FileStore/ci/big.bin", overwrite=False)

    # Secrets: scope, duplicate, put, list, ACL.
    w.secrets.create_scope(scope="ci-scope")
    expect(ResourceAlreadyExists, w.secrets.create_scope, scope="ci-scope")
    w.secrets.put_secret(scope="ci-scope", key="token", string_value="not-a-real-secret")
    assert [s.key for s in w.secrets.list_secrets(scope="ci-scope")] == ["token"]
    w.secrets.put_acl(scope="ci-scope", principal="users", permission=workspace.AclPermission.READ)
    assert [a.principal for a in w.secrets.list_acls(scope="ci-scope")] == ["users"]
    expect(ResourceDoesNotExist, w.secrets.list_secrets, scope="nope")

    # Pipelines and experiments.
    created = w.pipelines.create(name="sdk pipeline", libraries=[], development=True)
    assert w.pipelines.get(created.pipeline_id).name == "sdk pipeline"
    exp = w.experiments.create_experiment(name="/Shared/sdk-exp")
    assert w.experiments.get_by_name("/Shared/sdk-exp").experiment.experiment_id == exp.experiment_id
    expect(ResourceAlreadyExists, w.experiments.create_experiment, name="/Shared/sdk-exp")
    print("sdk deploy-surface checks passed")


if __name__ == "__main__":
    main()
