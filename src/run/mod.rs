//! Running things on Databricks: submit, wait, cancel, and the outcome.

pub mod job;
pub mod notebook;
pub mod outcome;
pub mod pipeline;
pub mod restart;
pub mod start;
pub mod wait;

pub use notebook::{Compute, NotebookRunRequest, NotebookSource};
pub use outcome::{Outcome, TaskOutcome, collect_outcome};
pub use wait::{WaitError, WaitEvent, WaitOptions, wait_for_run};
