//! `brickci trigger codepipeline`: StartPipelineExecution with a client request token derived
//! from the CI attempt and the request (a retried trigger starts no second execution), then
//! optionally GetPipelineExecution until the execution ends.

use super::{Observed, Started, WaitArgs};
use crate::aws::codepipeline::{self as cp, CodePipelineError, Refusal, SourceRevision, Start};
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::Platform;

/// Limits of StartPipelineExecution (AWS CodePipeline API reference), checked before any request.
const NAME_MAX: usize = 100;
const VARIABLES_MAX: usize = 50;
const VARIABLE_NAME_MAX: usize = 128;
const VARIABLE_VALUE_MAX: usize = 1000;
const REVISIONS_MAX: usize = 50;
const ACTION_NAME_MAX: usize = 100;
const REVISION_VALUE_MAX: usize = 1500;
const REVISION_TYPES: [&str; 4] = [
    "COMMIT_ID",
    "IMAGE_DIGEST",
    "S3_OBJECT_VERSION_ID",
    "S3_OBJECT_KEY",
];

#[derive(Debug, Clone, clap::Args)]
pub struct CodepipelineArgs {
    /// The pipeline's name.
    #[arg(long, env = "BRICKCI_CODEPIPELINE_NAME")]
    pub name: String,
    /// A pipeline-level variable (repeatable; needs a V2 pipeline that declares it).
    #[arg(
        long = "variable",
        value_name = "KEY=VALUE",
        env = "BRICKCI_CODEPIPELINE_VARIABLES",
        value_delimiter = '\n'
    )]
    pub variables: Vec<String>,
    /// Run a source action at a given revision (repeatable):
    /// actionName=Source,revisionType=COMMIT_ID,revisionValue=<sha>.
    #[arg(
        long = "source-revision",
        value_name = "actionName=...,revisionType=...,revisionValue=...",
        env = "BRICKCI_CODEPIPELINE_SOURCE_REVISIONS",
        value_delimiter = '\n'
    )]
    pub source_revisions: Vec<String>,
    #[command(flatten)]
    pub wait: WaitArgs,
}

pub async fn run(platform: &Platform, args: &CodepipelineArgs) -> Result<ExitCode, Error> {
    check_name("--name", &args.name, NAME_MAX, true)?;
    let variables = super::pairs("--variable", &args.variables)?;
    check_variables(&variables)?;
    let revisions = args
        .source_revisions
        .iter()
        .map(|r| source_revision(r))
        .collect::<Result<Vec<_>, _>>()?;
    if revisions.len() > REVISIONS_MAX {
        return Err(Error::bad_input(format!(
            "--source-revision: {} given, CodePipeline takes at most {REVISIONS_MAX}",
            revisions.len()
        )));
    }
    let token = request_token(platform, &args.name, &variables, &revisions);
    let (client, region) = cp::client(platform.env().get("BRICKCI_AWS_ENDPOINT_URL")).await;
    let start = Start {
        pipeline: &args.name,
        variables: &variables,
        source_revisions: &revisions,
        client_request_token: &token,
    };
    let id = cp::start(&client, &start)
        .await
        .map_err(|e| refused(e, !variables.is_empty()))?;
    let url = console_url(region.as_deref(), &args.name, &id);
    let what = format!("execution {id} of {}", args.name);
    let started = Started {
        id: id.clone(),
        url: Some(url),
    };
    super::announce(platform, &what, &started)?;
    if !args.wait.wait {
        return Ok(ExitCode::Ok);
    }
    let (client, name, id) = (&client, &args.name, &id);
    super::follow(platform, &started, &args.wait, || async move {
        let execution = cp::get(client, name, id)
            .await
            .map_err(|e| refused(e, false))?;
        let summary = execution
            .summary
            .as_deref()
            .map(|s| format!(": {s}"))
            .unwrap_or_default();
        Ok(Observed {
            state: format!("{}{summary}", execution.status),
            end: execution
                .is_final()
                .then(|| (execution.status.clone(), execution.status == "Succeeded")),
        })
    })
    .await
}

/// The client request token: the CI attempt (or, off CI, nothing stable: a fresh one) and
/// the request, so the same trigger resent within one attempt never starts two executions.
pub fn request_token(
    platform: &Platform,
    name: &str,
    variables: &[(String, String)],
    revisions: &[SourceRevision],
) -> String {
    let seed = platform
        .idempotency_seed()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let mut parts = vec!["codepipeline".to_string(), name.to_string()];
    let mut vars: Vec<String> = variables.iter().map(|(k, v)| format!("{k}={v}")).collect();
    vars.sort();
    parts.extend(vars);
    parts.extend(
        revisions
            .iter()
            .map(|r| format!("{}|{}|{}", r.action_name, r.revision_type, r.revision_value)),
    );
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    crate::util::idempotency_token(&seed, &refs)
}

/// `[A-Za-z0-9.@\-_]+` (pipeline and action names; variable names have no dot).
fn check_name(flag: &str, value: &str, max: usize, dot: bool) -> Result<(), Error> {
    let len = value.chars().count();
    if len == 0 || len > max {
        return Err(Error::bad_input(format!(
            "{flag}: {value:?} is {len} characters; CodePipeline takes 1 to {max}"
        )));
    }
    if let Some(c) = value.chars().find(|c| {
        !(c.is_ascii_alphanumeric() || matches!(c, '@' | '-' | '_') || (dot && *c == '.'))
    }) {
        let allowed = if dot {
            "A-Z a-z 0-9 . @ - _"
        } else {
            "A-Z a-z 0-9 @ - _"
        };
        return Err(Error::bad_input(format!(
            "{flag}: {value:?} has {c:?}; CodePipeline allows only {allowed}"
        )));
    }
    Ok(())
}

fn check_variables(variables: &[(String, String)]) -> Result<(), Error> {
    if variables.len() > VARIABLES_MAX {
        return Err(Error::bad_input(format!(
            "--variable: {} given, CodePipeline takes at most {VARIABLES_MAX} per execution",
            variables.len()
        )));
    }
    for (k, v) in variables {
        check_name(&format!("--variable {k}"), k, VARIABLE_NAME_MAX, false)?;
        let len = v.chars().count();
        if len == 0 || len > VARIABLE_VALUE_MAX {
            return Err(Error::bad_input(format!(
                "--variable {k}: the value is {len} characters; CodePipeline takes 1 to {VARIABLE_VALUE_MAX}"
            )));
        }
    }
    Ok(())
}

/// `actionName=A,revisionType=T,revisionValue=V` (the AWS CLI's shorthand).
fn source_revision(raw: &str) -> Result<SourceRevision, Error> {
    let bad = |why: String| Error::bad_input(format!("--source-revision {raw:?}: {why}"));
    let (mut action, mut kind, mut value) = (None, None, None);
    // The value comes last and may itself hold commas (an S3 key).
    let mut rest = raw;
    while !rest.is_empty() {
        let (k, tail) = rest.split_once('=').ok_or_else(|| {
            bad("expected actionName=...,revisionType=...,revisionValue=...".into())
        })?;
        let (v, next) = if k.trim() == "revisionValue" {
            (tail, "")
        } else {
            tail.split_once(',').unwrap_or((tail, ""))
        };
        match k.trim() {
            "actionName" => action = Some(v.to_string()),
            "revisionType" => kind = Some(v.to_string()),
            "revisionValue" => value = Some(v.to_string()),
            other => return Err(bad(format!("unknown key {other:?}"))),
        }
        rest = next;
    }
    let (Some(action), Some(kind), Some(value)) = (action, kind, value) else {
        return Err(bad(
            "actionName, revisionType and revisionValue are all needed".into(),
        ));
    };
    check_name(
        "--source-revision actionName",
        &action,
        ACTION_NAME_MAX,
        true,
    )?;
    if !REVISION_TYPES.contains(&kind.as_str()) {
        return Err(bad(format!(
            "revisionType must be one of {}",
            REVISION_TYPES.join(", ")
        )));
    }
    let len = value.chars().count();
    if len == 0 || len > REVISION_VALUE_MAX {
        return Err(bad(format!(
            "revisionValue is {len} characters; CodePipeline takes 1 to {REVISION_VALUE_MAX}"
        )));
    }
    Ok(SourceRevision {
        action_name: action,
        revision_type: kind,
        revision_value: value,
    })
}

fn console_url(region: Option<&str>, name: &str, id: &str) -> String {
    let region = region.unwrap_or("us-east-1");
    format!(
        "https://{region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/{name}/executions/{id}/timeline?region={region}"
    )
}

/// CodePipeline's refusal, with what to change.
fn refused(e: CodePipelineError, had_variables: bool) -> Error {
    let message = e.to_string();
    match e.refusal {
        Refusal::NotFound => Error::bad_input(format!(
            "{message} (check --name, and the account and region in use: AWS_REGION, AWS_PROFILE)"
        )),
        Refusal::Invalid if had_variables => Error::BadInput {
            message,
            help: vec![
                "pipeline variables need a V2 pipeline (pipelineType: V2) that declares each variable at pipeline level; a V1 pipeline refuses them".into(),
            ],
        },
        Refusal::Invalid => Error::bad_input(message),
        Refusal::Auth => Error::Forge {
            auth: true,
            message: format!(
                "{message} (credentials come from the AWS default chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE, or the CodeBuild role; it needs codepipeline:StartPipelineExecution and codepipeline:GetPipelineExecution on the pipeline)"
            ),
        },
        Refusal::Other => Error::Forge {
            auth: false,
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_revisions_in_the_cli_shorthand() {
        let r =
            source_revision("actionName=Source,revisionType=S3_OBJECT_KEY,revisionValue=a,b.zip")
                .unwrap();
        assert_eq!(r.action_name, "Source");
        assert_eq!(r.revision_value, "a,b.zip");
        assert!(source_revision("actionName=Source,revisionType=BRANCH,revisionValue=x").is_err());
        assert!(source_revision("actionName=Source").is_err());
    }

    #[test]
    fn a_refused_variable_names_the_v2_pipeline() {
        let e = CodePipelineError {
            call: "StartPipelineExecution",
            pipeline: "p".into(),
            message: "ValidationException: variables are not supported".into(),
            refusal: Refusal::Invalid,
        };
        let err = refused(e, true);
        assert_eq!(err.exit_code(), ExitCode::BadInput);
        assert!(
            err.help().iter().any(|h| h.contains("V2 pipeline")),
            "{:?}",
            err.help()
        );
        let e = CodePipelineError {
            call: "StartPipelineExecution",
            pipeline: "p".into(),
            message: "AccessDeniedException: no".into(),
            refusal: Refusal::Auth,
        };
        let err = refused(e, false);
        assert_eq!(err.exit_code(), ExitCode::Auth);
        assert!(
            err.to_string()
                .contains("codepipeline:StartPipelineExecution")
        );
    }

    #[test]
    fn limits_are_named() {
        let long = "x".repeat(101);
        let e = check_name("--name", &long, NAME_MAX, true).unwrap_err();
        assert!(e.to_string().contains("1 to 100"), "{e}");
        let e = check_variables(&[("a.b".into(), "v".into())]).unwrap_err();
        assert!(e.to_string().contains("--variable a.b"), "{e}");
        let many: Vec<(String, String)> = (0..51).map(|i| (format!("v{i}"), "x".into())).collect();
        assert!(
            check_variables(&many)
                .unwrap_err()
                .to_string()
                .contains("at most 50")
        );
        let big = vec![("v".to_string(), "x".repeat(1001))];
        assert!(
            check_variables(&big)
                .unwrap_err()
                .to_string()
                .contains("1 to 1000")
        );
    }
}
