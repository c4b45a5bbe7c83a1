//! Vector search endpoints and indexes deployed to the emulator: the deploy waits until the
//! endpoint is ONLINE and each index ready, an index names its endpoint by reference, the
//! endpoint's budget policy and target QPS and an index's grants change in place, a new
//! embedding dimension replaces the index (its name pending deletion for a moment), a new
//! endpoint type replaces the endpoint and its index is rebound to the new one, a second
//! deploy writes nothing, and prune deletes them all.

use serde_json::Value;

use crate::common::{TOKEN, TestEmulator, as_refs, brickci, code, run_env, text};
use crate::more_kinds::{bundle, deploy, edit, prune, redeploy_is_quiet, writes_since};

const ENDPOINTS: &str = "/api/2.0/vector-search/endpoints";
const INDEXES: &str = "/api/2.0/vector-search/indexes";

const VECTOR_SEARCH: &str = r#"resources:
  vector_search_endpoints:
    vs:
      name: docs-vs
      endpoint_type: STANDARD
      target_qps: 2
      permissions:
        - level: CAN_USE
          group_name: analysts
  vector_search_indexes:
    direct:
      name: main.ml.docs_direct
      endpoint_name: ${resources.vector_search_endpoints.vs.name}
      primary_key: id
      index_type: DIRECT_ACCESS
      direct_access_index_spec:
        schema_json: '{"id":"integer","vec":"array<float>"}'
        embedding_vector_columns:
          - name: vec
            embedding_dimension: 768
      grants:
        - principal: analysts
          privileges:
            - SELECT
    synced:
      name: main.ml.docs_synced
      endpoint_name: ${resources.vector_search_endpoints.vs.name}
      primary_key: id
      index_type: DELTA_SYNC
      delta_sync_index_spec:
        source_table: main.ml.docs
        pipeline_type: TRIGGERED
        embedding_source_columns:
          - name: text
            embedding_model_endpoint_name: e5-small
"#;

fn endpoint(emu: &TestEmulator) -> Value {
    emu.get_json(&format!("{ENDPOINTS}/docs-vs"))
}

fn index(emu: &TestEmulator, name: &str) -> Value {
    emu.get_json(&format!("{INDEXES}/{name}"))
}

/// A DELETE made outside brickci (someone removing the object in the UI).
fn delete_by_hand(emu: &TestEmulator, path: &str) {
    let url = format!("{}{path}", emu.url());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let status = rt.block_on(async {
        brickci::http::client(&Default::default())
            .unwrap()
            .delete(url)
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert!(status.is_success(), "DELETE {path}: {status}");
}

#[test]
fn vector_search_waits_updates_in_place_replaces_rebinds_and_prunes() {
    vector_search_flow(&TestEmulator::fast());
}

pub fn vector_search_flow(emu: &TestEmulator) {
    let dir = bundle(VECTOR_SEARCH);
    let out = deploy(emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    // The emulator keeps an endpoint PROVISIONING for a minute and an index unready for
    // half a minute (emulated): ONLINE and ready now means the deploy waited, polling.
    let e = endpoint(emu);
    assert_eq!(e["endpoint_status"]["state"], "ONLINE", "{e}");
    assert!(emu.calls("GET", "/endpoints/docs-vs").len() >= 2, "polled");
    let uuid = e["id"].as_str().unwrap().to_string();
    for name in ["main.ml.docs_direct", "main.ml.docs_synced"] {
        let i = index(emu, name);
        assert_eq!(i["status"]["ready"], true, "{i}");
        assert_eq!(i["endpoint_name"], "docs-vs", "the reference resolved: {i}");
        assert_eq!(i["endpoint_id"], uuid.as_str());
    }
    assert_eq!(e["scaling_info"]["requested_target_qps"], 2);
    let acl = emu.get_json(&format!(
        "/api/2.0/permissions/vector-search-endpoints/{uuid}"
    ));
    assert!(acl.to_string().contains("\"analysts\""), "{acl}");
    let grants = emu.get_json("/api/2.1/unity-catalog/permissions/table/main.ml.docs_direct");
    assert_eq!(
        grants["privilege_assignments"][0]["privileges"][0],
        "SELECT"
    );
    redeploy_is_quiet(emu, dir.path());

    // In place: the endpoint's target QPS and budget policy, the index's grants.
    edit(
        dir.path(),
        "target_qps: 2",
        "target_qps: 5\n      budget_policy_id: bp-ml",
    );
    edit(dir.path(), "- SELECT", "- SELECT\n            - MODIFY");
    let before = emu.requests().len();
    let out = deploy(emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let writes = writes_since(emu, before);
    for w in [
        format!("PATCH {ENDPOINTS}/docs-vs"),
        format!("PATCH {ENDPOINTS}/docs-vs/budget-policy"),
        "PATCH /api/2.1/unity-catalog/permissions/table/main.ml.docs_direct".to_string(),
    ] {
        assert!(writes.contains(&w), "no {w} in {writes:?}");
    }
    assert!(
        !writes
            .iter()
            .any(|w| w.starts_with("POST") || w.starts_with("DELETE")),
        "in place: {writes:?}"
    );
    let e = endpoint(emu);
    assert_eq!(e["scaling_info"]["requested_target_qps"], 5);
    assert_eq!(e["budget_policy_id"], "bp-ml");
    redeploy_is_quiet(emu, dir.path());

    // A new embedding dimension: the index is replaced; its create waits out the name's
    // pending deletion.
    edit(
        dir.path(),
        "embedding_dimension: 768",
        "embedding_dimension: 384",
    );
    let env = run_env(emu);
    let plan = brickci(&["plan"], &as_refs(&env), dir.path());
    assert!(
        text(&plan).contains("replaces main.ml.docs_direct: direct_access_index_spec changes"),
        "{}",
        text(&plan)
    );
    let refused = deploy(emu, dir.path(), &[]);
    assert_ne!(code(&refused), 0, "a replacement needs approval");
    let posts_before = emu.calls("POST", INDEXES).len();
    let out = deploy(emu, dir.path(), &["--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let i = index(emu, "main.ml.docs_direct");
    assert_eq!(
        i["direct_access_index_spec"]["embedding_vector_columns"][0]["embedding_dimension"],
        384
    );
    assert_eq!(i["status"]["ready"], true, "waited again: {i}");
    let posts: Vec<u16> = emu.calls("POST", INDEXES)[posts_before..]
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(
        posts.first(),
        Some(&400),
        "pending deletion at first: {posts:?}"
    );
    assert_eq!(posts.last(), Some(&200), "then created: {posts:?}");
    let grants = emu.get_json("/api/2.1/unity-catalog/permissions/table/main.ml.docs_direct");
    assert!(
        grants.to_string().contains("MODIFY"),
        "granted anew: {grants}"
    );
    redeploy_is_quiet(emu, dir.path());

    // A new endpoint type: the endpoint is replaced, and its indexes (bound to the old
    // one) are created anew on the new one in the same deploy.
    edit(
        dir.path(),
        "endpoint_type: STANDARD",
        "endpoint_type: STORAGE_OPTIMIZED",
    );
    let plan = brickci(&["plan"], &as_refs(&env), dir.path());
    assert!(
        text(&plan).contains("replaces docs-vs: endpoint_type changes"),
        "{}",
        text(&plan)
    );
    let out = deploy(emu, dir.path(), &["--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let e = endpoint(emu);
    assert_eq!(e["endpoint_type"], "STORAGE_OPTIMIZED");
    assert_eq!(e["endpoint_status"]["state"], "ONLINE");
    let new_uuid = e["id"].as_str().unwrap();
    assert_ne!(new_uuid, uuid, "a new endpoint");
    for name in ["main.ml.docs_direct", "main.ml.docs_synced"] {
        let i = index(emu, name);
        assert_eq!(i["endpoint_id"], new_uuid, "rebound: {i}");
        assert_eq!(i["status"]["ready"], true, "{i}");
    }
    let acl = emu.get_json(&format!(
        "/api/2.0/permissions/vector-search-endpoints/{new_uuid}"
    ));
    assert!(acl.to_string().contains("\"analysts\""), "{acl}");
    redeploy_is_quiet(emu, dir.path());

    prune(emu, dir.path(), 3);
    assert_eq!(endpoint(emu)["error_code"], "RESOURCE_DOES_NOT_EXIST");
    for name in ["main.ml.docs_direct", "main.ml.docs_synced"] {
        assert_eq!(index(emu, name)["error_code"], "RESOURCE_DOES_NOT_EXIST");
    }
}

#[test]
fn an_index_on_an_endpoint_that_does_not_exist_fails_with_the_services_error() {
    let emu = TestEmulator::fast();
    let dir = bundle(
        r#"resources:
  vector_search_indexes:
    lost:
      name: main.ml.lost
      endpoint_name: no-such-endpoint
      primary_key: id
      index_type: DIRECT_ACCESS
      direct_access_index_spec:
        schema_json: '{"id":"integer","vec":"array<float>"}'
        embedding_vector_columns:
          - name: vec
            embedding_dimension: 8
"#,
    );
    let out = deploy(&emu, dir.path(), &[]);
    assert_ne!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("Vector search endpoint no-such-endpoint not found"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("vector_search_indexes.lost"),
        "{}",
        text(&out)
    );
}

#[test]
fn an_endpoint_deleted_by_hand_is_created_again_and_its_index_rebound() {
    let emu = TestEmulator::fast();
    let dir = bundle(
        r#"resources:
  vector_search_endpoints:
    vs:
      name: docs-vs
      endpoint_type: STANDARD
  vector_search_indexes:
    direct:
      name: main.ml.docs_direct
      endpoint_name: ${resources.vector_search_endpoints.vs.name}
      primary_key: id
      index_type: DIRECT_ACCESS
      direct_access_index_spec:
        schema_json: '{"id":"integer","vec":"array<float>"}'
        embedding_vector_columns:
          - name: vec
            embedding_dimension: 8
"#,
    );
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let old = endpoint(&emu)["id"].as_str().unwrap().to_string();
    delete_by_hand(&emu, &format!("{ENDPOINTS}/docs-vs"));
    // The index outlives its endpoint, bound to the old one.
    assert_eq!(
        index(&emu, "main.ml.docs_direct")["endpoint_id"],
        old.as_str()
    );

    let env = run_env(&emu);
    let plan = brickci(&["plan"], &as_refs(&env), dir.path());
    assert!(text(&plan).contains("no longer exists"), "{}", text(&plan));
    assert!(
        text(&plan).contains("refers to resources.vector_search_endpoints.vs"),
        "{}",
        text(&plan)
    );
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let new = endpoint(&emu)["id"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    let i = index(&emu, "main.ml.docs_direct");
    assert_eq!(i["endpoint_id"], new.as_str(), "rebound: {i}");
    assert_eq!(i["status"]["ready"], true, "{i}");
    redeploy_is_quiet(&emu, dir.path());
}
