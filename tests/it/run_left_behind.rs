//! An error after a run started: the run is cancelled, or the log says plainly that it may
//! still be running, and then its uploaded notebook is never deleted.

use crate::common::*;

fn run(emu: &TestEmulator, args: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    write_notebook(dir.path(), "nb.py", "# brickci-emulator: duration 1h\n");
    let env = run_env(emu);
    let out = brickci(args, &as_refs(&env), dir.path());
    (code(&out), text(&out))
}

#[test]
fn a_run_brickci_cannot_follow_is_cancelled_then_its_notebook_removed() {
    let emu = TestEmulator::fast();
    // The first poll is refused (not retried): brickci can no longer follow the run.
    emu.fault("GET */jobs/runs/get=403*1");
    let (code, out) = run(&emu, &["run", "--notebook", "nb.py"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("was cancelled"), "{out}");
    let cancels = emu.calls("POST", "/jobs/runs/cancel");
    assert_eq!(cancels.len(), 1, "{out}");
    let run_id = cancels[0].body["run_id"].as_i64().unwrap();
    assert!(wait_until(std::time::Duration::from_secs(10), || {
        emu.get_json(&format!("/api/2.2/jobs/runs/get?run_id={run_id}"))["state"]["result_state"]
            == "CANCELED"
    }));
}

#[test]
fn a_run_that_cannot_be_cancelled_keeps_its_notebook_and_says_so() {
    let emu = TestEmulator::fast();
    emu.fault("GET */jobs/runs/get=403*2");
    emu.fault("POST */jobs/runs/cancel=403*1");
    let (code, out) = run(&emu, &["run", "--notebook", "nb.py"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("may still be running"), "{out}");
    assert!(out.contains("stays in"), "{out}");
    assert!(
        emu.calls("POST", "/workspace/delete").is_empty(),
        "the running run's notebook was deleted:\n{out}"
    );
}
