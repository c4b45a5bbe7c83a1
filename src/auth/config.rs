//! Which Databricks credentials to use, from the same variables the official SDKs read.

use crate::util::redact_userinfo;
use std::sync::Arc;

use serde::Deserialize;
use url::Url;

use std::collections::BTreeMap;

use super::id_token::IdTokenSource;
use super::{AuthError, Credentials, FederatedCredentials, M2mCredentials, PatCredentials, Secret};

/// The SDK's variables (`DATABRICKS_*`), read through envy from an environment snapshot.
#[derive(Debug, Default, Deserialize)]
pub struct AuthConfig {
    pub host: Option<String>,
    pub token: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub auth_type: Option<String>,
    pub token_audience: Option<String>,
    pub oidc_token_env: Option<String>,
    pub oidc_token_filepath: Option<String>,
    pub oidc_token_file: Option<String>,
    /// `DATABRICKS_AZURE_RESOURCE_ID`: the workspace's ARM resource id.
    pub azure_resource_id: Option<String>,
    /// `ARM_CLIENT_SECRET`, kept here so a secret reference in it is resolved like the others.
    #[serde(skip)]
    pub arm_client_secret: Option<String>,
}

impl AuthConfig {
    /// Reads `DATABRICKS_HOST`, `DATABRICKS_TOKEN`, ... (and `ARM_CLIENT_SECRET`) from the given variables.
    pub fn from_env<'a>(vars: impl IntoIterator<Item = (&'a String, &'a String)>) -> Self {
        let pairs: Vec<(String, String)> = vars
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut cfg: AuthConfig = envy::prefixed("DATABRICKS_")
            .from_iter(pairs.clone())
            .unwrap_or_default();
        cfg.arm_client_secret = pairs
            .into_iter()
            .find(|(k, _)| k == "ARM_CLIENT_SECRET")
            .map(|(_, v)| v);
        cfg
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error(
        "DATABRICKS_HOST is not set (the workspace URL, e.g. https://adb-123.4.azuredatabricks.net)"
    )]
    Missing,
    #[error("DATABRICKS_HOST {0:?} is not a valid URL: {1}")]
    Invalid(String, String),
    #[error(
        "DATABRICKS_HOST {0:?} holds a user name or password; give the workspace URL alone and the credential in its own variable"
    )]
    Userinfo(String),
    #[error("DATABRICKS_HOST {0:?} must be an http:// or https:// URL (scheme {1:?})")]
    Scheme(String, String),
}

/// As the SDK does: add `https://` when no scheme, drop a trailing `/` and a default port.
pub fn normalize_host(raw: &str) -> Result<Url, HostError> {
    let trimmed = raw.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        return Err(HostError::Missing);
    }
    // Shown in every message about the value: never with a password in it.
    let shown = redact_userinfo(trimmed);
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("https://{trimmed}")
    };
    let mut url = Url::parse(&with_scheme)
        .map_err(|e| HostError::Invalid(shown.clone(), redact_userinfo(&e.to_string())))?;
    // Anything but http(s) would only fail at the first request, and be retried.
    if !matches!(url.scheme(), "http" | "https") {
        return Err(HostError::Scheme(shown, url.scheme().to_string()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(HostError::Userinfo(shown));
    }
    if url.host_str().is_none() {
        return Err(HostError::Invalid(shown, "no host name".into()));
    }
    if url.scheme() == "https" && url.port() == Some(443) {
        let _ = url.set_port(None);
    }
    url.set_path("");
    url.set_query(None);
    Ok(url)
}

/// Which methods were looked at, in order, and why each was passed over.
#[derive(Debug, Clone, Default)]
pub struct AuthReport {
    pub attempts: Vec<(&'static str, Option<String>)>,
}

impl AuthReport {
    /// One line per method: `chosen`, or `skipped: <why>`.
    pub fn lines(&self) -> Vec<String> {
        self.attempts
            .iter()
            .map(|(m, why)| match why {
                None => format!("{m}: chosen"),
                Some(w) => format!("{m}: skipped, {w}"),
            })
            .collect()
    }
}

/// The SDKs' default order, then the Azure methods the Python SDK lacks.
/// Every auth method, in the order the default chain tries them: the one list the
/// `--auth-type` values, its help and its error message come from.
pub const AUTH_METHODS: [&str; 10] = [
    "pat",
    "oauth-m2m",
    "env-oidc",
    "file-oidc",
    "github-oidc",
    "azure-client-secret",
    "azure-devops-oidc",
    "azure-devops-service-connection",
    "azure-workload-identity",
    "azure-msi",
];

/// Why a method cannot be used: a variable it needs is missing, or setting it up failed.
pub enum Unusable {
    Missing(&'static str),
    Failed(AuthError),
}

/// Picks the method like the SDKs' default chain, or the one `DATABRICKS_AUTH_TYPE` names;
/// refuses two secrets of different methods unless one is named. `env` is the rest of the
/// environment (CI variables for the ID token sources, `ARM_*` for Azure).
pub fn resolve_credentials(
    cfg: &AuthConfig,
    env: &BTreeMap<String, String>,
    host: &Url,
) -> Result<(Arc<dyn Credentials>, AuthReport), AuthError> {
    let get = |k: &str| env.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let forced = match cfg.auth_type.as_deref() {
        Some(t) => Some(
            AUTH_METHODS
                .into_iter()
                .find(|m| *m == t)
                .ok_or_else(|| AuthError::UnknownType(t.to_string(), AUTH_METHODS.join(", ")))?,
        ),
        None => None,
    };
    if forced.is_none() && cfg.token.is_some() && cfg.client_secret.is_some() {
        return Err(AuthError::Ambiguous(
            "DATABRICKS_TOKEN (pat) and DATABRICKS_CLIENT_SECRET (oauth-m2m)".into(),
        ));
    }
    if forced.is_none() && cfg.client_secret.is_some() && cfg.arm_client_secret.is_some() {
        return Err(AuthError::Ambiguous(
            "DATABRICKS_CLIENT_SECRET (oauth-m2m) and ARM_CLIENT_SECRET (azure-client-secret)"
                .into(),
        ));
    }
    let mut report = AuthReport::default();
    for method in AUTH_METHODS {
        if forced.is_some_and(|f| f != method) {
            continue;
        }
        let found = if method.starts_with("azure-") && method != "azure-devops-oidc" {
            super::azure::build(method, &azure_env(cfg, &get))
        } else {
            candidate(method, cfg, &get, host).map_err(Unusable::Missing)
        };
        match found {
            Ok(creds) => {
                report.attempts.push((method, None));
                return Ok((creds, report));
            }
            Err(Unusable::Failed(e)) => return Err(e),
            Err(Unusable::Missing(missing)) if forced.is_some() => {
                return Err(AuthError::Missing {
                    method,
                    variable: missing,
                });
            }
            Err(Unusable::Missing(missing)) => report
                .attempts
                .push((method, Some(format!("{missing} not set")))),
        }
    }
    let tried = report.lines().join("; ");
    Err(AuthError::NoCredentials(format!(
        "set DATABRICKS_TOKEN, or DATABRICKS_CLIENT_ID with DATABRICKS_CLIENT_SECRET or a CI ID token, or ARM_* for Azure (tried: {tried})"
    )))
}

pub fn azure_env<'a>(
    cfg: &'a AuthConfig,
    get: &dyn Fn(&str) -> Option<&'a str>,
) -> super::azure::AzureEnv<'a> {
    super::azure::AzureEnv {
        client_id: get("ARM_CLIENT_ID").or_else(|| get("AZURE_CLIENT_ID")),
        client_secret: cfg.arm_client_secret.as_deref(),
        tenant_id: get("ARM_TENANT_ID").or_else(|| get("AZURE_TENANT_ID")),
        use_msi: get("ARM_USE_MSI").is_some_and(|v| v.eq_ignore_ascii_case("true")),
        federated_token_file: get("AZURE_FEDERATED_TOKEN_FILE"),
        service_connection_id: get("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID")
            .or_else(|| get("BRICKCI_AZURE_SERVICE_CONNECTION_ID")),
        system_access_token: get("SYSTEM_ACCESSTOKEN"),
        oidc_request_uri: get("SYSTEM_OIDCREQUESTURI"),
        resource_id: cfg.azure_resource_id.as_deref(),
    }
}

/// The method's credentials, or the first variable it lacks.
fn candidate<'a>(
    method: &str,
    cfg: &AuthConfig,
    get: &dyn Fn(&str) -> Option<&'a str>,
    host: &Url,
) -> Result<Arc<dyn Credentials>, &'static str> {
    let need = |v: Option<&str>, name: &'static str| v.map(str::to_string).ok_or(name);
    let client_id = || need(cfg.client_id.as_deref(), "DATABRICKS_CLIENT_ID");
    let federated = |client: Option<String>, source| -> Arc<dyn Credentials> {
        Arc::new(FederatedCredentials::new(
            host.clone(),
            client,
            source,
            cfg.token_audience.clone(),
        ))
    };
    match method {
        "pat" => Ok(Arc::new(PatCredentials::new(Secret::new(need(
            cfg.token.as_deref(),
            "DATABRICKS_TOKEN",
        )?)))),
        "oauth-m2m" => {
            let id = client_id()?;
            let secret = need(cfg.client_secret.as_deref(), "DATABRICKS_CLIENT_SECRET")?;
            Ok(Arc::new(M2mCredentials::new(
                host.clone(),
                id,
                Secret::new(secret),
            )))
        }
        "env-oidc" => {
            let name = cfg
                .oidc_token_env
                .clone()
                .unwrap_or_else(|| "DATABRICKS_OIDC_TOKEN".into());
            let value = get(&name).ok_or(if cfg.oidc_token_env.is_some() {
                "the variable named by DATABRICKS_OIDC_TOKEN_ENV"
            } else {
                "DATABRICKS_OIDC_TOKEN"
            })?;
            Ok(federated(
                cfg.client_id.clone(),
                IdTokenSource::Variable {
                    name,
                    value: Secret::new(value),
                },
            ))
        }
        "file-oidc" => {
            let path = cfg
                .oidc_token_filepath
                .clone()
                .or_else(|| cfg.oidc_token_file.clone())
                .ok_or("DATABRICKS_OIDC_TOKEN_FILEPATH")?;
            Ok(federated(
                cfg.client_id.clone(),
                IdTokenSource::File { path: path.into() },
            ))
        }
        "github-oidc" => {
            let id = client_id()?;
            let request_url = need(
                get("ACTIONS_ID_TOKEN_REQUEST_URL"),
                "ACTIONS_ID_TOKEN_REQUEST_URL (permissions: id-token: write)",
            )?;
            let token = need(
                get("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            )?;
            Ok(federated(
                Some(id),
                IdTokenSource::GitHubActions {
                    request_url,
                    request_token: Secret::new(token),
                },
            ))
        }
        "azure-devops-oidc" => {
            let id = client_id()?;
            let access = need(get("SYSTEM_ACCESSTOKEN"), "SYSTEM_ACCESSTOKEN")?;
            let mut parts = Vec::new();
            for k in [
                "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI",
                "SYSTEM_TEAMPROJECTID",
                "SYSTEM_HOSTTYPE",
                "SYSTEM_PLANID",
                "SYSTEM_JOBID",
            ] {
                parts.push(need(get(k), k)?);
            }
            let url = format!(
                "{}/{}/_apis/distributedtask/hubs/{}/plans/{}/jobs/{}/oidctoken?api-version=7.2-preview.1",
                parts[0].trim_end_matches('/'),
                parts[1],
                parts[2],
                parts[3],
                parts[4]
            );
            Ok(federated(
                Some(id),
                IdTokenSource::AzureDevOps {
                    url,
                    access_token: Secret::new(access),
                },
            ))
        }
        _ => Err("an auth type brickci knows"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn cfg(pairs: &[(&str, &str)]) -> AuthConfig {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        AuthConfig::from_env(&map)
    }

    #[test]
    fn host_normalisation() {
        assert_eq!(
            normalize_host("adb-1.azuredatabricks.net/")
                .unwrap()
                .as_str(),
            "https://adb-1.azuredatabricks.net/"
        );
        assert_eq!(
            normalize_host("https://x.cloud.databricks.com:443")
                .unwrap()
                .as_str(),
            "https://x.cloud.databricks.com/"
        );
        assert_eq!(
            normalize_host("http://127.0.0.1:8000").unwrap().as_str(),
            "http://127.0.0.1:8000/"
        );
        assert!(matches!(normalize_host(""), Err(HostError::Missing)));
        for bad in [
            "ftp://h.example.com",
            "file:///etc/passwd",
            "ws://h:1",
            "://h",
        ] {
            let e = normalize_host(bad).unwrap_err();
            assert!(e.to_string().contains("DATABRICKS_HOST"), "{bad}: {e}");
        }
        for bad in [
            "http://user:hunter2@h:1",
            "https://hunter2@h",
            "http://u:hunter2@h:x",
        ] {
            let e = normalize_host(bad).unwrap_err().to_string();
            assert!(
                e.contains("DATABRICKS_HOST") && !e.contains("hunter2"),
                "{bad}: {e}"
            );
        }
    }

    fn pick(pairs: &[(&str, &str)]) -> Result<(String, Vec<String>), String> {
        let host = normalize_host("http://127.0.0.1:1").unwrap();
        let env: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        resolve_credentials(&cfg(pairs), &env, &host)
            .map(|(c, r)| (c.method(), r.lines()))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn picks_methods_like_the_sdk() {
        assert_eq!(pick(&[("DATABRICKS_TOKEN", "t")]).unwrap().0, "pat");
        assert_eq!(
            pick(&[
                ("DATABRICKS_CLIENT_ID", "id"),
                ("DATABRICKS_CLIENT_SECRET", "s")
            ])
            .unwrap()
            .0,
            "oauth-m2m"
        );
        assert!(
            pick(&[("DATABRICKS_TOKEN", "t"), ("DATABRICKS_CLIENT_SECRET", "s")])
                .unwrap_err()
                .contains("more than one")
        );
        let forced = pick(&[
            ("DATABRICKS_TOKEN", "t"),
            ("DATABRICKS_CLIENT_SECRET", "s"),
            ("DATABRICKS_AUTH_TYPE", "pat"),
        ]);
        assert_eq!(forced.unwrap().0, "pat");
        let gh = pick(&[
            ("DATABRICKS_CLIENT_ID", "sp"),
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                "http://127.0.0.1:1/token?x=1",
            ),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "r"),
        ])
        .unwrap();
        assert_eq!(gh.0, "github-oidc");
        assert_eq!(gh.1[0], "pat: skipped, DATABRICKS_TOKEN not set");
        assert_eq!(
            gh.1[1],
            "oauth-m2m: skipped, DATABRICKS_CLIENT_SECRET not set"
        );
        assert_eq!(
            pick(&[("DATABRICKS_OIDC_TOKEN", "jwt")]).unwrap().0,
            "env-oidc"
        );
        assert_eq!(
            pick(&[("DATABRICKS_OIDC_TOKEN_FILEPATH", "/tmp/t")])
                .unwrap()
                .0,
            "file-oidc"
        );
        let half = pick(&[
            ("DATABRICKS_AUTH_TYPE", "oauth-m2m"),
            ("DATABRICKS_CLIENT_ID", "id"),
        ])
        .unwrap_err();
        assert!(half.contains("DATABRICKS_CLIENT_SECRET"), "{half}");
        let none = pick(&[]).unwrap_err();
        assert!(
            none.contains("github-oidc: skipped, DATABRICKS_CLIENT_ID not set"),
            "{none}"
        );
        assert!(
            pick(&[("DATABRICKS_AUTH_TYPE", "magic")])
                .unwrap_err()
                .contains("magic")
        );
    }
}
