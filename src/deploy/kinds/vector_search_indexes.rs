//! `resources.vector_search_indexes`: vector search indexes (`/api/2.0/vector-search/indexes`),
//! Unity Catalog tables named `catalog.schema.table`; the name is the id. The API has no
//! update: as the Databricks CLI, any change to the index itself replaces it, and the deploy
//! waits after a create until the index is ready. A create right after a delete of the same
//! name (a replacement) is retried while the service still holds the name as pending
//! deletion. `grants` are Unity Catalog privileges on the index as a table, applied as
//! differences. An index whose endpoint was replaced (it is bound to the old one) is created
//! anew on the new endpoint.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

use super::catalogs::apply_grants_on;
use super::{
    CreateOptions, Deployer, Fut, KindApi, KindSpec, Permissions, Progress, Update, api_settings,
    req, segment, wait_for,
};
use crate::bundle::presets::PresetCtx;
use crate::bundle::yaml::Node;
use crate::databricks::{ApiRequest, Client, ClientError};

pub static SPEC: KindSpec = KindSpec {
    name: "vector_search_indexes",
    // The CLI deploys it with its direct engine only: no Terraform state to adopt.
    terraform: None,
    required: &["name", "endpoint_name", "primary_key", "index_type"],
    fixed: &[
        "name",
        "endpoint_name",
        "index_type",
        "index_subtype",
        "primary_key",
        "delta_sync_index_spec",
        "direct_access_index_spec",
    ],
    fixed_reason: "and the vector search API has no update for an index",
    replace: true,
    computed: &[],
    // Indexes are listed per endpoint only.
    listing: None,
    levels: &[],
    top_levels: &[],
    permissions: Permissions::None,
    deployer: Deployer::Manager,
    presets,
    api: &VectorSearchIndexes,
};

/// How long an index may take to become ready (the CLI allows 75 minutes: a Delta Sync
/// index first syncs its whole source table).
const READY_WITHIN: Duration = Duration::from_secs(75 * 60);
/// How long a create is retried while the name is pending deletion (as the CLI: a minute).
const RELEASED_WITHIN: Duration = Duration::from_secs(60);

const AT: &str = "/api/2.0/vector-search/indexes";
const SECURABLE: &str = "table";

fn path(name: &str) -> String {
    format!("{AT}/{}", segment(name))
}

/// The body for create: the index's own fields, without grants.
fn body(settings: &Value) -> Value {
    let mut b = api_settings(settings);
    if let Some(o) = b.as_object_mut() {
        o.remove("grants");
    }
    b
}

fn progress(v: &Value) -> Progress {
    let status = &v["status"];
    if status["ready"] == true {
        return Progress::Done;
    }
    Progress::Pending(
        status["message"]
            .as_str()
            .filter(|m| !m.is_empty())
            .unwrap_or("the index is still provisioning")
            .to_string(),
    )
}

/// The service's refusal of a name whose index is still being deleted (it has no code of its
/// own: a 400 INVALID_PARAMETER_VALUE that says so).
fn pending_deletion(e: &ClientError) -> bool {
    e.api().is_some_and(|a| {
        a.error_code.as_deref() == Some("INVALID_PARAMETER_VALUE")
            && a.message.contains("pending deletion")
    })
}

struct VectorSearchIndexes;

impl VectorSearchIndexes {
    /// Creates the index, retrying (bounded) while its name is pending deletion.
    async fn create_index(
        &self,
        c: &Client,
        what: &str,
        settings: &Value,
    ) -> Result<(), ClientError> {
        let started = Instant::now();
        let mut delay = Duration::from_millis(100);
        loop {
            let r = req(Method::POST, AT, what).json(body(settings));
            match c.call::<Value>(r).await {
                Ok(_) => return Ok(()),
                Err(e) if pending_deletion(&e) && started.elapsed() + delay < RELEASED_WITHIN => {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Whether the index is bound to an endpoint that is no longer the one of its
    /// `endpoint_name` (that endpoint was deleted, or replaced by one of the same name).
    /// Unknown (false) when the index does not say which endpoint it is bound to.
    async fn orphaned(&self, c: &Client, what: &str, name: &str) -> Result<bool, ClientError> {
        let index: Value = c.call(self.get(name, what)).await?;
        let Some(bound) = index["endpoint_id"].as_str().filter(|b| !b.is_empty()) else {
            return Ok(false);
        };
        let endpoint = index["endpoint_name"].as_str().unwrap_or_default();
        let r = req(
            Method::GET,
            format!("/api/2.0/vector-search/endpoints/{}", segment(endpoint)),
            what,
        );
        match c.call::<Value>(r).await {
            Ok(e) => Ok(e["id"].as_str() != Some(bound)),
            Err(e) if e.is_not_found() => Ok(true),
            Err(e) => Err(e),
        }
    }
}

impl KindApi for VectorSearchIndexes {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(async move {
            let name = settings["name"].as_str().unwrap_or_default().to_string();
            self.create_index(c, what, settings).await?;
            apply_grants_on(c, what, SECURABLE, &name, &Value::Null, settings).await?;
            Ok(name)
        })
    }

    /// Grants only: every field of the index itself is `fixed`. An index left bound to a
    /// replaced endpoint is created anew first (its grants with it).
    fn update<'a>(&'a self, c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move {
            let mut before = u.previous;
            if self.orphaned(c, u.what, u.id).await? {
                tracing::info!("{}: its endpoint was replaced; creating it anew", u.what);
                let gone = c
                    .call::<Value>(self.delete(u.id, u.what).idempotent(true))
                    .await;
                match gone {
                    Ok(_) => {}
                    Err(e) if e.is_not_found() => {}
                    Err(e) => return Err(e),
                }
                self.create_index(c, u.what, u.settings).await?;
                before = &Value::Null;
            }
            apply_grants_on(c, u.what, SECURABLE, u.id, before, u.settings).await?;
            Ok(u.id.to_string())
        })
    }

    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::DELETE, path(id), what)
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::GET, path(id), what)
    }

    fn named<'a>(&'a self, c: &'a Client, settings: &'a Value) -> Fut<'a, Vec<String>> {
        let name = settings["name"].as_str().unwrap_or_default().to_string();
        self.named_as(c, name, "vector search index")
    }

    fn after_create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        id: &'a str,
        _opts: CreateOptions,
    ) -> Fut<'a, ()> {
        Box::pin(async move {
            wait_for(c, what, READY_WITHIN, || self.get(id, what), progress)
                .await
                .map(drop)
        })
    }

    /// Ready again after an update that created it anew (at once otherwise).
    fn after_update<'a>(&'a self, c: &'a Client, what: &'a str, id: &'a str) -> Fut<'a, ()> {
        Box::pin(async move {
            wait_for(c, what, READY_WITHIN, || self.get(id, what), progress)
                .await
                .map(drop)
        })
    }
}

/// None: the Databricks CLI applies no development-mode preset to vector search indexes.
fn presets(_settings: &mut Node, _ctx: &mut PresetCtx) {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ready_is_done_and_the_status_message_says_why_not() {
        assert!(matches!(
            progress(&json!({"status": {"ready": true}})),
            Progress::Done
        ));
        match progress(&json!({"status": {"ready": false, "message": "syncing"}})) {
            Progress::Pending(m) => assert_eq!(m, "syncing"),
            _ => panic!("not pending"),
        }
        assert!(matches!(progress(&json!({})), Progress::Pending(_)));
    }

    #[test]
    fn the_create_body_leaves_out_grants() {
        let b = body(&json!({"name": "a.b.c", "grants": [], "permissions": []}));
        assert_eq!(b, json!({"name": "a.b.c"}));
    }
}
