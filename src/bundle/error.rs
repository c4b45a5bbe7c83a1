//! Configuration diagnostics: each names its place (`file:line:column`) and key path, and all
//! of them are gathered before anything is reported, so one run shows every mistake.
//! An error stops the command; a warning is what the Databricks CLI only warns about
//! (unknown keys, deprecated settings): it is shown, and fails the run only under `--strict`.

use std::fmt;

use super::yaml::Loc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
    /// What only the API refuses when it is sent (a task without `task_key`, an unknown
    /// enum value): the CLI's validate passes it, so validate warns; plan and deploy refuse
    /// it before any request.
    DeployError,
}

#[derive(Debug, Clone)]
pub struct ConfigError {
    pub loc: Loc,
    /// Dotted key path (`resources.jobs.train.tasks[0].notebook_task.notebook_path`).
    pub key: String,
    pub message: String,
    pub severity: Severity,
}

impl ConfigError {
    pub fn is_warning(&self) -> bool {
        self.severity != Severity::Error
    }

    /// `key: message` (the text after the place).
    pub fn text(&self) -> String {
        if self.key.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.key, self.message)
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.loc.line == 0 {
            write!(f, "{}: ", self.loc.file.display())?;
        } else {
            write!(f, "{}: ", self.loc)?;
        }
        f.write_str(&self.text())
    }
}

/// Every diagnostic found, errors and warnings, in the order found.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(pub Vec<ConfigError>);

impl Diagnostics {
    /// Reports an error.
    pub fn push(&mut self, loc: &Loc, key: impl Into<String>, message: impl Into<String>) {
        self.add(Severity::Error, loc, key, message);
    }

    /// Reports a warning: shown, but the run goes on (unless `--strict`).
    pub fn warn(&mut self, loc: &Loc, key: impl Into<String>, message: impl Into<String>) {
        self.add(Severity::Warning, loc, key, message);
    }

    /// Reports what the API would refuse at deploy: a warning at validate, an error at
    /// plan and deploy (see [`Diagnostics::for_deploy`]).
    pub fn deploy_error(&mut self, loc: &Loc, key: impl Into<String>, message: impl Into<String>) {
        self.add(Severity::DeployError, loc, key, message);
    }

    fn add(
        &mut self,
        severity: Severity,
        loc: &Loc,
        key: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.0.push(ConfigError {
            loc: loc.clone(),
            key: key.into(),
            message: message.into(),
            severity,
        });
    }

    pub fn errors(&self) -> impl Iterator<Item = &ConfigError> {
        self.0.iter().filter(|e| !e.is_warning())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &ConfigError> {
        self.0.iter().filter(|e| e.is_warning())
    }

    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// Nothing at all reported, not even a warning.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds everything `other` reported.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// `Err` with everything reported so far (errors and warnings) when anything is an
    /// error; otherwise `Ok` and the warnings stay here, to be passed on.
    pub fn check(&mut self) -> Result<(), Diagnostics> {
        if self.has_errors() {
            Err(std::mem::take(self))
        } else {
            Ok(())
        }
    }

    /// `r`, with what is reported here put in front of its error, so a later step's failure
    /// still shows the earlier warnings.
    pub fn absorb<T>(&mut self, r: Result<T, Diagnostics>) -> Result<T, Diagnostics> {
        r.map_err(|later| {
            let mut all = std::mem::take(self);
            all.extend(later);
            all
        })
    }

    /// For plan and deploy: what the API would refuse becomes an error; `Err` when anything
    /// is one.
    pub fn for_deploy(mut self) -> Result<Diagnostics, Diagnostics> {
        let mut refused = false;
        for e in &mut self.0 {
            if e.severity == Severity::DeployError {
                e.severity = Severity::Error;
                refused = true;
            }
        }
        if refused || self.has_errors() {
            Err(self)
        } else {
            Ok(self)
        }
    }

    /// What a deploy would refuse ([`Severity::DeployError`]), as errors.
    pub fn deploy_refusals(&self) -> Diagnostics {
        let refused = self
            .0
            .iter()
            .filter(|e| e.severity == Severity::DeployError);
        Diagnostics(
            refused
                .map(|e| ConfigError {
                    severity: Severity::Error,
                    ..e.clone()
                })
                .collect(),
        )
    }

    /// Warnings become errors (`--strict`).
    pub fn strict(mut self) -> Diagnostics {
        for e in &mut self.0 {
            e.severity = Severity::Error;
        }
        self
    }
}

/// The errors, one a line, each `file:line:col: key: message` (warnings are reported
/// separately, see [`Diagnostics::warnings`]).
impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors().enumerate() {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u64) -> Loc {
        Loc {
            file: std::sync::Arc::new("databricks.yml".into()),
            line,
            column: 3,
        }
    }

    #[test]
    fn warnings_alone_pass_the_check_and_stay() {
        let mut d = Diagnostics::default();
        d.warn(&at(2), "foo", "unknown top-level key");
        assert!(d.check().is_ok());
        assert_eq!(d.warnings().count(), 1);
        assert!(!d.has_errors());
        assert_eq!(d.to_string(), "");
    }

    #[test]
    fn an_error_fails_the_check_with_the_warnings_and_shows_only_errors() {
        let mut d = Diagnostics::default();
        d.warn(&at(2), "foo", "unknown top-level key");
        d.push(&at(5), "bundle.name", "is required");
        let all = d.check().unwrap_err();
        assert!(d.is_empty());
        assert_eq!(all.warnings().count(), 1);
        assert_eq!(
            all.to_string(),
            "databricks.yml:5:3: bundle.name: is required"
        );
    }

    #[test]
    fn deploy_errors_warn_at_validate_and_fail_plan_and_deploy() {
        let mut d = Diagnostics::default();
        d.deploy_error(&at(4), "resources.jobs.j.tasks[0].task_key", "is required");
        assert!(!d.has_errors());
        assert_eq!(d.warnings().count(), 1);
        let refused = d.for_deploy().unwrap_err();
        assert_eq!(
            refused.to_string(),
            "databricks.yml:4:3: resources.jobs.j.tasks[0].task_key: is required"
        );
        let mut w = Diagnostics::default();
        w.warn(&at(2), "x", "unknown");
        assert!(w.for_deploy().is_ok());
    }

    #[test]
    fn strict_makes_warnings_errors() {
        let mut d = Diagnostics::default();
        d.warn(&at(2), "foo", "unknown top-level key");
        let mut s = d.strict();
        assert!(s.check().is_err());
    }
}
