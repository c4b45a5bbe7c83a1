//! Token federation checks for the token endpoint's token-exchange grant: the subject token's
//! signature (RS256 against the policy's JWKS), issuer, audience, expiry and subject, as a
//! federation policy on a service principal (or account-wide, without a client id) states.

use std::collections::BTreeMap;

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header, jwk::JwkSet};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FederationPolicy {
    /// The service principal the policy belongs to; None for an account-wide policy.
    #[serde(default)]
    pub client_id: Option<String>,
    pub issuer: String,
    pub audiences: Vec<String>,
    pub subject: String,
    /// The issuer's signing keys (the policy's `jwks_json`).
    pub jwks: serde_json::Value,
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
}

/// The principal the exchanged token acts as, or why the exchange is refused.
pub fn check_token_exchange(
    form: &BTreeMap<String, String>,
    policies: &[FederationPolicy],
) -> Result<String, String> {
    if form.get("subject_token_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:token-type:jwt")
    {
        return Err("subject_token_type must be urn:ietf:params:oauth:token-type:jwt".into());
    }
    let token = form
        .get("subject_token")
        .filter(|t| !t.is_empty())
        .ok_or("subject_token is required")?;
    let client_id = form.get("client_id").filter(|c| !c.is_empty());
    let candidates: Vec<&FederationPolicy> = policies
        .iter()
        .filter(|p| p.client_id.as_ref() == client_id)
        .collect();
    if candidates.is_empty() {
        return Err(match client_id {
            Some(id) => format!("no federation policy for service principal {id}"),
            None => "no account-wide federation policy".into(),
        });
    }
    let header =
        decode_header(token).map_err(|e| format!("subject_token is not a valid JWT: {e}"))?;
    let mut reasons = Vec::new();
    for p in candidates {
        match check(token, &header, p) {
            Ok(()) => return Ok(client_id.cloned().unwrap_or_else(|| p.subject.clone())),
            Err(why) => reasons.push(why),
        }
    }
    Err(format!(
        "the token does not satisfy the federation policy: {}",
        reasons.join("; ")
    ))
}

fn check(token: &str, header: &jsonwebtoken::Header, p: &FederationPolicy) -> Result<(), String> {
    let jwks: JwkSet = serde_json::from_value(p.jwks.clone())
        .map_err(|e| format!("policy JWKS unreadable: {e}"))?;
    let jwk = match &header.kid {
        Some(kid) => jwks
            .find(kid)
            .ok_or_else(|| format!("signing key {kid} is not in the issuer's keys"))?,
        None => jwks.keys.first().ok_or("the issuer has no keys")?,
    };
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("bad key: {e}"))?;
    let mut v = Validation::new(Algorithm::RS256);
    v.set_issuer(&[&p.issuer]);
    v.set_audience(&p.audiences);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data = decode::<Claims>(token, &key, &v).map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::InvalidIssuer => "issuer does not match".to_string(),
        jsonwebtoken::errors::ErrorKind::InvalidAudience => "audience does not match".to_string(),
        jsonwebtoken::errors::ErrorKind::ExpiredSignature => "token expired".to_string(),
        jsonwebtoken::errors::ErrorKind::InvalidSignature => {
            "signature does not verify".to_string()
        }
        other => format!("{other:?}"),
    })?;
    if data.claims.sub != p.subject {
        return Err(format!("subject {:?} does not match", data.claims.sub));
    }
    Ok(())
}
