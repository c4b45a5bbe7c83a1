//! The brickci binary as a CI step starts it: a scrubbed environment (only PATH, HOME and
//! TMPDIR pass through, cloud metadata probes off) plus what each test adds. A run to its
//! end is followed by a scan of the test's folders for the test secrets (`secret_scan`).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use super::{TestEmulator, bin, run_env, secret_scan};

pub struct Brickci {
    cmd: Command,
    /// What the secret scan needs to find the test's folders.
    args: Vec<String>,
    env: Vec<(String, String)>,
    dir: Option<PathBuf>,
}

impl Brickci {
    pub fn new<I, S>(args: I) -> Brickci
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<String> = args
            .into_iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect();
        let mut cmd = Command::new(bin());
        cmd.args(&args).env_clear();
        for key in ["PATH", "HOME", "TMPDIR"] {
            if let Ok(v) = std::env::var(key) {
                cmd.env(key, v);
            }
        }
        cmd.env("AWS_EC2_METADATA_DISABLED", "true");
        Brickci {
            cmd,
            args,
            env: Vec::new(),
            dir: None,
        }
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Brickci {
        let text = |s: &OsStr| s.to_string_lossy().into_owned();
        self.env.push((text(key.as_ref()), text(value.as_ref())));
        self.cmd.env(key, value);
        self
    }

    pub fn envs<K, V>(mut self, pairs: impl IntoIterator<Item = (K, V)>) -> Brickci
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        for (k, v) in pairs {
            self = self.env(k, v);
        }
        self
    }

    /// Host, token and quick polling for the emulator (`run_env`).
    pub fn against(self, emu: &TestEmulator) -> Brickci {
        self.envs(run_env(emu))
    }

    pub fn dir(mut self, dir: &Path) -> Brickci {
        self.cmd.current_dir(dir);
        self.dir = Some(dir.to_path_buf());
        self
    }

    /// Runs to the end and returns what it printed; what it wrote under the test's folders
    /// must hold no test secret.
    pub fn output(mut self) -> Output {
        let cwd = self
            .dir
            .clone()
            .unwrap_or_else(|| std::env::current_dir().expect("a working directory"));
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let watched = secret_scan::folders(&cwd, &args, &env);
        let before = secret_scan::Snapshot::take(&watched);
        let out = self.cmd.output().expect("the brickci binary runs");
        before.assert_no_new_secrets(&watched);
        out
    }

    /// Starts it with stdout and stderr piped, for tests that signal or watch it meanwhile.
    pub fn spawn(mut self) -> Child {
        self.cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the brickci binary starts")
    }
}
