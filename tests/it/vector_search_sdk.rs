//! Every call brickci's deploy makes for vector search endpoints and indexes is one the
//! official Databricks SDK for Python makes too (same method and path shape), with no body
//! field or query parameter the SDK did not send: tests/python/sdk_vector_search.py drives
//! one emulator, the deploy flow of tests/it/vector_search.rs another, and the logs are
//! compared.

use brickci::emulator::RequestRecord;

use crate::common::sdk_surface::{Rules, assert_within_sdk, run_sdk_script, shape_in};
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

fn shape(r: &RequestRecord) -> Option<String> {
    shape_in(SHAPES, &r.path).map(str::to_string)
}

#[test]
fn brickci_makes_only_calls_the_official_sdk_makes_for_vector_search() {
    let Some(python) = venv_python() else {
        return;
    };
    let rules = Rules::new(shape);
    let sdk_emu = TestEmulator::fast();
    let sdk = rules.surface(&run_sdk_script(
        &python,
        &sdk_emu,
        "sdk_vector_search.py",
        "sdk vector search checks passed",
    ));

    let emu = TestEmulator::fast();
    crate::vector_search::vector_search_flow(&emu);
    let ours = rules.surface(&emu.requests());
    assert!(
        ours.contains_key("POST /api/2.0/vector-search/indexes"),
        "the flow made no index calls: {ours:?}"
    );
    assert_within_sdk(&ours, &sdk);
}
