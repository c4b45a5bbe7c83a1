//! `resources.experiments`: MLflow experiments. Only a rename is an update; a deleted
//! experiment can still be read, in lifecycle stage `deleted`.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Deployer, Fut, KindApi, KindSpec, Permissions, Update, api_settings, create_at, req};
use crate::bundle::presets::{self as p, PresetCtx};
use crate::bundle::yaml::{Kind, Node};
use crate::databricks::{ApiRequest, Client};

pub static SPEC: KindSpec = KindSpec {
    name: "experiments",
    terraform: Some("databricks_mlflow_experiment"),
    required: &["name"],
    fixed: &[],
    fixed_reason: "",
    replace: false,
    computed: &[],
    listing: None,
    levels: &["CAN_READ", "CAN_EDIT", "CAN_MANAGE"],
    top_levels: &[("CAN_VIEW", "CAN_READ"), ("CAN_RUN", "CAN_EDIT")],
    permissions: Permissions::Object("experiments"),
    deployer: Deployer::Manager,
    presets,
    api: &Experiments,
};

struct Experiments;

impl KindApi for Experiments {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(async move {
            let body = api_settings(settings);
            let path = "/api/2.0/mlflow/experiments/create";
            let (_, id) = create_at(c, path, what, body, "experiment_id").await?;
            id
        })
    }

    fn update<'a>(&'a self, c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move {
            if u.renamed("name") {
                let b = json!({ "experiment_id": u.id, "new_name": u.settings["name"] });
                let r = req(Method::POST, "/api/2.0/mlflow/experiments/update", u.what)
                    .json(b)
                    .idempotent(true);
                c.call::<Value>(r).await?;
            }
            Ok(u.id.to_string())
        })
    }

    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::POST, "/api/2.0/mlflow/experiments/delete", what)
            .json(json!({ "experiment_id": id }))
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::GET, "/api/2.0/mlflow/experiments/get", what).query("experiment_id", id)
    }

    fn alive(&self, read: &Value) -> bool {
        read["experiment"]["lifecycle_stage"] != "deleted"
    }

    fn named<'a>(&'a self, c: &'a Client, settings: &'a Value) -> Fut<'a, Vec<String>> {
        Box::pin(async move {
            let name = settings["name"].as_str().unwrap_or_default();
            let r = req(
                Method::GET,
                "/api/2.0/mlflow/experiments/get-by-name",
                "experiment",
            )
            .query("experiment_name", name);
            match c.call::<Value>(r).await {
                Ok(v) if v["experiment"]["lifecycle_stage"] != "deleted" => {
                    Ok(v["experiment"]["experiment_id"]
                        .as_str()
                        .map(str::to_string)
                        .into_iter()
                        .collect())
                }
                Ok(_) => Ok(Vec::new()),
                Err(e) if e.is_not_found() => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        })
    }
}

/// An experiment's name is a workspace path: the prefix goes on its last part. Tagged.
fn presets(settings: &mut Node, ctx: &mut PresetCtx) {
    let prefix_text = ctx.prefix;
    if let Some(Kind::Str(s)) = settings.get_mut("name").map(|n| &mut n.kind)
        && !prefix_text.is_empty()
    {
        *s = match s.rsplit_once('/') {
            Some((dir, base)) if !base.starts_with(prefix_text) => {
                format!("{dir}/{prefix_text}{base}")
            }
            Some(_) => s.clone(),
            None if s.starts_with(prefix_text) => s.clone(),
            None => format!("{prefix_text}{s}"),
        };
    }
    let loc = ctx.loc.clone();
    p::tag_list(settings, ctx.tags(), &loc);
}
