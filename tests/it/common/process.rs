//! The brickci binary as a CI step starts it: a scrubbed environment (only PATH, HOME and
//! TMPDIR pass through, cloud metadata probes off) plus what each test adds.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use super::{TestEmulator, bin, run_env};

pub struct Brickci {
    cmd: Command,
}

impl Brickci {
    pub fn new<I, S>(args: I) -> Brickci
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(bin());
        cmd.args(args).env_clear();
        for key in ["PATH", "HOME", "TMPDIR"] {
            if let Ok(v) = std::env::var(key) {
                cmd.env(key, v);
            }
        }
        cmd.env("AWS_EC2_METADATA_DISABLED", "true");
        Brickci { cmd }
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Brickci {
        self.cmd.env(key, value);
        self
    }

    pub fn envs<K, V>(mut self, pairs: impl IntoIterator<Item = (K, V)>) -> Brickci
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.cmd.envs(pairs);
        self
    }

    /// Host, token and quick polling for the emulator (`run_env`).
    pub fn against(self, emu: &TestEmulator) -> Brickci {
        self.envs(run_env(emu))
    }

    pub fn dir(mut self, dir: &Path) -> Brickci {
        self.cmd.current_dir(dir);
        self
    }

    /// Runs to the end and returns what it printed.
    pub fn output(mut self) -> Output {
        self.cmd.output().expect("the brickci binary runs")
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
