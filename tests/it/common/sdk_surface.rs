//! The harness of the `*_sdk` tests: a tests/python/sdk_*.py script drives one emulator
//! with the official Databricks SDK for Python, brickci's flows another, and each call
//! brickci made must be one the SDK made too (same method and path shape) with no body
//! field or query parameter the SDK did not send.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};

use brickci::emulator::RequestRecord;

use super::{TOKEN, TestEmulator, repo, text};

/// `"METHOD shape"` -> the body fields and query parameter names sent to it.
pub type Surface = BTreeMap<String, BTreeSet<String>>;

/// The first of `shapes` that `path` has (`*` is any one segment: an id or a name).
pub fn shape_in(shapes: &[&'static str], path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.split('/').collect();
    shapes.iter().copied().find(|s| {
        let pattern: Vec<&str> = s.split('/').collect();
        pattern.len() == segments.len()
            && pattern
                .iter()
                .zip(&segments)
                .all(|(p, x)| *p == "*" || p == x)
    })
}

/// How a test turns its request log into a surface; the kinds' APIs differ.
pub struct Rules {
    /// A counted call's path shape; `None` leaves the call out of the surface.
    pub shape: fn(&RequestRecord) -> Option<String>,
    /// Body objects whose own fields count too, as `name.field` (Lakebase's `spec`, whose
    /// fields are what an update mask names).
    pub nested: &'static [&'static str],
    /// Put before query parameter names, so that a query parameter and a body field of the
    /// same name are different keys.
    pub query_mark: &'static str,
}

impl Rules {
    /// Top-level body fields and bare query parameter names.
    pub fn new(shape: fn(&RequestRecord) -> Option<String>) -> Rules {
        Rules {
            shape,
            nested: &[],
            query_mark: "",
        }
    }

    pub fn surface(&self, log: &[RequestRecord]) -> Surface {
        let mut out = Surface::new();
        for r in log {
            let Some(s) = (self.shape)(r) else { continue };
            let keys = out.entry(format!("{} {s}", r.method)).or_default();
            if let Some(o) = r.body.as_object() {
                keys.extend(o.keys().cloned());
            }
            for name in self.nested {
                if let Some(inner) = r.body[*name].as_object() {
                    keys.extend(inner.keys().map(|k| format!("{name}.{k}")));
                }
            }
            keys.extend(
                r.query
                    .split('&')
                    .filter(|q| !q.is_empty())
                    .map(|q| format!("{}{}", self.query_mark, q.split('=').next().unwrap_or(""))),
            );
        }
        out
    }
}

/// Runs tests/python/`script` against `emu` in a cleared environment (only PATH and the
/// emulator's host and token; no config file, proxy or cloud metadata probe can leak in),
/// asserts it succeeded and printed `marker`, and gives the emulator's request log.
pub fn run_sdk_script(
    python: &Path,
    emu: &TestEmulator,
    script: &str,
    marker: &str,
) -> Vec<RequestRecord> {
    let out = Command::new(python)
        .arg(repo().join("tests/python").join(script))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABRICKS_HOST", emu.url())
        .env("DATABRICKS_TOKEN", TOKEN)
        .env("DATABRICKS_CONFIG_FILE", "/dev/null")
        .env("NO_PROXY", "*")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let all = text(&out);
    assert!(out.status.success(), "{script} failed:\n{all}");
    assert!(
        all.contains(marker),
        "{script} never printed {marker:?}:\n{all}"
    );
    emu.requests()
}

/// Fails, naming every offence at once, unless each of brickci's calls is one the SDK made
/// and brickci's fields there are a subset of the SDK's.
pub fn assert_within_sdk(ours: &Surface, sdk: &Surface) {
    let mut offences = Vec::new();
    for (call, keys) in ours {
        match sdk.get(call) {
            None => offences.push(format!(
                "brickci calls {call}, which the SDK script never does"
            )),
            Some(known) => {
                let extra: Vec<&String> = keys.difference(known).collect();
                if !extra.is_empty() {
                    offences.push(format!(
                        "brickci sends {extra:?} to {call}; the SDK sent only {known:?}"
                    ));
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "{}\nthe SDK's calls: {sdk:#?}",
        offences.join("\n")
    );
}
