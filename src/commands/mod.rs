//! One file per subcommand: turn flags into library calls and speak through the platform.

pub mod auth_check;
pub mod bundle_load;
pub mod cancel;
pub mod connect;
pub mod demo;
pub mod deploy;
pub mod destroy;
pub mod gc;
pub mod multi;
pub mod report;
pub mod run;
pub mod run_notebook;
pub mod run_pipeline;
pub mod test;
pub mod values;
pub mod watch;
