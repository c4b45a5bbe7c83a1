//! API errors parsed from response bodies the way the Databricks SDK parses them, carrying
//! which call on which object failed.

use std::fmt;

/// The call that failed, for messages like "jobs/runs/get for run 42".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallContext {
    pub method: String,
    pub path: String,
    /// What the call was about, e.g. "run 42" or "notebook /Users/x/nb".
    pub object: String,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub call: CallContext,
    pub status: u16,
    pub error_code: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
    pub retry_after: Option<u64>,
    /// The error's details say the object is managed by its parent (a Lakebase project's
    /// root branch, a branch's read-write endpoint): it goes when the parent goes.
    pub managed_by_parent: bool,
}

impl ApiError {
    pub fn is_not_found(&self) -> bool {
        if self.status == 404 {
            return true;
        }
        match self.error_code.as_deref() {
            Some("RESOURCE_DOES_NOT_EXIST" | "NOT_FOUND") => true,
            // jobs/get, runs/get and clusters/get answer "not found" as 400 (SDK path overrides).
            Some("INVALID_PARAMETER_VALUE") => {
                self.message.contains("does not exist") || self.message.contains("doesn't exist")
            }
            _ => false,
        }
    }

    pub fn is_already_exists(&self) -> bool {
        self.status == 409
            || matches!(
                self.error_code.as_deref(),
                Some("RESOURCE_ALREADY_EXISTS" | "ALREADY_EXISTS")
            )
    }

    /// The authentication-or-authorization class (exit 3): the credential was refused, or
    /// it was accepted and lacks a permission.
    pub fn is_auth(&self) -> bool {
        self.is_credential() || self.is_denied()
    }

    /// 401, or 403 that is about the credential rather than a missing grant.
    pub fn is_credential(&self) -> bool {
        self.status == 401
            || (self.status == 403
                && (self.message.contains("Invalid access token")
                    || self.message.contains("token")
                    || matches!(self.error_code.as_deref(), Some("UNAUTHENTICATED"))))
    }

    /// A 403 (or PERMISSION_DENIED) for a credential that was accepted: a missing grant.
    pub fn is_denied(&self) -> bool {
        !self.is_credential()
            && (self.status == 403
                || matches!(self.error_code.as_deref(), Some("PERMISSION_DENIED")))
    }

    /// The permission a refused call needs, by the call's path (the ACL names the
    /// workspace uses), for a message a person can act on.
    pub fn needed_permission(&self) -> Option<&'static str> {
        let p = self.call.path.as_str();
        let after = |prefix: &str| p.contains(prefix);
        Some(
            if after("/workspace/import")
                || after("/workspace/mkdirs")
                || after("/workspace/delete")
            {
                "CAN_MANAGE on the workspace folder"
            } else if after("/jobs/create") {
                "the workspace entitlement to create jobs"
            } else if after("/jobs/reset") || after("/jobs/update") || after("/jobs/delete") {
                "CAN_MANAGE on the job"
            } else if after("/jobs/run-now")
                || after("/jobs/runs/cancel")
                || after("/jobs/runs/repair")
            {
                "CAN_MANAGE_RUN on the job"
            } else if after("/jobs/runs/submit") {
                "the right to submit runs (and CAN_ATTACH_TO on a named cluster)"
            } else if after("/jobs/") {
                "CAN_VIEW on the job"
            } else if after("/permissions/") {
                "CAN_MANAGE on the object whose permissions are set"
            } else if after("/pipelines") {
                "CAN_MANAGE on the pipeline"
            } else if after("/clusters/create") {
                "the allow-cluster-create entitlement (or a cluster policy you may use)"
            } else if after("/clusters/") {
                "CAN_MANAGE on the cluster"
            } else if after("/fs/files/Volumes") || after("/fs/directories/Volumes") {
                "WRITE VOLUME on the volume"
            } else if after("/unity-catalog/") {
                "the Unity Catalog privilege on the parent (USE CATALOG/USE SCHEMA, CREATE ...)"
            } else if after("/secrets/") {
                "MANAGE (or WRITE) on the secret scope"
            } else if after("/workspace/") {
                "CAN_READ on the workspace object"
            } else {
                return None;
            },
        )
    }

    /// Parses an error response body: JSON `error_code`/`message` (or OAuth `error`), SCIM
    /// `detail`/`scimType`, `CODE: message` text, or an HTML page's `<pre>`/`<title>`.
    pub fn from_response(
        call: CallContext,
        status: u16,
        reason: &str,
        body: &[u8],
        request_id: Option<String>,
        retry_after: Option<u64>,
    ) -> ApiError {
        let (error_code, message) = parse_body(status, reason, body);
        ApiError {
            call,
            status,
            error_code,
            message,
            request_id,
            retry_after,
            managed_by_parent: managed_by_parent(body),
        }
    }
}

/// Whether a JSON error body's `details` carry the `declarative_context` that marks an
/// object its parent manages (declarative tools then leave its deletion to the parent).
fn managed_by_parent(body: &[u8]) -> bool {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return false;
    };
    v["details"].as_array().is_some_and(|details| {
        details
            .iter()
            .any(|d| d["metadata"]["declarative_context"] == "MANAGED_BY_PARENT")
    })
}

fn parse_body(status: u16, reason: &str, body: &[u8]) -> (Option<String>, String) {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return (None, reason.to_string());
    }
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(text) {
        let s = |k: &str| map.get(k).and_then(|v| v.as_str()).map(str::to_string);
        if let Some(detail) = s("detail") {
            let message = match s("scimType") {
                Some(t) => format!("{t} {detail}"),
                None => detail,
            };
            return (Some(format!("SCIM_{status}")), message);
        }
        let mut code = s("error_code").or_else(|| s("errorCode"));
        let message = match s("error") {
            Some(err) => {
                // OAuth style: `error` is the code, `error_description` the text.
                match s("error_description") {
                    Some(d) => {
                        code = code.or(Some(err));
                        d
                    }
                    None => err,
                }
            }
            None => s("message")
                .or_else(|| s("errorSummary"))
                .unwrap_or_else(|| reason.to_string()),
        };
        return (code, message);
    }
    if let Some((code, msg)) = text.split_once(": ")
        && !code.is_empty()
        && code.chars().all(|c| c.is_ascii_uppercase() || c == '_')
    {
        return (Some(code.to_string()), msg.to_string());
    }
    if text.starts_with('<') {
        let inner =
            between(text, "<pre>", "</pre>").or_else(|| between(text, "<title>", "</title>"));
        let code = reason.to_ascii_uppercase().replace(' ', "_");
        return (Some(code), inner.unwrap_or(reason).trim().to_string());
    }
    (None, text.chars().take(500).collect())
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(&text[start..end])
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.call.method, self.call.path)?;
        if !self.call.object.is_empty() {
            write!(f, " ({})", self.call.object)?;
        }
        write!(f, " failed: HTTP {}", self.status)?;
        if let Some(code) = &self.error_code {
            write!(f, " {code}")?;
        }
        write!(f, ": {}", self.message)?;
        if self.is_denied()
            && let Some(needs) = self.needed_permission()
        {
            write!(f, " (needs {needs})")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_403_for_an_accepted_credential_is_a_denial_naming_the_permission() {
        let e = ApiError::from_response(
            CallContext {
                method: "POST".into(),
                path: "/api/2.0/workspace/import".into(),
                object: "file /Users/x/nb".into(),
            },
            403,
            "Forbidden",
            br#"{"error_code":"PERMISSION_DENIED","message":"no"}"#,
            None,
            None,
        );
        assert!(e.is_denied() && e.is_auth() && !e.is_credential());
        assert!(
            e.to_string()
                .contains("needs CAN_MANAGE on the workspace folder"),
            "{e}"
        );
        let bad_token = ApiError::from_response(
            CallContext {
                method: "GET".into(),
                path: "/api/2.0/preview/scim/v2/Me".into(),
                object: String::new(),
            },
            403,
            "Forbidden",
            br#"{"error_code":"403","message":"Invalid access token."}"#,
            None,
            None,
        );
        assert!(bad_token.is_credential() && !bad_token.is_denied());
    }

    fn call() -> CallContext {
        CallContext {
            method: "GET".into(),
            path: "/api/2.2/jobs/runs/get".into(),
            object: "run 7".into(),
        }
    }

    fn parse(status: u16, body: &str) -> ApiError {
        ApiError::from_response(call(), status, "Bad Request", body.as_bytes(), None, None)
    }

    #[test]
    fn standard_json_body() {
        let e = parse(
            400,
            r#"{"error_code":"INVALID_PARAMETER_VALUE","message":"Run 7 does not exist."}"#,
        );
        assert_eq!(e.error_code.as_deref(), Some("INVALID_PARAMETER_VALUE"));
        assert!(e.is_not_found());
        let shown = e.to_string();
        assert!(
            shown.contains("run 7") && shown.contains("HTTP 400"),
            "{shown}"
        );
    }

    #[test]
    fn a_detail_marking_the_object_as_its_parents_is_read() {
        let e = parse(
            400,
            r#"{"error_code":"BAD_REQUEST","message":"root branch","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"RESOURCE_CONFLICT","metadata":{"declarative_context":"MANAGED_BY_PARENT"}}]}"#,
        );
        assert!(e.managed_by_parent);
        assert!(!parse(400, r#"{"error_code":"BAD_REQUEST","message":"x"}"#).managed_by_parent);
        assert!(!parse(400, "not json").managed_by_parent);
    }

    #[test]
    fn oauth_scim_text_and_html_bodies() {
        let e = parse(
            401,
            r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#,
        );
        assert_eq!(e.error_code.as_deref(), Some("invalid_client"));
        assert_eq!(e.message, "Client authentication failed");
        let e = parse(
            404,
            r#"{"detail":"User not found","scimType":"invalidValue","status":"404"}"#,
        );
        assert_eq!(e.error_code.as_deref(), Some("SCIM_404"));
        assert_eq!(e.message, "invalidValue User not found");
        let e = parse(503, "TEMPORARILY_UNAVAILABLE: try later");
        assert_eq!(e.error_code.as_deref(), Some("TEMPORARILY_UNAVAILABLE"));
        let e = parse(502, "<html><title>Bad gateway</title></html>");
        assert_eq!(e.message, "Bad gateway");
        let e = parse(500, "");
        assert_eq!(e.message, "Bad Request");
    }

    #[test]
    fn conflict_classes() {
        assert!(
            parse(
                400,
                r#"{"error_code":"RESOURCE_ALREADY_EXISTS","message":"x"}"#
            )
            .is_already_exists()
        );
        assert!(
            !parse(
                400,
                r#"{"error_code":"INVALID_PARAMETER_VALUE","message":"bad"}"#
            )
            .is_not_found()
        );
    }
}
