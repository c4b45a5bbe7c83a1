//! The Databricks REST API: one client with retries and typed calls per service.

mod client;
mod error;
pub mod jobs;
pub mod mlflow;
pub mod models;
pub mod pipelines;
mod retry;
pub mod scim;
pub mod throttle;
pub mod workspace;

pub use client::{ApiRequest, Body, Client, ClientError, RawResponse, error_chain};
pub use error::{ApiError, CallContext};
pub use retry::{RetryPolicy, is_retryable_status};
