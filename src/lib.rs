//! brickci: the Databricks part of a CI/CD pipeline.

pub mod auth;
pub mod aws;
pub mod azure_devops;
pub mod bundle;
pub mod cli;
pub mod commands;
pub mod databricks;
pub mod deploy;
pub mod emulator;
pub mod error;
pub mod exit;
pub mod fanout;
pub mod github;
pub mod http;
pub mod platform;
pub mod pr_env;
pub mod publish;
pub mod report;
pub mod run;
pub mod secrets;
pub mod signal;
pub mod testing;
pub mod trigger;
pub mod util;
