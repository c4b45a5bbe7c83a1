//! `resources.secret_scopes`: a scope's id is its name; it has nothing to update but its
//! ACLs; it is only listed, never read by id.

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    Deployer, Fut, KindApi, KindSpec, Listing, Permissions, Update, api_settings, principal, req,
};
use crate::bundle::presets::PresetCtx;
use crate::bundle::yaml::Node;
use crate::databricks::{ApiRequest, Client, ClientError};

pub static SPEC: KindSpec = KindSpec {
    name: "secret_scopes",
    terraform: Some("databricks_secret_scope"),
    required: &["name"],
    fixed: &[],
    fixed_reason: "",
    replace: false,
    computed: &[],
    listing: Some(Listing {
        path: "/api/2.0/secrets/scopes/list",
        array: "scopes",
        id_field: "name",
        page_size: "",
        always: true,
    }),
    levels: &["READ", "WRITE", "MANAGE"],
    top_levels: &[("CAN_MANAGE", "MANAGE"), ("CAN_VIEW", "READ")],
    permissions: Permissions::Custom,
    deployer: Deployer::Nobody,
    presets,
    api: &SecretScopes,
};

struct SecretScopes;

async fn scope_names(client: &Client) -> Result<Vec<String>, ClientError> {
    let v: Value = client
        .call(req(
            Method::GET,
            "/api/2.0/secrets/scopes/list",
            "secret scopes",
        ))
        .await?;
    Ok(v["scopes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str().map(str::to_string))
        .collect())
}

impl KindApi for SecretScopes {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(async move {
            let body = api_settings(settings);
            // A scope has no id but its name, and takes only these settings.
            let name = settings["name"].as_str().unwrap_or(key).to_string();
            let mut b = json!({ "scope": name });
            for k in [
                "initial_manage_principal",
                "scope_backend_type",
                "backend_azure_keyvault",
            ] {
                if let Some(v) = body.get(k) {
                    b[k] = v.clone();
                }
            }
            c.call::<Value>(req(Method::POST, "/api/2.0/secrets/scopes/create", what).json(b))
                .await?;
            Ok(name)
        })
    }

    /// Scopes have nothing to update but their ACLs, applied with permissions.
    fn update<'a>(&'a self, _c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move { Ok(u.id.to_string()) })
    }

    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::POST, "/api/2.0/secrets/scopes/delete", what).json(json!({ "scope": id }))
    }

    /// Never used: `exists` lists.
    fn get(&self, _id: &str, what: &str) -> ApiRequest {
        req(Method::GET, "/api/2.0/secrets/scopes/list", what)
    }

    fn exists<'a>(&'a self, c: &'a Client, id: &'a str, _what: &'a str) -> Fut<'a, bool> {
        Box::pin(async move { Ok(scope_names(c).await?.iter().any(|n| n == id)) })
    }

    fn named<'a>(&'a self, c: &'a Client, settings: &'a Value) -> Fut<'a, Vec<String>> {
        Box::pin(async move {
            let name = settings["name"].as_str().unwrap_or_default();
            Ok(scope_names(c)
                .await?
                .into_iter()
                .filter(|n| n == name)
                .collect())
        })
    }

    /// Each principal's ACL is put; what `previous` granted and `acl` does not is deleted.
    fn apply_permissions<'a>(
        &'a self,
        c: &'a Client,
        id: &'a str,
        acl: &'a [Value],
        previous: &'a [Value],
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            let what = format!("ACL of scope {id}");
            for p in acl {
                if let (Some((_, who)), Some(level)) = (principal(p), p["level"].as_str()) {
                    let b = json!({ "scope": id, "principal": who, "permission": level });
                    c.call::<Value>(
                        req(Method::POST, "/api/2.0/secrets/acls/put", &what)
                            .json(b)
                            .idempotent(true),
                    )
                    .await?;
                }
            }
            let wanted: Vec<String> = acl
                .iter()
                .filter_map(|p| principal(p).map(|x| x.1))
                .collect();
            for (_, who) in previous.iter().filter_map(principal) {
                if wanted.contains(&who) {
                    continue;
                }
                let b = json!({ "scope": id, "principal": who });
                match c
                    .call::<Value>(req(Method::POST, "/api/2.0/secrets/acls/delete", &what).json(b))
                    .await
                {
                    Err(e) if !e.is_not_found() => return Err(e),
                    _ => {}
                }
            }
            Ok(())
        })
    }
}

fn presets(_settings: &mut Node, _ctx: &mut PresetCtx) {}
