//! Identity and OAuth: SCIM Me, host metadata, OAuth metadata and the token endpoint.

use axum::extract::State as AxState;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::{Json, body::Bytes};
use base64::Engine;
use serde_json::json;

use super::federation::check_token_exchange;
use super::state::Issued;
use super::{Shared, lock};

fn bearer(headers: &HeaderMap) -> &str {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or("")
}

pub async fn me(AxState(state): AxState<Shared>, headers: HeaderMap) -> Response {
    let s = lock(&state);
    let user = s.principal(bearer(&headers)).unwrap_or_default();
    let id = format!(
        "{}",
        7_000_000 + crate::util::fnv1a64(user.as_bytes()) % 1_000_000
    );
    let mut body = json!({
        "id": id,
        "userName": user,
        "displayName": user.split('@').next().unwrap_or(&user),
        "active": true,
        "emails": [{ "value": user, "type": "work", "primary": true }],
        "groups": [{ "display": "users", "value": "1", "$ref": "Groups/1" }],
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:workspace:2.0:User"],
    });
    if s.objects.me_without_display_name
        && let Some(o) = body.as_object_mut()
    {
        o.remove("displayName");
    }
    let mut resp = Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&s.workspace_id) {
        resp.headers_mut().insert("x-databricks-org-id", v);
    }
    resp
}

pub async fn host_metadata(AxState(state): AxState<Shared>) -> Response {
    let s = lock(&state);
    Json(json!({
        "oidc_endpoint": format!("{}/oidc", s.base_url),
        "workspace_id": s.workspace_id,
        "cloud": "aws",
    }))
    .into_response()
}

pub async fn oauth_metadata(AxState(state): AxState<Shared>) -> Response {
    let base = lock(&state).base_url.clone();
    Json(json!({
        "issuer": format!("{base}/oidc"),
        "authorization_endpoint": format!("{base}/oidc/v1/authorize"),
        "token_endpoint": format!("{base}/oidc/v1/token"),
        "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:token-exchange"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": ["all-apis", "offline_access"],
    }))
    .into_response()
}

fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    let status =
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::BAD_REQUEST);
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

/// `POST /oidc/v1/token`: the client-credentials grant, credentials by HTTP Basic or form.
pub async fn token(AxState(state): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let form: std::collections::BTreeMap<String, String> = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut s = lock(&state);
    let id = match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {
            let (id, secret) = match basic_credentials(&headers) {
                Some(pair) => pair,
                None => (
                    form.get("client_id").cloned().unwrap_or_default(),
                    form.get("client_secret").cloned().unwrap_or_default(),
                ),
            };
            let known = s
                .config
                .service_principals
                .iter()
                .any(|sp| sp.client_id == id && sp.client_secret == secret);
            if !known {
                return oauth_error(401, "invalid_client", "Client authentication failed");
            }
            id
        }
        // RFC 8693: a refused subject token is an invalid_request.
        Some("urn:ietf:params:oauth:grant-type:token-exchange") => {
            match check_token_exchange(&form, &s.config.federation) {
                Ok(principal) => principal,
                Err(why) => return oauth_error(400, "invalid_request", &why),
            }
        }
        Some(_) => {
            return oauth_error(
                400,
                "unsupported_grant_type",
                "The grant type is not supported.",
            );
        }
        None => return oauth_error(400, "invalid_request", "Missing grant_type."),
    };
    let token = format!("eyJemu.{}", uuid::Uuid::new_v4().simple());
    let ttl = s.config.token_ttl_secs;
    let expires_ms = s.clock.now_ms() + ttl * 1000;
    // Clients time tokens in real seconds: on a fast clock the token lives shorter.
    let expires_in = ((ttl as f64 / s.config.clock_speed).ceil() as u64).max(1);
    s.issued.insert(
        token.clone(),
        Issued {
            principal: id,
            expires_ms,
        },
    );
    Json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": form.get("scope").cloned().unwrap_or_else(|| "all-apis".into()),
    }))
    .into_response()
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}
