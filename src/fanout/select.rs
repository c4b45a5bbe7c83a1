//! Which targets a command works on: every `-t` name, then every target matching a
//! `--targets` glob, in the bundle's order, each once.

use std::path::Path;

use crate::error::Error;

/// The selected target names. `names` are `-t` values, `globs` `--targets` patterns.
pub fn select(dir: &Path, names: &[String], globs: &[String]) -> Result<Vec<String>, Error> {
    let known = crate::bundle::target_names(dir).map_err(|e| Error::bad_input(e.to_string()))?;
    let listed = || {
        if known.is_empty() {
            "the bundle has no targets".to_string()
        } else {
            format!("targets: {}", known.join(", "))
        }
    };
    let mut picked: Vec<String> = Vec::new();
    for name in names {
        if !known.contains(name) {
            return Err(Error::BadInput {
                message: format!("-t {name}: no such target in the bundle"),
                help: vec![listed()],
            });
        }
        if !picked.contains(name) {
            picked.push(name.clone());
        }
    }
    for pattern in globs {
        let matcher = globset::GlobBuilder::new(pattern)
            .literal_separator(false)
            .build()
            .map_err(|e| Error::bad_input(format!("--targets {pattern:?}: {e}")))?
            .compile_matcher();
        let matched: Vec<&String> = known.iter().filter(|t| matcher.is_match(t)).collect();
        if matched.is_empty() {
            return Err(Error::BadInput {
                message: format!("--targets {pattern:?} matches no target"),
                help: vec![listed()],
            });
        }
        for t in matched {
            if !picked.contains(t) {
                picked.push(t.clone());
            }
        }
    }
    distinct_variables(&picked)?;
    Ok(picked)
}

/// Two targets whose names give the same variable prefix (`prod-eu`, `prod_eu`) would share
/// credentials: refused.
fn distinct_variables(targets: &[String]) -> Result<(), Error> {
    for (i, a) in targets.iter().enumerate() {
        if let Some(b) = targets[i + 1..]
            .iter()
            .find(|b| super::credentials::env_name(b) == super::credentials::env_name(a))
        {
            return Err(Error::bad_input(format!(
                "targets {a} and {b} would both read {}* variables; rename one to deploy them together",
                super::credentials::prefix(a)
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(targets: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let mut y = String::from("bundle:\n  name: b\ntargets:\n");
        for t in targets {
            y.push_str(&format!("  {t}: {{}}\n"));
        }
        std::fs::write(dir.path().join("databricks.yml"), y).unwrap();
        dir
    }

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_then_globs_in_bundle_order_each_once() {
        let d = bundle(&["dev", "prod-eu", "prod-us", "staging"]);
        let got = select(
            d.path(),
            &strings(&["staging"]),
            &strings(&["prod-*", "st*"]),
        )
        .unwrap();
        assert_eq!(got, ["staging", "prod-eu", "prod-us"]);
    }

    #[test]
    fn a_glob_matching_nothing_names_the_pattern_and_the_targets() {
        let d = bundle(&["dev", "prod"]);
        let e = select(d.path(), &[], &strings(&["qa-*"])).unwrap_err();
        assert_eq!(e.exit_code(), crate::exit::ExitCode::BadInput);
        assert!(e.to_string().contains("\"qa-*\""), "{e}");
        assert_eq!(e.help(), ["targets: dev, prod"]);
        let e = select(d.path(), &strings(&["nope"]), &[]).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
    }

    #[test]
    fn targets_sharing_variables_are_refused() {
        let d = bundle(&["prod-eu", "prod_eu"]);
        let e = select(d.path(), &[], &strings(&["prod*"])).unwrap_err();
        assert!(e.to_string().contains("BRICKCI_PROD_EU_"), "{e}");
    }
}
