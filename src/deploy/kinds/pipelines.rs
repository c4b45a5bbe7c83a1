//! `resources.pipelines`: Lakeflow Declarative Pipelines. An update PUTs all settings; many
//! pipelines are checked with one list.

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    Deployer, Fut, KindApi, KindSpec, Listing, Permissions, Update, api_settings, create_at, req,
};
use crate::bundle::presets::{self as p, NAMED_AFTER_KEY, PresetCtx};
use crate::bundle::yaml::{Kind, Loc, Node};
use crate::databricks::{ApiRequest, Client};

pub static SPEC: KindSpec = KindSpec {
    name: "pipelines",
    terraform: Some("databricks_pipeline"),
    required: &[],
    fixed: &[],
    fixed_reason: "",
    replace: false,
    computed: &[],
    listing: Some(Listing {
        path: "/api/2.0/pipelines",
        array: "statuses",
        id_field: "pipeline_id",
        page_size: "max_results",
        always: false,
    }),
    levels: &["CAN_VIEW", "CAN_RUN", "CAN_MANAGE", "IS_OWNER"],
    top_levels: &[("CAN_VIEW", "CAN_VIEW"), ("CAN_RUN", "CAN_RUN")],
    permissions: Permissions::Object("pipelines"),
    deployer: Deployer::Owner,
    presets,
    api: &Pipelines,
};

struct Pipelines;

impl KindApi for Pipelines {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(async move {
            let body = api_settings(settings);
            let (_, id) = create_at(c, "/api/2.0/pipelines", what, body, "pipeline_id").await?;
            id
        })
    }

    fn update<'a>(&'a self, c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move {
            let mut b = api_settings(u.settings);
            b["id"] = json!(u.id);
            let path = format!("/api/2.0/pipelines/{}", u.id);
            c.call::<Value>(req(Method::PUT, path, u.what).json(b))
                .await?;
            Ok(u.id.to_string())
        })
    }

    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::DELETE, format!("/api/2.0/pipelines/{id}"), what)
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::GET, format!("/api/2.0/pipelines/{id}"), what)
    }

    fn named<'a>(&'a self, c: &'a Client, settings: &'a Value) -> Fut<'a, Vec<String>> {
        let name = settings["name"].as_str().unwrap_or_default();
        Box::pin(crate::deploy::lookup::named(c, "pipeline", name))
    }
}

/// The CLI's pipeline defaults and presets: name, edition, channel, deployment metadata,
/// development mode, paused continuous pipelines, prefix and tags, `run_as`.
fn presets(settings: &mut Node, ctx: &mut PresetCtx) {
    let loc = ctx.loc.clone();
    p::default(
        settings,
        "name",
        p::text(ctx.key, &Loc::synthetic(NAMED_AFTER_KEY)),
    );
    p::default(settings, "edition", p::text("ADVANCED", &loc));
    p::default(settings, "channel", p::text("CURRENT", &loc));
    p::deployment(settings, &loc);
    if ctx.presets.pipelines_development == Some(true) {
        settings.insert(
            p::key("development", &loc),
            Node::new(Kind::Bool(true), loc.clone()),
        );
    }
    // Paused triggers: a continuous pipeline runs only when started.
    if ctx.presets.trigger_pause_status.as_deref() == Some("PAUSED")
        && settings.get("continuous").is_some()
    {
        settings.insert(
            p::key("continuous", &loc),
            Node::new(Kind::Bool(false), loc.clone()),
        );
    }
    p::prefix(settings, "name", ctx.prefix);
    p::tag_map(settings, "tags", ctx.tags(), &loc);
    match (ctx.run_as, ctx.legacy_run_as) {
        (Some(r), false) => p::default(settings, "run_as", r.clone()),
        (Some(r), true) if ctx.run_as_other.is_some() => owned_by(settings, r, &loc),
        _ => {}
    }
}

/// Legacy `run_as`: the identity owns the pipeline (IS_OWNER), replacing any level it had.
fn owned_by(settings: &mut Node, run_as: &Node, loc: &Loc) {
    let Some((field, who)) = ["service_principal_name", "user_name"]
        .iter()
        .find_map(|f| {
            run_as
                .get(f)
                .and_then(Node::as_str)
                .filter(|s| !s.is_empty())
                .map(|s| (*f, s.to_string()))
        })
    else {
        return;
    };
    let mut items: Vec<Node> = settings
        .get("permissions")
        .and_then(Node::items)
        .map(<[Node]>::to_vec)
        .unwrap_or_default();
    items.retain(|p| p.get(field).and_then(Node::as_str) != Some(who.as_str()));
    items.push(p::map(
        vec![
            ("level", p::text("IS_OWNER", loc)),
            (field, p::text(&who, loc)),
        ],
        loc,
    ));
    settings.insert(
        p::key("permissions", loc),
        Node::new(Kind::Seq(items), loc.clone()),
    );
}
