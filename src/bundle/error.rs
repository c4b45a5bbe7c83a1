//! Configuration errors: each names its place (`file:line:column`) and key path, and all of
//! them are gathered before anything is reported, so one run shows every mistake.

use std::fmt;

use super::yaml::Loc;

#[derive(Debug, Clone)]
pub struct ConfigError {
    pub loc: Loc,
    /// Dotted key path (`resources.jobs.train.tasks[0].notebook_task.notebook_path`).
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.loc.line == 0 {
            write!(f, "{}: ", self.loc.file.display())?;
        } else {
            write!(f, "{}: ", self.loc)?;
        }
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

/// Every configuration error found, in the order found.
#[derive(Debug, Default)]
pub struct Diagnostics(pub Vec<ConfigError>);

impl Diagnostics {
    pub fn push(&mut self, loc: &Loc, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigError {
            loc: loc.clone(),
            key: key.into(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Err(self)` when anything was reported.
    pub fn check(self) -> Result<(), Diagnostics> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl From<ConfigError> for Diagnostics {
    fn from(e: ConfigError) -> Diagnostics {
        Diagnostics(vec![e])
    }
}
