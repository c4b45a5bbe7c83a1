//! Every call brickci's deploy makes for vector search endpoints and indexes is one the
//! official Databricks SDK for Python makes too (same method and path shape), with no body
//! field or query parameter the SDK did not send: tests/python/sdk_vector_search.py drives
//! one emulator, the deploy flow of tests/it/vector_search.rs another, and the logs are
//! compared.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};

use brickci::emulator::RequestRecord;

use crate::common::*;

/// Path shapes of the kinds' calls (`*` is one segment: a name or an id).
const SHAPES: &[&str] = &[
    "/api/2.0/vector-search/endpoints",
    "/api/2.0/vector-search/endpoints/*",
    "/api/2.0/vector-search/endpoints/*/budget-policy",
    "/api/2.0/permissions/vector-search-endpoints/*",
    "/api/2.0/vector-search/indexes",
    "/api/2.0/vector-search/indexes/*",
    "/api/2.1/unity-catalog/permissions/table/*",
];

fn shape(path: &str) -> Option<&'static str> {
    SHAPES.iter().copied().find(|s| {
        let (a, b): (Vec<&str>, Vec<&str>) = (s.split('/').collect(), path.split('/').collect());
        a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| *x == "*" || x == y)
    })
}

/// `"METHOD shape"` -> the body fields and query parameters sent to it.
fn surface(log: &[RequestRecord]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in log {
        let Some(s) = shape(&r.path) else { continue };
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
fn brickci_makes_only_calls_the_official_sdk_makes_for_vector_search() {
    let Some(python) = venv_python() else {
        return;
    };
    let sdk_emu = TestEmulator::fast();
    let out = Command::new(python)
        .arg(repo().join("tests/python/sdk_vector_search.py"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABRICKS_HOST", sdk_emu.url())
        .env("DATABRICKS_TOKEN", TOKEN)
        .env("DATABRICKS_CONFIG_FILE", "/dev/null")
        .env("NO_PROXY", "*")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("sdk vector search checks passed"), "{all}");
    let sdk = surface(&sdk_emu.requests());

    let emu = TestEmulator::fast();
    crate::vector_search::vector_search_flow(&emu);
    let ours = surface(&emu.requests());
    assert!(
        ours.contains_key("POST /api/2.0/vector-search/indexes"),
        "the flow made no index calls: {ours:?}"
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
