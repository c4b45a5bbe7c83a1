//! `resources.jobs`: the Jobs API 2.2. Its id is the number `job_id`; an update resets all
//! settings; many jobs are checked with one list.

use reqwest::Method;
use serde_json::{Value, json};

use super::{
    Deployer, Fut, KindApi, KindSpec, Listing, Permissions, Update, api_settings, create_at, req,
};
use crate::bundle::presets::{self as p, NAMED_AFTER_KEY, PresetCtx};
use crate::bundle::yaml::{Kind, Loc, Node};
use crate::databricks::{ApiRequest, Client};

pub static SPEC: KindSpec = KindSpec {
    name: "jobs",
    terraform: Some("databricks_job"),
    required: &[],
    fixed: &[],
    fixed_reason: "",
    replace: false,
    computed: &[],
    listing: Some(Listing {
        path: "/api/2.2/jobs/list",
        array: "jobs",
        id_field: "job_id",
        page_size: "limit",
        always: false,
    }),
    levels: &["CAN_VIEW", "CAN_MANAGE_RUN", "IS_OWNER", "CAN_MANAGE"],
    top_levels: &[("CAN_VIEW", "CAN_VIEW"), ("CAN_RUN", "CAN_MANAGE_RUN")],
    permissions: Permissions::Object("jobs"),
    deployer: Deployer::Owner,
    presets,
    api: &Jobs,
};

struct Jobs;

fn job_id(id: &str) -> i64 {
    id.parse().unwrap_or_default()
}

impl KindApi for Jobs {
    fn create<'a>(
        &'a self,
        c: &'a Client,
        what: &'a str,
        _key: &'a str,
        settings: &'a Value,
    ) -> Fut<'a, String> {
        Box::pin(async move {
            let (_, id) = create_at(
                c,
                "/api/2.2/jobs/create",
                what,
                api_settings(settings),
                "job_id",
            )
            .await?;
            id
        })
    }

    fn update<'a>(&'a self, c: &'a Client, u: Update<'a>) -> Fut<'a, String> {
        Box::pin(async move {
            let r = req(Method::POST, "/api/2.2/jobs/reset", u.what)
                .json(json!({ "job_id": job_id(u.id), "new_settings": api_settings(u.settings) }))
                .idempotent(true);
            c.call::<Value>(r).await?;
            Ok(u.id.to_string())
        })
    }

    fn delete(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::POST, "/api/2.2/jobs/delete", what).json(json!({ "job_id": job_id(id) }))
    }

    fn get(&self, id: &str, what: &str) -> ApiRequest {
        req(Method::GET, "/api/2.2/jobs/get", what).query("job_id", id)
    }

    fn named<'a>(&'a self, c: &'a Client, settings: &'a Value) -> Fut<'a, Vec<String>> {
        let name = settings["name"].as_str().unwrap_or_default();
        Box::pin(crate::deploy::lookup::named(c, "job", name))
    }
}

/// The CLI's job defaults and presets: name, concurrent runs, queue, deployment metadata,
/// UI lock, paused triggers, prefix and tags, `run_as`, and a target's `cluster_id`.
fn presets(settings: &mut Node, ctx: &mut PresetCtx) {
    let loc = ctx.loc.clone();
    p::default(
        settings,
        "name",
        p::text(ctx.key, &Loc::synthetic(NAMED_AFTER_KEY)),
    );
    let runs = ctx.presets.jobs_max_concurrent_runs.unwrap_or(1);
    p::default(
        settings,
        "max_concurrent_runs",
        Node::new(Kind::Int(runs), loc.clone()),
    );
    p::default(
        settings,
        "queue",
        p::map(
            vec![("enabled", Node::new(Kind::Bool(true), loc.clone()))],
            &loc,
        ),
    );
    p::deployment(settings, &loc);
    settings.insert(p::key("edit_mode", &loc), p::text("UI_LOCKED", &loc));
    settings.insert(p::key("format", &loc), p::text("MULTI_TASK", &loc));
    let pause = ctx
        .presets
        .trigger_pause_status
        .as_deref()
        .unwrap_or("UNPAUSED");
    for trigger in ["schedule", "trigger", "continuous"] {
        if let Some(t) = settings
            .get_mut(trigger)
            .filter(|t| matches!(t.kind, Kind::Map(_)))
        {
            p::default(t, "pause_status", p::text(pause, &loc));
        }
    }
    p::prefix(settings, "name", ctx.prefix);
    p::tag_map(settings, "tags", ctx.tags(), &loc);
    if let Some(r) = ctx.run_as {
        p::default(settings, "run_as", r.clone());
    }
    if let Some(cluster) = ctx.cluster_id
        && let Some(Kind::Seq(tasks)) = settings.get_mut("tasks").map(|t| &mut t.kind)
    {
        for task in tasks {
            override_compute(task, cluster, &loc);
        }
    }
}

/// Runs a task on `cluster` when it names compute of its own (`new_cluster`,
/// `existing_cluster_id`, `job_cluster_key`, `environment_key`); a `for_each_task` is
/// judged by its inner task, as the CLI's OverrideCompute. Tasks without compute (SQL,
/// `run_job_task`, ...) are left alone.
fn override_compute(task: &mut Node, cluster: &Node, loc: &Loc) {
    let task = match task.get_mut("for_each_task") {
        Some(each) if each.get("task").is_some() => each.get_mut("task").expect("checked"),
        _ => task,
    };
    const COMPUTE: [&str; 4] = [
        "new_cluster",
        "existing_cluster_id",
        "job_cluster_key",
        "environment_key",
    ];
    if !COMPUTE
        .iter()
        .any(|f| task.get(f).is_some_and(|v| !v.is_null()))
    {
        return;
    }
    for gone in COMPUTE {
        task.remove(gone);
    }
    task.insert(p::key("existing_cluster_id", loc), cluster.clone());
}
