//! Which Databricks credentials to use, from the same variables the official SDKs read.

use std::sync::Arc;

use serde::Deserialize;
use url::Url;

use super::{AuthError, Credentials, M2mCredentials, PatCredentials, Secret};

/// The SDK's variables (`DATABRICKS_*`), read through envy from an environment snapshot.
#[derive(Debug, Default, Deserialize)]
pub struct AuthConfig {
    pub host: Option<String>,
    pub token: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub auth_type: Option<String>,
}

impl AuthConfig {
    /// Reads `DATABRICKS_HOST`, `DATABRICKS_TOKEN`, ... from the given variables.
    pub fn from_env<'a>(vars: impl IntoIterator<Item = (&'a String, &'a String)>) -> Self {
        let pairs = vars
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.clone(), v.clone()));
        envy::prefixed("DATABRICKS_")
            .from_iter(pairs)
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthType {
    Pat,
    OauthM2m,
}

#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error(
        "DATABRICKS_HOST is not set (the workspace URL, e.g. https://adb-123.4.azuredatabricks.net)"
    )]
    Missing,
    #[error("DATABRICKS_HOST {0:?} is not a valid URL: {1}")]
    Invalid(String, String),
}

/// As the SDK does: add `https://` when no scheme, drop a trailing `/` and a default port.
pub fn normalize_host(raw: &str) -> Result<Url, HostError> {
    let trimmed = raw.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        return Err(HostError::Missing);
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("https://{trimmed}")
    };
    let mut url =
        Url::parse(&with_scheme).map_err(|e| HostError::Invalid(raw.to_string(), e.to_string()))?;
    if url.host_str().is_none() {
        return Err(HostError::Invalid(raw.to_string(), "no host name".into()));
    }
    if url.scheme() == "https" && url.port() == Some(443) {
        let _ = url.set_port(None);
    }
    url.set_path("");
    url.set_query(None);
    Ok(url)
}

/// Picks the method like the SDK's default chain (pat, then oauth-m2m), or the one
/// `DATABRICKS_AUTH_TYPE` names; refuses a mix of families unless one is named.
pub fn resolve_credentials(
    cfg: &AuthConfig,
    host: &Url,
) -> Result<Arc<dyn Credentials>, AuthError> {
    let has_pat = cfg.token.is_some();
    let has_m2m = cfg.client_id.is_some() || cfg.client_secret.is_some();
    let chosen = match cfg.auth_type.as_deref() {
        Some("pat") => AuthType::Pat,
        Some("oauth-m2m") => AuthType::OauthM2m,
        Some(other) => return Err(AuthError::UnknownType(other.to_string())),
        None if has_pat && has_m2m => {
            return Err(AuthError::Ambiguous(
                "DATABRICKS_TOKEN (pat) and DATABRICKS_CLIENT_ID/SECRET (oauth-m2m)".into(),
            ));
        }
        None if has_pat => AuthType::Pat,
        None if has_m2m => AuthType::OauthM2m,
        None => {
            return Err(AuthError::NoCredentials(
                "set DATABRICKS_TOKEN (a personal access token) or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET (a service principal)".into(),
            ));
        }
    };
    match chosen {
        AuthType::Pat => {
            let token = cfg.token.clone().ok_or(AuthError::Missing {
                method: "pat",
                variable: "DATABRICKS_TOKEN",
            })?;
            Ok(Arc::new(PatCredentials::new(Secret::new(token))))
        }
        AuthType::OauthM2m => {
            let id = cfg.client_id.clone().ok_or(AuthError::Missing {
                method: "oauth-m2m",
                variable: "DATABRICKS_CLIENT_ID",
            })?;
            let secret = cfg.client_secret.clone().ok_or(AuthError::Missing {
                method: "oauth-m2m",
                variable: "DATABRICKS_CLIENT_SECRET",
            })?;
            Ok(Arc::new(M2mCredentials::new(
                host.clone(),
                id,
                Secret::new(secret),
            )))
        }
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
    }

    #[test]
    fn picks_methods_like_the_sdk() {
        let host = normalize_host("http://127.0.0.1:1").unwrap();
        let pat = cfg(&[("DATABRICKS_TOKEN", "t")]);
        assert_eq!(resolve_credentials(&pat, &host).unwrap().method(), "pat");
        let m2m = cfg(&[
            ("DATABRICKS_CLIENT_ID", "id"),
            ("DATABRICKS_CLIENT_SECRET", "s"),
        ]);
        assert_eq!(
            resolve_credentials(&m2m, &host).unwrap().method(),
            "oauth-m2m"
        );
        let both = cfg(&[("DATABRICKS_TOKEN", "t"), ("DATABRICKS_CLIENT_ID", "id")]);
        assert!(matches!(
            resolve_credentials(&both, &host),
            Err(AuthError::Ambiguous(_))
        ));
        let forced = cfg(&[
            ("DATABRICKS_TOKEN", "t"),
            ("DATABRICKS_CLIENT_ID", "id"),
            ("DATABRICKS_AUTH_TYPE", "pat"),
        ]);
        assert_eq!(resolve_credentials(&forced, &host).unwrap().method(), "pat");
        let half = cfg(&[("DATABRICKS_CLIENT_ID", "id")]);
        let err = resolve_credentials(&half, &host).err().unwrap().to_string();
        assert!(err.contains("DATABRICKS_CLIENT_SECRET"), "{err}");
        assert!(matches!(
            resolve_credentials(&cfg(&[]), &host),
            Err(AuthError::NoCredentials(_))
        ));
    }
}
