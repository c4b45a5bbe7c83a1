//! How a trigger fails, by class: the exit code and the `help:` lines follow from the variant,
//! whatever the target (GitHub, Azure DevOps, CodePipeline).

use crate::exit::ExitCode;

#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    /// Over a limit the target documents; refused before any request.
    #[error("over the limit ({limit}): {detail}")]
    OverLimit { limit: String, detail: String },
    /// No credential to trigger with: where to put one and what it must be allowed.
    #[error("no {target} token: set {set}; {action} needs {permission}")]
    NoToken {
        target: String,
        set: String,
        action: String,
        permission: String,
    },
    /// The target refused the credential, or it lacks a permission.
    #[error("{message}; the token needs {permission}")]
    Denied { message: String, permission: String },
    /// The workflow, pipeline or repository does not exist, or the identity cannot see it.
    #[error("{what} not found (or the token cannot see it): {message}")]
    NotFound { what: String, message: String },
    /// The target refused the request as invalid; nothing started.
    #[error("{message}")]
    Rejected { message: String, help: Vec<String> },
    /// The request failed, or its outcome is unknown after the lookups allowed.
    #[error("{message}")]
    Failed { message: String, help: Vec<String> },
}

impl TriggerError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            TriggerError::OverLimit { .. }
            | TriggerError::NotFound { .. }
            | TriggerError::Rejected { .. } => ExitCode::BadInput,
            TriggerError::NoToken { .. } | TriggerError::Denied { .. } => ExitCode::Auth,
            TriggerError::Failed { .. } => ExitCode::Api,
        }
    }

    pub fn help(&self) -> Vec<String> {
        match self {
            TriggerError::Rejected { help, .. } | TriggerError::Failed { help, .. } => help.clone(),
            _ => Vec::new(),
        }
    }
}
