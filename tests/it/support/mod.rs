//! Local stand-ins for the services brickci talks to besides Databricks.

pub mod azure_devops_standin;
pub mod github_standin;
pub mod moto;
pub mod runner_commands;
pub mod tls;
