//! A platform for one of several targets handled at once: it prints into a buffer that is
//! shown whole when the target is done, so two targets' lines never interleave.

use std::io::Write;
use std::sync::{Arc, Mutex};

use super::Platform;

/// What a detached platform printed, lines already made safe for the runner.
#[derive(Clone, Default)]
pub struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
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
    /// Same environment, runner and secrets; everything printed goes to `buffer`. Step
    /// outputs and the summary are left to the combined report (one target's values would
    /// overwrite another's).
    pub fn detached(&self, buffer: SharedBuffer) -> Platform {
        let mut child = Platform::with_writer(self.env.clone(), Box::new(buffer));
        child.secrets = self.secrets.clone();
        child.detached = true;
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
