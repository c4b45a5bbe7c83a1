//! `resources.genie_spaces`: Genie spaces (`/api/2.0/genie/spaces`). The space's content is
//! `serialized_space`, a JSON document as text: read from `file_path` when the bundle loads,
//! or written inline (a YAML map becomes its JSON text). Everything updates in place, the
//! folder too (the update moves the space), so nothing replaces one; a trashed space reads
//! as gone and is created again.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Deployer, Fut, KindApi, KindSpec, Permissions, Update, req};
use crate::bundle::presets::{self as p, PresetCtx};
use crate::bundle::yaml::{Kind, Node};
use crate::databricks::{ApiRequest, Client, workspace};

pub static SPEC: KindSpec = KindSpec {
    name: "genie_spaces",
    // The Terraform provider has no Genie space; the CLI deploys them with its direct engine.
    terraform: None,
    // `serialized_space` too, checked by `presets` (it may come from `file_path`).
    required: &["warehouse_id"],
    fixed: &[],
    fixed_reason: "",
    replace: false,
    computed: &[],
    listing: None,
    levels: &["CAN_READ", "CAN_RUN", "CAN_EDIT", "CAN_MANAGE"],
    top_levels: &[("CAN_VIEW", "CAN_READ")],
    permissions: Permissions::Object("genie"),
    deployer: Deployer::Manager,
    presets,
    api: &GenieSpaces,
};

const SPACES: &str = "/api/2.0/genie/spaces";

/// The fields create and update take (`etag` is never sent: the service moves it on when it
/// migrates a space's format, and a stale one would refuse the update).
const FIELDS: &[&str] = &[
    "title",
    "description",
    "warehouse_id",
    "parent_path",
    "serialized_space",
];

struct GenieSpaces;

fn body(settings: &Value) -> Value {
    let mut b = json!({});
    for k in FIELDS {
        if let Some(v) = settings.get(*k).filter(|v| !v.is_null()) {
            b[*k] = v.clone();
        }
    }
    b
}

impl KindApi for GenieSpaces {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(async move {
            let send = || req(Method::POST, SPACES, what).json(body(settings));
            let created: Value = match c.call(send()).await {
                // The folder is not there yet: the service says so as a 404 or, on older
                // workspaces, as "Tree node with path ... does not exist". Make it, once.
                Err(e) if e.is_not_found() => {
                    let Some(parent) = settings["parent_path"].as_str() else {
                        return Err(e);
                    };
                    workspace::mkdirs(c, parent).await?;
                    c.call(send()).await?
                }
                other => other?,
            };
            super::str_field(&created, "space_id")
        })
    }

    fn update<'a>(&'a self, c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move {
            // A move needs its new folder (a 404 here would read as the space gone).
            if u.renamed("parent_path")
                && let Some(parent) = u.settings["parent_path"].as_str()
            {
                workspace::mkdirs(c, parent).await?;
            }
            let r = req(Method::PATCH, format!("{SPACES}/{}", u.id), u.what)
                .json(body(u.settings))
                .idempotent(true);
            c.call::<Value>(r).await?;
            Ok(u.id.to_string())
        })
    }

    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::DELETE, format!("{SPACES}/{id}"), what)
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::GET, format!("{SPACES}/{id}"), what)
    }

    /// Titles are not unique: every space bearing it (apply takes only one that appeared
    /// while its create's answer was lost).
    fn named<'a>(&'a self, c: &'a Client, settings: &'a Value) -> Fut<'a, Vec<String>> {
        Box::pin(async move {
            let Some(title) = settings["title"].as_str() else {
                return Ok(Vec::new());
            };
            let mut ids = Vec::new();
            let mut token: Option<String> = None;
            // A bound, so a service that repeats a token cannot keep us here.
            for _ in 0..1000 {
                let mut r = req(Method::GET, SPACES, "genie spaces").query("page_size", 100);
                if let Some(t) = &token {
                    r = r.query("page_token", t);
                }
                let page: Value = c.call(r).await?;
                ids.extend(
                    page["spaces"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|s| s["title"] == title)
                        .filter_map(|s| s["space_id"].as_str().map(str::to_string)),
                );
                token = page["next_page_token"]
                    .as_str()
                    .filter(|t| !t.is_empty())
                    .map(str::to_string);
                if token.is_none() {
                    break;
                }
            }
            Ok(ids)
        })
    }
}

/// As the CLI: no etag in the configuration; content from `file_path` or `serialized_space`
/// (a deploy without either is refused, as the API would); in the bundle's resource folder
/// (under `/Workspace`); the title prefixed in development mode.
fn presets(settings: &mut Node, ctx: &mut PresetCtx) {
    let loc = ctx.loc.clone();
    let at = format!("resources.genie_spaces.{}", ctx.key);
    if settings.get("etag").is_some() {
        let title = settings.get("title").and_then(Node::as_str).unwrap_or("");
        ctx.diags.push(
            &loc,
            &at,
            format!(
                "genie space {title:?} has an etag set. Etags must not be set in bundle configuration"
            ),
        );
    }
    if settings.get("file_path").is_none() && settings.get("serialized_space").is_none() {
        ctx.diags.deploy_error(
            &loc,
            format!("{at}.serialized_space"),
            "is required (or file_path naming a .geniespace.json file)",
        );
    }
    p::default(
        settings,
        "parent_path",
        p::text("${workspace.resource_path}", &loc),
    );
    if let Some(Kind::Str(path)) = settings.get_mut("parent_path").map(|n| &mut n.kind)
        && !path.contains("${")
        && !path.starts_with("/Workspace")
    {
        *path = match path.as_str() {
            "" => "/Workspace".to_string(),
            p if p.starts_with('/') => format!("/Workspace{p}"),
            p => format!("/Workspace/{p}"),
        };
    }
    p::prefix(settings, "title", ctx.prefix);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_holds_the_space_fields_only() {
        let settings = json!({
            "title": "t", "description": "d", "warehouse_id": "w", "parent_path": "/p",
            "serialized_space": "{\"version\":1}", "file_path": "./s.geniespace.json",
            "permissions": [], "etag": "3",
        });
        assert_eq!(
            body(&settings),
            json!({"title": "t", "description": "d", "warehouse_id": "w", "parent_path": "/p",
                "serialized_space": "{\"version\":1}"})
        );
    }
}
