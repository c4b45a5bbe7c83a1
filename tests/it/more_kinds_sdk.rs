//! Every call brickci's deploy makes for issue 15's later kinds is one the official
//! Databricks SDK for Python makes too (same method and path shape), with no body field or
//! query parameter the SDK did not send: tests/python/sdk_more_kinds.py drives one
//! emulator, the deploy flows of tests/it/more_kinds.rs another, and the logs are compared.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};

use brickci::emulator::RequestRecord;

use crate::common::*;

/// Path shapes of the kinds' calls (`*` is one segment: an id or a name).
const SHAPES: &[&str] = &[
    "/api/2.0/mlflow/registered-models/*",
    "/api/2.0/mlflow/databricks/registered-models/get",
    "/api/2.0/permissions/registered-models/*",
    "/api/2.1/unity-catalog/external-locations",
    "/api/2.1/unity-catalog/external-locations/*",
    "/api/2.1/unity-catalog/permissions/external_location/*",
    "/api/2.0/database/instances",
    "/api/2.0/database/instances/*",
    "/api/2.0/permissions/database-instances/*",
    "/api/2.0/database/catalogs",
    "/api/2.0/database/catalogs/*",
    "/api/2.0/database/synced_tables",
    "/api/2.0/database/synced_tables/*",
    "/api/2.1/unity-catalog/secrets",
    "/api/2.1/unity-catalog/secrets/*",
];

fn shape(path: &str) -> Option<&'static str> {
    SHAPES.iter().copied().find(|s| {
        let (a, b): (Vec<&str>, Vec<&str>) = (s.split('/').collect(), path.split('/').collect());
        a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| *x == "*" || x == y)
    })
}

/// `"METHOD shape"` (the last segment kept for the registry's verbs) -> the body fields and
/// query parameters sent to it.
fn surface(log: &[RequestRecord]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in log {
        let Some(s) = shape(&r.path) else { continue };
        // Only the tests read a secret's value (secrets_flow checks brickci never does).
        if r.query.contains("include_value") {
            continue;
        }
        let s = if s.starts_with("/api/2.0/mlflow/registered-models/") {
            r.path.as_str()
        } else {
            s
        };
        let keys = out.entry(format!("{} {s}", r.method)).or_default();
        if let Some(o) = r.body.as_object() {
            keys.extend(o.keys().cloned());
        }
        keys.extend(
            r.query
                .split('&')
                .filter(|q| !q.is_empty())
                .map(|q| q.split('=').next().unwrap_or("").to_string()),
        );
    }
    out
}

#[test]
fn brickci_makes_only_calls_the_official_sdk_makes_for_the_later_kinds() {
    let Some(python) = venv_python() else {
        return;
    };
    let sdk_emu = TestEmulator::fast();
    let out = Command::new(python)
        .arg(repo().join("tests/python/sdk_more_kinds.py"))
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
    assert!(all.contains("sdk more-kinds checks passed"), "{all}");
    let sdk = surface(&sdk_emu.requests());
    assert!(sdk.values().len() >= SHAPES.len(), "{sdk:?}");

    let emu = TestEmulator::fast();
    crate::more_kinds::models_flow(&emu);
    crate::more_kinds::locations_flow(&emu);
    crate::more_kinds::databases_flow(&emu);
    crate::more_kinds::database_catalogs_flow(&emu);
    crate::more_kinds::synced_flow(&emu);
    crate::more_kinds::secrets_flow(&emu);
    let ours = surface(&emu.requests());
    assert!(
        ours.keys().any(|k| k.contains("registered-models/create")),
        "the flows made no kind calls: {ours:?}"
    );
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
