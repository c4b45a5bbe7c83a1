//! The target a command works on and its workspace paths, read from `databricks.yml` and the
//! files it includes: bundle name, target (`-t`, else the one marked `default: true`, else the
//! only one), `workspace.root_path` and `state_path` with their defaults and interpolation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("no databricks.yml in {0} (run from the bundle's folder)")]
    NotFound(PathBuf),
    #[error("{file}: {message}")]
    Syntax { file: PathBuf, message: String },
    #[error("{file}: {key}: {message}")]
    Invalid {
        file: PathBuf,
        key: String,
        message: String,
    },
}

/// A target's deployment place. Paths may start with `~` (the deploying user's home) until
/// the user is known.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub file: PathBuf,
    pub bundle: String,
    pub target: String,
    pub host: Option<String>,
    pub state_path: String,
    /// The target's root folder (before `~` is filled in).
    pub root_path: String,
}

impl Location {
    /// Pull request `pr`'s environment of the target (`--pr`; see `pr_overlay`): its own
    /// root folder, with the state inside.
    pub fn for_pr(mut self, pr: u64) -> Location {
        let sub = super::pr_overlay::folder(pr);
        self.root_path = format!("{}/{sub}", self.root_path.trim_end_matches('/'));
        self.state_path = format!("{}/state", self.root_path);
        self
    }

    /// The state path with `~` and the current user filled in.
    pub fn state_path_for(&self, user_name: &str) -> String {
        let short = user_name.split('@').next().unwrap_or(user_name);
        let p = self
            .state_path
            .replace("${workspace.current_user.userName}", user_name)
            .replace("${workspace.current_user.short_name}", short);
        match p.strip_prefix('~') {
            Some(rest) => format!("/Workspace/Users/{user_name}{rest}"),
            None => super::workspace_prefix::prefixed(&p).unwrap_or(p),
        }
    }
}

fn read(roots: &super::local_file::Roots, file: &Path) -> Result<Value, BundleError> {
    let syntax = |message: String| BundleError::Syntax {
        file: file.into(),
        message,
    };
    let bytes = roots.read(file).map_err(|e| syntax(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|_| syntax("not UTF-8 text".into()))?;
    serde_saphyr::from_str(&text).map_err(|e| BundleError::Syntax {
        file: file.into(),
        message: e.to_string(),
    })
}

/// The names of the bundle's targets, in file order (empty: only the implicit `default`).
pub fn target_names(dir: &Path) -> Result<Vec<String>, BundleError> {
    let (_, root) = merged_root(dir)?;
    Ok(root["targets"]
        .as_object()
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default())
}

/// The root file and its top level with the included files' entries merged in.
fn merged_root(dir: &Path) -> Result<(PathBuf, Value), BundleError> {
    let file = super::load::ROOT_FILES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
        .ok_or_else(|| BundleError::NotFound(dir.to_path_buf()))?;
    let dir = &dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let file = dir.join(file.file_name().unwrap_or_default());
    let mut root = read(&super::local_file::Roots::new(dir), &file)?;
    // Includes may reach as far as `load` allows them (a shared folder beside the bundle).
    let sync_paths: Vec<String> = root["sync"]["paths"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let sync_root = super::sync_root::infer(dir, &sync_paths);
    let roots = super::local_file::Roots::new(&super::sync_root::include_boundary(dir, &sync_root));
    // Included files may hold targets and variables; merge their top-level maps in.
    for pattern in root["include"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
    {
        let full = super::sync_root::normalize(&dir.join(pattern))
            .ok_or_else(|| invalid(&file, "include", format!("{pattern} climbs above /")))?;
        let matches = glob::glob(&full.to_string_lossy())
            .map_err(|e| invalid(&file, "include", e.to_string()))?;
        for inc in matches.filter_map(Result::ok) {
            merge_top_level(&mut root, &read(&roots, &inc)?);
        }
    }
    Ok((file, root))
}

/// Finds the target's location. `vars` are `--var` values; `env` supplies `BUNDLE_VAR_*`.
pub fn locate(
    dir: &Path,
    target: Option<&str>,
    vars: &[(String, String)],
    env: &BTreeMap<String, String>,
) -> Result<Location, BundleError> {
    let (file, root) = merged_root(dir)?;
    let bundle = root["bundle"]["name"]
        .as_str()
        .ok_or_else(|| invalid(&file, "bundle.name", "is required".into()))?
        .to_string();
    let targets = root["targets"].as_object().cloned().unwrap_or_default();
    let target = match target {
        Some(t) if targets.is_empty() || targets.contains_key(t) => t.to_string(),
        Some(t) => {
            let known: Vec<&str> = targets.keys().map(String::as_str).collect();
            return Err(invalid(
                &file,
                "targets",
                format!("no target {t:?} (targets: {})", known.join(", ")),
            ));
        }
        // A bundle without targets has one implicit target, `default`.
        None if targets.is_empty() => "default".to_string(),
        None => match targets
            .iter()
            .find(|(_, v)| v["default"].as_bool() == Some(true))
        {
            Some((k, _)) => k.clone(),
            None if targets.len() == 1 => targets.keys().next().cloned().unwrap_or_default(),
            None => {
                return Err(invalid(
                    &file,
                    "targets",
                    "no target marked `default: true`; pass -t".into(),
                ));
            }
        },
    };
    let t = &targets.get(&target).cloned().unwrap_or(Value::Null);
    let pick = |key: &str| {
        t["workspace"][key]
            .as_str()
            .or_else(|| root["workspace"][key].as_str())
            .map(str::to_string)
    };
    let root_path =
        pick("root_path").unwrap_or_else(|| "~/.bundle/${bundle.name}/${bundle.target}".into());
    let state_path = pick("state_path").unwrap_or_else(|| "${workspace.root_path}/state".into());
    let var = |name: &str| -> Option<String> {
        vars.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| env.get(&format!("BUNDLE_VAR_{name}")).cloned())
            .or_else(|| t["variables"][name].as_str().map(str::to_string))
            .or_else(|| {
                root["variables"][name]["default"]
                    .as_str()
                    .map(str::to_string)
            })
    };
    let expand = |s: &str, key: &str| -> Result<String, BundleError> {
        let mut out = s
            .replace("${workspace.root_path}", &root_path)
            .replace("${bundle.name}", &bundle)
            .replace("${bundle.target}", &target);
        while let Some(start) = out.find("${var.") {
            let end = out[start..]
                .find('}')
                .map(|e| start + e)
                .ok_or_else(|| invalid(&file, key, "unclosed ${".into()))?;
            let name = out[start + 6..end].to_string();
            let value = var(&name).ok_or_else(|| {
                invalid(
                    &file,
                    key,
                    format!(
                        "variable {name} has no value (give --var {name}=... or BUNDLE_VAR_{name})"
                    ),
                )
            })?;
            out.replace_range(start..=end, &value);
        }
        Ok(out)
    };
    let root_path = expand(&root_path, "workspace.root_path")?;
    let state_path = expand(
        &state_path.replace("${workspace.root_path}", &root_path),
        "workspace.state_path",
    )?;
    Ok(Location {
        host: pick("host"),
        file,
        bundle,
        target,
        state_path,
        root_path,
    })
}

/// Adds an included file's targets, variables, workspace and bundle entries (the root file's
/// own entries win).
fn merge_top_level(root: &mut Value, doc: &Value) {
    let Some(root) = root.as_object_mut() else {
        return;
    };
    for key in ["targets", "variables", "workspace", "bundle"] {
        let Some(Value::Object(add)) = doc.get(key) else {
            continue;
        };
        if let Value::Object(into) = root
            .entry(key)
            .or_insert_with(|| Value::Object(Default::default()))
        {
            for (k, v) in add {
                into.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
}

fn invalid(file: &Path, key: &str, message: String) -> BundleError {
    BundleError::Invalid {
        file: file.to_path_buf(),
        key: key.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(yaml: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("databricks.yml"), yaml).unwrap();
        dir
    }

    #[test]
    fn targets_from_a_shared_folder_beside_the_bundle() {
        let dir = tempfile::tempdir().unwrap();
        let (common, b) = (dir.path().join("common"), dir.path().join("b"));
        std::fs::create_dir_all(&common).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(
            common.join("targets.yml"),
            "targets:\n  qa:\n    default: true\n",
        )
        .unwrap();
        std::fs::write(
            b.join("databricks.yml"),
            "bundle:\n  name: s\nsync:\n  paths: [../common, .]\ninclude:\n  - ../common/*.yml\n",
        )
        .unwrap();
        let env = BTreeMap::new();
        assert_eq!(locate(&b, None, &[], &env).unwrap().target, "qa");
    }

    #[test]
    fn default_paths_targets_and_variables() {
        let dir = bundle(
            "bundle:\n  name: mlops\ntargets:\n  dev:\n    default: true\n  prod:\n    workspace:\n      root_path: /Shared/${var.team}/${bundle.name}\nvariables:\n  team:\n    default: data\n",
        );
        let env = BTreeMap::new();
        let dev = locate(dir.path(), None, &[], &env).unwrap();
        assert_eq!(dev.target, "dev");
        assert_eq!(
            dev.state_path_for("ci@x.com"),
            "/Workspace/Users/ci@x.com/.bundle/mlops/dev/state"
        );
        let prod = locate(
            dir.path(),
            Some("prod"),
            &[("team".into(), "ml".into())],
            &env,
        )
        .unwrap();
        assert_eq!(prod.state_path, "/Shared/ml/mlops/state");
        let err = locate(dir.path(), Some("qa"), &[], &env)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no target \"qa\"") && err.contains("dev, prod"),
            "{err}"
        );
    }

    #[test]
    fn errors_name_the_file_and_key() {
        let dir = bundle("bundle: [not, a, map\n");
        assert!(
            locate(dir.path(), None, &[], &BTreeMap::new())
                .unwrap_err()
                .to_string()
                .contains("databricks.yml")
        );
        let dir = bundle("bundle:\n  name: b\nworkspace:\n  root_path: /x/${var.missing}\n");
        let err = locate(dir.path(), None, &[], &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("workspace.root_path") && err.contains("missing"),
            "{err}"
        );
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            locate(empty.path(), None, &[], &BTreeMap::new()),
            Err(BundleError::NotFound(_))
        ));
    }
}
