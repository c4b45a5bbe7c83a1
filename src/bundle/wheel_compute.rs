//! Tasks that install local libraries need DBR 13.1 or newer (older runtimes cannot install
//! a wheel from the workspace files); the Databricks CLI refuses older compute unless
//! `experimental.python_wheel_wrapper` is on. Checked here from what the configuration says:
//! a task's `new_cluster`, its job cluster, or a bundle cluster it names by reference, before
//! any request. A cluster named by id is looked up once the bundle is loaded, as the CLI
//! looks it up ([`by_id`], [`check_by_id`]); one that cannot be read is taken as compatible.

use super::error::Diagnostics;
use super::yaml::{Kind, Node};

const HELP: &str = "Python wheel tasks require compute with DBR 13.3+ to include local libraries; change the cluster's spark_version or set experimental.python_wheel_wrapper: true";

fn wrapper_on(tree: &Node) -> bool {
    tree.get("experimental")
        .and_then(|e| e.get("python_wheel_wrapper"))
        .is_some_and(|w| matches!(w.kind, Kind::Bool(true)))
}

/// A task with local libraries on a cluster named by its id: the version is the API's.
#[derive(Debug, Clone)]
pub struct ClusterById {
    pub cluster_id: String,
    task_key: String,
    /// `resources.jobs.J.tasks[i].existing_cluster_id` and where it is set.
    key: String,
    loc: super::yaml::Loc,
}

/// The tasks of the resolved `tree` whose version only the API knows.
pub fn by_id(tree: &Node) -> Vec<ClusterById> {
    if wrapper_on(tree) {
        return Vec::new();
    }
    let jobs = tree.get("resources").and_then(|r| r.get("jobs"));
    let mut out = Vec::new();
    for (job_key, job) in jobs.and_then(Node::entries).unwrap_or_default() {
        let tasks = job.get("tasks").and_then(Node::items).unwrap_or_default();
        for (i, task) in tasks.iter().enumerate() {
            let Some(id) = task.get("existing_cluster_id") else {
                continue;
            };
            let Some(cluster_id) = id.as_str().filter(|s| !s.is_empty() && !s.contains("${"))
            else {
                continue;
            };
            if has_local_library(task) {
                out.push(ClusterById {
                    cluster_id: cluster_id.to_string(),
                    task_key: task
                        .get("task_key")
                        .and_then(Node::as_str)
                        .unwrap_or("?")
                        .into(),
                    key: format!(
                        "resources.jobs.{}.tasks[{i}].existing_cluster_id",
                        job_key.name
                    ),
                    loc: id.loc.clone(),
                });
            }
        }
    }
    out
}

/// Reports the tasks of `list` whose cluster runs too old a runtime (`versions`: cluster id
/// to `spark_version`, for the clusters the API answered for).
pub fn check_by_id(
    list: &[ClusterById],
    versions: &std::collections::BTreeMap<String, String>,
    diags: &mut Diagnostics,
) {
    for c in list {
        if let Some(v) = versions.get(&c.cluster_id).filter(|v| older_than_13_1(v)) {
            diags.push(
                &c.loc,
                &c.key,
                format!(
                    "task {} uses cluster with incompatible DBR version {v}; {HELP}",
                    c.task_key
                ),
            );
        }
    }
}

pub fn check(tree: &Node, diags: &mut Diagnostics) {
    if wrapper_on(tree) {
        return;
    }
    let resources = tree.get("resources");
    let jobs = resources
        .and_then(|r| r.get("jobs"))
        .and_then(Node::entries);
    let clusters = resources.and_then(|r| r.get("clusters"));
    for (job_key, job) in jobs.unwrap_or_default() {
        let tasks = job.get("tasks").and_then(Node::items).unwrap_or_default();
        for (i, task) in tasks.iter().enumerate() {
            if !has_local_library(task) {
                continue;
            }
            let path = format!("resources.jobs.{}.tasks[{i}]", job_key.name);
            let task_key = task.get("task_key").and_then(Node::as_str).unwrap_or("?");
            let mut too_old = |version: &Node, what: String, key: String| {
                if let Some(v) = version.as_str().filter(|v| older_than_13_1(v)) {
                    diags.push(
                        &version.loc,
                        key,
                        format!("{what} uses incompatible DBR version {v}; {HELP}"),
                    );
                }
            };
            if let Some(v) = task.get("new_cluster").and_then(|c| c.get("spark_version")) {
                too_old(
                    v,
                    format!("task {task_key}"),
                    format!("{path}.new_cluster.spark_version"),
                );
            }
            if let Some(jc) = task.get("job_cluster_key").and_then(Node::as_str) {
                let cluster = job
                    .get("job_clusters")
                    .and_then(Node::items)
                    .unwrap_or_default()
                    .iter()
                    .find(|c| c.get("job_cluster_key").and_then(Node::as_str) == Some(jc));
                if let Some(v) = cluster.and_then(|c| c.get("new_cluster")?.get("spark_version")) {
                    too_old(
                        v,
                        format!("job cluster {jc}"),
                        format!("resources.jobs.{}.job_clusters.{jc}", job_key.name),
                    );
                }
            }
            // `${resources.clusters.KEY.id}`: the bundle's own cluster says its version.
            let referenced = task
                .get("existing_cluster_id")
                .and_then(Node::as_str)
                .and_then(|id| id.strip_prefix("${resources.clusters."))
                .and_then(|rest| rest.strip_suffix(".id}"));
            if let Some(v) = referenced
                .and_then(|key| clusters?.get(key))
                .and_then(|c| c.get("spark_version"))
            {
                too_old(
                    v,
                    format!("task {task_key}"),
                    format!("{path}.existing_cluster_id"),
                );
            }
        }
    }
}

/// A library the deploy uploads from the bundle's files (a local `whl`, `jar`, `egg` or
/// `requirements` file).
fn has_local_library(task: &Node) -> bool {
    task.get("libraries")
        .and_then(Node::items)
        .unwrap_or_default()
        .iter()
        .any(|l| {
            ["whl", "jar", "egg", "requirements"].iter().any(|k| {
                l.get(k)
                    .and_then(Node::as_str)
                    .is_some_and(super::paths::is_local)
            })
        })
}

/// `MAJOR.MINOR...` below 13.1 (`13.x` counts as the newest 13); anything not numeric is
/// taken as compatible, as the CLI takes it.
fn older_than_13_1(version: &str) -> bool {
    let mut parts = version.split('.');
    let (Some(major), Some(minor)) = (parts.next(), parts.next()) else {
        return false;
    };
    let Ok(major) = major.parse::<u32>() else {
        return false;
    };
    let minor = if minor.starts_with('x') {
        99
    } else {
        match minor.parse::<u32>() {
            Ok(m) => m,
            Err(_) => return false,
        }
    };
    (major, minor) < (13, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_named_by_id_is_checked_with_the_version_the_api_gives() {
        let dir = super::super::tests::bundle(&[(
            "databricks.yml",
            "bundle: {name: w}\nresources:\n  jobs:\n    j:\n      name: j\n      tasks:\n        - task_key: t\n          existing_cluster_id: abc\n          python_wheel_task: {package_name: p, entry_point: e}\n          libraries:\n            - whl: ./dist/*.whl\n        - task_key: remote\n          existing_cluster_id: abc\n          python_wheel_task: {package_name: p, entry_point: e}\n          libraries:\n            - whl: /Volumes/c/s/v/p.whl\n",
        )]);
        let b = super::super::tests::load(dir.path(), None, &[]).unwrap();
        let list = b.wheel_clusters;
        // Only the task with a local library.
        assert_eq!(list.len(), 1);
        let mut diags = Diagnostics::default();
        let old = [("abc".to_string(), "7.3.x-scala2.12".to_string())].into();
        check_by_id(&list, &old, &mut diags);
        assert_eq!(
            diags.to_string(),
            format!(
                "databricks.yml:8:32: resources.jobs.j.tasks[0].existing_cluster_id: task t uses cluster with incompatible DBR version 7.3.x-scala2.12; {HELP}"
            )
        );
        let mut diags = Diagnostics::default();
        check_by_id(
            &list,
            &[("abc".into(), "15.4.x-scala2.12".into())].into(),
            &mut diags,
        );
        check_by_id(&list, &Default::default(), &mut diags);
        assert!(diags.is_empty());
    }

    #[test]
    fn runtimes_before_13_1_are_too_old_for_local_libraries() {
        assert!(older_than_13_1("12.2.x-cpu-ml-scala2.12"));
        assert!(older_than_13_1("7.3.x-scala2.12"));
        assert!(older_than_13_1("13.0.x-scala2.12"));
        assert!(!older_than_13_1("13.1.x-scala2.12"));
        assert!(!older_than_13_1("14.2.x-cpu-ml-scala2.12"));
        assert!(older_than_13_1("12.x-snapshot-scala2.12"));
        assert!(!older_than_13_1("13.x-snapshot-scala2.12"));
        assert!(!older_than_13_1("${var.runtime}"));
        assert!(!older_than_13_1("custom"));
    }
}
