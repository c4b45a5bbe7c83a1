//! Runs a brickci step submitted, saved for later steps of the same CI job: the step's own
//! state (GitHub `$GITHUB_STATE`, read by the action's post step as `STATE_<name>`; an
//! Azure DevOps job variable) and one file per run under `<runner temp>/brickci/runs/`
//! (`$RUNNER_TEMP`, `$AGENT_TEMPDIRECTORY` or `$BRICKCI_STATE_DIR`), which any later step,
//! e.g. `brickci cancel --saved`, can read.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::Env;

/// State names (GitHub exposes them to the post step as `STATE_BRICKCI_RUN_ID` ...).
pub const RUN_ID_STATE: &str = "BRICKCI_RUN_ID";
/// Every run the step started and has not seen end, comma-separated.
pub const RUN_IDS_STATE: &str = "BRICKCI_RUN_IDS";
/// `false` while a run the step started is open; `true` once it saw them all end (the post
/// step then has nothing to cancel); `handed-over` for `--no-wait` (left running on purpose).
pub const RUN_DONE_STATE: &str = "BRICKCI_RUN_DONE";
pub const HANDED_OVER: &str = "handed-over";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedRun {
    pub run_id: i64,
    pub host: Option<String>,
    pub url: Option<String>,
}

pub fn dir(env: &Env) -> Option<PathBuf> {
    ["BRICKCI_STATE_DIR", "RUNNER_TEMP", "AGENT_TEMPDIRECTORY"]
        .iter()
        .find_map(|k| env.get(k))
        .map(|d| PathBuf::from(d).join("brickci").join("runs"))
}

pub fn save(env: &Env, run: &SavedRun) -> std::io::Result<()> {
    let Some(dir) = dir(env) else { return Ok(()) };
    std::fs::create_dir_all(&dir)?;
    let text = serde_json::to_string_pretty(run).unwrap_or_default();
    std::fs::write(dir.join(format!("{}.json", run.run_id)), text + "\n")
}

pub fn remove(env: &Env, run_id: i64) {
    if let Some(dir) = dir(env) {
        let _ = std::fs::remove_file(dir.join(format!("{run_id}.json")));
    }
}

/// Every saved run, oldest id first; unreadable files are skipped.
pub fn list(env: &Env) -> Vec<SavedRun> {
    let Some(dir) = dir(env) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut runs: Vec<SavedRun> = entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| serde_json::from_str(&std::fs::read_to_string(e.path()).ok()?).ok())
        .collect();
    runs.sort_by_key(|r| r.run_id);
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_runs_round_trip_under_runner_temp() {
        let tmp = tempfile::tempdir().unwrap();
        let env = Env::from_pairs([("RUNNER_TEMP", tmp.path().to_str().unwrap())]);
        let run = SavedRun {
            run_id: 7,
            host: Some("https://h".into()),
            url: None,
        };
        save(&env, &run).unwrap();
        assert!(tmp.path().join("brickci/runs/7.json").exists());
        assert_eq!(list(&env), [run]);
        remove(&env, 7);
        assert!(list(&env).is_empty());
        assert!(list(&Env::default()).is_empty());
    }
}
