//! GitHub App authentication: a short-lived JWT signed with the App's private key (RS256)
//! buys an installation token for one repository.

use serde::Serialize;
use serde_json::json;

use crate::auth::Secret;

use super::GitHubError;
use super::rest::{Rest, failed};

#[derive(Serialize)]
struct Claims<'a> {
    iat: u64,
    exp: u64,
    iss: &'a str,
}

/// The App JWT: issued 60 s in the past (clock drift), expiring 9 minutes from now (GitHub
/// refuses more than 10).
pub fn app_jwt(app_id: &str, private_key_pem: &Secret, now: u64) -> Result<Secret, GitHubError> {
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(private_key_pem.expose().as_bytes())
        .map_err(|e| {
            GitHubError::Client(format!("the App private key is not an RSA PEM key: {e}"))
        })?;
    let claims = Claims {
        iat: now.saturating_sub(60),
        exp: now + 540,
        iss: app_id,
    };
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    jsonwebtoken::encode(&header, &claims, &key)
        .map(Secret::new)
        .map_err(|e| GitHubError::Client(format!("cannot sign the App JWT: {e}")))
}

/// The installation token for `repo` (owner/name), limited to that repository.
pub async fn installation_token(
    api_url: &str,
    dotcom: bool,
    jwt: Secret,
    repo: &str,
) -> Result<Secret, GitHubError> {
    let rest = Rest::new(api_url, jwt, dotcom)?;
    let installation = rest
        .get(&format!("/repos/{repo}/installation"), &[])
        .await?;
    let id = installation["id"]
        .as_u64()
        .ok_or_else(|| GitHubError::Call {
            call: format!("GET /repos/{repo}/installation"),
            status: None,
            message: "no installation id in the answer".into(),
        })?;
    let path = format!("/app/installations/{id}/access_tokens");
    let name = repo.split_once('/').map_or(repo, |(_, n)| n);
    // Asking twice only mints a second token: a failure here is not ambiguous in effect.
    let answer = rest
        .post_once(&path, &json!({ "repositories": [name] }))
        .await
        .map_err(|f| GitHubError::Call {
            call: f.call,
            status: None,
            message: f.message,
        })?;
    if answer.status != 201 && answer.status != 200 {
        return Err(failed(format!("POST {path}"), &answer));
    }
    answer.body["token"]
        .as_str()
        .map(Secret::new)
        .ok_or_else(|| GitHubError::Call {
            call: format!("POST {path}"),
            status: None,
            message: "no token in the answer".into(),
        })
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;

    fn part(jwt: &str, i: usize) -> serde_json::Value {
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(i).unwrap())
            .unwrap();
        serde_json::from_slice(&b).unwrap()
    }

    #[test]
    fn the_app_jwt_is_rs256_issued_a_minute_ago_and_short_lived() {
        let pem = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/oidc_issuer_key.pem"),
        )
        .unwrap();
        let jwt = app_jwt("42", &Secret::new(pem), 1_000_000).unwrap();
        assert_eq!(part(jwt.expose(), 0)["alg"], "RS256");
        let claims = part(jwt.expose(), 1);
        assert_eq!(claims["iss"], "42");
        assert_eq!(claims["iat"], 1_000_000 - 60);
        let exp = claims["exp"].as_u64().unwrap();
        assert!(exp > 1_000_000 && exp - (1_000_000 - 60) <= 600, "{claims}");
    }

    #[test]
    fn a_key_that_is_not_rsa_pem_is_refused_without_showing_it() {
        let e = app_jwt("42", &Secret::new("not-a-key-secret-value"), 1).unwrap_err();
        assert!(!e.to_string().contains("not-a-key-secret-value"), "{e}");
    }
}
