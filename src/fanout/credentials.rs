//! Each target's connection: its host and credentials, as the variables one target sees.
//!
//! `BRICKCI_<TARGET>_<VARIABLE>` (the target's name in upper case, every character that is
//! not a letter or digit as `_`) sets a connection variable for that target alone. Once a
//! target sets any credential of its own, none of the global credentials is seen by it: a
//! target never mixes its own token with another's client secret, and an unset per-target
//! secret never falls back to a global one of a different method. With none of its own, a
//! target uses the global ones (one service principal for several workspaces).
//!
//! The host: `BRICKCI_<TARGET>_DATABRICKS_HOST`, else `DATABRICKS_HOST` — never the bundle's
//! `workspace.host`. The bundle is part of the pull request: a host taken from it would let a
//! pull request send the target's credentials (a token, a client secret, a federated token)
//! to a server of its choosing. The bundle's host is checked against the one used instead,
//! as for a single target.

use crate::platform::Env;

/// The credential variables a target may set for itself.
pub const CREDENTIAL_VARIABLES: &[&str] = &[
    "DATABRICKS_TOKEN",
    "DATABRICKS_CLIENT_ID",
    "DATABRICKS_CLIENT_SECRET",
    "DATABRICKS_AUTH_TYPE",
    "DATABRICKS_AZURE_RESOURCE_ID",
    "DATABRICKS_TOKEN_AUDIENCE",
    "DATABRICKS_OIDC_TOKEN_ENV",
    "DATABRICKS_OIDC_TOKEN_FILEPATH",
    "ARM_CLIENT_ID",
    "ARM_CLIENT_SECRET",
    "ARM_TENANT_ID",
    "ARM_USE_MSI",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
];

/// A target's name as it appears in its variables: `prod-eu` -> `PROD_EU`.
pub fn env_name(target: &str) -> String {
    target
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The prefix of a target's own variables: `BRICKCI_PROD_EU_`.
pub fn prefix(target: &str) -> String {
    format!("BRICKCI_{}_", env_name(target))
}

/// The variables `target` connects with, and where its host came from (for messages).
pub fn target_env(global: &Env, target: &str) -> (Env, &'static str) {
    let own = |name: &str| global.get(&format!("{}{name}", prefix(target)));
    let has_own = CREDENTIAL_VARIABLES.iter().any(|v| own(v).is_some());
    let mut vars: Vec<(String, String)> = global
        .iter()
        .filter(|(k, _)| !(has_own && CREDENTIAL_VARIABLES.contains(&k.as_str())))
        .filter(|(k, _)| k.as_str() != "DATABRICKS_HOST")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if has_own {
        for name in CREDENTIAL_VARIABLES {
            if let Some(v) = own(name) {
                vars.push((name.to_string(), v.to_string()));
            }
        }
    }
    let (host, from) = match own("DATABRICKS_HOST") {
        Some(h) => (Some(h), "own"),
        None => (global.get("DATABRICKS_HOST"), "global"),
    };
    if let Some(h) = host {
        vars.push(("DATABRICKS_HOST".into(), h.to_string()));
    }
    (Env::from_pairs(vars), from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn names_are_upper_case_with_underscores() {
        assert_eq!(env_name("prod-eu.1"), "PROD_EU_1");
        assert_eq!(prefix("dev"), "BRICKCI_DEV_");
    }

    #[test]
    fn own_credentials_replace_every_global_one() {
        let global = env(&[
            ("DATABRICKS_HOST", "https://global"),
            ("DATABRICKS_CLIENT_ID", "sp"),
            ("DATABRICKS_CLIENT_SECRET", "global-secret"),
            ("BRICKCI_PROD_EU_DATABRICKS_TOKEN", "eu-token"),
            ("BUNDLE_VAR_x", "1"),
        ]);
        let (e, from) = target_env(&global, "prod-eu");
        assert_eq!(e.get("DATABRICKS_TOKEN"), Some("eu-token"));
        assert_eq!(e.get("DATABRICKS_CLIENT_SECRET"), None);
        assert_eq!(e.get("DATABRICKS_CLIENT_ID"), None);
        assert_eq!(e.get("DATABRICKS_HOST"), Some("https://global"));
        assert_eq!(e.get("BUNDLE_VAR_x"), Some("1"));
        assert_eq!(from, "global");
    }

    #[test]
    fn without_own_credentials_the_global_ones_apply() {
        let global = env(&[
            ("DATABRICKS_HOST", "https://global"),
            ("DATABRICKS_TOKEN", "global-token"),
            ("BRICKCI_OTHER_DATABRICKS_TOKEN", "other"),
        ]);
        let (e, from) = target_env(&global, "dev");
        assert_eq!(e.get("DATABRICKS_TOKEN"), Some("global-token"));
        assert_eq!(e.get("DATABRICKS_HOST"), Some("https://global"));
        assert_eq!(from, "global");
        let global = env(&[
            ("DATABRICKS_HOST", "https://global"),
            ("BRICKCI_DEV_DATABRICKS_HOST", "https://own"),
        ]);
        let (e, from) = target_env(&global, "dev");
        assert_eq!(e.get("DATABRICKS_HOST"), Some("https://own"));
        assert_eq!(from, "own");
    }
}
