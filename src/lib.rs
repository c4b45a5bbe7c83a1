//! brickci: the Databricks part of a CI/CD pipeline.

pub mod auth;
pub mod databricks;
pub mod exit;
pub mod http;
