//! CodePipeline: StartPipelineExecution with a client request token (a resent request starts
//! no second execution) and GetPipelineExecution, for `brickci trigger codepipeline`.

use aws_sdk_codepipeline::Client;
use aws_sdk_codepipeline::error::ProvideErrorMetadata;
use aws_sdk_codepipeline::types::{PipelineVariable, SourceRevisionOverride, SourceRevisionType};

/// Why CodePipeline refused, sorted by what the user does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No such pipeline in this account and region.
    NotFound,
    /// The request itself (e.g. variables on a V1 pipeline).
    Invalid,
    /// Credentials missing, rejected or lacking the permission.
    Auth,
    /// Anything else: throttling past the SDK's retries, the service, the network.
    Other,
}

#[derive(Debug, thiserror::Error)]
#[error("CodePipeline {call} on {pipeline} failed: {message}")]
pub struct CodePipelineError {
    pub call: &'static str,
    pub pipeline: String,
    pub message: String,
    pub refusal: Refusal,
}

pub struct Start<'a> {
    pub pipeline: &'a str,
    pub variables: &'a [(String, String)],
    pub source_revisions: &'a [SourceRevision],
    /// Same token, same execution: the service starts nothing new for a resent request.
    pub client_request_token: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRevision {
    pub action_name: String,
    pub revision_type: String,
    pub revision_value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    /// Cancelled, InProgress, Stopped, Stopping, Succeeded, Superseded, Failed.
    pub status: String,
    pub summary: Option<String>,
}

impl Execution {
    pub fn is_final(&self) -> bool {
        !matches!(self.status.as_str(), "InProgress" | "Stopping")
    }
}

/// The client, made only when a trigger needs it (as CodeCommit's is).
pub async fn client(endpoint_url: Option<&str>) -> (Client, Option<String>) {
    let config = super::config(endpoint_url).await;
    let region = config.region().map(|r| r.to_string());
    (Client::new(&config), region)
}

pub async fn start(client: &Client, s: &Start<'_>) -> Result<String, CodePipelineError> {
    let mut req = client
        .start_pipeline_execution()
        .name(s.pipeline)
        .client_request_token(s.client_request_token);
    for (name, value) in s.variables {
        let v = PipelineVariable::builder()
            .name(name)
            .value(value)
            .build()
            .map_err(|e| local_error("StartPipelineExecution", s.pipeline, &e))?;
        req = req.variables(v);
    }
    for r in s.source_revisions {
        let o = SourceRevisionOverride::builder()
            .action_name(&r.action_name)
            .revision_type(SourceRevisionType::from(r.revision_type.as_str()))
            .revision_value(&r.revision_value)
            .build()
            .map_err(|e| local_error("StartPipelineExecution", s.pipeline, &e))?;
        req = req.source_revisions(o);
    }
    let out = req.send().await.map_err(|e| {
        let (code, message) = describe(&e);
        refusal("StartPipelineExecution", s.pipeline, code, message)
    })?;
    Ok(out.pipeline_execution_id().unwrap_or_default().to_string())
}

pub async fn get(
    client: &Client,
    pipeline: &str,
    execution_id: &str,
) -> Result<Execution, CodePipelineError> {
    let out = client
        .get_pipeline_execution()
        .pipeline_name(pipeline)
        .pipeline_execution_id(execution_id)
        .send()
        .await
        .map_err(|e| {
            let (code, message) = describe(&e);
            refusal("GetPipelineExecution", pipeline, code, message)
        })?;
    let e = out.pipeline_execution();
    Ok(Execution {
        status: e
            .and_then(|e| e.status())
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "Unknown".into()),
        summary: e.and_then(|e| e.status_summary()).map(str::to_string),
    })
}

fn describe<E: ProvideErrorMetadata + std::error::Error + 'static>(
    e: &aws_sdk_codepipeline::error::SdkError<E>,
) -> (Option<String>, String) {
    let code = e.meta().code().map(str::to_string);
    let message = e
        .meta()
        .message()
        .map(str::to_string)
        .unwrap_or_else(|| crate::databricks::error_chain(e));
    (code, message)
}

fn refusal(
    call: &'static str,
    pipeline: &str,
    code: Option<String>,
    message: String,
) -> CodePipelineError {
    let kind = match code.as_deref() {
        Some("PipelineNotFoundException") | Some("PipelineExecutionNotFoundException") => {
            Refusal::NotFound
        }
        Some("ValidationException") | Some("InvalidRequestException") => Refusal::Invalid,
        Some(
            "AccessDeniedException"
            | "UnrecognizedClientException"
            | "ExpiredTokenException"
            | "InvalidClientTokenId"
            | "InvalidSignatureException",
        ) => Refusal::Auth,
        // No code: the request was never answered; missing credentials end here too.
        None if message.to_lowercase().contains("credentials") => Refusal::Auth,
        _ => Refusal::Other,
    };
    CodePipelineError {
        call,
        pipeline: pipeline.to_string(),
        message: match code {
            Some(c) => format!("{c}: {message}"),
            None => message,
        },
        refusal: kind,
    }
}

fn local_error(call: &'static str, pipeline: &str, e: &dyn std::error::Error) -> CodePipelineError {
    CodePipelineError {
        call,
        pipeline: pipeline.to_string(),
        message: e.to_string(),
        refusal: Refusal::Invalid,
    }
}
