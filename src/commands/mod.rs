//! One file per subcommand: turn flags into library calls and speak through the platform.

pub mod auth_check;
pub mod connect;
pub mod demo;
pub mod run_notebook;
