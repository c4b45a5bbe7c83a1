//! Workload identity federation end to end: a local OIDC issuer (its own key pair) stands in
//! for GitHub Actions and Azure DevOps; the emulator's token endpoint checks the exchanged
//! token's signature, issuer, audience and subject against a federation policy.

use std::sync::{Arc, Mutex};

use crate::common::*;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use brickci::emulator::FederationPolicy;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;

const REQUEST_TOKEN: &str = "gh-request-token-secret-77";
const ADO_TOKEN: &str = "ado-system-access-token-secret-88";
const GH_SUBJECT: &str = "repo:acme/lakehouse:ref:refs/heads/main";
const ADO_SUBJECT: &str = "sc://acme/lakehouse/databricks-prod";

#[derive(Clone)]
struct Issuer {
    url: Arc<Mutex<String>>,
    subject: Arc<Mutex<String>>,
    key: &'static str,
}

fn jwt(issuer: &str, sub: &str, aud: &str, key_pem: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("test-issuer-key-1".into());
    let claims = json!({ "iss": issuer, "sub": sub, "aud": aud, "iat": now, "exp": now + 600 });
    encode(
        &header,
        &claims,
        &EncodingKey::from_rsa_pem(key_pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

const KEY: &str = include_str!("../fixtures/oidc_issuer_key.pem");
const OTHER_KEY: &str = include_str!("../fixtures/oidc_other_key.pem");

async fn github_token(
    State(i): State<Issuer>,
    h: HeaderMap,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if h.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {REQUEST_TOKEN}"))
    {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let aud = q.get("audience").cloned().unwrap_or_default();
    let issuer = i.url.lock().unwrap().clone();
    let sub = i.subject.lock().unwrap().clone();
    Json(json!({ "value": jwt(&issuer, &sub, &aud, i.key), "count": 1 })).into_response()
}

async fn ado_token(State(i): State<Issuer>, h: HeaderMap) -> Response {
    if h.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {ADO_TOKEN}"))
    {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let issuer = i.url.lock().unwrap().clone();
    Json(json!({ "oidcToken": jwt(&issuer, ADO_SUBJECT, "api://AzureADTokenExchange", i.key) }))
        .into_response()
}

struct Setup {
    emu: TestEmulator,
    issuer_url: String,
    _rt: tokio::runtime::Runtime,
}

fn setup(signing_key: &'static str, subject: &str) -> Setup {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let issuer = Issuer {
        url: Arc::default(),
        subject: Arc::new(Mutex::new(subject.into())),
        key: signing_key,
    };
    let app = Router::new()
        .route("/gh/token", get(github_token))
        .route(
            "/ado/{project}/_apis/distributedtask/hubs/build/plans/{plan}/jobs/{job}/oidctoken",
            post(ado_token),
        )
        .with_state(issuer.clone());
    let addr = rt.block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        a
    });
    let issuer_url = format!("http://{addr}");
    *issuer.url.lock().unwrap() = issuer_url.clone();
    let jwks: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/oidc_issuer_jwks.json")).unwrap();
    // GitHub's audience defaults to the workspace token endpoint, known once the emulator runs.
    let emu = TestEmulator::fast();
    let token_endpoint = format!("{}/oidc/v1/token", emu.url());
    let handle = emu.handle.as_ref().unwrap();
    handle.add_federation_policy(FederationPolicy {
        client_id: Some("fed-sp".into()),
        issuer: issuer_url.clone(),
        audiences: vec![token_endpoint],
        subject: GH_SUBJECT.into(),
        jwks: jwks.clone(),
    });
    handle.add_federation_policy(FederationPolicy {
        client_id: Some("ado-sp".into()),
        issuer: issuer_url.clone(),
        audiences: vec!["api://AzureADTokenExchange".into()],
        subject: ADO_SUBJECT.into(),
        jwks,
    });
    Setup {
        emu,
        issuer_url,
        _rt: rt,
    }
}

fn github_env(s: &Setup) -> Vec<(String, String)> {
    vec![
        ("DATABRICKS_HOST".into(), s.emu.url()),
        ("DATABRICKS_CLIENT_ID".into(), "fed-sp".into()),
        ("GITHUB_ACTIONS".into(), "true".into()),
        (
            "ACTIONS_ID_TOKEN_REQUEST_URL".into(),
            format!("{}/gh/token?api-version=2.0", s.issuer_url),
        ),
        (
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN".into(),
            REQUEST_TOKEN.into(),
        ),
    ]
}

#[test]
fn github_oidc_token_exchanged_for_a_workspace_token() {
    let s = setup(KEY, GH_SUBJECT);
    let env = github_env(&s);
    let out = brickci(&["auth", "check"], &as_refs(&env), &repo());
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    assert!(
        all.contains("pat: skipped, DATABRICKS_TOKEN not set"),
        "{all}"
    );
    assert!(all.contains("method:    github-oidc"), "{all}");
    assert!(all.contains("identity:  fed-sp"), "{all}");
    assert!(
        all.contains(&format!("id token subject:  {GH_SUBJECT}")),
        "{all}"
    );
    assert!(
        all.contains(&format!("id token issuer:   {}", s.issuer_url)),
        "{all}"
    );
    assert_no_secrets(&out, &[REQUEST_TOKEN]);
    let exchange = &s.emu.calls("POST", "/oidc/v1/token")[0];
    assert_eq!(
        exchange.body["grant_type"],
        "urn:ietf:params:oauth:grant-type:token-exchange"
    );
    assert_eq!(exchange.body["client_id"], "fed-sp");
    assert_eq!(
        exchange.body["subject_token"], "***",
        "the log never keeps the token"
    );
}

#[test]
fn a_token_the_policy_does_not_trust_is_refused_with_the_reason() {
    // Wrong subject (another branch), then the right claims signed by another key.
    for (key, subject, reason) in [
        (
            KEY,
            "repo:acme/lakehouse:ref:refs/heads/feature",
            "does not match",
        ),
        (OTHER_KEY, GH_SUBJECT, "signature does not verify"),
    ] {
        let s = setup(key, subject);
        let env = github_env(&s);
        let out = brickci(&["auth", "check"], &as_refs(&env), &repo());
        let all = text(&out);
        assert_eq!(code(&out), 3, "{all}");
        assert!(
            all.contains("invalid_request") && all.contains(reason),
            "{all}"
        );
        assert!(
            all.contains(&format!("id token subject:  {subject}")),
            "the claims help fix the policy: {all}"
        );
        assert_no_secrets(&out, &[REQUEST_TOKEN]);
    }
}

#[test]
fn azure_devops_oidc_and_a_run_with_it() {
    let s = setup(KEY, GH_SUBJECT);
    let dir = tempfile::tempdir().unwrap();
    let nb = write_notebook(dir.path(), "nb.py", "dbutils.notebook.exit('federated')\n");
    let collection = format!("{}/ado/", s.issuer_url);
    let env = [
        ("DATABRICKS_HOST", s.emu.url()),
        ("DATABRICKS_CLIENT_ID", "ado-sp".into()),
        ("TF_BUILD", "True".into()),
        ("SYSTEM_ACCESSTOKEN", ADO_TOKEN.into()),
        ("SYSTEM_TEAMFOUNDATIONCOLLECTIONURI", collection),
        ("SYSTEM_TEAMPROJECTID", "proj".into()),
        ("SYSTEM_HOSTTYPE", "build".into()),
        ("SYSTEM_PLANID", "plan-1".into()),
        ("SYSTEM_JOBID", "job-1".into()),
        ("BRICKCI_POLL_MIN", "0.05".into()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = brickci(
        &["run", "--notebook", nb.to_str().unwrap()],
        &env,
        dir.path(),
    );
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    assert!(all.contains("federated"), "{all}");
    assert_no_secrets(&out, &[ADO_TOKEN]);
    assert_eq!(
        s.emu.calls("POST", "/oidc/v1/token").len(),
        1,
        "one exchange, then the cached token"
    );
}

#[test]
fn id_token_from_a_file_or_a_variable() {
    let s = setup(KEY, GH_SUBJECT);
    let token_endpoint = format!("{}/oidc/v1/token", s.emu.url());
    let token = jwt(&s.issuer_url, GH_SUBJECT, &token_endpoint, KEY);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("id-token");
    std::fs::write(&file, &token).unwrap();
    let host = s.emu.url();
    let out = brickci(
        &["auth", "check"],
        &[
            ("DATABRICKS_HOST", &host),
            ("DATABRICKS_CLIENT_ID", "fed-sp"),
            ("DATABRICKS_OIDC_TOKEN_FILEPATH", file.to_str().unwrap()),
        ],
        &repo(),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("method:    file-oidc"));
    let out = brickci(
        &["auth", "check"],
        &[
            ("DATABRICKS_HOST", &host),
            ("DATABRICKS_CLIENT_ID", "fed-sp"),
            ("DATABRICKS_OIDC_TOKEN", &token),
        ],
        &repo(),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("method:    env-oidc"));
    assert_no_secrets(&out, &[&token]);
}
