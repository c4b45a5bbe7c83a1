//! `experimental.immutable_folder: true`: the Databricks CLI uploads the bundle's files as
//! one content-addressed snapshot and learns its folder only then, so local paths in
//! resources become `${workspace.snapshot_path}/files/<path>`, and `workspace.file_path`
//! may not be set. brickci validates such a bundle as the CLI does; it does not upload
//! snapshots, so a deploy refuses it (before any request).

use super::error::Diagnostics;
use super::interpolate::find;
use super::model::Workspace;
use super::yaml::{Kind, Node};

const SETTING: &str = "experimental.immutable_folder";

/// Where local paths in resources point: `ws`, or the snapshot's folder when the bundle is
/// an immutable folder.
pub fn paths_workspace(tree: &Node, ws: &Workspace, diags: &mut Diagnostics) -> Workspace {
    let Some(on) = find(tree, SETTING).filter(|n| matches!(n.kind, Kind::Bool(true))) else {
        return ws.clone();
    };
    // A value from a file, not the default derived from root_path.
    if let Some(set) = find(tree, "workspace.file_path").filter(|n| n.loc.line > 0) {
        diags.push(
            &set.loc,
            "workspace.file_path",
            format!("cannot be configured when {SETTING} is true"),
        );
    }
    diags.deploy_error(
        &on.loc,
        SETTING,
        "brickci does not deploy immutable snapshots (the Databricks CLI uploads the files as one snapshot); remove the setting to deploy with brickci",
    );
    Workspace {
        file_path: "${workspace.snapshot_path}/files".into(),
        ..ws.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{bundle, load};

    const JOB: &str = "resources:\n  jobs:\n    j:\n      name: j\n      tasks:\n        - task_key: t\n          spark_python_task: {python_file: ./main.py}\n";

    #[test]
    fn paths_point_into_the_snapshot_and_a_deploy_is_refused() {
        let yaml = format!("bundle: {{name: b}}\nexperimental:\n  immutable_folder: true\n{JOB}");
        let dir = bundle(&[("databricks.yml", &yaml), ("main.py", "print(1)\n")]);
        let b = load(dir.path(), None, &[]).unwrap();
        let doc = super::super::validate_json(&b);
        assert_eq!(
            doc["resources"]["jobs"]["j"]["tasks"][0]["spark_python_task"]["python_file"],
            "${workspace.snapshot_path}/files/main.py"
        );
        // The workspace's own paths are as ever.
        assert!(
            doc["workspace"]["file_path"]
                .as_str()
                .unwrap()
                .ends_with("/.bundle/b/default/files")
        );
        assert_eq!(
            b.warnings.deploy_refusals().to_string(),
            "databricks.yml:3:21: experimental.immutable_folder: brickci does not deploy immutable snapshots (the Databricks CLI uploads the files as one snapshot); remove the setting to deploy with brickci"
        );
    }

    #[test]
    fn a_configured_file_path_is_an_error() {
        let yaml = format!(
            "bundle: {{name: b}}\nworkspace:\n  file_path: /Workspace/x\nexperimental:\n  immutable_folder: true\n{JOB}"
        );
        let dir = bundle(&[("databricks.yml", &yaml), ("main.py", "print(1)\n")]);
        let e = load(dir.path(), None, &[]).unwrap_err().to_string();
        assert_eq!(
            e,
            "databricks.yml:3:14: workspace.file_path: cannot be configured when experimental.immutable_folder is true"
        );
    }
}
