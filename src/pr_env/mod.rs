//! Pull request environments: which pull request a `--pr` means, the metadata brickci keeps
//! beside each PR deployment's state, and what `gc` needs to sweep them (the age limit, the
//! forge's word on whether the pull request is closed). The deployment itself is the
//! target with `bundle::pr_overlay` laid over it.

pub mod age;
pub mod forge;
pub mod metadata;

use crate::error::Error;
use crate::platform::Platform;

/// What `--pr` says: a number, or the pull request the CI run is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrChoice {
    FromCi,
    Number(u64),
}

/// The `--pr` value: `auto` (what a bare `--pr` means) or a pull request number.
pub fn parse_choice(raw: &str) -> Result<PrChoice, String> {
    match raw.trim() {
        "" | "auto" => Ok(PrChoice::FromCi),
        n => match n.parse::<u64>() {
            Ok(0) | Err(_) => Err(format!(
                "{n:?} is not a pull request number (give N > 0, or no value to take it from the CI run)"
            )),
            Ok(n) => Ok(PrChoice::Number(n)),
        },
    }
}

/// Where the CI context's pull request number is read from, for the error that finds none.
pub const LOOKED_AT: &str = "GITHUB_EVENT_PATH (pull_request.number), GITHUB_REF (refs/pull/N/merge), \
SYSTEM_PULLREQUEST_PULLREQUESTNUMBER, SYSTEM_PULLREQUEST_PULLREQUESTID, CODEBUILD_WEBHOOK_TRIGGER (pr/N)";

/// The pull request number `--pr` names, if it was given; a bare `--pr` outside a pull
/// request's CI run is bad input.
pub fn resolve(choice: Option<PrChoice>, platform: &Platform) -> Result<Option<u64>, Error> {
    match choice {
        None => Ok(None),
        Some(PrChoice::Number(n)) => Ok(Some(n)),
        Some(PrChoice::FromCi) => match platform.context().pr_number {
            Some(n) => Ok(Some(n)),
            None => Err(Error::BadInput {
                message: format!(
                    "--pr: this CI run is not for a pull request (looked at {LOOKED_AT})"
                ),
                help: vec!["give the number: --pr N; nothing was done".into()],
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Env;

    #[test]
    fn choices_parse() {
        assert_eq!(parse_choice("auto"), Ok(PrChoice::FromCi));
        assert_eq!(parse_choice(""), Ok(PrChoice::FromCi));
        assert_eq!(parse_choice("42"), Ok(PrChoice::Number(42)));
        assert!(parse_choice("0").is_err());
        assert!(parse_choice("pr-4").unwrap_err().contains("pr-4"));
    }

    #[test]
    fn the_number_comes_from_the_ci_run_or_the_flag() {
        let gh = Platform::detect(Env::from_pairs([
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REF", "refs/pull/17/merge"),
        ]));
        assert_eq!(resolve(Some(PrChoice::FromCi), &gh).unwrap(), Some(17));
        let ado = Platform::detect(Env::from_pairs([
            ("TF_BUILD", "True"),
            ("SYSTEM_PULLREQUEST_PULLREQUESTID", "33"),
        ]));
        assert_eq!(resolve(Some(PrChoice::FromCi), &ado).unwrap(), Some(33));
        let local = Platform::detect(Env::from_pairs::<&str, &str>([]));
        assert_eq!(resolve(Some(PrChoice::Number(5)), &local).unwrap(), Some(5));
        assert_eq!(resolve(None, &local).unwrap(), None);
        let e = resolve(Some(PrChoice::FromCi), &local).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("--pr") && text.contains("GITHUB_EVENT_PATH"),
            "{text}"
        );
        assert_eq!(e.exit_code(), crate::exit::ExitCode::BadInput);
    }
}
