//! `brickci trigger azure-devops`: queue an Azure Pipelines run (Runs - Run Pipeline,
//! api-version 7.1) with template parameters (and, opt-in, variables), then optionally follow
//! it to its end.

use serde_json::{Map, Value, json};

use super::{Observed, Started, WaitArgs};
use crate::azure_devops::pipelines::{Pipelines, Run};
use crate::azure_devops::{AdoAuth, AzureDevOpsError};
use crate::error::Error;
use crate::exit::ExitCode;
use crate::platform::Platform;

/// Azure DevOps' application id in Entra ID: a token for it is accepted by the REST API.
pub const ADO_SCOPE: &str = "499b84ac-1321-427f-aa17-267ca6975798/.default";

/// Tolerated difference between our clock and the service's when looking for a run that an
/// unanswered request may have queued.
const CLOCK_SKEW_SECS: u64 = 30;

#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["pipeline_id", "pipeline"])))]
pub struct AzureDevopsArgs {
    /// Organization URL, e.g. https://dev.azure.com/contoso (default: this build's
    /// SYSTEM_COLLECTIONURI).
    #[arg(long, env = "BRICKCI_ADO_ORG_URL")]
    pub org_url: Option<String>,
    /// Project of the pipeline (default: this build's SYSTEM_TEAMPROJECT).
    #[arg(long, env = "BRICKCI_ADO_PROJECT")]
    pub project: Option<String>,
    /// The pipeline's id (the definitionId in its URL).
    #[arg(long, env = "BRICKCI_ADO_PIPELINE_ID")]
    pub pipeline_id: Option<u64>,
    /// The pipeline's name (`\folder\name` when the name alone is not unique).
    #[arg(long, env = "BRICKCI_ADO_PIPELINE")]
    pub pipeline: Option<String>,
    /// Branch (or full ref) of the pipeline's repository to run (default: its default branch).
    #[arg(long, env = "BRICKCI_ADO_BRANCH")]
    pub branch: Option<String>,
    /// A runtime parameter the pipeline declares under `parameters:` (repeatable).
    #[arg(
        long = "template-parameter",
        value_name = "KEY=VALUE",
        env = "BRICKCI_ADO_TEMPLATE_PARAMETERS",
        value_delimiter = '\n'
    )]
    pub template_parameters: Vec<String>,
    /// A variable set at queue time (repeatable); the pipeline must mark it settable.
    #[arg(
        long = "variable",
        value_name = "KEY=VALUE",
        env = "BRICKCI_ADO_VARIABLES",
        value_delimiter = '\n'
    )]
    pub variables: Vec<String>,
    /// A personal access token, or a secret reference to one (env:, file:, aws-sm://,
    /// azure-kv://); default: SYSTEM_ACCESSTOKEN, then an Entra ID token from ARM_*.
    #[arg(long, env = "BRICKCI_ADO_TOKEN_REF")]
    pub token_ref: Option<String>,
    #[command(flatten)]
    pub wait: WaitArgs,
}

pub async fn run(platform: &Platform, args: &AzureDevopsArgs) -> Result<ExitCode, Error> {
    let env = platform.env();
    let parameters = super::pairs("--template-parameter", &args.template_parameters)?;
    let variables = super::pairs("--variable", &args.variables)?;
    let pick = |flag: &str, given: &Option<String>, var: &str| {
        given
            .clone()
            .or_else(|| env.get(var).map(str::to_string))
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| Error::bad_input(format!("{flag} is needed (or {var} from a build)")))
    };
    let org_url = pick("--org-url", &args.org_url, "SYSTEM_COLLECTIONURI")?;
    let project = pick("--project", &args.project, "SYSTEM_TEAMPROJECT")?;
    if let Some(name) = &args.pipeline
        && name.trim().is_empty()
    {
        return Err(Error::bad_input("--pipeline is empty"));
    }
    let body = run_body(args.branch.as_deref(), &parameters, &variables);
    let auth = token(platform, args.token_ref.as_deref()).await?;
    let http = crate::http::client(&Default::default()).map_err(|e| Error::Io(e.to_string()))?;
    let pipelines = Pipelines::new(http, &org_url, &project, auth);
    let (id, label) = match (args.pipeline_id, &args.pipeline) {
        (Some(id), _) => (id, format!("pipeline {id}")),
        (None, Some(name)) => {
            let id = find(&pipelines, name, &project).await?;
            (id, format!("pipeline {name:?} ({id})"))
        }
        (None, None) => return Err(Error::bad_input("--pipeline-id or --pipeline is needed")),
    };
    let run = queue(platform, &pipelines, id, &label, &project, &body).await?;
    let url = run
        .web_url
        .clone()
        .unwrap_or_else(|| pipelines.run_page(run.id));
    let what = format!("run {} of {label}", run.id);
    let started = Started {
        id: run.id.to_string(),
        url: Some(url),
    };
    super::announce(platform, &what, &started)?;
    if !args.wait.wait {
        return Ok(ExitCode::Ok);
    }
    // The queue answer is the first look; later ones ask Runs - Get.
    let first = std::cell::RefCell::new(Some(run));
    let (pipelines, run_id) = (&pipelines, started.id.clone());
    super::follow(platform, &started, &args.wait, || {
        let known = first.borrow_mut().take();
        let run_id = run_id.clone();
        async move {
            let run = match known {
                Some(run) => run,
                None => {
                    let n = run_id.parse().unwrap_or_default();
                    pipelines
                        .get_run(id, n)
                        .await
                        .map_err(|e| refused(e, &format!("run {run_id}"), ""))?
                }
            };
            Ok(observed(&run))
        }
    })
    .await
}

/// A run as the wait loop sees it: `completed (result)` once done; success is `succeeded`.
fn observed(run: &Run) -> Observed {
    match (&run.result, run.is_completed()) {
        (Some(r), true) => Observed {
            state: format!("completed ({r})"),
            end: Some((r.clone(), r == "succeeded")),
        },
        (None, true) => Observed {
            state: "completed".into(),
            end: Some(("unknown".into(), false)),
        },
        _ => Observed {
            state: run.state.clone(),
            end: None,
        },
    }
}

/// The Runs - Run Pipeline body: the branch as a full ref, parameters as strings, variables
/// as `{name: {value}}`.
pub fn run_body(
    branch: Option<&str>,
    parameters: &[(String, String)],
    variables: &[(String, String)],
) -> Value {
    let mut body = Map::new();
    if let Some(b) = branch {
        let ref_name = if b.starts_with("refs/") {
            b.to_string()
        } else {
            format!("refs/heads/{b}")
        };
        body.insert(
            "resources".into(),
            json!({ "repositories": { "self": { "refName": ref_name } } }),
        );
    }
    if !parameters.is_empty() {
        let p: Map<String, Value> = parameters
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        body.insert("templateParameters".into(), Value::Object(p));
    }
    if !variables.is_empty() {
        let v: Map<String, Value> = variables
            .iter()
            .map(|(k, v)| (k.clone(), json!({ "value": v })))
            .collect();
        body.insert("variables".into(), Value::Object(v));
    }
    Value::Object(body)
}

/// The token: --token-ref, else SYSTEM_ACCESSTOKEN, else an Entra ID token from ARM_*.
async fn token(platform: &Platform, token_ref: Option<&str>) -> Result<AdoAuth, Error> {
    let env = platform.env();
    if let Some(reference) = token_ref {
        let secret = crate::secrets::resolve("--token-ref", reference, env.map()).await?;
        platform.mask(secret.expose());
        // A reference may hold an Entra ID token (a JWT) rather than a PAT.
        return Ok(if secret.expose().starts_with("eyJ") {
            AdoAuth::Bearer(secret)
        } else {
            AdoAuth::Pat(secret)
        });
    }
    if let Some(value) = env.get("SYSTEM_ACCESSTOKEN").filter(|v| !v.is_empty()) {
        let secret = crate::secrets::resolve("SYSTEM_ACCESSTOKEN", value, env.map()).await?;
        platform.mask(secret.expose());
        return Ok(AdoAuth::Bearer(secret));
    }
    let cfg = crate::auth::AuthConfig::from_env(env.iter());
    let get = |k: &str| env.get(k).filter(|v| !v.is_empty());
    let azure = crate::auth::azure_env(&cfg, &get);
    let credential = match crate::auth::azure::first_token_credential(&azure) {
        Ok(c) => c,
        Err(crate::auth::AuthError::NoCredentials(_)) => {
            return Err(Error::Forge {
                auth: true,
                message: "no Azure DevOps token: set SYSTEM_ACCESSTOKEN (map it in the step: env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)), pass --token-ref with a personal access token (scope Build: Read & execute), or set ARM_* for an Entra ID token; the identity needs \"Queue builds\" on the pipeline".into(),
            });
        }
        Err(e) => return Err(e.into()),
    };
    let token = credential
        .get_token(&[ADO_SCOPE], None)
        .await
        .map_err(|e| Error::Forge {
            auth: true,
            message: format!(
                "an Entra ID token for Azure DevOps could not be had: {}",
                crate::databricks::error_chain(&e)
            ),
        })?;
    let secret = crate::auth::Secret::new(token.token.secret());
    platform.mask(secret.expose());
    Ok(AdoAuth::Bearer(secret))
}

/// The id of the pipeline named `name` (or `\folder\name`); unknown or ambiguous is bad input.
async fn find(pipelines: &Pipelines, name: &str, project: &str) -> Result<u64, Error> {
    let all = pipelines
        .list()
        .await
        .map_err(|e| refused(e, &format!("pipeline {name:?}"), project))?;
    let wanted = name.replace('/', "\\");
    let path = |p: &crate::azure_devops::pipelines::Pipeline| {
        format!("{}\\{}", p.folder.trim_end_matches('\\'), p.name)
    };
    let matches: Vec<_> = all
        .iter()
        .filter(|p| {
            if wanted.contains('\\') {
                path(p).trim_start_matches('\\') == wanted.trim_start_matches('\\')
            } else {
                p.name == wanted
            }
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok(one.id),
        [] => Err(Error::bad_input(format!(
            "--pipeline: no pipeline named {name:?} in project {project} ({} pipelines there)",
            all.len()
        ))),
        many => Err(Error::bad_input(format!(
            "--pipeline: {} pipelines are named {name:?} in project {project} ({}); give --pipeline-id or the \\folder\\name",
            many.len(),
            many.iter()
                .map(|p| format!("{} = {}", path(p), p.id))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Queues the run once. A request without a clear answer (no response, 5xx) may still have
/// queued it, and the API has no idempotency key: look for a run created since, and only
/// when there is none, send once more.
async fn queue(
    platform: &Platform,
    pipelines: &Pipelines,
    id: u64,
    label: &str,
    project: &str,
    body: &Value,
) -> Result<Run, Error> {
    let since = crate::util::rfc3339(now_secs().saturating_sub(CLOCK_SKEW_SECS));
    let mut last = None;
    for attempt in 1..=2 {
        match pipelines.run(id, body).await {
            Ok(run) => return Ok(run),
            Err(e) if ambiguous(&e) => {
                platform.warn(&format!(
                    "queueing {label} got no clear answer ({e}); looking for a run it may have started"
                ));
                let runs = pipelines
                    .runs(id)
                    .await
                    .map_err(|e| refused(e, label, project))?;
                // Same-width UTC timestamps compare as text.
                if let Some(run) = runs
                    .into_iter()
                    .filter(|r| r.created.get(..19).unwrap_or_default() >= &since[..19])
                    .min_by_key(|r| r.id)
                {
                    platform.info(&format!("run {} was queued after all", run.id));
                    return Ok(run);
                }
                if attempt == 2 {
                    last = Some(e);
                }
            }
            Err(e) => return Err(refused(e, label, project)),
        }
    }
    let e = last.map(|e| e.to_string()).unwrap_or_default();
    Err(Error::Forge {
        auth: false,
        message: format!(
            "{label} could not be queued (twice no clear answer, and no new run): {e}"
        ),
    })
}

fn ambiguous(e: &AzureDevOpsError) -> bool {
    e.status().is_none_or(|s| s >= 500)
}

/// The service's refusal, with what to change.
pub fn refused(e: AzureDevOpsError, label: &str, project: &str) -> Error {
    let message = e.to_string();
    match e.status() {
        Some(401) => Error::Forge {
            auth: true,
            message: format!(
                "{message} (the token was not accepted: expired, revoked, or for another organization)"
            ),
        },
        Some(403) => Error::Forge {
            auth: true,
            message: format!(
                "{message} (the identity needs \"Queue builds\" on {label}: for SYSTEM_ACCESSTOKEN that is the \"{project} Build Service\" or \"Project Collection Build Service\" identity, set under the pipeline's Manage security; a pipeline in another project is out of reach while \"Limit job authorization scope to current project\" is on in the calling project's Settings > Pipelines)"
            ),
        },
        Some(404) => Error::bad_input(format!("{label} was not found in project {project}: {message}")),
        Some(400) if message.to_lowercase().contains("settable at queue time") => Error::BadInput {
            message: format!("Azure DevOps refused a variable: {message}"),
            help: vec![
                "a variable set at queue time must be defined on the pipeline with \"Let users override this value when running this pipeline\" (Edit > Variables); a variable written in the YAML cannot be".into(),
                "or declare a runtime parameter in the YAML (`parameters:`) and pass it with --template-parameter, the default way in".into(),
            ],
        },
        Some(400) => Error::bad_input(format!("Azure DevOps refused to queue {label}: {message}")),
        _ => Error::Forge {
            auth: false,
            message,
        },
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_names_the_ref_parameters_and_variables() {
        let p = vec![("model_version".to_string(), "7".to_string())];
        let v = vec![("stage".to_string(), "prod".to_string())];
        let b = run_body(Some("main"), &p, &v);
        assert_eq!(
            b["resources"]["repositories"]["self"]["refName"],
            "refs/heads/main"
        );
        assert_eq!(b["templateParameters"]["model_version"], "7");
        assert_eq!(b["variables"]["stage"]["value"], "prod");
        let b = run_body(Some("refs/tags/v1"), &[], &[]);
        assert_eq!(
            b["resources"]["repositories"]["self"]["refName"],
            "refs/tags/v1"
        );
        assert!(b.get("variables").is_none() && b.get("templateParameters").is_none());
    }

    #[test]
    fn only_unanswered_or_server_failures_are_ambiguous() {
        let http = |status| AzureDevOpsError::Http {
            call: "POST x".into(),
            status,
            message: String::new(),
        };
        assert!(ambiguous(&http(503)));
        assert!(ambiguous(&AzureDevOpsError::Transport {
            call: "POST x".into(),
            message: "reset".into()
        }));
        assert!(!ambiguous(&http(400)));
        assert!(!ambiguous(&http(403)));
    }
}
