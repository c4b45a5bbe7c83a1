//! Every call brickci's deploy makes for genie_spaces and job_runs is one the official
//! Databricks SDK for Python makes too (same method and path shape), with no body field or
//! query parameter the SDK did not send: tests/python/sdk_genie.py drives one emulator, the
//! deploy flows of tests/it/genie_and_job_runs.rs another, and the logs are compared.

use brickci::emulator::RequestRecord;

use crate::common::sdk_surface::{Rules, assert_within_sdk, run_sdk_script, shape_in};
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

fn shape(r: &RequestRecord) -> Option<String> {
    shape_in(SHAPES, &r.path).map(str::to_string)
}

#[test]
fn brickci_makes_only_calls_the_official_sdk_makes_for_genie_spaces_and_job_runs() {
    let Some(python) = venv_python() else {
        return;
    };
    let rules = Rules::new(shape);
    let sdk_emu = TestEmulator::fast();
    let sdk = rules.surface(&run_sdk_script(
        &python,
        &sdk_emu,
        "sdk_genie.py",
        "sdk genie and job-run checks passed",
    ));
    assert!(sdk.len() >= SHAPES.len(), "{sdk:?}");

    let emu = TestEmulator::fast();
    crate::genie_and_job_runs::genie_flow(&emu);
    crate::genie_and_job_runs::runs_flow(&emu);
    let ours = rules.surface(&emu.requests());
    for needed in ["POST /api/2.0/genie/spaces", "POST /api/2.2/jobs/run-now"] {
        assert!(
            ours.contains_key(needed),
            "the flows made no {needed}: {ours:?}"
        );
    }
    assert_within_sdk(&ours, &sdk);
}
