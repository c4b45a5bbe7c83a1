//! Process exit codes: one per failure class, so a pipeline can tell a failed test from a bad
//! token from a flaky API without parsing text.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Ok = 0,
    /// The run or a test failed.
    Failed = 1,
    /// Bad input: flags, variables, files. Nothing was written.
    BadInput = 2,
    /// Authentication or authorization failed.
    Auth = 3,
    /// The API kept failing after retries, or could not be reached.
    Api = 4,
    /// Interrupted by SIGINT.
    Interrupted = 130,
    /// Terminated by SIGTERM.
    Terminated = 143,
}

impl ExitCode {
    pub fn code(self) -> i32 {
        self as i32
    }
}

impl fmt::Display for ExitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}
