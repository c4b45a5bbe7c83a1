//! Every call brickci's deploy makes for issue 15's later kinds is one the official
//! Databricks SDK for Python makes too (same method and path shape), with no body field or
//! query parameter the SDK did not send: tests/python/sdk_more_kinds.py drives one
//! emulator, the deploy flows of tests/it/more_kinds.rs another, and the logs are compared.

use brickci::emulator::RequestRecord;

use crate::common::sdk_surface::{Rules, assert_within_sdk, run_sdk_script, shape_in};
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

/// The call's shape, but the whole path for the MLflow registry (its last segment is a verb
/// such as `create`, not an id).
fn shape(r: &RequestRecord) -> Option<String> {
    // Only the tests read a secret's value (secrets_flow checks brickci never does).
    if r.query.contains("include_value") {
        return None;
    }
    let s = shape_in(SHAPES, &r.path)?;
    Some(if s.starts_with("/api/2.0/mlflow/registered-models/") {
        r.path.clone()
    } else {
        s.to_string()
    })
}

#[test]
fn brickci_makes_only_calls_the_official_sdk_makes_for_the_later_kinds() {
    let Some(python) = venv_python() else {
        return;
    };
    let rules = Rules::new(shape);
    let sdk_emu = TestEmulator::fast();
    let sdk = rules.surface(&run_sdk_script(
        &python,
        &sdk_emu,
        "sdk_more_kinds.py",
        "sdk more-kinds checks passed",
    ));
    assert!(sdk.len() >= SHAPES.len(), "{sdk:?}");

    let emu = TestEmulator::fast();
    crate::more_kinds::models_flow(&emu);
    crate::more_kinds::locations_flow(&emu);
    crate::more_kinds::databases_flow(&emu);
    crate::more_kinds::database_catalogs_flow(&emu);
    crate::more_kinds::synced_flow(&emu);
    crate::more_kinds::secrets_flow(&emu);
    let ours = rules.surface(&emu.requests());
    assert!(
        ours.keys().any(|k| k.contains("registered-models/create")),
        "the flows made no kind calls: {ours:?}"
    );
    assert_within_sdk(&ours, &sdk);
}
