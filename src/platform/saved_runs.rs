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
/// Every pipeline update the step started and has not seen end, `<pipeline id>/<update id>`
/// comma-separated.
pub const UPDATES_STATE: &str = "BRICKCI_PIPELINE_UPDATES";

/// A pipeline update's run file is `update-<update id>.json` beside the jobs' runs.
const UPDATE_FILE_PREFIX: &str = "update-";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedRun {
    pub run_id: i64,
    pub host: Option<String>,
    pub url: Option<String>,
}

/// A pipeline update (`run -t T KEY` where KEY is a pipeline), saved like a job run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedUpdate {
    pub pipeline_id: String,
    pub update_id: String,
    pub host: Option<String>,
    pub url: Option<String>,
}

/// `<pipeline id>/<update id>`, as the step's state lists updates.
pub fn update_key(pipeline_id: &str, update_id: &str) -> String {
    format!("{pipeline_id}/{update_id}")
}

/// The `(pipeline id, update id)` pairs of an `UPDATES_STATE` value; malformed ones skipped.
pub fn parse_update_keys(value: &str) -> Vec<(String, String)> {
    value
        .split(',')
        .filter_map(|k| k.trim().split_once('/'))
        .filter(|(p, u)| !p.is_empty() && !u.is_empty())
        .map(|(p, u)| (p.to_string(), u.to_string()))
        .collect()
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
    let mut runs: Vec<SavedRun> = read_all(env, false);
    runs.sort_by_key(|r| r.run_id);
    runs
}

pub fn save_update(env: &Env, update: &SavedUpdate) -> std::io::Result<()> {
    let Some(dir) = dir(env) else { return Ok(()) };
    std::fs::create_dir_all(&dir)?;
    let text = serde_json::to_string_pretty(update).unwrap_or_default();
    std::fs::write(dir.join(update_file(&update.update_id)), text + "\n")
}

pub fn remove_update(env: &Env, update_id: &str) {
    if let Some(dir) = dir(env) {
        let _ = std::fs::remove_file(dir.join(update_file(update_id)));
    }
}

/// Every saved pipeline update (in no particular order); unreadable files are skipped.
pub fn list_updates(env: &Env) -> Vec<SavedUpdate> {
    read_all(env, true)
}

/// An update id is the service's (a UUID); anything else is kept out of the file name.
fn update_file(update_id: &str) -> String {
    let safe: String = update_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{UPDATE_FILE_PREFIX}{safe}.json")
}

fn read_all<T: serde::de::DeserializeOwned>(env: &Env, updates: bool) -> Vec<T> {
    let Some(dir) = dir(env) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(UPDATE_FILE_PREFIX)
                == updates
        })
        .filter_map(|e| serde_json::from_str(&std::fs::read_to_string(e.path()).ok()?).ok())
        .collect()
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

    #[test]
    fn saved_updates_live_beside_runs_without_mixing() {
        let tmp = tempfile::tempdir().unwrap();
        let env = Env::from_pairs([("RUNNER_TEMP", tmp.path().to_str().unwrap())]);
        let run = SavedRun {
            run_id: 7,
            host: None,
            url: None,
        };
        let update = SavedUpdate {
            pipeline_id: "p-1".into(),
            update_id: "u-1".into(),
            host: Some("https://h".into()),
            url: None,
        };
        save(&env, &run).unwrap();
        save_update(&env, &update).unwrap();
        assert!(tmp.path().join("brickci/runs/update-u-1.json").exists());
        assert_eq!(list(&env), [run]);
        assert_eq!(list_updates(&env), [update]);
        remove_update(&env, "u-1");
        assert!(list_updates(&env).is_empty());
        assert_eq!(
            parse_update_keys("p-1/u-1, bad,/x,p-2/u-2"),
            [("p-1".into(), "u-1".into()), ("p-2".into(), "u-2".into())]
        );
    }
}
