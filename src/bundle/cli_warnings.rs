//! Settings the Databricks CLI accepts with a warning (deprecated, ignored, or likely a
//! mistake): warnings here too, so a bundle the CLI deploys is never refused for them.

use super::error::Diagnostics;
use super::yaml::{Kind, Node};

/// Checks one file as written: `compute_id`, `presets.source_linked_deployment`, a
/// reference in `bundle.name`.
pub fn file(doc: &Node, diags: &mut Diagnostics) {
    let mut scopes = vec![(String::new(), doc)];
    for section in ["targets", "environments"] {
        for (name, target) in doc.get(section).and_then(Node::entries).unwrap_or_default() {
            scopes.push((format!("{section}.{}.", name.name), target));
        }
    }
    for (prefix, scope) in scopes {
        // The root's is `bundle.compute_id`; a target's sits in the target or its `bundle`.
        let mut holders = vec![(format!("{prefix}bundle."), scope.get("bundle"))];
        if !prefix.is_empty() {
            holders.push((prefix.clone(), Some(scope)));
        }
        for (path, holder) in holders {
            if let Some(k) = holder.and_then(|h| h.key("compute_id")) {
                diags.warn(
                    &k.loc,
                    format!("{path}compute_id"),
                    "compute_id is deprecated, use cluster_id instead",
                );
            }
        }
        let linked = scope
            .get("presets")
            .and_then(|p| p.get("source_linked_deployment"));
        if let Some(v) = linked.filter(|v| matches!(v.kind, super::yaml::Kind::Bool(true))) {
            diags.warn(
                &v.loc,
                format!("{prefix}presets.source_linked_deployment"),
                "source-linked deployment is only available in the Databricks workspace; brickci uploads the files (ignored)",
            );
        }
    }
    if let Some(name) = doc.get("bundle").and_then(|b| b.get("name"))
        && name.as_str().is_some_and(|s| s.contains("${"))
    {
        diags.warn(
            &name.loc,
            "bundle.name",
            "do not use references in the bundle name: it names the deployment and its state, which must not change",
        );
    }
}

/// A resource whose settings are not a map (`my_cluster: "hello"`), at the top level or
/// in a target: the CLI warns and drops it while reading the file, so a target's map for
/// the same resource is taken as it is (and a target's string leaves the top-level map).
pub fn resources_not_maps(doc: &mut Node, diags: &mut Diagnostics) {
    drop_non_maps(doc, "", diags);
    for section in ["targets", "environments"] {
        let Some(Kind::Map(targets)) = doc.get_mut(section).map(|t| &mut t.kind) else {
            continue;
        };
        for (name, target) in targets.iter_mut() {
            drop_non_maps(target, &format!("{section}.{}.", name.name), diags);
        }
    }
}

fn drop_non_maps(scope: &mut Node, prefix: &str, diags: &mut Diagnostics) {
    let Some(Kind::Map(kinds)) = scope.get_mut("resources").map(|r| &mut r.kind) else {
        return;
    };
    for (kind, items) in kinds.iter_mut() {
        let Kind::Map(entries) = &mut items.kind else {
            continue;
        };
        entries.retain(|(key, settings)| {
            // A reference (`${var.cluster}`) is a map once resolved.
            let reference = settings.as_str().is_some_and(|s| s.contains("${"));
            if reference || matches!(settings.kind, Kind::Map(_) | Kind::Null) {
                return true;
            }
            diags.warn(
                &settings.loc,
                format!("{prefix}resources.{}.{}", kind.name, key.name),
                format!("expected map, found {} (ignored)", settings.type_name()),
            );
            false
        });
    }
}

/// Workspace settings that choose how brickci authenticates: read before anything is
/// resolved, so a reference there cannot work (the CLI's list).
const AUTH_FIELDS: &[&str] = &[
    "host",
    "profile",
    "auth_type",
    "metadata_service_url",
    "client_id",
    "google_service_account",
    "azure_resource_id",
    "azure_use_msi",
    "azure_client_id",
    "azure_tenant_id",
    "azure_environment",
    "azure_login_app_id",
    "account_id",
    "workspace_id",
];

/// Checks the bundle for its target: references in authentication settings, single-node
/// clusters set up only halfway, a task's `job_cluster_key` that the job does not define.
pub fn merged(tree: &Node, diags: &mut Diagnostics) {
    for field in AUTH_FIELDS {
        let value = tree.get("workspace").and_then(|w| w.get(field));
        if let Some(v) = value.filter(|v| v.as_str().is_some_and(|s| s.contains("${"))) {
            diags.warn(
                &v.loc,
                format!("workspace.{field}"),
                "references are not resolved in settings that choose how to authenticate; set the DATABRICKS_* environment variable instead",
            );
        }
    }
    single_node_clusters(tree, diags);
    job_cluster_keys(tree, diags);
}

/// `num_workers: 0` without the single-node settings (or `is_single_node`, or a policy
/// that may hold them) starts a cluster that cannot run Spark work.
fn single_node_clusters(tree: &Node, diags: &mut Diagnostics) {
    let resources = |kind: &str| {
        tree.get("resources")
            .and_then(|r| r.get(kind))
            .and_then(Node::entries)
            .unwrap_or_default()
    };
    let mut specs: Vec<(String, &Node)> = Vec::new();
    for (key, cluster) in resources("clusters") {
        specs.push((format!("resources.clusters.{}", key.name), cluster));
    }
    for (key, job) in resources("jobs") {
        let path = format!("resources.jobs.{}", key.name);
        for (i, jc) in items(job.get("job_clusters")).iter().enumerate() {
            if let Some(c) = jc.get("new_cluster") {
                specs.push((format!("{path}.job_clusters[{i}].new_cluster"), c));
            }
        }
        for (i, task) in items(job.get("tasks")).iter().enumerate() {
            if let Some(c) = task.get("new_cluster") {
                specs.push((format!("{path}.tasks[{i}].new_cluster"), c));
            }
            let inner = task.get("for_each_task").and_then(|f| f.get("task"));
            if let Some(c) = inner.and_then(|t| t.get("new_cluster")) {
                specs.push((
                    format!("{path}.tasks[{i}].for_each_task.task.new_cluster"),
                    c,
                ));
            }
        }
    }
    for (key, pipeline) in resources("pipelines") {
        for (i, c) in items(pipeline.get("clusters")).iter().enumerate() {
            specs.push((format!("resources.pipelines.{}.clusters[{i}]", key.name), c));
        }
    }
    for (path, spec) in specs {
        if half_single_node(spec) {
            diags.warn(
                &spec.loc,
                path,
                "num_workers is 0 but the cluster is not set up as a single node: set is_single_node: true, or spark_conf spark.databricks.cluster.profile: singleNode and spark.master: local[*] with custom_tags ResourceClass: SingleNode",
            );
        }
    }
}

fn items(n: Option<&Node>) -> &[Node] {
    n.and_then(Node::items).unwrap_or_default()
}

fn half_single_node(spec: &Node) -> bool {
    let text = |section: &str, key: &str| {
        spec.get(section)
            .and_then(|s| s.get(key))
            .and_then(Node::as_str)
            .map(str::to_string)
    };
    let zero_workers = matches!(
        spec.get("num_workers").map(|n| &n.kind),
        Some(super::yaml::Kind::Int(0))
    );
    let single = matches!(
        spec.get("is_single_node").map(|n| &n.kind),
        Some(super::yaml::Kind::Bool(true))
    );
    let policy = spec
        .get("policy_id")
        .and_then(Node::as_str)
        .is_some_and(|p| !p.is_empty());
    if !zero_workers || single || policy {
        return false;
    }
    let profile = text("spark_conf", "spark.databricks.cluster.profile");
    let master = text("spark_conf", "spark.master");
    let class = text("custom_tags", "ResourceClass");
    !(profile.as_deref() == Some("singleNode")
        && master.is_some_and(|m| m.starts_with("local"))
        && class.as_deref() == Some("SingleNode"))
}

/// A task's `job_cluster_key` that the job does not define.
fn job_cluster_keys(tree: &Node, diags: &mut Diagnostics) {
    let jobs = tree
        .get("resources")
        .and_then(|r| r.get("jobs"))
        .and_then(Node::entries)
        .unwrap_or_default();
    for (key, job) in jobs {
        let defined: Vec<&str> = job
            .get("job_clusters")
            .and_then(Node::items)
            .unwrap_or_default()
            .iter()
            .filter_map(|c| c.get("job_cluster_key").and_then(Node::as_str))
            .collect();
        let tasks = job.get("tasks").and_then(Node::items).unwrap_or_default();
        for (i, task) in tasks.iter().enumerate() {
            let Some(wanted) = task.get("job_cluster_key") else {
                continue;
            };
            let Some(name) = wanted.as_str() else {
                continue;
            };
            // A reference may name a defined key once resolved.
            if name.is_empty() || name.contains("${") || defined.contains(&name) {
                continue;
            }
            diags.warn(
                &wanted.loc,
                format!("resources.jobs.{}.tasks[{i}].job_cluster_key", key.name),
                format!("job_cluster_key {name} is not defined in the job's job_clusters"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn warnings(yaml: &str, check: fn(&Node, &mut Diagnostics)) -> Vec<String> {
        let doc = super::super::yaml::parse(Path::new("databricks.yml"), yaml).unwrap();
        let mut diags = Diagnostics::default();
        check(&doc, &mut diags);
        assert!(!diags.has_errors());
        diags.warnings().map(ToString::to_string).collect()
    }

    #[test]
    fn deprecated_and_ignored_settings_warn_where_written() {
        let w = warnings(
            "bundle:\n  name: b-${bundle.target}\n  compute_id: c1\ntargets:\n  dev:\n    compute_id: c2\n    presets: {source_linked_deployment: true}\n",
            file,
        );
        assert_eq!(
            w,
            [
                "databricks.yml:3:3: bundle.compute_id: compute_id is deprecated, use cluster_id instead",
                "databricks.yml:6:5: targets.dev.compute_id: compute_id is deprecated, use cluster_id instead",
                "databricks.yml:7:41: targets.dev.presets.source_linked_deployment: source-linked deployment is only available in the Databricks workspace; brickci uploads the files (ignored)",
                "databricks.yml:2:9: bundle.name: do not use references in the bundle name: it names the deployment and its state, which must not change",
            ]
        );
        assert!(warnings("bundle:\n  name: b\n  cluster_id: c\n", file).is_empty());
    }

    #[test]
    fn half_configured_single_node_clusters_and_references_in_auth_settings_warn() {
        let w = warnings(
            "workspace:\n  host: ${var.host}\n  root_path: ${var.root}\nresources:\n  clusters:\n    bad: {num_workers: 0}\n    good: {num_workers: 0, is_single_node: true}\n    policy: {num_workers: 0, policy_id: p}\n    many: {num_workers: 2}\n  jobs:\n    j:\n      tasks:\n        - task_key: a\n          new_cluster:\n            num_workers: 0\n            spark_conf: {spark.databricks.cluster.profile: singleNode, spark.master: 'local[*]'}\n            custom_tags: {ResourceClass: SingleNode}\n        - task_key: b\n          new_cluster:\n            num_workers: 0\n            spark_conf: {spark.databricks.cluster.profile: singleNode}\n",
            merged,
        );
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(
            w[0].starts_with("databricks.yml:2:9: workspace.host: references are not resolved"),
            "{w:?}"
        );
        assert!(
            w[1].starts_with("databricks.yml:6:10: resources.clusters.bad: num_workers is 0"),
            "{w:?}"
        );
        assert!(
            w[2].starts_with(
                "databricks.yml:20:13: resources.jobs.j.tasks[1].new_cluster: num_workers is 0"
            ),
            "{w:?}"
        );
    }

    #[test]
    fn an_undefined_job_cluster_key_warns() {
        let w = warnings(
            "resources:\n  jobs:\n    j:\n      job_clusters:\n        - job_cluster_key: main\n      tasks:\n        - {task_key: a, job_cluster_key: main}\n        - {task_key: b, job_cluster_key: mian}\n        - {task_key: c, job_cluster_key: '${var.k}'}\n",
            merged,
        );
        assert_eq!(
            w,
            [
                "databricks.yml:8:42: resources.jobs.j.tasks[1].job_cluster_key: job_cluster_key mian is not defined in the job's job_clusters"
            ]
        );
    }
}
