//! moto's real server (PyPI `moto[server]` from the test venv) on a free port of 127.0.0.1,
//! recording every request it answers, seeded by one of tests/python's scripts. Stopped on
//! drop. Shared by the tests of the AWS paths.
#![allow(dead_code)] // not every test reads the recording

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{repo, venv_python};

pub struct Moto {
    child: Child,
    pub url: String,
    /// moto's recording of the requests (one JSON object per line).
    pub recording: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts moto and runs `tests/python/<seed>` with its URL and `seed_args`; None without
/// the test venv.
pub fn start(seed: &str, seed_args: &[&str]) -> Option<Moto> {
    let python = venv_python()?;
    let bin = python.parent().unwrap().join("moto_server");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("recording");
    let child = Command::new(bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("MOTO_ENABLE_RECORDING", "true")
        .env("MOTO_RECORDER_FILEPATH", &recording)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server starts");
    let moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
        recording,
        _dir: dir,
    };
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "moto_server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let seeded = Command::new(&python)
        .arg(repo().join("tests/python").join(seed))
        .arg(&moto.url)
        .args(seed_args)
        .output()
        .unwrap();
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    Some(moto)
}
