//! Downstream triggers: start a run on another system, report it, and with `--wait` follow it
//! to its end. What every target shares lives here and in `follow`; one file per target does
//! the talking.

pub mod azure_devops;
pub mod callback;
pub mod codepipeline;
mod error;
mod follow;
pub mod gate;
pub mod github;

pub use error::TriggerError;

pub use follow::{
    OUTPUT_CONCLUSION, OUTPUT_RUN_ID, OUTPUT_RUN_URL, Observed, Pauses, Started, WaitArgs,
    announce, follow,
};

use crate::error::Error;

/// `k=v` flags in order; a repeated key or one without `=` is bad input naming the flag.
pub fn pairs(flag: &str, values: &[String]) -> Result<Vec<(String, String)>, Error> {
    let mut out: Vec<(String, String)> = Vec::new();
    for v in values {
        let (k, val) = crate::util::parse_key_value(flag, v).map_err(Error::bad_input)?;
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(Error::bad_input(format!("{flag}: {k:?} is given twice")));
        }
        out.push((k, val));
    }
    Ok(out)
}

/// Over a target's documented limit: refused before any request, naming the limit.
pub fn over_limit(limit: &str, detail: String) -> Error {
    TriggerError::OverLimit {
        limit: limit.to_string(),
        detail,
    }
    .into()
}

/// An id for this trigger that the started run carries, so it can be found when the target
/// does not say which run it started, or after an answer was lost.
pub fn correlation_id() -> String {
    format!("brickci-{}", uuid::Uuid::new_v4().simple())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::ExitCode;

    #[test]
    fn pairs_keep_order_and_refuse_bad_ones() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            pairs("--input", &v(&["b=1", "a=x=y", "c="])).unwrap(),
            vec![
                ("b".into(), "1".into()),
                ("a".into(), "x=y".into()),
                ("c".into(), "".into())
            ]
        );
        let e = pairs("--input", &v(&["novalue"])).unwrap_err();
        assert!(e.to_string().contains("--input"), "{e}");
        assert_eq!(e.exit_code(), ExitCode::BadInput);
        assert!(pairs("--input", &v(&["a=1", "a=2"])).is_err());
        assert!(pairs("--input", &v(&["=1"])).is_err());
    }
}
