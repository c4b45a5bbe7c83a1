"""Drives the emulator's vector search endpoints and indexes with the official Databricks SDK
for Python, making every call brickci's deploy makes for them (tests/it/vector_search_sdk.rs
checks that brickci's calls are among these, with no field the SDK did not send): an
endpoint created with the SDK's waiter, patched, given a budget policy and permissions; a
Direct Access and a Delta Sync index on it, waited for until ready, listed page by page,
granted to, synced and deleted. Exits non-zero with the failing check when the emulator
answers something the SDK does not accept or maps to the wrong error class.
"""

import time
from datetime import timedelta

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, NotFound, ResourceAlreadyExists
from databricks.sdk.service import catalog, vectorsearch as vs

WAIT = timedelta(minutes=2)


def expect(error, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except error:
        return
    raise AssertionError(f"{fn.__qualname__}{args} did not raise {error.__name__}")


def direct_spec(dimension: int) -> vs.DirectAccessVectorIndexSpec:
    return vs.DirectAccessVectorIndexSpec(
        schema_json='{"id":"integer","vec":"array<float>"}',
        embedding_vector_columns=[vs.EmbeddingVectorColumn(name="vec", embedding_dimension=dimension)],
    )


def ready(w: WorkspaceClient, name: str) -> vs.VectorIndex:
    deadline = time.time() + WAIT.total_seconds()
    while time.time() < deadline:
        i = w.vector_search_indexes.get_index(name)
        if i.status and i.status.ready:
            return i
        time.sleep(0.2)
    raise AssertionError(f"{name} never became ready")


def endpoints(w: WorkspaceClient) -> str:
    e = w.vector_search_endpoints
    made = e.create_endpoint_and_wait(
        "docs-vs", vs.EndpointType.STANDARD, target_qps=2, budget_policy_id="bp-1",
        usage_policy_id="up-1", timeout=WAIT,
    )
    assert made.endpoint_status.state == vs.EndpointStatusState.ONLINE, made
    expect(ResourceAlreadyExists, e.create_endpoint, "docs-vs", vs.EndpointType.STANDARD)
    got = e.get_endpoint("docs-vs")
    assert got.endpoint_type == vs.EndpointType.STANDARD and got.id, got
    assert e.patch_endpoint("docs-vs", target_qps=5).scaling_info.requested_target_qps == 5
    policy = e.update_endpoint_budget_policy("docs-vs", "bp-2")
    assert policy.effective_budget_policy_id == "bp-2", policy
    acl = e.set_permissions(got.id, access_control_list=[
        vs.VectorSearchEndpointAccessControlRequest(
            group_name="analysts", permission_level=vs.VectorSearchEndpointPermissionLevel.CAN_USE),
    ])
    assert any(a.group_name == "analysts" for a in acl.access_control_list), acl
    assert any(a.group_name == "analysts" for a in e.get_permissions(got.id).access_control_list)
    assert [x.name for x in e.list_endpoints()] == ["docs-vs"]
    expect(NotFound, e.get_endpoint, "no-such-endpoint")
    return got.id


def indexes(w: WorkspaceClient, endpoint_id: str) -> None:
    x = w.vector_search_indexes
    expect(NotFound, x.create_index, "main.ml.lost", "no-such-endpoint", "id",
           vs.VectorIndexType.DIRECT_ACCESS, direct_access_index_spec=direct_spec(8))
    expect(InvalidParameterValue, x.create_index, "docs_direct", "docs-vs", "id",
           vs.VectorIndexType.DIRECT_ACCESS, direct_access_index_spec=direct_spec(8))
    made = x.create_index("main.ml.docs_direct", "docs-vs", "id", vs.VectorIndexType.DIRECT_ACCESS,
                          direct_access_index_spec=direct_spec(768))
    assert made.status is not None and not made.status.ready, made
    expect(ResourceAlreadyExists, x.create_index, "main.ml.docs_direct", "docs-vs", "id",
           vs.VectorIndexType.DIRECT_ACCESS, direct_access_index_spec=direct_spec(768))
    synced = x.create_index(
        "main.ml.docs_synced", "docs-vs", "id", vs.VectorIndexType.DELTA_SYNC,
        index_subtype=vs.IndexSubtype.HYBRID,
        delta_sync_index_spec=vs.DeltaSyncVectorIndexSpecRequest(
            source_table="main.ml.docs", pipeline_type=vs.PipelineType.TRIGGERED,
            embedding_source_columns=[vs.EmbeddingSourceColumn(name="text", embedding_model_endpoint_name="e5-small")],
        ),
    )
    assert synced.delta_sync_index_spec.pipeline_id, synced
    got = ready(w, "main.ml.docs_direct")
    assert got.endpoint_id == endpoint_id and got.index_subtype == vs.IndexSubtype.HYBRID, got
    assert got.direct_access_index_spec.embedding_vector_columns[0].embedding_dimension == 768, got
    ready(w, "main.ml.docs_synced")
    x.sync_index("main.ml.docs_synced")
    expect(InvalidParameterValue, x.sync_index, "main.ml.docs_direct")
    w.grants.update("table", "main.ml.docs_direct", changes=[
        catalog.PermissionsChange(principal="analysts", add=[catalog.Privilege.SELECT]),
    ])
    assert w.grants.get("table", "main.ml.docs_direct").privilege_assignments[0].principal == "analysts"
    # More than a page: the SDK follows next_page_token.
    for n in range(11):
        x.create_index(f"main.ml.extra_{n:02}", "docs-vs", "id", vs.VectorIndexType.DIRECT_ACCESS,
                       direct_access_index_spec=direct_spec(8))
    listed = [i.name for i in x.list_indexes("docs-vs")]
    assert len(listed) == 13 and "main.ml.docs_synced" in listed, listed
    assert w.vector_search_endpoints.get_endpoint("docs-vs").num_indexes == 13
    for name in listed:
        x.delete_index(name)
    expect(NotFound, x.get_index, "main.ml.docs_direct")
    expect(NotFound, x.delete_index, "main.ml.docs_direct")


def main() -> None:
    w = WorkspaceClient()
    endpoint_id = endpoints(w)
    indexes(w, endpoint_id)
    w.vector_search_endpoints.delete_endpoint("docs-vs")
    expect(NotFound, w.vector_search_endpoints.get_endpoint, "docs-vs")
    print("sdk vector search checks passed")


if __name__ == "__main__":
    main()
