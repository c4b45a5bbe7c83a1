//! Downstream triggers: start a pipeline elsewhere and, with `--wait`, follow it to its end.

pub mod azure_devops;
pub mod codepipeline;
pub mod follow;
