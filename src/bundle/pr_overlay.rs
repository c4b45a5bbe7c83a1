//! A pull request's own deployment of a target (`--pr N`), as settings laid over the
//! selected target before the presets run: the root path gets a `pr-N` folder (with the
//! state, files and lock inside it), names a `[pr-N] ` prefix, and every schedule, trigger
//! and continuous run is paused. Nothing per resource kind: the presets do the rest.

use super::yaml::{Key, Kind, Loc, Node};

/// The folder under the target's root that holds pull request N's deployment.
pub fn folder(pr: u64) -> String {
    format!("pr-{pr}")
}

/// The name prefix pull request N's objects get (before any prefix the target sets).
pub fn name_prefix(pr: u64) -> String {
    format!("[pr-{pr}] ")
}

/// The root path a target's workspace uses when it leaves `root_path` unset.
const DEFAULT_ROOT: &str = "~/.bundle/${bundle.name}/${bundle.target}";
/// Paths that follow the root when they are left unset or refer to it.
const ROOT_REF: &str = "${workspace.root_path}";

fn key(name: &str, loc: &Loc) -> Key {
    Key {
        name: name.to_string(),
        loc: loc.clone(),
    }
}

fn text(s: &str, loc: &Loc) -> Node {
    Node::new(Kind::Str(s.to_string()), loc.clone())
}

fn map_at<'t>(tree: &'t mut Node, name: &str, loc: &Loc) -> &'t mut Node {
    if !matches!(tree.get(name).map(|n| &n.kind), Some(Kind::Map(_))) {
        tree.insert(
            key(name, loc),
            Node::new(Kind::Map(Vec::new()), loc.clone()),
        );
    }
    tree.get_mut(name).expect("inserted above")
}

/// Lays pull request `pr`'s deployment over the selected target's (merged) tree. Under
/// `mode: development` (`dev_user`: the deploying user's short name) the prefix keeps the
/// user's name after the PR's, as development mode requires.
pub fn apply(tree: &mut Node, pr: u64, dev_user: Option<&str>) {
    let here = Loc::synthetic("(--pr)");
    let sub = folder(pr);
    let ws = map_at(tree, "workspace", &here);
    // The root: the target's own (as written, references and all) plus `/pr-N`.
    match ws.get_mut("root_path").map(|n| &mut n.kind) {
        Some(Kind::Str(s)) => *s = format!("{}/{sub}", s.trim_end_matches('/')),
        // Not a string: left for the checks to report.
        Some(_) => {}
        None => ws.insert(
            key("root_path", &here),
            text(&format!("{DEFAULT_ROOT}/{sub}"), &here),
        ),
    }
    // The state (and so the lock and brickci's PR metadata) always lives in the PR's root,
    // so the target's own deployment and every other PR's stay apart from this one.
    ws.insert(
        key("state_path", &here),
        text(&format!("{ROOT_REF}/state"), &here),
    );
    // Other paths set apart from the root get the PR's folder too: two pull requests never
    // write the same file or artifact.
    for k in ["file_path", "artifact_path", "resource_path"] {
        if let Some(Kind::Str(s)) = ws.get_mut(k).map(|n| &mut n.kind)
            && !s.contains(ROOT_REF)
        {
            *s = format!("{}/{sub}", s.trim_end_matches('/'));
        }
    }
    let presets = map_at(tree, "presets", &here);
    let prefix = match (presets.get("name_prefix").and_then(Node::as_str), dev_user) {
        (Some(own), _) if !own.is_empty() => format!("{}{own}", name_prefix(pr)),
        (_, Some(user)) => format!("{}[dev {user}] ", name_prefix(pr)),
        _ => name_prefix(pr),
    };
    presets.insert(key("name_prefix", &here), text(&prefix, &here));
    presets.insert(key("trigger_pause_status", &here), text("PAUSED", &here));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(yaml: &str) -> Node {
        crate::bundle::yaml::parse(std::path::Path::new("databricks.yml"), yaml).unwrap()
    }

    fn at<'n>(n: &'n Node, path: &str) -> Option<&'n str> {
        path.split('.')
            .try_fold(n, |n, k| n.get(k))
            .and_then(Node::as_str)
    }

    #[test]
    fn an_unset_root_gets_the_pr_folder_and_the_state_goes_with_it() {
        let mut t = tree("bundle: {name: shop}\n");
        apply(&mut t, 7, None);
        assert_eq!(
            at(&t, "workspace.root_path"),
            Some("~/.bundle/${bundle.name}/${bundle.target}/pr-7")
        );
        assert_eq!(
            at(&t, "workspace.state_path"),
            Some("${workspace.root_path}/state")
        );
        assert_eq!(at(&t, "presets.name_prefix"), Some("[pr-7] "));
        assert_eq!(at(&t, "presets.trigger_pause_status"), Some("PAUSED"));
    }

    #[test]
    fn set_paths_and_prefixes_are_kept_under_the_pr() {
        let mut t = tree(concat!(
            "workspace:\n  root_path: /Shared/shop/\n  state_path: /Shared/state/shop\n",
            "  artifact_path: /Volumes/main/x/art\n  file_path: ${workspace.root_path}/f\n",
            "presets: {name_prefix: 'team-', trigger_pause_status: UNPAUSED}\n"
        ));
        apply(&mut t, 12, Some("jane"));
        assert_eq!(at(&t, "workspace.root_path"), Some("/Shared/shop/pr-12"));
        assert_eq!(
            at(&t, "workspace.state_path"),
            Some("${workspace.root_path}/state")
        );
        assert_eq!(
            at(&t, "workspace.artifact_path"),
            Some("/Volumes/main/x/art/pr-12")
        );
        assert_eq!(
            at(&t, "workspace.file_path"),
            Some("${workspace.root_path}/f")
        );
        assert_eq!(at(&t, "presets.name_prefix"), Some("[pr-12] team-"));
        assert_eq!(at(&t, "presets.trigger_pause_status"), Some("PAUSED"));
    }

    #[test]
    fn a_loaded_pr_deployment_is_prefixed_paused_and_apart() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("databricks.yml"),
            concat!(
                "bundle: {name: shop}\n",
                "targets:\n  dev: {mode: development, default: true}\n",
                "resources:\n  jobs:\n    nightly:\n      name: nightly\n",
                "      schedule: {quartz_cron_expression: '0 0 3 * * ?', timezone_id: UTC}\n",
                "      tasks: [{task_key: t, notebook_task: {notebook_path: /Shared/x}}]\n",
                "  schemas:\n    sales: {name: sales, catalog_name: main}\n",
            ),
        )
        .unwrap();
        let env = Default::default();
        let opts = crate::bundle::LoadOptions {
            dir: dir.path(),
            target: None,
            vars: &[],
            env: &env,
            host: Some("https://adb-1.2.azuredatabricks.net"),
            pr: Some(7),
        };
        let me = crate::bundle::Identity {
            user_name: "jane@example.com".into(),
            display_name: None,
            id: None,
        };
        let b = crate::bundle::prepare(&opts, me)
            .unwrap()
            .finish(&Default::default())
            .unwrap();
        let root = "/Workspace/Users/jane@example.com/.bundle/shop/dev/pr-7";
        assert_eq!(b.workspace.root_path, root);
        assert_eq!(b.workspace.state_path, format!("{root}/state"));
        assert_eq!(b.workspace.file_path, format!("{root}/files"));
        let job = &b.resource("jobs", "nightly").unwrap().settings;
        assert_eq!(job["name"], "[pr-7] [dev jane] nightly");
        assert_eq!(job["schedule"]["pause_status"], "PAUSED");
        let schema = &b.resource("schemas", "sales").unwrap().settings;
        assert_eq!(schema["name"], "pr_7_dev_jane_sales");
    }
}
