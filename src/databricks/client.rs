//! The Databricks REST client: one HTTP client, credentials, and the retry loop every call
//! goes through.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde::de::DeserializeOwned;
use url::Url;

use super::error::{ApiError, CallContext};
use super::retry::{RetryPolicy, is_retryable_status};
use super::throttle::{MAX_WINDOW, Outcome, Throttle};
use crate::auth::{AuthError, Credentials};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("{method} {path} ({object}): cannot reach {host}: {message}")]
    Unreachable {
        method: String,
        path: String,
        object: String,
        host: String,
        message: String,
    },
    /// The request was sent but no answer came back; it may have taken effect.
    #[error(
        "{method} {path} ({object}): no response from {host} ({message}); the request may have been applied"
    )]
    NoResponse {
        method: String,
        path: String,
        object: String,
        host: String,
        message: String,
    },
    #[error("{call_path}: gave up after {attempts} attempts in {elapsed:?}: {last}")]
    RetriesExhausted {
        call_path: String,
        attempts: u32,
        elapsed: Duration,
        last: Box<ClientError>,
    },
    #[error("{method} {path} ({object}): unexpected response body: {message}")]
    Decode {
        method: String,
        path: String,
        object: String,
        message: String,
    },
    /// An operation the API accepted and carries out in the background (a serving
    /// endpoint's config update) failed, or did not finish in the time allowed.
    #[error("{object}: {message}")]
    Unsettled { object: String, message: String },
}

impl ClientError {
    /// The API error underneath, also when retries ran out.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            ClientError::Api(e) => Some(e),
            ClientError::RetriesExhausted { last, .. } => last.api(),
            _ => None,
        }
    }

    pub fn is_auth(&self) -> bool {
        match self {
            ClientError::Auth(_) => true,
            ClientError::Api(e) => e.is_auth(),
            ClientError::RetriesExhausted { last, .. } => last.is_auth(),
            _ => false,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.api().is_some_and(ApiError::is_not_found)
    }
}

/// One call: what to send and what it is about (for error messages).
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Body>,
    pub object: String,
    /// Safe to send again after a response was lost (reads, or writes made idempotent by
    /// a token or by overwrite semantics). Otherwise a lost response is reported, not retried.
    pub idempotent: bool,
    /// Overrides the HTTP client's whole-request timeout (large uploads need longer).
    pub timeout: Option<Duration>,
}

#[derive(Debug, Clone)]
pub enum Body {
    Json(serde_json::Value),
    Bytes(Vec<u8>),
}

impl ApiRequest {
    pub fn get(path: impl Into<String>, object: impl Into<String>) -> Self {
        ApiRequest {
            method: Method::GET,
            path: path.into(),
            query: Vec::new(),
            body: None,
            object: object.into(),
            idempotent: true,
            timeout: None,
        }
    }

    pub fn post(
        path: impl Into<String>,
        object: impl Into<String>,
        body: serde_json::Value,
    ) -> Self {
        ApiRequest {
            method: Method::POST,
            path: path.into(),
            query: Vec::new(),
            body: Some(Body::Json(body)),
            object: object.into(),
            idempotent: false,
            timeout: None,
        }
    }

    /// Any method; reads (GET, HEAD) and PUT/DELETE are safe to resend, POST and PATCH not.
    pub fn new(method: Method, path: impl Into<String>, object: impl Into<String>) -> Self {
        let idempotent = matches!(
            method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE
        );
        ApiRequest {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            object: object.into(),
            idempotent,
            timeout: None,
        }
    }

    pub fn json(mut self, body: serde_json::Value) -> Self {
        self.body = Some(Body::Json(body));
        self
    }

    pub fn bytes(mut self, body: Vec<u8>) -> Self {
        self.body = Some(Body::Bytes(body));
        self
    }

    pub fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_string(), value.to_string()));
        self
    }

    pub fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = yes;
        self
    }

    /// A time limit for this request instead of the client's default.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    fn call_context(&self) -> CallContext {
        CallContext {
            method: self.method.to_string(),
            path: self.path.clone(),
            object: self.object.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    host: Url,
    credentials: Arc<dyn Credentials>,
    retry: RetryPolicy,
    /// Shared by every clone: all of a command's calls find the workspace's rate together.
    throttle: Arc<Throttle>,
}

/// What came back from a successful call.
pub struct RawResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Client {
    pub fn new(
        http: reqwest::Client,
        host: Url,
        credentials: Arc<dyn Credentials>,
        retry: RetryPolicy,
    ) -> Self {
        Client {
            http,
            host,
            credentials,
            retry,
            throttle: Arc::new(Throttle::new(MAX_WINDOW)),
        }
    }

    /// The adaptive concurrency window all clones of this client share.
    pub fn throttle(&self) -> &Throttle {
        &self.throttle
    }

    pub fn host(&self) -> &Url {
        &self.host
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn auth_method(&self) -> String {
        self.credentials.method()
    }

    pub fn auth_details(&self) -> Vec<String> {
        self.credentials.details()
    }

    pub fn url_for(&self, path: &str) -> String {
        format!("{}{}", self.host.as_str().trim_end_matches('/'), path)
    }

    /// Sends a call and decodes a JSON answer (an empty body decodes as `{}`).
    pub async fn call<T: DeserializeOwned>(&self, req: ApiRequest) -> Result<T, ClientError> {
        let resp = self.send(&req).await?;
        let body: &[u8] = if resp.body.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &resp.body
        };
        serde_json::from_slice(body).map_err(|e| ClientError::Decode {
            method: req.method.to_string(),
            path: req.path.clone(),
            object: req.object.clone(),
            message: e.to_string(),
        })
    }

    /// Sends a call through the retry loop and returns the raw successful response. Every
    /// attempt takes a place in the shared window first; time spent waiting for one is not
    /// counted against the retry deadline (a slow workspace is not a failing one), and 429s
    /// do not use up attempts (they are the workspace's pace, not a fault).
    pub async fn send(&self, req: &ApiRequest) -> Result<RawResponse, ClientError> {
        let started = Instant::now();
        let mut queued = Duration::ZERO;
        let mut attempt = 0u32;
        let mut throttled = 0u32;
        let mut refreshed_auth = false;
        loop {
            attempt += 1;
            let asked = Instant::now();
            let permit = self.throttle.acquire().await;
            queued += asked.elapsed();
            let result = self.send_once(req).await;
            permit.finish(match &result {
                Err(ClientError::Api(api)) if is_rate_limited(api) => {
                    Outcome::Throttled(Duration::from_secs(api.retry_after.unwrap_or(1)))
                }
                Err(ClientError::Unreachable { .. } | ClientError::NoResponse { .. }) => {
                    Outcome::Lost
                }
                _ => Outcome::Answered,
            });
            let (retry_after, err) = match result {
                Ok(resp) => return Ok(resp),
                Err(err) => {
                    let retry_after = match &err {
                        ClientError::Api(api) if api.status == 401 && !refreshed_auth => {
                            // A token can expire between our check and the server's: renew once.
                            refreshed_auth = true;
                            self.credentials.invalidate();
                            attempt -= 1;
                            continue;
                        }
                        ClientError::Api(api) if is_retryable_status(api.status, &api.message) => {
                            if is_rate_limited(api) {
                                throttled += 1;
                            }
                            Some(api.retry_after)
                        }
                        ClientError::Unreachable { .. } => Some(None),
                        ClientError::NoResponse { .. } if req.idempotent => Some(None),
                        _ => None,
                    };
                    (retry_after, err)
                }
            };
            let Some(retry_after) = retry_after else {
                return Err(err);
            };
            let jitter: f64 = rand::random();
            let counted = attempt.saturating_sub(throttled).max(1);
            let elapsed = started.elapsed().saturating_sub(queued);
            match self.retry.next_wait(counted, elapsed, retry_after, jitter) {
                Some(wait) => {
                    tracing::debug!(attempt, ?wait, error = %err, "retrying");
                    tokio::time::sleep(wait).await;
                }
                None if attempt == 1 => return Err(err),
                None => {
                    return Err(ClientError::RetriesExhausted {
                        call_path: format!("{} {}", req.method, req.path),
                        attempts: attempt,
                        elapsed: started.elapsed(),
                        last: Box::new(err),
                    });
                }
            }
        }
    }

    async fn send_once(&self, req: &ApiRequest) -> Result<RawResponse, ClientError> {
        let url = self.url_for(&req.path);
        let mut builder = self.http.request(req.method.clone(), &url);
        if !req.query.is_empty() {
            builder = builder.query(&req.query);
        }
        if let Some(limit) = req.timeout {
            builder = builder.timeout(limit);
        }
        for (name, value) in self.credentials.headers(&self.http).await? {
            builder = builder.header(name, value);
        }
        builder = match &req.body {
            Some(Body::Json(v)) => builder.json(v),
            Some(Body::Bytes(b)) => builder
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(b.clone()),
            None => builder,
        };
        let response = builder
            .send()
            .await
            .map_err(|e| self.transport_error(req, &e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(req, &e))?
            .to_vec();
        if status.is_success() {
            return Ok(RawResponse {
                status: status.as_u16(),
                headers,
                body,
            });
        }
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        Err(ClientError::Api(ApiError::from_response(
            req.call_context(),
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            &body,
            header("x-request-id").or_else(|| header("x-databricks-request-id")),
            header("retry-after").and_then(|v| v.trim().parse().ok()),
        )))
    }

    fn transport_error(&self, req: &ApiRequest, e: &reqwest::Error) -> ClientError {
        let host = self.host.host_str().unwrap_or("").to_string();
        let message = error_chain(e);
        if e.is_connect() {
            ClientError::Unreachable {
                method: req.method.to_string(),
                path: req.path.clone(),
                object: req.object.clone(),
                host,
                message,
            }
        } else {
            ClientError::NoResponse {
                method: req.method.to_string(),
                path: req.path.clone(),
                object: req.object.clone(),
                host,
                message,
            }
        }
    }
}

/// The workspace refused the call for going too fast.
fn is_rate_limited(api: &ApiError) -> bool {
    api.status == 429
        || api.error_code.as_deref() == Some("REQUEST_LIMIT_EXCEEDED")
        || api
            .message
            .contains("RPC token bucket limit has been exceeded")
}

/// The error and its causes on one line; reqwest's top-level message alone says little.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    // reqwest names the URL; one with a password in it never reaches a message.
    crate::util::redact_userinfo(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{PatCredentials, Secret};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server that answers every request with `{}` after `delay`.
    async fn slow_server(delay: Duration) -> Url {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = sock.read(&mut buf).await;
                    tokio::time::sleep(delay).await;
                    let _ = sock
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
                        )
                        .await;
                });
            }
        });
        Url::parse(&format!("http://{addr}")).unwrap()
    }

    fn client(host: Url) -> Client {
        let http = crate::http::client(&crate::http::HttpOptions {
            request_timeout: Duration::from_millis(200),
            ..Default::default()
        })
        .unwrap();
        let retry = RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        };
        Client::new(
            http,
            host,
            Arc::new(PatCredentials::new(Secret::new("t"))),
            retry,
        )
    }

    #[tokio::test]
    async fn a_request_timeout_overrides_the_clients() {
        let client = client(slow_server(Duration::from_millis(600)).await);
        let short = ApiRequest::get("/api/2.0/slow", "slow thing");
        let err = client
            .send(&short)
            .await
            .err()
            .expect("the default times out");
        assert!(matches!(err, ClientError::NoResponse { .. }), "{err}");
        let long = short.clone().timeout(Duration::from_secs(10));
        let resp = client.send(&long).await.expect("the longer limit is used");
        assert_eq!(resp.body, b"{}");
    }
}
