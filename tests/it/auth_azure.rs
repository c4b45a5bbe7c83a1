//! Azure Entra ID through azure_identity, against local stand-ins for Entra ID (over TLS with
//! a test CA, as the SDK insists on https), an App Service managed-identity endpoint, the
//! Azure Pipelines OIDC endpoint and Key Vault.

use crate::support::tls;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::common::*;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use brickci::emulator::EmulatorConfig;
use serde_json::json;

const SP_SECRET: &str = "azure-sp-secret-value-31";
const MSI_HEADER: &str = "msi-identity-header-secret-5";
const SYSTEM_TOKEN: &str = "pipelines-system-token-secret-6";
const DATABRICKS_AAD: &str = "entra-token-for-databricks";
const VAULT_VALUE: &str = "dapi-from-key-vault-xyz";

#[derive(Default)]
struct Seen {
    token_requests: Vec<HashMap<String, String>>,
}
type Shared = Arc<Mutex<Seen>>;

fn token_for(scope_or_resource: &str) -> String {
    if scope_or_resource.starts_with("2ff814a6-3304-4ab8-85cb-cd0e6f879c1d") {
        DATABRICKS_AAD.into()
    } else if scope_or_resource.contains("management.core.windows.net") {
        "entra-token-for-management".into()
    } else {
        "entra-token-for-vault".into()
    }
}

async fn entra_token(State(s): State<Shared>, Path(tenant): Path<String>, body: Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    s.lock().unwrap().token_requests.push(form.clone());
    let ok_secret = form.get("client_secret").map(String::as_str) == Some(SP_SECRET);
    let ok_assertion = form.get("client_assertion").map(String::as_str)
        == Some("ado-federated-assertion")
        || form.get("client_assertion").map(String::as_str) == Some("k8s-projected-token");
    if tenant != "tenant-1"
        || form.get("client_id").map(String::as_str) != Some("app-1")
        || !(ok_secret || ok_assertion)
    {
        return (StatusCode::UNAUTHORIZED, Json(json!({ "error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided." }))).into_response();
    }
    let scope = form.get("scope").cloned().unwrap_or_default();
    Json(json!({ "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token_for(&scope) })).into_response()
}

async fn pipelines_oidc(h: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let auth = h
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth != format!("Bearer {SYSTEM_TOKEN}")
        || q.get("serviceConnectionId").map(String::as_str) != Some("conn-9")
    {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    Json(json!({ "oidcToken": "ado-federated-assertion" })).into_response()
}

async fn msi(h: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    if h.get("x-identity-header").and_then(|v| v.to_str().ok()) != Some(MSI_HEADER) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let resource = q.get("resource").cloned().unwrap_or_default();
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    Json(json!({ "access_token": token_for(&resource), "expires_on": exp.to_string(), "resource": resource, "token_type": "Bearer" })).into_response()
}

async fn vault_secret(Path(name): Path<String>, h: HeaderMap) -> Response {
    let addr = h
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    if h.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer entra-token-for-vault")
    {
        let challenge = format!(
            r#"Bearer authorization="https://{addr}/tenant-1", resource="https://127.0.0.1""#
        );
        return (
            StatusCode::UNAUTHORIZED,
            [("www-authenticate", challenge)],
            Json(json!({ "error": { "code": "Unauthorized" } })),
        )
            .into_response();
    }
    if name != "databricks-token" {
        return (StatusCode::NOT_FOUND, Json(json!({ "error": { "code": "SecretNotFound", "message": format!("A secret with (name/id) {name} was not found in this key vault.") } }))).into_response();
    }
    Json(json!({ "value": VAULT_VALUE, "id": format!("https://{addr}/secrets/{name}/v1"), "attributes": { "enabled": true } })).into_response()
}

async fn vault_secret_version(
    Path((name, _version)): Path<(String, String)>,
    h: HeaderMap,
) -> Response {
    vault_secret(Path(name), h).await
}

struct Azure {
    seen: Shared,
    https: String,
    emu: TestEmulator,
    _rt: tokio::runtime::Runtime,
}

fn azure() -> Azure {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let seen: Shared = Arc::default();
    let app = Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(entra_token))
        .route("/oidc", post(pipelines_oidc))
        .route("/msi", get(msi))
        .route("/secrets/{name}", get(vault_secret))
        .route("/secrets/{name}/", get(vault_secret))
        .route("/secrets/{name}/{version}", get(vault_secret_version))
        .with_state(seen.clone());
    let addr = tls::serve(&rt, app);
    let emu = TestEmulator::start(EmulatorConfig {
        clock_speed: 50.0,
        tokens: vec![DATABRICKS_AAD.into(), VAULT_VALUE.into()],
        ..EmulatorConfig::default()
    });
    Azure {
        seen,
        https: format!("https://127.0.0.1:{}", addr.port()),
        emu,
        _rt: rt,
    }
}

fn base_env(a: &Azure) -> Vec<(String, String)> {
    vec![
        ("DATABRICKS_HOST".into(), a.emu.url()),
        ("AZURE_AUTHORITY_HOST".into(), a.https.clone()),
        ("SSL_CERT_FILE".into(), tls::CA_FILE.into()),
        ("ARM_TENANT_ID".into(), "tenant-1".into()),
        ("ARM_CLIENT_ID".into(), "app-1".into()),
    ]
}

#[test]
fn client_secret_gets_databricks_and_management_tokens() {
    let a = azure();
    let mut env = base_env(&a);
    env.push(("ARM_CLIENT_SECRET".into(), SP_SECRET.into()));
    env.push((
        "DATABRICKS_AZURE_RESOURCE_ID".into(),
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Databricks/workspaces/w".into(),
    ));
    let out = brickci(&["auth", "check"], &as_refs(&env), &repo());
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    assert!(all.contains("method:    azure-client-secret"), "{all}");
    assert_no_secrets(&out, &[SP_SECRET, DATABRICKS_AAD]);
    let scopes: Vec<String> = a
        .seen
        .lock()
        .unwrap()
        .token_requests
        .iter()
        .map(|f| f["scope"].clone())
        .collect();
    assert!(
        scopes.contains(&"2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default".to_string()),
        "{scopes:?}"
    );
    assert!(
        scopes.contains(&"https://management.core.windows.net/.default".to_string()),
        "a service principal also sends a management token: {scopes:?}"
    );
}

#[test]
fn rejected_client_secret_is_an_auth_failure() {
    let a = azure();
    let mut env = base_env(&a);
    env.push(("ARM_CLIENT_SECRET".into(), "wrong-azure-secret-0".into()));
    let out = brickci(&["auth", "check"], &as_refs(&env), &repo());
    let all = text(&out);
    assert_eq!(code(&out), 3, "{all}");
    assert!(
        all.contains("AADSTS7000215"),
        "Entra's reason is shown: {all}"
    );
    assert_no_secrets(&out, &["wrong-azure-secret-0"]);
}

#[test]
fn managed_identity_and_workload_identity_and_pipelines_service_connection() {
    let a = azure();
    let dir = tempfile::tempdir().unwrap();
    let projected = dir.path().join("azure-identity-token");
    std::fs::write(&projected, "k8s-projected-token").unwrap();
    let cases: Vec<(&str, Vec<(String, String)>)> = vec![
        (
            "azure-msi",
            vec![
                ("ARM_USE_MSI".into(), "true".into()),
                ("IDENTITY_ENDPOINT".into(), format!("{}/msi", a.https)),
                ("IDENTITY_HEADER".into(), MSI_HEADER.into()),
            ],
        ),
        (
            "azure-workload-identity",
            vec![(
                "AZURE_FEDERATED_TOKEN_FILE".into(),
                projected.display().to_string(),
            )],
        ),
        (
            "azure-devops-service-connection",
            vec![
                ("SYSTEM_OIDCREQUESTURI".into(), format!("{}/oidc", a.https)),
                ("SYSTEM_ACCESSTOKEN".into(), SYSTEM_TOKEN.into()),
                (
                    "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID".into(),
                    "conn-9".into(),
                ),
            ],
        ),
    ];
    for (method, extra) in cases {
        let mut env = base_env(&a);
        env.extend(extra);
        let out = brickci(&["auth", "check"], &as_refs(&env), &repo());
        let all = text(&out);
        assert_eq!(code(&out), 0, "{method}: {all}");
        assert!(all.contains(&format!("method:    {method}")), "{all}");
        assert_no_secrets(&out, &[MSI_HEADER, SYSTEM_TOKEN, DATABRICKS_AAD]);
    }
}

#[test]
fn token_from_key_vault() {
    let a = azure();
    let vault_host = a.https.trim_start_matches("https://").to_string();
    let mut env = base_env(&a);
    env.push(("ARM_CLIENT_SECRET".into(), SP_SECRET.into()));
    env.push((
        "DATABRICKS_TOKEN".into(),
        format!("azure-kv://{vault_host}/databricks-token"),
    ));
    env.push(("DATABRICKS_AUTH_TYPE".into(), "pat".into()));
    env.push(("TF_BUILD".into(), "True".into()));
    let out = brickci(&["auth", "check"], &as_refs(&env), &repo());
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    assert!(all.contains("method:    pat"), "{all}");
    assert!(
        all.contains(&format!("##vso[task.setsecret]{VAULT_VALUE}")),
        "masked first: {all}"
    );
    assert_no_secrets(&out, &[VAULT_VALUE, SP_SECRET]);
    let mut env = base_env(&a);
    env.push(("ARM_CLIENT_SECRET".into(), SP_SECRET.into()));
    env.push((
        "DATABRICKS_TOKEN".into(),
        format!("azure-kv://{vault_host}/nope"),
    ));
    let out = brickci(&["auth", "check"], &as_refs(&env), &repo());
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(
        text(&out).contains("SecretNotFound") || text(&out).contains("not found"),
        "{}",
        text(&out)
    );
}
