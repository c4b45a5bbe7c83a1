//! The error a command ends with: a message, `help:` lines, and the exit code of its class.

use crate::auth::{AuthError, HostError};
use crate::databricks::ClientError;
use crate::exit::ExitCode;
use crate::run::WaitError;
use crate::run::notebook::NotebookError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{message}")]
    BadInput { message: String, help: Vec<String> },
    #[error(transparent)]
    Host(#[from] HostError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Notebook(#[from] NotebookError),
    #[error(transparent)]
    Wait(#[from] WaitError),
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
    #[error("{message}")]
    Forge { message: String, auth: bool },
    #[error(transparent)]
    Trigger(#[from] crate::trigger::TriggerError),
    #[error("{0}")]
    Io(String),
    /// An artifact build command failed.
    #[error("{0}")]
    Build(String),
    /// Applying a deploy plan stopped; what was done is in the deployment state.
    #[error("{message} ({done} changes were applied and recorded; the next deploy resumes)")]
    Deploy {
        message: String,
        done: usize,
        /// The failure was the workspace refusing our credentials.
        auth: bool,
    },
}

impl Error {
    pub fn bad_input(message: impl Into<String>) -> Self {
        Error::BadInput {
            message: message.into(),
            help: Vec::new(),
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::BadInput { .. } | Error::Host(_) | Error::Notebook(_) => ExitCode::BadInput,
            // A method name brickci does not know is a typo in the input, not a refusal.
            Error::Auth(AuthError::UnknownType(..)) => ExitCode::BadInput,
            Error::Auth(_) => ExitCode::Auth,
            Error::Client(e) if e.is_auth() => ExitCode::Auth,
            Error::Client(_) | Error::Io(_) => ExitCode::Api,
            Error::Build(_) => ExitCode::Failed,
            Error::Deploy { auth: true, .. } => ExitCode::Auth,
            Error::Deploy { .. } => ExitCode::Api,
            Error::Forge { auth: true, .. } => ExitCode::Auth,
            Error::Secret(e) if e.is_malformed() => ExitCode::BadInput,
            Error::Secret(_) => ExitCode::Auth,
            Error::Forge { auth: false, .. } => ExitCode::Api,
            Error::Trigger(e) => e.exit_code(),
            Error::Wait(WaitError::Api(e)) if e.is_auth() => ExitCode::Auth,
            Error::Wait(WaitError::Api(_)) => ExitCode::Api,
            Error::Wait(WaitError::Cancelled { signal, .. }) => signal.exit_code(),
            Error::Wait(WaitError::TimedOut { .. }) => ExitCode::Failed,
        }
    }

    /// What to check next, for the `help:` lines under the message.
    pub fn help(&self) -> Vec<String> {
        if let Some(auth) = self.auth_error() {
            return match auth {
                AuthError::Rejected { .. } => vec![
                    "check DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET: they must belong to a service principal of this workspace or its account".into(),
                ],
                _ => vec!["run `brickci auth check` to see which method is picked and why".into()],
            };
        }
        match self {
            Error::BadInput { help, .. } => help.clone(),
            Error::Trigger(e) => e.help(),
            Error::Client(e) | Error::Wait(WaitError::Api(e))
                if e.api().is_some_and(|a| a.is_denied()) =>
            {
                vec![
                    "the workspace accepted the credentials but they lack a permission (named above); grant it, or use an identity that has it".into(),
                ]
            }
            Error::Client(e) | Error::Wait(WaitError::Api(e)) if e.is_auth() => vec![
                "the workspace rejected the credentials: check that DATABRICKS_TOKEN (or the service principal) is valid, not expired, and meant for DATABRICKS_HOST".into(),
                "run `brickci auth check` to see the host, method and identity in use".into(),
            ],
            Error::Client(ClientError::Unreachable { .. }) => vec![
                "check DATABRICKS_HOST, DNS and any proxy or firewall between this runner and the workspace".into(),
            ],
            _ => Vec::new(),
        }
    }

    /// The credential failure underneath, wherever it surfaced.
    fn auth_error(&self) -> Option<&AuthError> {
        match self {
            Error::Auth(e)
            | Error::Client(ClientError::Auth(e))
            | Error::Wait(WaitError::Api(ClientError::Auth(e))) => Some(e),
            _ => None,
        }
    }
}
