//! The router and the layer every API request passes: request log, faults, authentication.

use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State as AxState};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::{Value, json};

use super::errors::{api_error, throttled};
use super::faults::{FaultKind, FaultRule};
use super::rate_limits::{RateLimit, admit};
use super::{
    RequestRecord, Shared, handlers_auth as auth, handlers_compute as compute,
    handlers_jobs as jobs, handlers_jobs_crud as jobs_crud, handlers_misc as misc,
    handlers_mlflow as mlflow, handlers_model_versions as versions,
    handlers_pipelines as pipelines, handlers_quality_monitors as monitors,
    handlers_serving as serving, handlers_storage as storage, handlers_uc as uc,
    handlers_workspace as ws, lock,
};

/// Requests with bodies larger than this are refused (workspace import tops out at 10 MB
/// of base64 content; multipart adds a little).
const BODY_LIMIT: usize = 64 * 1024 * 1024;

pub fn router(state: Shared) -> Router {
    let api = Router::new()
        .route("/api/2.0/preview/scim/v2/Me", get(auth::me))
        .route("/api/2.0/workspace/mkdirs", post(ws::mkdirs))
        .route("/api/2.0/workspace/import", post(ws::import))
        .route(
            "/api/2.0/workspace-files/import-file/{*path}",
            post(ws::import_file),
        )
        .route("/api/2.0/workspace/get-status", get(ws::get_status))
        .route("/api/2.0/workspace/list", get(ws::list))
        .route("/api/2.0/workspace/export", get(ws::export))
        .route("/api/2.0/workspace/delete", post(ws::delete))
        .route("/api/{version}/jobs/create", post(jobs_crud::create))
        .route("/api/{version}/jobs/get", get(jobs_crud::get))
        .route("/api/{version}/jobs/list", get(jobs_crud::list))
        .route("/api/{version}/jobs/reset", post(jobs_crud::reset))
        .route("/api/{version}/jobs/update", post(jobs_crud::update))
        .route("/api/{version}/jobs/delete", post(jobs_crud::delete))
        .route("/api/{version}/jobs/run-now", post(jobs_crud::run_now))
        .route("/api/{version}/jobs/runs/submit", post(jobs::submit))
        .route("/api/{version}/jobs/runs/get", get(jobs::get))
        .route("/api/{version}/jobs/runs/get-output", get(jobs::get_output))
        .route("/api/{version}/jobs/runs/cancel", post(jobs::cancel))
        .route("/api/{version}/jobs/runs/delete", post(jobs::delete))
        .route("/api/{version}/jobs/runs/list", get(jobs::list))
        .route("/api/{version}/clusters/create", post(compute::create))
        .route("/api/{version}/clusters/edit", post(compute::edit))
        .route("/api/{version}/clusters/get", get(compute::get))
        .route("/api/{version}/clusters/list", get(compute::list))
        .route("/api/{version}/clusters/{action}", post(compute::change))
        .route(
            "/api/2.0/policies/clusters/list",
            get(compute::policies_list),
        )
        .route(
            "/api/2.0/preview/scim/v2/ServicePrincipals",
            get(compute::service_principals),
        )
        .route(
            "/api/2.1/unity-catalog/{kind}",
            post(uc::create).get(uc::list),
        )
        .route(
            "/api/2.1/unity-catalog/{kind}/{name}",
            get(uc::get).patch(uc::update).delete(uc::delete),
        )
        .route(
            "/api/2.1/unity-catalog/{kind}/{name}/{sub}",
            get(versions::model_sub),
        )
        .route(
            "/api/2.1/unity-catalog/{kind}/{name}/{sub}/{key}",
            any(versions::model_sub),
        )
        .route(
            "/api/2.1/unity-catalog/tables/{table}/monitor",
            any(monitors::monitor),
        )
        .route(
            "/api/2.0/serving-endpoints",
            post(serving::create).get(serving::list),
        )
        .route("/api/2.0/serving-endpoints/{name}", any(serving::endpoint))
        .route(
            "/api/2.0/serving-endpoints/{name}/{sub}",
            any(serving::part),
        )
        .route("/api/2.0/mlflow/runs/{op}", any(mlflow::runs))
        .route(
            "/api/2.0/mlflow/metrics/get-history",
            get(mlflow::metric_history),
        )
        .route(
            "/api/2.0/mlflow/unity-catalog/model-versions/create",
            post(versions::create_model_version),
        )
        .route("/api/2.0/fs/files/{*path}", any(storage::files))
        .route("/api/2.0/fs/directories/{*path}", any(storage::directories))
        .route("/api/2.0/dbfs/{op}", any(storage::dbfs))
        .route("/api/2.0/secrets/{*op}", any(misc::secrets))
        .route(
            "/api/2.0/pipelines",
            post(pipelines::pipeline_create).get(pipelines::pipeline_list),
        )
        .route("/api/2.0/pipelines/{id}", any(pipelines::pipeline))
        .route(
            "/api/2.0/pipelines/{id}/updates",
            post(pipelines::start_update).get(pipelines::list_updates),
        )
        .route(
            "/api/2.0/pipelines/{id}/updates/{update_id}",
            get(pipelines::get_update),
        )
        .route("/api/2.0/pipelines/{id}/events", get(pipelines::events))
        .route("/api/2.0/pipelines/{id}/stop", post(pipelines::stop))
        .route("/api/2.0/mlflow/experiments/{op}", any(misc::experiments))
        .route(
            "/api/2.0/permissions/{kind}/{id}",
            get(misc::permissions).put(misc::permissions),
        )
        .route("/.well-known/databricks-config", get(auth::host_metadata))
        .route(
            "/oidc/.well-known/oauth-authorization-server",
            get(auth::oauth_metadata),
        )
        .route("/oidc/v1/token", post(auth::token))
        .merge(super::routes_kinds::routes())
        .merge(super::routes_more_kinds::routes())
        .merge(super::handlers_genie::routes())
        .fallback(no_api)
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        // `gate` enforces BODY_LIMIT; handlers that take the body whole (file uploads) must
        // not stop at axum's 2 MB default below it.
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT));
    let admin = Router::new()
        .route(
            "/__emulator/faults",
            post(add_fault).delete(clear_faults).get(list_faults),
        )
        .route(
            "/__emulator/rate-limits",
            post(add_rate_limit)
                .delete(clear_rate_limits)
                .get(list_rate_limits),
        )
        .route(
            "/__emulator/requests",
            get(list_requests).delete(clear_requests),
        )
        .route("/__emulator/{*rest}", any(no_api));
    admin.merge(api).with_state(state)
}

/// The real service's answer to a path it has no API for.
async fn no_api(method: Method, req: Request) -> Response {
    super::errors::no_endpoint(format!("{} {}", method, req.uri().path()))
}

fn unauthenticated(path: &str) -> bool {
    path == "/.well-known/databricks-config" || path.starts_with("/oidc/")
}

/// Logs the request, applies a matching fault, checks the bearer token, then hands over.
async fn gate(AxState(state): AxState<Shared>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let method = parts.method.to_string();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => return api_error(413, "MAX_REQUEST_SIZE_EXCEEDED", "Request body too large"),
    };
    let (seq, at_ms, fault) = {
        let mut s = lock(&state);
        let seq = s.log.len() as u64 + 1;
        (seq, s.clock.real_ms(), s.take_fault(&method, &path))
    };
    let record_as = |status: u16, fault: Option<String>| RequestRecord {
        seq,
        at_ms,
        method: method.clone(),
        path: path.clone(),
        query: query.clone(),
        status,
        fault,
        body: logged_body(&path, &bytes),
    };
    let record = |status: u16, fault: &Option<FaultRule>| {
        record_as(status, fault.as_ref().map(FaultRule::describe))
    };

    let mut apply_then_drop = false;
    match fault.as_ref().map(|f| &f.kind) {
        Some(FaultKind::Latency { ms }) => tokio::time::sleep(Duration::from_millis(*ms)).await,
        Some(FaultKind::Status {
            status,
            retry_after,
        }) => {
            lock(&state).log.push(record(*status, &fault));
            return throttled(*status, *retry_after);
        }
        Some(FaultKind::Drop) => {
            lock(&state).log.push(record(0, &fault));
            return dropped();
        }
        Some(FaultKind::DropAfterApply) => apply_then_drop = true,
        None => {}
    }

    // Over a rate limit: refused before anything is done, as the service does.
    let limited = {
        let mut s = lock(&state);
        let refused = admit(&mut s.limiters, &method, &path, std::time::Instant::now());
        if let Err((rule, _)) = &refused {
            s.log.push(record_as(429, Some(rule.describe())));
        }
        refused.err()
    };
    if let Some((_, retry_after)) = limited {
        return throttled(429, Some(retry_after));
    }

    if !unauthenticated(&path)
        && let Err(resp) = authenticate(&state, &parts.headers)
    {
        lock(&state)
            .log
            .push(record(resp.status().as_u16(), &fault));
        return resp;
    }

    let req = Request::from_parts(parts, Body::from(bytes.clone()));
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    lock(&state)
        .log
        .push(record(if apply_then_drop { 0 } else { status }, &fault));
    if apply_then_drop { dropped() } else { resp }
}

fn authenticate(state: &Shared, headers: &axum::http::HeaderMap) -> Result<(), Response> {
    let header = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(token) = header
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return Err(api_error(
            401,
            "401",
            "Credential was not sent or was of an unsupported type for this API.",
        ));
    };
    match lock(state).principal(token) {
        Some(_) => Ok(()),
        None => Err(api_error(403, "403", "Invalid access token.")),
    }
}

/// A response whose body fails at once: the client gets headers and then a broken
/// connection, so from its side the answer was lost.
fn dropped() -> Response {
    let stream = futures_stream_error();
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn futures_stream_error() -> impl futures_core::Stream<Item = Result<Bytes, std::io::Error>> + Send
{
    struct Broken;
    impl futures_core::Stream for Broken {
        type Item = Result<Bytes, std::io::Error>;
        fn poll_next(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "connection dropped by fault injection",
            ))))
        }
    }
    Broken
}

fn logged_body(path: &str, bytes: &Bytes) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    if let Ok(mut v) = serde_json::from_slice::<Value>(bytes) {
        // A secret's value is never logged, as the workspace's audit log never shows it.
        if path == "/api/2.0/secrets/put" {
            for field in ["string_value", "bytes_value"] {
                if let Some(x) = v.get_mut(field) {
                    *x = Value::String("[REDACTED]".into());
                }
            }
        }
        return v;
    }
    // Form bodies (token requests): keep field names and non-secret values.
    if let Ok(text) = std::str::from_utf8(bytes)
        && text.contains('=')
        && !text.contains('\n')
    {
        let map: serde_json::Map<String, Value> = url::form_urlencoded::parse(text.as_bytes())
            .map(|(k, v)| {
                let secret = matches!(
                    k.as_ref(),
                    "client_secret" | "subject_token" | "client_assertion"
                );
                (
                    k.into_owned(),
                    json!(if secret {
                        "***".to_string()
                    } else {
                        v.into_owned()
                    }),
                )
            })
            .collect();
        return Value::Object(map);
    }
    json!({ "bytes": bytes.len() })
}

async fn add_fault(AxState(state): AxState<Shared>, body: Bytes) -> Response {
    match serde_json::from_slice::<FaultRule>(&body) {
        Ok(rule) => {
            lock(&state).faults.push(rule);
            (StatusCode::OK, axum::Json(json!({}))).into_response()
        }
        Err(e) => api_error(400, "MALFORMED_REQUEST", format!("bad fault rule: {e}")),
    }
}

async fn clear_faults(AxState(state): AxState<Shared>) -> Response {
    lock(&state).faults.clear();
    axum::Json(json!({})).into_response()
}

async fn list_faults(AxState(state): AxState<Shared>) -> Response {
    axum::Json(json!({ "faults": lock(&state).faults })).into_response()
}

async fn add_rate_limit(AxState(state): AxState<Shared>, body: Bytes) -> Response {
    match serde_json::from_slice::<RateLimit>(&body) {
        Ok(rule) if rule.rps.is_finite() && rule.rps > 0.0 => {
            lock(&state).add_rate_limit(rule);
            (StatusCode::OK, axum::Json(json!({}))).into_response()
        }
        Ok(_) => api_error(400, "MALFORMED_REQUEST", "rps must be a number above 0"),
        Err(e) => api_error(400, "MALFORMED_REQUEST", format!("bad rate limit: {e}")),
    }
}

async fn clear_rate_limits(AxState(state): AxState<Shared>) -> Response {
    lock(&state).limiters.clear();
    axum::Json(json!({})).into_response()
}

async fn list_rate_limits(AxState(state): AxState<Shared>) -> Response {
    let rules: Vec<RateLimit> = lock(&state)
        .limiters
        .iter()
        .map(|l| l.rule.clone())
        .collect();
    axum::Json(json!({ "rate_limits": rules })).into_response()
}

async fn list_requests(AxState(state): AxState<Shared>) -> Response {
    axum::Json(json!({ "requests": lock(&state).log })).into_response()
}

async fn clear_requests(AxState(state): AxState<Shared>) -> Response {
    lock(&state).log.clear();
    axum::Json(json!({})).into_response()
}
