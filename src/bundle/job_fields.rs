//! A job's settings are checked against the Jobs API's fields, as the Databricks CLI checks
//! them against its types: an unknown field (a typo, a field of another task type) is a
//! warning and dropped, as the CLI drops it. The field list is generated from the Databricks
//! SDK for Python (scripts/gen-job-fields -> job_fields_generated.rs).

use super::error::Diagnostics;
use super::job_fields_generated::{JOB_SETTINGS, TYPES};
use super::yaml::{Kind, Node};

/// What a field holds: a value not checked further, or settings of the type at an index of
/// `TYPES` (one, or a list of them).
#[derive(Debug, Clone, Copy)]
pub enum Field {
    Leaf,
    Struct(usize),
    List(usize),
}

/// What the bundle format adds to a job's API settings.
const BUNDLE_JOB_FIELDS: &[&str] = &["permissions", "lifecycle", "id", "url", "modified_status"];

/// Checks every job under `resources` (the top level's, or a target's); `path` names it.
pub fn check(resources: Option<&mut Node>, path: &str, diags: &mut Diagnostics) {
    let Some(Kind::Map(jobs)) = resources
        .and_then(|r| r.get_mut("jobs"))
        .map(|j| &mut j.kind)
    else {
        return;
    };
    for (key, job) in jobs.iter_mut() {
        walk(
            job,
            JOB_SETTINGS,
            &format!("{path}.jobs.{}", key.name),
            true,
            diags,
        );
    }
}

/// An unknown field is reported at its key, under its parent's path, as the CLI words it
/// (`unknown field: x`), as api_rules reports the job cluster fields.
fn walk(node: &mut Node, ty: usize, path: &str, job: bool, diags: &mut Diagnostics) {
    let fields = TYPES[ty].1;
    // A reference (`${var.cluster}`) or a wrong kind of value is for the type checks.
    let Kind::Map(entries) = &mut node.kind else {
        return;
    };
    entries.retain_mut(|(key, value)| {
        let here = format!("{path}.{}", key.name);
        let Ok(i) = fields.binary_search_by(|(name, _)| (*name).cmp(key.name.as_str())) else {
            if job && BUNDLE_JOB_FIELDS.contains(&key.name.as_str()) {
                return true;
            }
            diags.warn(
                &key.loc,
                path,
                format!("unknown field: {} (ignored)", key.name),
            );
            return false;
        };
        match (fields[i].1, &mut value.kind) {
            (Field::Struct(t), _) => walk(value, t, &here, false, diags),
            (Field::List(t), Kind::Seq(items)) => {
                for (n, item) in items.iter_mut().enumerate() {
                    walk(item, t, &format!("{here}[{n}]"), false, diags);
                }
            }
            _ => {}
        }
        true
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_generated_types_are_sorted_and_point_inside_the_table() {
        for (name, fields) in TYPES {
            assert!(fields.windows(2).all(|w| w[0].0 < w[1].0), "{name}");
            for (_, f) in *fields {
                if let Field::Struct(t) | Field::List(t) = f {
                    assert!(*t < TYPES.len());
                }
            }
        }
        assert_eq!(TYPES[JOB_SETTINGS].0, "jobs.JobSettings");
    }

    #[test]
    fn unknown_fields_in_a_job_warn_at_their_place_and_are_dropped() {
        let yaml = "resources:\n  jobs:\n    j:\n      name: j\n      permissions: []\n      timeout: 10\n      tasks:\n        - task_key: t\n          notebook_task: {notebook_path: x, base_parameter: {}}\n          new_cluster: {spark_version: '15.4', num_worker: 1}\n          for_each_task:\n            inputs: '[1]'\n            task: {task_key: i, retries: 2}\n      job_clusters: ${var.clusters}\n";
        let mut doc = super::super::yaml::parse(Path::new("databricks.yml"), yaml).unwrap();
        let mut diags = Diagnostics::default();
        check(doc.get_mut("resources"), "resources", &mut diags);
        let w: Vec<String> = diags.warnings().map(ToString::to_string).collect();
        assert_eq!(
            w,
            [
                "databricks.yml:6:7: resources.jobs.j: unknown field: timeout (ignored)",
                "databricks.yml:9:45: resources.jobs.j.tasks[0].notebook_task: unknown field: base_parameter (ignored)",
                "databricks.yml:10:48: resources.jobs.j.tasks[0].new_cluster: unknown field: num_worker (ignored)",
                "databricks.yml:13:33: resources.jobs.j.tasks[0].for_each_task.task: unknown field: retries (ignored)",
            ]
        );
        let job = doc
            .get("resources")
            .unwrap()
            .get("jobs")
            .unwrap()
            .get("j")
            .unwrap();
        assert!(job.get("timeout").is_none() && job.get("permissions").is_some());
    }
}
