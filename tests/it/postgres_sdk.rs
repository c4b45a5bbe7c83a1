//! Every call brickci's deploy makes for the seven Lakebase `postgres_*` kinds is one the
//! official Databricks SDK for Python makes too (same method and path shape), with no body
//! field or query parameter the SDK did not send: tests/python/sdk_postgres.py drives one
//! emulator (its operation waiters included), the flows of tests/it/postgres_kinds.rs
//! another, and the logs are compared.

use brickci::emulator::EmulatorConfig;

use crate::common::sdk_surface::{Rules, assert_within_sdk, run_sdk_script};
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

/// An update names `spec.` fields in its mask, so those count one by one; a query
/// parameter is marked `?` so it never passes for a body field of the same name.
fn rules() -> Rules {
    Rules {
        nested: &["spec"],
        query_mark: "?",
        ..Rules::new(|r| shape(&r.path))
    }
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
    let sdk = rules().surface(&run_sdk_script(
        &python,
        &sdk_emu,
        "sdk_postgres.py",
        "sdk postgres checks passed",
    ));

    let emu = TestEmulator::fast();
    crate::postgres_kinds::chain_flow(&emu);
    crate::postgres_kinds::owned_flow(&emu);
    crate::postgres_kinds::lake_flow(&emu);
    let ours = rules().surface(&emu.requests());
    for kind in ["projects", "branches", "endpoints", "roles", "databases"] {
        assert!(
            ours.keys()
                .any(|k| k.starts_with("PATCH") && k.ends_with(&format!("{kind}/*"))),
            "the flows updated no {kind}: {ours:?}"
        );
    }
    assert_within_sdk(&ours, &sdk);
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
