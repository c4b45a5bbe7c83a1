//! `brickci trigger azure-devops` against a stand-in shaped after the Azure Pipelines REST
//! reference (Pipelines - List, Runs - Run Pipeline / List / Get, api-version 7.1).

use crate::support::azure_devops_standin as ado;
use crate::support::tls;

use std::sync::{Arc, Mutex};

use crate::common::*;
use ado::{Pipelines, QueueFault, SharedPipelines};
use serde_json::json;

const ADO_TOKEN: &str = "ado-access-token-secret-0042";
const ADO_PAT: &str = "ado-personal-access-token-secret-0077";
const SP_SECRET: &str = "azure-sp-secret-value-31";
const ENTRA_ADO_TOKEN: &str = "entra-token-for-azure-devops-93";

struct StandIn {
    _rt: tokio::runtime::Runtime,
    data: SharedPipelines,
    org: String,
}

fn stand_in(setup: impl FnOnce(&mut Pipelines)) -> StandIn {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut p = Pipelines::new(ADO_TOKEN, ADO_PAT);
    p.pipelines = vec![
        (3, "build".into(), "\\".into()),
        (5, "train".into(), "\\ml".into()),
        (9, "deploy-model".into(), "\\ml".into()),
    ];
    setup(&mut p);
    let data: SharedPipelines = Arc::new(Mutex::new(p));
    let app = ado::pipelines_router(data.clone());
    let addr = rt.block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        a
    });
    StandIn {
        _rt: rt,
        data,
        org: format!("http://{addr}/org"),
    }
}

fn trigger(s: &StandIn, extra: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        "trigger",
        "azure-devops",
        "--org-url",
        &s.org,
        "--project",
        "ml ops",
    ];
    args.extend(extra);
    let temp = dir.path().to_str().unwrap().to_string();
    let mut all = vec![
        ("TF_BUILD", "True"),
        ("AGENT_TEMPDIRECTORY", temp.as_str()),
        ("BRICKCI_TRIGGER_POLL_MIN", "0.05"),
        ("BRICKCI_TRIGGER_POLL_MAX", "0.1"),
    ];
    all.extend(env);
    brickci(&args, &all, dir.path())
}

fn methods(s: &StandIn) -> Vec<String> {
    let d = s.data.lock().unwrap();
    d.log
        .iter()
        .map(|(m, u, _)| format!("{m} {}", u.split('?').next().unwrap()))
        .collect()
}

#[test]
fn by_name_across_pages_queued_once_and_followed_to_success() {
    let s = stand_in(|p| p.page = 2);
    let out = trigger(
        &s,
        &[
            "--pipeline",
            "deploy-model",
            "--branch",
            "main",
            "--template-parameter",
            "model_version=7",
            "--wait",
        ],
        &[("SYSTEM_ACCESSTOKEN", ADO_TOKEN)],
    );
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    assert_no_secrets(&out, &[ADO_TOKEN]);
    assert!(all.contains("run 1000: inProgress"), "{all}");
    assert!(all.contains("run 1000: completed (succeeded)"), "{all}");
    assert!(
        all.contains("triggeredRunId;isOutput=true]1000"),
        "outputs set: {all}"
    );
    assert!(all.contains("_build/results?buildId=1000"), "{all}");
    assert!(
        all.contains("triggeredConclusion;isOutput=true]succeeded"),
        "{all}"
    );
    let d = s.data.lock().unwrap();
    let lists: Vec<&String> = d
        .log
        .iter()
        .filter(|(m, u, _)| m == "GET" && u.starts_with("/org/ml%20ops/_apis/pipelines?"))
        .map(|(_, u, _)| u)
        .collect();
    assert_eq!(lists.len(), 2, "two pages: {lists:?}");
    assert!(lists[1].contains("continuationToken=2"), "{lists:?}");
    let posts: Vec<_> = d.log.iter().filter(|(m, ..)| m == "POST").collect();
    assert_eq!(posts.len(), 1);
    assert!(
        posts[0]
            .1
            .starts_with("/org/ml%20ops/_apis/pipelines/9/runs?api-version=7.1")
    );
    assert_eq!(
        posts[0].2,
        json!({
            "resources": { "repositories": { "self": { "refName": "refs/heads/main" } } },
            "templateParameters": { "model_version": "7" }
        })
    );
}

#[test]
fn a_failed_run_exits_1_with_its_conclusion() {
    let s = stand_in(|p| {
        p.result = "failed".into();
        p.polls = 2;
    });
    let out = trigger(
        &s,
        &["--pipeline-id", "5", "--wait"],
        &[("SYSTEM_ACCESSTOKEN", ADO_TOKEN)],
    );
    let all = text(&out);
    assert_eq!(code(&out), 1, "{all}");
    assert!(all.contains("completed (failed)"), "{all}");
    assert!(
        all.contains("triggeredConclusion;isOutput=true]failed"),
        "{all}"
    );
    // Without --wait: no polling at all.
    let out = trigger(
        &s,
        &["--pipeline-id", "5"],
        &[("SYSTEM_ACCESSTOKEN", ADO_TOKEN)],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(!text(&out).contains("triggeredConclusion"));
}

#[test]
fn a_personal_access_token_by_reference_goes_by_basic_auth() {
    let s = stand_in(|_| {});
    let out = trigger(
        &s,
        &["--pipeline-id", "3", "--token-ref", "env:MY_ADO_PAT"],
        &[("MY_ADO_PAT", ADO_PAT)],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_no_secrets(&out, &[ADO_PAT]);
    assert_eq!(methods(&s), ["POST /org/ml%20ops/_apis/pipelines/3/runs"]);
}

#[test]
fn forbidden_names_queue_builds_and_the_job_authorization_scope() {
    let s = stand_in(|p| p.fault = QueueFault::Forbidden);
    let out = trigger(
        &s,
        &["--pipeline-id", "9"],
        &[("SYSTEM_ACCESSTOKEN", ADO_TOKEN)],
    );
    let all = text(&out);
    assert_eq!(code(&out), 3, "{all}");
    assert!(all.contains("TF215106"), "the service's words: {all}");
    assert!(all.contains("\"Queue builds\""), "{all}");
    assert!(
        all.contains("Limit job authorization scope to current project"),
        "{all}"
    );
    assert_no_secrets(&out, &[ADO_TOKEN]);
}

#[test]
fn a_variable_not_settable_at_queue_time_is_explained() {
    let s = stand_in(|p| p.settable = vec!["stage".into()]);
    let out = trigger(
        &s,
        &[
            "--pipeline-id",
            "9",
            "--variable",
            "stage=prod",
            "--variable",
            "secret_sauce=1",
        ],
        &[("SYSTEM_ACCESSTOKEN", ADO_TOKEN)],
    );
    let all = text(&out);
    assert_eq!(code(&out), 2, "{all}");
    assert!(
        all.contains("secret_sauce are not settable at queue time"),
        "{all}"
    );
    assert!(all.contains("Let users override this value"), "{all}");
    assert!(all.contains("--template-parameter"), "{all}");
    // A settable one goes through, as {name: {value}}.
    let out = trigger(
        &s,
        &["--pipeline-id", "9", "--variable", "stage=prod"],
        &[("SYSTEM_ACCESSTOKEN", ADO_TOKEN)],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let d = s.data.lock().unwrap();
    assert_eq!(
        d.log.last().unwrap().2,
        json!({ "variables": { "stage": { "value": "prod" } } })
    );
}

#[test]
fn a_lost_answer_finds_the_queued_run_instead_of_queueing_again() {
    let s = stand_in(|p| p.fault = QueueFault::LoseAnswer);
    let out = trigger(
        &s,
        &["--pipeline-id", "9", "--wait"],
        &[("SYSTEM_ACCESSTOKEN", ADO_TOKEN)],
    );
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    assert!(all.contains("run 1000 was queued after all"), "{all}");
    let d = s.data.lock().unwrap();
    assert_eq!(d.runs.len(), 1, "one run, never two");
    assert_eq!(
        d.log.iter().filter(|(m, ..)| m == "POST").count(),
        1,
        "{:?}",
        d.log
    );
}

#[test]
fn an_unanswered_request_that_queued_nothing_is_sent_once_more() {
    let s = stand_in(|p| p.fault = QueueFault::Unavailable);
    let out = trigger(
        &s,
        &["--pipeline-id", "9"],
        &[("SYSTEM_ACCESSTOKEN", ADO_TOKEN)],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        methods(&s),
        [
            "POST /org/ml%20ops/_apis/pipelines/9/runs",
            "GET /org/ml%20ops/_apis/pipelines/9/runs",
            "POST /org/ml%20ops/_apis/pipelines/9/runs",
        ],
        "looked before sending again"
    );
    assert_eq!(s.data.lock().unwrap().runs.len(), 1);
}

#[test]
fn a_run_past_the_wait_timeout_exits_1_and_is_left_running() {
    let s = stand_in(|p| p.polls = u32::MAX);
    let out = trigger(
        &s,
        &["--pipeline-id", "9", "--wait", "--wait-timeout", "1"],
        &[("SYSTEM_ACCESSTOKEN", ADO_TOKEN)],
    );
    let all = text(&out);
    assert_eq!(code(&out), 1, "{all}");
    assert!(
        all.contains("did not finish within --wait-timeout 1s"),
        "{all}"
    );
    assert!(
        all.contains("triggeredConclusion;isOutput=true]timed-out"),
        "{all}"
    );
}

#[test]
fn bad_input_and_missing_token_fail_before_any_request() {
    let s = stand_in(|_| {});
    // No token anywhere: exit 3 naming the variable and the permission.
    let out = trigger(&s, &["--pipeline-id", "9"], &[]);
    let all = text(&out);
    assert_eq!(code(&out), 3, "{all}");
    assert!(all.contains("SYSTEM_ACCESSTOKEN"), "{all}");
    assert!(all.contains("Queue builds"), "{all}");
    // Malformed flags: exit 2 naming the flag.
    let out = trigger(
        &s,
        &["--pipeline-id", "9", "--template-parameter", "novalue"],
        &[("SYSTEM_ACCESSTOKEN", ADO_TOKEN)],
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("--template-parameter"),
        "{}",
        text(&out)
    );
    assert!(methods(&s).is_empty(), "{:?}", methods(&s));
    // Unknown pipeline by name or by id: exit 2 naming it.
    let out = trigger(
        &s,
        &["--pipeline", "nope"],
        &[("SYSTEM_ACCESSTOKEN", ADO_TOKEN)],
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("no pipeline named \"nope\" in project ml ops"),
        "{}",
        text(&out)
    );
    let out = trigger(
        &s,
        &["--pipeline-id", "404"],
        &[("SYSTEM_ACCESSTOKEN", ADO_TOKEN)],
    );
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("pipeline 404 was not found"),
        "{}",
        text(&out)
    );
    assert!(s.data.lock().unwrap().runs.is_empty());
}

/// An Entra ID token endpoint (over TLS, as the SDK insists) that hands out a token for the
/// Azure DevOps resource only, to service principal app-1 with its secret.
async fn entra_token(
    axum::extract::Path(tenant): axum::extract::Path<String>,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| form.get(k).map(String::as_str);
    if tenant != "tenant-1"
        || get("client_id") != Some("app-1")
        || get("client_secret") != Some(SP_SECRET)
    {
        return (
            axum::http::StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "error": "invalid_client" })),
        )
            .into_response();
    }
    if get("scope") != Some("499b84ac-1321-427f-aa17-267ca6975798/.default") {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": "invalid_scope" })),
        )
            .into_response();
    }
    axum::Json(json!({ "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": ENTRA_ADO_TOKEN })).into_response()
}

#[test]
fn an_entra_id_token_for_azure_devops_from_a_service_principal() {
    let s = stand_in(|p| p.token = ENTRA_ADO_TOKEN.into());
    let entra = axum::Router::new().route(
        "/{tenant}/oauth2/v2.0/token",
        axum::routing::post(entra_token),
    );
    let addr = tls::serve(&s._rt, entra);
    let authority = format!("https://127.0.0.1:{}", addr.port());
    let out = trigger(
        &s,
        &["--pipeline-id", "3"],
        &[
            ("AZURE_AUTHORITY_HOST", authority.as_str()),
            ("SSL_CERT_FILE", tls::CA_FILE),
            ("ARM_TENANT_ID", "tenant-1"),
            ("ARM_CLIENT_ID", "app-1"),
            ("ARM_CLIENT_SECRET", SP_SECRET),
        ],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_no_secrets(&out, &[ENTRA_ADO_TOKEN, SP_SECRET]);
    assert_eq!(methods(&s), ["POST /org/ml%20ops/_apis/pipelines/3/runs"]);
}

#[test]
fn a_name_in_two_folders_needs_the_folder() {
    let s = stand_in(|p| p.pipelines.push((11, "train".into(), "\\sandbox".into())));
    let out = trigger(
        &s,
        &["--pipeline", "train"],
        &[("SYSTEM_ACCESSTOKEN", ADO_TOKEN)],
    );
    let all = text(&out);
    assert_eq!(code(&out), 2, "{all}");
    assert!(all.contains("2 pipelines are named \"train\""), "{all}");
    assert!(
        all.contains("\\ml\\train = 5") && all.contains("\\sandbox\\train = 11"),
        "{all}"
    );
    let out = trigger(
        &s,
        &["--pipeline", "sandbox/train"],
        &[("SYSTEM_ACCESSTOKEN", ADO_TOKEN)],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(methods(&s).contains(&"POST /org/ml%20ops/_apis/pipelines/11/runs".to_string()));
}
