//! A Python task that runs brickci's callback launcher is run for real: the emulator does
//! what the launcher does on a cluster. It reads the uploaded binary from the workspace,
//! checks its SHA-256, and runs it. The binary gets the task's parameters, with the
//! dynamic value references substituted, and the secrets from the emulator's scopes. Its
//! environment is otherwise empty, as on a cluster that never saw the CI's variables. The
//! task ends when the process does, and the exit code sets the task's result.

use std::collections::BTreeMap;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::runs::RunRecord;
use super::{Shared, lock};

/// The first line of the launcher `brickci deploy` uploads (see trigger::callback::task).
pub const MARKER: &str = "# brickci-callback-launcher 1";
/// A callback that outlives this is killed and its task fails.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(600);
/// The task's log keeps the last this many bytes of the process's output.
const LOG_LIMIT: usize = 64 * 1024;

/// What the launcher was asked to do, from its parameters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Launch {
    pub binary: String,
    pub sha256: String,
    /// (environment variable, scope, key)
    pub secrets: Vec<(String, String, String)>,
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum State {
    Waiting,
    Running,
    Done { end_ms: u64, ok: bool, log: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Process {
    /// Err: the launcher would refuse its parameters (the task fails with this message).
    pub launch: Result<Launch, String>,
    /// The run's job parameters, for `{{job.parameters.<name>}}`.
    pub job_parameters: BTreeMap<String, String>,
    pub state: State,
}

impl Process {
    pub fn new(parameters: &[String]) -> Process {
        Process {
            launch: parse(parameters),
            job_parameters: BTreeMap::new(),
            state: State::Waiting,
        }
    }

    /// When the task ends and whether it succeeded; None while it has not.
    pub fn outcome(&self) -> Option<(u64, bool)> {
        match &self.state {
            State::Done { end_ms, ok, .. } => Some((*end_ms, *ok)),
            _ => None,
        }
    }

    pub fn log(&self) -> Option<&str> {
        match &self.state {
            State::Done { log, .. } => Some(log),
            _ => None,
        }
    }
}

/// The launcher's grammar: `--binary P --sha256 H [--secret E=S/K]... [--env N=V]... -- ARGS`.
fn parse(p: &[String]) -> Result<Launch, String> {
    let mut l = Launch::default();
    let mut i = 0;
    while i < p.len() {
        let flag = p[i].as_str();
        if flag == "--" {
            if l.binary.is_empty() || l.sha256.is_empty() {
                return Err("--binary and --sha256 are required".into());
            }
            l.args = p[i + 1..].to_vec();
            return Ok(l);
        }
        let value = p.get(i + 1).ok_or(format!("{flag} needs a value"))?;
        i += 2;
        match flag {
            "--binary" => l.binary = value.clone(),
            "--sha256" => l.sha256 = value.to_ascii_lowercase(),
            "--secret" => {
                let (env, rest) = value
                    .split_once('=')
                    .ok_or("--secret: expected ENV=SCOPE/KEY")?;
                let (scope, key) = rest
                    .split_once('/')
                    .ok_or("--secret: expected ENV=SCOPE/KEY")?;
                l.secrets.push((env.into(), scope.into(), key.into()));
            }
            "--env" => {
                let (k, v) = value.split_once('=').ok_or("--env: expected NAME=VALUE")?;
                l.env.push((k.into(), v.into()));
            }
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Err("no `--` before brickci's arguments".into())
}

/// Starts every callback whose task is due; call before answering about runs.
pub fn start_due(shared: &Shared) {
    let mut starts = Vec::new();
    {
        let mut s = lock(shared);
        let now = s.clock.now_ms();
        let due: Vec<(i64, usize)> = s
            .runs
            .values()
            // Only runs with a callback still to start are scheduled (schedule() is not free).
            .filter(|run| {
                run.tasks.iter().any(|t| {
                    t.process
                        .as_ref()
                        .is_some_and(|p| p.state == State::Waiting)
                })
            })
            .flat_map(|run| {
                let schedule = run.schedule();
                run.tasks
                    .iter()
                    .enumerate()
                    .filter(move |(i, t)| {
                        t.process
                            .as_ref()
                            .is_some_and(|p| p.state == State::Waiting)
                            && schedule[*i].ran
                            && schedule[*i].start <= now
                            && run.cancelled_ms.is_none()
                    })
                    .map(move |(i, _)| (run.run_id, i))
            })
            .collect();
        for (run_id, i) in due {
            let prepared = prepare(&s, run_id, i);
            let run = s.runs.get_mut(&run_id).expect("listed above");
            let process = run.tasks[i].process.as_mut().expect("a process task");
            match prepared {
                Ok(job) => {
                    process.state = State::Running;
                    starts.push((run_id, i, job));
                }
                Err(message) => {
                    process.state = State::Done {
                        end_ms: now,
                        ok: false,
                        log: format!("brickci callback launcher: {message}"),
                    }
                }
            }
        }
    }
    for (run_id, i, job) in starts {
        let shared = shared.clone();
        tokio::spawn(async move {
            let (ok, log) = execute(job).await;
            let mut s = lock(&shared);
            let now = s.clock.now_ms();
            if let Some(p) = s
                .runs
                .get_mut(&run_id)
                .and_then(|r| r.tasks.get_mut(i))
                .and_then(|t| t.process.as_mut())
            {
                p.state = State::Done {
                    end_ms: now,
                    ok,
                    log,
                };
            }
        });
    }
}

/// Everything the process needs, read from the state while it is locked.
struct Job {
    binary: Vec<u8>,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

fn prepare(s: &super::state::State, run_id: i64, i: usize) -> Result<Job, String> {
    let run = &s.runs[&run_id];
    let task = &run.tasks[i];
    let process = task.process.as_ref().expect("a process task");
    let launch = process.launch.clone()?;
    let path = super::workspace_tree::normalize(&launch.binary)
        .ok_or_else(|| format!("cannot read the brickci binary at {}", launch.binary))?;
    let binary = s
        .tree
        .get(&path)
        .map(|o| o.content.clone())
        .ok_or_else(|| {
            format!(
                "cannot read the brickci binary at {}: no such file",
                launch.binary
            )
        })?;
    let actual = hex(&Sha256::digest(&binary));
    if actual != launch.sha256 {
        return Err(format!(
            "the brickci binary at {} is not the one deploy uploaded (SHA-256 {actual}, expected {}): run brickci deploy again",
            launch.binary, launch.sha256
        ));
    }
    let subst = |v: &str| substitute(v, run, i, &process.job_parameters);
    let mut env: Vec<(String, String)> = vec![
        ("DATABRICKS_RUNTIME_VERSION".into(), "client.2.5".into()),
        ("DB_IS_JOB_CLUSTER".into(), "TRUE".into()),
    ];
    env.extend(launch.env.iter().map(|(k, v)| (k.clone(), subst(v))));
    for (name, scope, key) in &launch.secrets {
        let value = s
            .objects
            .secret_scopes
            .get(scope)
            .and_then(|sc| sc.values.get(key))
            .ok_or_else(|| {
                format!("cannot read secret {key:?} from scope {scope:?} (for {name}): Secret does not exist with scope: {scope} and key: {key}")
            })?;
        env.push((name.clone(), value.clone()));
    }
    Ok(Job {
        binary,
        args: launch.args.iter().map(|a| subst(a)).collect(),
        env,
    })
}

/// Replaces the dynamic value references Databricks knows; others stay as written.
fn substitute(text: &str, run: &RunRecord, i: usize, params: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let whole = &rest[start..start + len + 2];
        let name = whole[2..whole.len() - 2].trim();
        out.push_str(&reference(name, run, i, params).unwrap_or_else(|| whole.to_string()));
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

fn reference(
    name: &str,
    run: &RunRecord,
    i: usize,
    params: &BTreeMap<String, String>,
) -> Option<String> {
    let parts: Vec<&str> = name.split('.').collect();
    match parts.as_slice() {
        ["job", "run_id"] => Some(run.run_id.to_string()),
        ["job", "id"] => run.job_id.map(|j| j.to_string()),
        ["job", "repair_count"] => Some("0".into()),
        ["job", "name"] => Some(run.run_name.clone()),
        ["task", "run_id"] => Some(run.tasks[i].run_id.to_string()),
        ["task", "name"] => Some(run.tasks[i].key.clone()),
        ["job", "parameters", p] => params.get(*p).cloned(),
        ["tasks", key, "run_id"] => run
            .tasks
            .iter()
            .find(|t| t.key == *key)
            .map(|t| t.run_id.to_string()),
        ["tasks", key, "values", v] => run
            .tasks
            .iter()
            .find(|t| t.key == *key)
            .and_then(|t| t.script.as_ref())
            .and_then(|s| s.task_values.iter().find(|(k, _)| k == v))
            .map(|(_, value)| value.clone()),
        _ => None,
    }
}

/// Writes the binary to a private folder and runs it; (exit status 0, output tail).
async fn execute(job: Job) -> (bool, String) {
    let dir = match tempfile::Builder::new()
        .prefix("brickci-emulated-callback-")
        .tempdir()
    {
        Ok(d) => d,
        Err(e) => return (false, format!("cannot make a folder for the callback: {e}")),
    };
    let exe = dir.path().join("brickci");
    if let Err(e) = write_executable(&exe, &job.binary) {
        return (false, format!("cannot write the callback binary: {e}"));
    }
    let mut cmd = tokio::process::Command::new(&exe);
    cmd.args(&job.args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", dir.path())
        .env("TMPDIR", dir.path())
        .env("BRICKCI_OUTPUT_FILE", dir.path().join("outputs.json"))
        .envs(job.env.iter().map(|(k, v)| (k, v)))
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let output = match tokio::time::timeout(PROCESS_TIMEOUT, cmd.output()).await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => return (false, format!("cannot start the callback binary: {e}")),
        Err(_) => {
            return (
                false,
                format!(
                    "the callback did not finish within {}s",
                    PROCESS_TIMEOUT.as_secs()
                ),
            );
        }
    };
    let mut log = String::from_utf8_lossy(&output.stdout).into_owned();
    log.push_str(&String::from_utf8_lossy(&output.stderr));
    if log.len() > LOG_LIMIT {
        let mut cut = log.len() - LOG_LIMIT;
        while !log.is_char_boundary(cut) {
            cut += 1;
        }
        log = log[cut..].to_string();
    }
    (output.status.success(), log)
}

fn write_executable(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o700)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn the_launcher_grammar_is_read_as_the_launcher_reads_it() {
        let l = parse(&v(&[
            "--binary",
            "/W/b",
            "--sha256",
            "AB",
            "--secret",
            "GITHUB_TOKEN=cicd/gh",
            "--env",
            "A=x=y",
            "--",
            "callback",
            "--",
        ]))
        .unwrap();
        assert_eq!(l.sha256, "ab");
        assert_eq!(
            l.secrets,
            [("GITHUB_TOKEN".into(), "cicd".into(), "gh".into())]
        );
        assert_eq!(l.env, [("A".into(), "x=y".into())]);
        assert_eq!(l.args, v(&["callback", "--"]));
        assert!(parse(&v(&["--binary", "/b", "--"])).is_err());
        assert!(parse(&v(&["--binary", "/b", "--sha256", "a"])).is_err());
        assert!(parse(&v(&["--odd", "x", "--"])).is_err());
    }
}
