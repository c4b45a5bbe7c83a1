//! Runs `python -m databricks.bundles.build` once: the configuration in as a JSON file, the
//! result, diagnostics and source locations out as files in a private temporary folder,
//! bounded in time and in how much is read back.
//!
//! The bundle's Python code comes with the change under review, like an artifact's build
//! command, so running it is no new trust; what it is not given is what the change could not
//! see before: variables whose names say they hold a credential are left out of its
//! environment (it needs none: it only describes resources).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one run left behind.
#[derive(Clone)]
pub struct Finished {
    /// Exit status text when the interpreter failed (`exit status: 1`).
    pub failed: Option<String>,
    /// The end of what it wrote to stderr (bounded).
    pub stderr: String,
    pub output: Option<Vec<u8>>,
    pub diagnostics: Option<Vec<u8>>,
    pub locations: Option<Vec<u8>>,
}

/// Why the interpreter could not be run to its end.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot start {0}: {1}")]
    Start(String, std::io::Error),
    #[error(
        "the bundle's Python code did not finish within {0}s (set BRICKCI_PYTHON_TIMEOUT to allow longer)"
    )]
    TimedOut(u64),
    #[error("cannot use a temporary folder for the Python build: {0}")]
    Temp(std::io::Error),
    #[error("{0} is larger than {1} bytes")]
    TooLarge(&'static str, u64),
}

/// The most read back from each file the build writes.
const OUTPUT_LIMIT: u64 = 64 * 1024 * 1024;
/// How much of stderr is kept for the error message (its end, where the traceback is).
const STDERR_TAIL: usize = 16 * 1024;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Credentials by the words their names hold (DATABRICKS_TOKEN, ARM_CLIENT_SECRET,
/// AWS_SECRET_ACCESS_KEY, ACTIONS_ID_TOKEN_REQUEST_URL's token, SYSTEM_ACCESSTOKEN,
/// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, ENDPOINT_AUTH_*, ...).
const CREDENTIAL_WORDS: &[&str] = &[
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "CREDENTIAL",
    "AUTH",
    "KEY",
];

/// The environment the Python code gets: `env` without credential variables, without
/// bytecode files written into the checkout.
pub fn child_env(env: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = env
        .iter()
        .filter(|(k, _)| {
            let upper = k.to_ascii_uppercase();
            !CREDENTIAL_WORDS.iter().any(|w| upper.contains(w))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    out.insert("PYTHONDONTWRITEBYTECODE".into(), "1".into());
    out
}

/// A private folder removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(env: &BTreeMap<String, String>) -> std::io::Result<TempDir> {
        use std::os::unix::fs::DirBuilderExt;
        let base = env
            .get("TMPDIR")
            .filter(|t| !t.is_empty())
            .map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
        let dir = base.join(format!("brickci-python-{}", uuid::Uuid::new_v4()));
        std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // The input holds the whole configuration: it does not stay behind.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs one phase in `root` with `input` as the configuration.
pub fn run(
    python: &Path,
    phase: &str,
    root: &Path,
    input: &[u8],
    env: &BTreeMap<String, String>,
    timeout: Duration,
) -> Result<Finished, RunError> {
    let tmp = TempDir::new(env).map_err(RunError::Temp)?;
    let file = |n: &str| tmp.0.join(n);
    write_private(&file("input.json"), input).map_err(RunError::Temp)?;
    let mut child = Command::new(python)
        .args(["-m", "databricks.bundles.build", "--phase", phase])
        .arg("--input")
        .arg(file("input.json"))
        .arg("--output")
        .arg(file("output.json"))
        .arg("--diagnostics")
        .arg(file("diagnostics.json"))
        .arg("--locations")
        .arg(file("locations.json"))
        .current_dir(root)
        .env_clear()
        .envs(child_env(env))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| RunError::Start(python.display().to_string(), e))?;
    // Both pipes are drained while it runs, so a chatty build never blocks on a full pipe.
    let stdout = child.stdout.take().map(|s| drain(s, 0));
    let stderr = child.stderr.take().map(|s| drain(s, STDERR_TAIL));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| RunError::Start(python.display().to_string(), e))?
        {
            break status;
        }
        if start.elapsed() >= timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(RunError::TimedOut(timeout.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if let Some(out) = stdout.and_then(|h| h.join().ok()) {
        tracing::debug!("python {phase} stdout: {out}");
    }
    let stderr = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
    tracing::debug!("python {phase} stderr: {stderr}");
    Ok(Finished {
        failed: (!status.success()).then(|| status.to_string()),
        stderr,
        output: read_bounded(&file("output.json"), "the Python build's output")?,
        diagnostics: read_bounded(&file("diagnostics.json"), "the Python build's diagnostics")?,
        locations: read_bounded(&file("locations.json"), "the Python build's locations")?,
    })
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?
        .write_all(bytes)
}

/// Reads a pipe to its end, keeping at most its last `keep` bytes (0: none).
fn drain(mut from: impl Read + Send + 'static, keep: usize) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut tail: Vec<u8> = Vec::new();
        let mut buf = [0u8; 8192];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            tail.extend_from_slice(&buf[..n]);
            if tail.len() > keep {
                tail.drain(..tail.len() - keep);
            }
        }
        String::from_utf8_lossy(&tail).into_owned()
    })
}

/// The file's bytes (None when absent), refusing more than [`OUTPUT_LIMIT`].
fn read_bounded(path: &Path, what: &'static str) -> Result<Option<Vec<u8>>, RunError> {
    let Ok(f) = std::fs::File::open(path) else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    f.take(OUTPUT_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(RunError::Temp)?;
    if bytes.len() as u64 > OUTPUT_LIMIT {
        return Err(RunError::TooLarge(what, OUTPUT_LIMIT));
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_stay_out_of_the_environment() {
        let env: BTreeMap<String, String> = [
            "DATABRICKS_TOKEN",
            "DATABRICKS_CLIENT_SECRET",
            "ARM_CLIENT_SECRET",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_ACCESS_KEY_ID",
            "AWS_SESSION_TOKEN",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            "SYSTEM_ACCESSTOKEN",
            "GITHUB_TOKEN",
            "ENDPOINT_AUTH_1234",
            "MY_DB_PASSWORD",
            "PATH",
            "HOME",
            "BUNDLE_VAR_env",
            "DATABRICKS_HOST",
            "GITHUB_SHA",
        ]
        .iter()
        .map(|k| (k.to_string(), "v".to_string()))
        .collect();
        let kept: Vec<String> = child_env(&env).into_keys().collect();
        assert_eq!(
            kept,
            [
                "BUNDLE_VAR_env",
                "DATABRICKS_HOST",
                "GITHUB_SHA",
                "HOME",
                "PATH",
                "PYTHONDONTWRITEBYTECODE"
            ]
        );
    }

    #[test]
    fn a_pipe_keeps_only_its_tail() {
        let text = "a".repeat(20_000) + "the end";
        let h = drain(std::io::Cursor::new(text.into_bytes()), 10);
        assert_eq!(h.join().unwrap(), "aaathe end");
    }
}
