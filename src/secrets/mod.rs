//! Secret references, accepted wherever a secret is taken: `aws-sm://<id-or-arn>[#json-key]`
//! (AWS Secrets Manager through the default credential chain), `azure-kv://<vault>/<name>`
//! (Azure Key Vault with the `ARM_*` credentials), `env:NAME`, `file:PATH`.
//! Anything else is the secret itself. Resolved values never appear in errors.

use std::collections::BTreeMap;

use crate::auth::Secret;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    Value,
    Env(String),
    File(String),
    AwsSecretsManager { id: String, key: Option<String> },
    AzureKeyVault { vault: String, name: String },
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{what}: the secret reference {reference} is malformed: {why}")]
    Malformed {
        what: String,
        reference: String,
        why: String,
    },
    #[error("{what}: {reference} could not be resolved: {why}")]
    Unresolved {
        what: String,
        reference: String,
        why: String,
    },
}

impl SecretError {
    /// A malformed reference is bad input; one that did not resolve is an auth failure.
    pub fn is_malformed(&self) -> bool {
        matches!(self, SecretError::Malformed { .. })
    }
}

pub fn parse(value: &str) -> Result<Reference, String> {
    if let Some(name) = value.strip_prefix("env:") {
        return if name.is_empty() {
            Err("env: needs a variable name".into())
        } else {
            Ok(Reference::Env(name.to_string()))
        };
    }
    if let Some(path) = value.strip_prefix("file:") {
        return if path.is_empty() {
            Err("file: needs a path".into())
        } else {
            Ok(Reference::File(path.to_string()))
        };
    }
    if let Some(rest) = value.strip_prefix("aws-sm://") {
        let (id, key) = match rest.split_once('#') {
            Some((id, key)) if !key.is_empty() => (id, Some(key.to_string())),
            Some(_) => return Err("empty JSON key after '#'".into()),
            None => (rest, None),
        };
        return if id.is_empty() {
            Err("aws-sm:// needs a secret name or ARN".into())
        } else {
            Ok(Reference::AwsSecretsManager {
                id: id.to_string(),
                key,
            })
        };
    }
    if let Some(rest) = value.strip_prefix("azure-kv://") {
        return match rest.split_once('/') {
            Some((vault, name)) if !vault.is_empty() && !name.is_empty() => {
                Ok(Reference::AzureKeyVault {
                    vault: vault.into(),
                    name: name.into(),
                })
            }
            _ => Err("expected azure-kv://<vault>/<name>".into()),
        };
    }
    Ok(Reference::Value)
}

/// Resolves `value` for `what` (the variable or flag it came from, named in errors).
pub async fn resolve(
    what: &str,
    value: &str,
    env: &BTreeMap<String, String>,
) -> Result<Secret, SecretError> {
    let reference = parse(value).map_err(|why| SecretError::Malformed {
        what: what.into(),
        reference: shown(value),
        why,
    })?;
    let unresolved = |why: String| SecretError::Unresolved {
        what: what.into(),
        reference: shown(value),
        why,
    };
    match reference {
        Reference::Value => Ok(Secret::new(value)),
        Reference::Env(name) => env
            .get(&name)
            .filter(|v| !v.is_empty())
            .map(Secret::new)
            .ok_or_else(|| unresolved(format!("{name} is not set"))),
        Reference::File(path) => std::fs::read_to_string(&path)
            .map(|v| Secret::new(v.trim_end_matches(['\n', '\r'])))
            .map_err(|e| unresolved(format!("cannot read {path}: {e}"))),
        Reference::AwsSecretsManager { id, key } => {
            let config =
                crate::aws::config(env.get("BRICKCI_AWS_ENDPOINT_URL").map(String::as_str)).await;
            let client = aws_sdk_secretsmanager::Client::new(&config);
            let out = client
                .get_secret_value()
                .secret_id(&id)
                .send()
                .await
                .map_err(|e| {
                    use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
                    let code = e.meta().code().unwrap_or("error").to_string();
                    let msg = e
                        .meta()
                        .message()
                        .map(str::to_string)
                        .unwrap_or_else(|| crate::databricks::error_chain(&e));
                    unresolved(format!("{code}: {msg}"))
                })?;
            let text = out.secret_string().ok_or_else(|| {
                unresolved(
                    "the secret has no string value (binary secrets are not supported)".into(),
                )
            })?;
            match key {
                None => Ok(Secret::new(text)),
                Some(k) => {
                    let json: serde_json::Value = serde_json::from_str(text).map_err(|_| {
                        unresolved(format!(
                            "the secret is not a JSON object, so it has no key {k:?}"
                        ))
                    })?;
                    match &json[&k] {
                        serde_json::Value::String(s) => Ok(Secret::new(s.clone())),
                        serde_json::Value::Null => {
                            Err(unresolved(format!("the secret's JSON has no key {k:?}")))
                        }
                        other => Ok(Secret::new(other.to_string())),
                    }
                }
            }
        }
        Reference::AzureKeyVault { vault, name } => {
            let cfg = crate::auth::AuthConfig::from_env(env.iter());
            let get = |k: &str| env.get(k).map(String::as_str).filter(|v| !v.is_empty());
            let azure = crate::auth::azure_env(&cfg, &get);
            let credential = crate::auth::azure::first_token_credential(&azure)
                .map_err(|e| unresolved(crate::databricks::error_chain(&e)))?;
            // A bare vault name is in the public cloud; a host name (sovereign cloud, private
            // endpoint) is used as given.
            let url = if vault.contains('.') || vault.contains(':') {
                format!("https://{vault}/")
            } else {
                format!("https://{vault}.vault.azure.net/")
            };
            // The SDK checks that the vault is a subdomain of the challenge's resource; a vault
            // reached by IP address (a private endpoint, a test) can never be one.
            let by_ip = vault
                .rsplit_once(':')
                .map_or(vault.as_str(), |(h, _)| h)
                .parse::<std::net::IpAddr>()
                .is_ok();
            let options = azure_security_keyvault_secrets::SecretClientOptions {
                verify_challenge_resource: Some(!by_ip),
                client_options: crate::auth::azure::client_options()
                    .map_err(|e| unresolved(crate::databricks::error_chain(&e)))?,
                ..Default::default()
            };
            let client =
                azure_security_keyvault_secrets::SecretClient::new(&url, credential, Some(options))
                    .map_err(|e| unresolved(crate::databricks::error_chain(&e)))?;
            let secret = client
                .get_secret(&name, None)
                .await
                .map_err(|e| unresolved(crate::databricks::error_chain(&e)))?
                .into_model()
                .map_err(|e| unresolved(crate::databricks::error_chain(&e)))?;
            secret
                .value
                .map(Secret::new)
                .ok_or_else(|| unresolved("the secret has no value".into()))
        }
    }
}

/// A reference as it may be shown: the reference itself, never a plain secret.
fn shown(value: &str) -> String {
    match parse(value) {
        Ok(Reference::Value) | Err(_)
            if !value.contains("://")
                && !value.starts_with("env:")
                && !value.starts_with("file:") =>
        {
            "(value)".into()
        }
        _ => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_reference_forms() {
        assert_eq!(
            parse("aws-sm://ci/databricks#token"),
            Ok(Reference::AwsSecretsManager {
                id: "ci/databricks".into(),
                key: Some("token".into())
            })
        );
        assert_eq!(
            parse("aws-sm://arn:aws:secretsmanager:eu-west-1:1:secret:x"),
            Ok(Reference::AwsSecretsManager {
                id: "arn:aws:secretsmanager:eu-west-1:1:secret:x".into(),
                key: None
            })
        );
        assert_eq!(parse("env:MY_TOKEN"), Ok(Reference::Env("MY_TOKEN".into())));
        assert_eq!(parse("dapi123"), Ok(Reference::Value));
        assert!(parse("aws-sm://x#").is_err());
        assert!(parse("azure-kv://vault").is_err());
    }

    #[tokio::test]
    async fn resolves_env_and_file_and_never_shows_values() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("t");
        std::fs::write(&f, "from-file\n").unwrap();
        let env: BTreeMap<String, String> = [("SRC".to_string(), "from-env".to_string())].into();
        assert_eq!(
            resolve("DATABRICKS_TOKEN", "env:SRC", &env)
                .await
                .unwrap()
                .expose(),
            "from-env"
        );
        let r = format!("file:{}", f.display());
        assert_eq!(
            resolve("DATABRICKS_TOKEN", &r, &env)
                .await
                .unwrap()
                .expose(),
            "from-file"
        );
        let err = resolve("DATABRICKS_TOKEN", "env:NOPE", &env)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("DATABRICKS_TOKEN") && err.contains("NOPE"),
            "{err}"
        );
        assert_eq!(
            resolve("X", "plain-secret", &env).await.unwrap().expose(),
            "plain-secret"
        );
    }
}
