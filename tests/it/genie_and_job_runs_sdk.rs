//! Every call brickci's deploy makes for genie_spaces and job_runs is one the official
//! Databricks SDK for Python makes too (same method and path shape), with no body field or
//! query parameter the SDK did not send: tests/python/sdk_genie.py drives one emulator, the
//! deploy flows of tests/it/genie_and_job_runs.rs another, and the logs are compared.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};

use brickci::emulator::RequestRecord;

use crate::common::*;

/// Path shapes of the kinds' calls (`*` is one segment: an id).
const SHAPES: &[&str] = &[
    "/api/2.0/genie/spaces",
    "/api/2.0/genie/spaces/*",
    "/api/2.0/permissions/genie/*",
    "/api/2.2/jobs/run-now",
    "/api/2.2/jobs/runs/get",
    "/api/2.2/jobs/runs/get-output",
    "/api/2.2/jobs/runs/cancel",
    "/api/2.2/jobs/runs/delete",
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
fn brickci_makes_only_calls_the_official_sdk_makes_for_genie_spaces_and_job_runs() {
    let Some(python) = venv_python() else {
        return;
    };
    let sdk_emu = TestEmulator::fast();
    let out = Command::new(python)
        .arg(repo().join("tests/python/sdk_genie.py"))
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
    assert!(all.contains("sdk genie and job-run checks passed"), "{all}");
    let sdk = surface(&sdk_emu.requests());
    assert!(sdk.len() >= SHAPES.len(), "{sdk:?}");

    let emu = TestEmulator::fast();
    crate::genie_and_job_runs::genie_flow(&emu);
    crate::genie_and_job_runs::runs_flow(&emu);
    let ours = surface(&emu.requests());
    for needed in ["POST /api/2.0/genie/spaces", "POST /api/2.2/jobs/run-now"] {
        assert!(
            ours.contains_key(needed),
            "the flows made no {needed}: {ours:?}"
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
