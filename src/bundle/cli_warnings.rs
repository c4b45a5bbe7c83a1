//! Settings the Databricks CLI accepts with a warning (deprecated, ignored, or likely a
//! mistake): warnings here too, so a bundle the CLI deploys is never refused for them.

use super::error::Diagnostics;
use super::yaml::Node;

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

/// Checks the bundle for its target: a task's `job_cluster_key` that the job does not define.
pub fn merged(tree: &Node, diags: &mut Diagnostics) {
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
