//! Several targets in one step: `plan`/`deploy -t a -t b` or `--targets 'prod-*'`. Each
//! target connects to its own workspace with its own credentials (see `credentials`), runs
//! the single-target command with its output kept apart, and ends as one section of a
//! combined report. At most `--parallel` targets run at once; a failure stops the others
//! only under `--fail-fast` (targets not yet started are skipped, running ones finish).

pub mod credentials;
mod drive;
pub mod select;

use std::cell::RefCell;

pub use drive::{Connection, drive};

use crate::cli::{BundleArgs, PlanArgs};
use crate::error::Error;
use crate::report::targets::PlanRecord;

/// The flags that pick and pace several targets (beside the repeatable `-t`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FanoutArgs {
    /// Every bundle target whose name matches this glob, e.g. 'prod-*' (repeatable; with
    /// -t, the union).
    #[arg(
        long = "targets",
        env = "BRICKCI_TARGETS",
        value_name = "GLOB",
        value_delimiter = '\n'
    )]
    pub targets: Vec<String>,
    /// With several targets: how many run at once.
    #[arg(long, env = "BRICKCI_PARALLEL", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: u16,
    /// With several targets: after a failure, start no further target (those running
    /// finish; the rest are reported as skipped).
    #[arg(long, env = "BRICKCI_FAIL_FAST")]
    pub fail_fast: bool,
}

impl BundleArgs {
    /// The one target named by `-t`, if any.
    pub fn single_target(&self) -> Option<&str> {
        self.target.first().map(String::as_str)
    }

    /// For commands that take one target: several are bad input.
    pub fn one_target(&self, command: &str) -> Result<(), Error> {
        if self.target.len() > 1 {
            return Err(Error::bad_input(format!(
                "{command} takes one target (-t NAME); several targets (-t a -t b, --targets) are for plan, deploy and run"
            )));
        }
        Ok(())
    }
}

impl FanoutArgs {
    /// Whether `targets` (the `-t` values) and these flags name several targets, or a glob:
    /// the fan-out applies.
    pub fn is_multi(&self, targets: &[String]) -> bool {
        targets.len() > 1 || !self.targets.is_empty()
    }
}

impl PlanArgs {
    /// Whether `plan` / `deploy` go over several targets.
    pub fn is_multi(&self) -> bool {
        self.fanout.is_multi(&self.bundle.target)
    }
}

tokio::task_local! {
    /// The last plan a target's command showed (read back for the combined report).
    static PLAN: RefCell<Option<PlanRecord>>;
}

/// Records the plan a command shows, when it runs as one of several targets.
pub fn record_plan(plan: &crate::deploy::plan::Plan) {
    let _ = PLAN.try_with(|p| *p.borrow_mut() = Some(PlanRecord::of(plan)));
}
