//! A platform for one of several targets handled at once: it prints into a buffer that is
//! shown whole when the target is done, so two targets' lines never interleave.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use super::Platform;

/// What a detached platform printed, lines already made safe for the runner, and the step
/// outputs and summary it wrote (redacted).
#[derive(Clone, Default)]
pub struct SharedBuffer(
    Arc<Mutex<Vec<u8>>>,
    Arc<Mutex<BTreeMap<String, String>>>,
    Arc<Mutex<String>>,
);

impl SharedBuffer {
    pub(super) fn keep_output(&self, name: &str, value: &str) {
        self.1
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), value.to_string());
    }

    pub(super) fn keep_summary(&self, markdown: &str) {
        self.2
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_str(&format!("{}\n", markdown.trim_end_matches('\n')));
    }

    /// The step summary written so far (empty: none).
    pub fn summary(&self) -> String {
        self.2.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The outputs set so far, by name.
    pub fn outputs(&self) -> BTreeMap<String, String> {
        self.1.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The lines written so far, emptying the buffer.
    pub fn take_lines(&self) -> Vec<String> {
        let bytes = std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()));
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Platform {
    /// Same environment, runner and secrets; everything printed goes to `buffer`, and so do
    /// step outputs (one target's values would overwrite another's: the combined report
    /// carries them), and the step summary (a section of the combined one).
    pub fn detached(&self, buffer: SharedBuffer) -> Platform {
        let mut child = Platform::with_writer(self.env.clone(), Box::new(buffer.clone()));
        child.secrets = self.secrets.clone();
        // One list of started runs for the post step, whichever target started them.
        child.open_runs = self.open_runs.clone();
        child.open_updates = self.open_updates.clone();
        child.hand_over = self.hand_over.clone();
        child.detached = Some(buffer);
        child
    }

    /// Prints lines a detached platform wrote (already safe for this runner) as one block:
    /// on stderr when `aside` (stdout holds a document), else on stdout.
    pub fn replay(&self, lines: &[String], aside: bool) {
        if aside {
            self.diagnostic_lines(lines);
        } else {
            self.raw_lines(lines);
        }
    }

    /// As [`Self::replay`], inside a log group titled `title` where the runner has groups.
    pub fn replay_group(&self, title: &str, lines: &[String], aside: bool) {
        let title = super::untrusted::strip_ansi(&self.redact(title));
        self.replay(&self.runner.group_start(&title), aside);
        self.replay(lines, aside);
        self.replay(&self.runner.group_end(), aside);
    }
}
