//! Every call brickci's deploy makes for the seven Lakebase `postgres_*` kinds is one the
//! official Databricks SDK for Python makes too (same method and path shape), with no body
//! field or query parameter the SDK did not send: tests/python/sdk_postgres.py drives one
//! emulator (its operation waiters included), the flows of tests/it/postgres_kinds.rs
//! another, and the logs are compared.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};

use brickci::emulator::{EmulatorConfig, RequestRecord};

use crate::common::*;

const PG: &str = "/api/2.0/postgres/";

/// A path's shape: in the Postgres API, names alternate collection and id, and each id
/// becomes `*` (`projects/*/branches/*/operations/*`); the projects' ACL path likewise.
fn shape(path: &str) -> Option<String> {
    if let Some(rest) = path.strip_prefix(PG) {
        let parts: Vec<&str> = rest
            .split('/')
            .enumerate()
            .map(|(i, p)| if i % 2 == 1 { "*" } else { p })
            .collect();
        return Some(format!("{PG}{}", parts.join("/")));
    }
    path.starts_with("/api/2.0/permissions/database-projects/")
        .then(|| "/api/2.0/permissions/database-projects/*".to_string())
}

/// `"METHOD shape"` -> the body fields (and `spec.` fields) and query parameters sent.
fn surface(log: &[RequestRecord]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in log {
        let Some(s) = shape(&r.path) else { continue };
        let keys = out.entry(format!("{} {s}", r.method)).or_default();
        if let Some(o) = r.body.as_object() {
            keys.extend(o.keys().cloned());
        }
        if let Some(spec) = r.body["spec"].as_object() {
            keys.extend(spec.keys().map(|k| format!("spec.{k}")));
        }
        keys.extend(
            r.query
                .split('&')
                .filter(|q| !q.is_empty())
                .map(|q| format!("?{}", q.split('=').next().unwrap_or(""))),
        );
    }
    out
}

#[test]
fn brickci_makes_only_calls_the_official_sdk_makes_for_the_postgres_kinds() {
    let Some(python) = venv_python() else {
        return;
    };
    // Fast enough that the SDK's first poll finds an operation done.
    let sdk_emu = TestEmulator::start(EmulatorConfig {
        clock_speed: 10_000.0,
        ..EmulatorConfig::default()
    });
    let out = Command::new(python)
        .arg(repo().join("tests/python/sdk_postgres.py"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABRICKS_HOST", sdk_emu.url())
        .env("DATABRICKS_TOKEN", TOKEN)
        .env("DATABRICKS_CONFIG_FILE", "/dev/null")
        .env("NO_PROXY", "*")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("sdk postgres checks passed"), "{all}");
    let sdk = surface(&sdk_emu.requests());

    let emu = TestEmulator::fast();
    crate::postgres_kinds::chain_flow(&emu);
    crate::postgres_kinds::owned_flow(&emu);
    crate::postgres_kinds::lake_flow(&emu);
    let ours = surface(&emu.requests());
    for kind in ["projects", "branches", "endpoints", "roles", "databases"] {
        assert!(
            ours.keys()
                .any(|k| k.starts_with("PATCH") && k.ends_with(&format!("{kind}/*"))),
            "the flows updated no {kind}: {ours:?}"
        );
    }
    for (call, keys) in &ours {
        let Some(known) = sdk.get(call) else {
            panic!("brickci calls {call}, which the SDK script never does; SDK: {sdk:?}");
        };
        let extra: Vec<&String> = keys.difference(known).collect();
        assert!(
            extra.is_empty(),
            "brickci sends {extra:?} to {call}; the SDK sent only {known:?}"
        );
    }
}

#[test]
fn path_shapes_hide_ids_only() {
    assert_eq!(
        shape("/api/2.0/postgres/projects/p/branches/b/operations/1").as_deref(),
        Some("/api/2.0/postgres/projects/*/branches/*/operations/*")
    );
    assert_eq!(
        shape("/api/2.0/postgres/synced_tables").as_deref(),
        Some("/api/2.0/postgres/synced_tables")
    );
    assert_eq!(shape("/api/2.2/jobs/get"), None);
}
