//! The bundle's `brickci: callbacks:` section: which job fires which trigger when its tasks
//! finish. It sits under a top-level key of its own because the Databricks CLI only warns
//! about an unknown top-level key, while an unknown field inside a job is an error there.
//! Every mistake is reported at once, with its file, line and key.

use crate::bundle::Diagnostics;
use crate::bundle::yaml::{Kind, Loc, Node};

/// One job's callback, checked and turned into the `brickci callback` command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Callback {
    /// The job's key in `resources.jobs`.
    pub job: String,
    pub when: When,
    /// `callback <target> --flag=value ...`: what the launcher passes to the binary. Holds
    /// no secret: tokens reach the binary through `secrets` only.
    pub args: Vec<String>,
    pub secrets: Vec<SecretEnv>,
    /// Plain environment for the binary (e.g. `AWS_REGION`).
    pub env: Vec<(String, String)>,
    /// `(field, value)` naming the task's compute, when the declaration chose it.
    pub compute: Option<(String, String)>,
    pub loc: Loc,
}

/// An environment variable of the callback filled from a Databricks secret.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretEnv {
    pub env: String,
    pub scope: String,
    pub key: String,
}

/// When the callback fires, as the task's `run_if`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum When {
    Success,
    Failure,
    Always,
}

impl When {
    pub fn run_if(self) -> &'static str {
        match self {
            When::Success => "ALL_SUCCESS",
            When::Failure => "AT_LEAST_ONE_FAILED",
            When::Always => "ALL_DONE",
        }
    }
}

const COMMON: &[&str] = &["when", "secrets", "compute", "wait"];
const TARGETS: &[&str] = &["github", "azure_devops", "codepipeline"];
const GITHUB: &[&str] = &[
    "repo",
    "workflow",
    "ref",
    "inputs",
    "event_type",
    "payload",
    "api_url",
    "app_id",
    "app_private_key",
    "token",
    "correlation_input",
];
const AZURE_DEVOPS: &[&str] = &[
    "org_url",
    "project",
    "pipeline",
    "pipeline_id",
    "branch",
    "template_parameters",
    "variables",
    "token",
];
const CODEPIPELINE: &[&str] = &["name", "variables", "source_revisions", "region"];
const COMPUTE: &[&str] = &["environment_key", "job_cluster_key", "existing_cluster_id"];

/// Environment names a secret may not take: they would change how the binary or the
/// launcher runs rather than hand it a credential.
const RESERVED_ENV: &[&str] = &["PATH", "HOME", "TMPDIR", "BRICKCI_OUTPUT_FILE"];

/// The callbacks a bundle declares; `job_exists` says whether `resources.jobs.<key>` is there.
pub fn declared(
    tree: &Node,
    job_exists: impl Fn(&str) -> bool,
) -> Result<Vec<Callback>, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut out = Vec::new();
    let Some(section) = tree.get("brickci").filter(|n| !n.is_null()) else {
        return Ok(out);
    };
    let Some(entries) = section.entries() else {
        diags.push(&section.loc, "brickci", "must be a map (callbacks: ...)");
        return Err(diags);
    };
    for (k, v) in entries {
        if k.name != "callbacks" {
            diags.push(
                &k.loc,
                format!("brickci.{}", k.name),
                "unknown setting (known: callbacks)",
            );
            continue;
        }
        if v.is_null() {
            continue;
        }
        let Some(jobs) = v.entries() else {
            diags.push(&v.loc, "brickci.callbacks", "must be a map of job keys");
            continue;
        };
        for (job, decl) in jobs {
            let path = format!("brickci.callbacks.{}", job.name);
            if !job_exists(&job.name) {
                diags.push(
                    &job.loc,
                    &path,
                    format!("no job {:?} in resources.jobs", job.name),
                );
                continue;
            }
            if let Some(cb) = one(&job.name, decl, &path, &mut diags) {
                out.push(cb);
            }
        }
    }
    diags.check().map(|()| out)
}

fn one(job: &str, decl: &Node, path: &str, diags: &mut Diagnostics) -> Option<Callback> {
    let Some(entries) = decl.entries() else {
        diags.push(&decl.loc, path, "must be a map (github: ..., secrets: ...)");
        return None;
    };
    let before = diags.0.len();
    for (k, _) in entries {
        if !COMMON.contains(&k.name.as_str()) && !TARGETS.contains(&k.name.as_str()) {
            diags.push(
                &k.loc,
                format!("{path}.{}", k.name),
                format!(
                    "unknown setting (known: {}, {})",
                    TARGETS.join(", "),
                    COMMON.join(", ")
                ),
            );
        }
    }
    let targets: Vec<&str> = TARGETS
        .iter()
        .copied()
        .filter(|t| decl.get(t).is_some())
        .collect();
    let when = match decl.get("when").map(|n| (n.as_str(), n)) {
        None | Some((Some("success"), _)) => When::Success,
        Some((Some("failure"), _)) => When::Failure,
        Some((Some("always"), _)) => When::Always,
        Some((_, n)) => {
            diags.push(
                &n.loc,
                format!("{path}.when"),
                "must be success, failure or always",
            );
            When::Success
        }
    };
    let wait = match decl.get("wait") {
        None => false,
        Some(Node {
            kind: Kind::Bool(b),
            ..
        }) => *b,
        Some(n) => {
            diags.push(&n.loc, format!("{path}.wait"), "must be true or false");
            false
        }
    };
    let secrets = secrets(decl, path, diags);
    let compute = compute(decl, path, diags);
    let mut args = vec!["callback".to_string()];
    let mut env = Vec::new();
    match targets.as_slice() {
        [t] => {
            let node = decl.get(t).expect("listed above");
            let tpath = format!("{path}.{t}");
            let mut f = Fields::new(node, &tpath, diags)?;
            match *t {
                "github" => github(&mut f, &mut args),
                "azure_devops" => azure_devops(&mut f, &mut args),
                _ => codepipeline(&mut f, &mut args, &mut env),
            }
            let known = match *t {
                "github" => GITHUB,
                "azure_devops" => AZURE_DEVOPS,
                _ => CODEPIPELINE,
            };
            f.unknown(known);
            if *t == "github"
                && !secrets.iter().any(|s| s.env == "GITHUB_TOKEN")
                && node.get("token").is_none()
                && node.get("app_id").is_none()
            {
                diags.push(
                    &node.loc,
                    format!("{path}.secrets"),
                    "the callback needs a GitHub token: add secrets: {GITHUB_TOKEN: {scope: ..., key: ...}} (a token with actions: write on the repository), or a GitHub App (app_id, app_private_key)",
                );
            }
            if *t == "azure_devops"
                && !secrets.iter().any(|s| s.env == "SYSTEM_ACCESSTOKEN")
                && node.get("token").is_none()
            {
                diags.push(
                    &node.loc,
                    format!("{path}.secrets"),
                    "the callback needs an Azure DevOps token: add secrets: {SYSTEM_ACCESSTOKEN: {scope: ..., key: ...}} (a PAT with Build: Read & execute), or token: with a secret reference",
                );
            }
        }
        [] => diags.push(
            &decl.loc,
            path,
            format!("names no trigger: add one of {}", TARGETS.join(", ")),
        ),
        many => diags.push(
            &decl.loc,
            path,
            format!(
                "names {} triggers; a callback fires one",
                many.join(" and ")
            ),
        ),
    }
    if wait {
        args.push("--wait".into());
    }
    (diags.0.len() == before).then(|| Callback {
        job: job.to_string(),
        when,
        args,
        secrets,
        env,
        compute,
        loc: decl.loc.clone(),
    })
}

fn github(f: &mut Fields, args: &mut Vec<String>) {
    args.push("github".into());
    f.required("repo", "--repo", args);
    let workflow = f.node.get("workflow").is_some();
    let event = f.node.get("event_type").is_some();
    if workflow == event {
        f.diags.push(
            &f.node.loc,
            f.path,
            "needs exactly one of workflow (workflow_dispatch) and event_type (repository_dispatch)",
        );
    }
    f.optional("workflow", "--workflow", args);
    if workflow {
        f.required("ref", "--ref", args);
        f.pairs("inputs", "--input", args);
    } else {
        f.optional("ref", "--ref", args);
    }
    f.optional("event_type", "--event-type", args);
    if let Some(p) = f.node.get("payload") {
        if p.entries().is_none() {
            f.diags
                .push(&p.loc, format!("{}.payload", f.path), "must be a map");
        } else {
            args.push(format!("--payload={}", p.to_json()));
        }
    }
    f.optional("api_url", "--api-url", args);
    f.optional("app_id", "--app-id", args);
    f.optional("app_private_key", "--app-private-key-ref", args);
    f.optional("token", "--token-ref", args);
    f.optional("correlation_input", "--correlation-input", args);
}

fn azure_devops(f: &mut Fields, args: &mut Vec<String>) {
    args.push("azure-devops".into());
    f.required("org_url", "--org-url", args);
    f.required("project", "--project", args);
    if f.node.get("pipeline").is_some() == f.node.get("pipeline_id").is_some() {
        f.diags.push(
            &f.node.loc,
            f.path,
            "needs exactly one of pipeline (its name) and pipeline_id",
        );
    }
    f.optional("pipeline", "--pipeline", args);
    f.optional("pipeline_id", "--pipeline-id", args);
    f.optional("branch", "--branch", args);
    f.pairs("template_parameters", "--template-parameter", args);
    f.pairs("variables", "--variable", args);
    f.optional("token", "--token-ref", args);
}

fn codepipeline(f: &mut Fields, args: &mut Vec<String>, env: &mut Vec<(String, String)>) {
    args.push("codepipeline".into());
    f.required("name", "--name", args);
    f.pairs("variables", "--variable", args);
    if let Some(n) = f.node.get("source_revisions") {
        match n.items() {
            Some(items) => {
                for i in items {
                    match i.scalar_text() {
                        Some(s) => args.push(format!("--source-revision={s}")),
                        None => f.diags.push(
                            &i.loc,
                            format!("{}.source_revisions", f.path),
                            "each entry must be a string (action=type=value)",
                        ),
                    }
                }
            }
            None => f.diags.push(
                &n.loc,
                format!("{}.source_revisions", f.path),
                "must be a list",
            ),
        }
    }
    if let Some(region) = f.string("region") {
        env.push(("AWS_REGION".into(), region));
    }
}

/// A target's settings, read with their place for messages.
struct Fields<'a> {
    node: &'a Node,
    path: &'a str,
    diags: &'a mut Diagnostics,
}

impl<'a> Fields<'a> {
    fn new(node: &'a Node, path: &'a str, diags: &'a mut Diagnostics) -> Option<Fields<'a>> {
        if node.entries().is_none() {
            diags.push(&node.loc, path, "must be a map");
            return None;
        }
        Some(Fields { node, path, diags })
    }

    fn string(&mut self, name: &str) -> Option<String> {
        let n = self.node.get(name)?;
        match n.scalar_text() {
            Some(s) if !s.is_empty() => Some(s),
            _ => {
                self.diags.push(
                    &n.loc,
                    format!("{}.{name}", self.path),
                    "must be a non-empty string",
                );
                None
            }
        }
    }

    fn required(&mut self, name: &str, flag: &str, args: &mut Vec<String>) {
        if self.node.get(name).is_none() {
            self.diags.push(
                &self.node.loc,
                format!("{}.{name}", self.path),
                "is required",
            );
        }
        self.optional(name, flag, args);
    }

    /// Always `--flag=value`, so a value starting with `-` is never read as a flag.
    fn optional(&mut self, name: &str, flag: &str, args: &mut Vec<String>) {
        if let Some(v) = self.string(name) {
            args.push(format!("{flag}={v}"));
        }
    }

    fn pairs(&mut self, name: &str, flag: &str, args: &mut Vec<String>) {
        let Some(n) = self.node.get(name) else { return };
        let Some(entries) = n.entries() else {
            self.diags.push(
                &n.loc,
                format!("{}.{name}", self.path),
                "must be a map of names to values",
            );
            return;
        };
        for (k, v) in entries {
            match v.scalar_text() {
                Some(s) => args.push(format!("{flag}={}={s}", k.name)),
                None => self.diags.push(
                    &v.loc,
                    format!("{}.{name}.{}", self.path, k.name),
                    format!("must be a string, number or boolean, not {}", v.type_name()),
                ),
            }
        }
    }

    fn unknown(&mut self, known: &[&str]) {
        for (k, _) in self.node.entries().unwrap_or_default() {
            if !known.contains(&k.name.as_str()) {
                self.diags.push(
                    &k.loc,
                    format!("{}.{}", self.path, k.name),
                    format!("unknown setting (known: {})", known.join(", ")),
                );
            }
        }
    }
}

fn secrets(decl: &Node, path: &str, diags: &mut Diagnostics) -> Vec<SecretEnv> {
    let Some(n) = decl.get("secrets") else {
        return Vec::new();
    };
    let Some(entries) = n.entries() else {
        diags.push(
            &n.loc,
            format!("{path}.secrets"),
            "must map environment variables to {scope: ..., key: ...}",
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, v) in entries {
        let at = format!("{path}.secrets.{}", k.name);
        let name_ok = k
            .name
            .starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
            && k.name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !name_ok
            || RESERVED_ENV.contains(&k.name.as_str())
            || k.name.starts_with("LD_")
            || k.name.starts_with("PYTHON")
        {
            diags.push(
                &k.loc,
                &at,
                "must be an environment variable name (A-Z, 0-9, _) other than PATH, HOME, TMPDIR, PYTHON* and LD_*",
            );
            continue;
        }
        let field = |f: &str| v.get(f).and_then(Node::as_str).filter(|s| secret_name(s));
        match (field("scope"), field("key"), v.entries()) {
            (Some(scope), Some(key), Some(e)) if e.len() == 2 => out.push(SecretEnv {
                env: k.name.clone(),
                scope: scope.to_string(),
                key: key.to_string(),
            }),
            _ => diags.push(
                &v.loc,
                &at,
                "must be {scope: ..., key: ...} (letters, digits, -, _ and ., up to 128 characters each)",
            ),
        }
    }
    out
}

/// Databricks secret scope and key names.
fn secret_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn compute(decl: &Node, path: &str, diags: &mut Diagnostics) -> Option<(String, String)> {
    let n = decl.get("compute")?;
    let chosen: Vec<(String, String)> = n
        .entries()
        .unwrap_or_default()
        .iter()
        .filter(|(k, _)| COMPUTE.contains(&k.name.as_str()))
        .filter_map(|(k, v)| v.scalar_text().map(|s| (k.name.clone(), s)))
        .collect();
    match (n.entries().map(<[_]>::len), chosen.len()) {
        (Some(1), 1) => chosen.into_iter().next(),
        _ => {
            diags.push(
                &n.loc,
                format!("{path}.compute"),
                format!("must name one of {}", COMPUTE.join(", ")),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(yaml: &str) -> Result<Vec<Callback>, Diagnostics> {
        let tree = crate::bundle::yaml::parse(std::path::Path::new("databricks.yml"), yaml)
            .expect("valid YAML");
        declared(&tree, |k| k == "train")
    }

    #[test]
    fn each_target_becomes_its_trigger_command_line_with_flag_equals_value() {
        let cbs = load(
            "brickci:\n  callbacks:\n    train:\n      when: always\n      wait: true\n      azure_devops:\n        org_url: https://dev.azure.com/o\n        project: p\n        pipeline: cd\\deploy\n        branch: refs/heads/main\n        template_parameters: {modelVersion: '{{tasks.t.values.v}}', dry: false}\n      secrets: {SYSTEM_ACCESSTOKEN: {scope: s, key: pat}}\n",
        )
        .unwrap();
        assert_eq!(cbs[0].when, When::Always);
        assert_eq!(
            cbs[0].args,
            [
                "callback",
                "azure-devops",
                "--org-url=https://dev.azure.com/o",
                "--project=p",
                "--pipeline=cd\\deploy",
                "--branch=refs/heads/main",
                "--template-parameter=modelVersion={{tasks.t.values.v}}",
                "--template-parameter=dry=false",
                "--wait",
            ]
        );
        let cbs = load(
            "brickci:\n  callbacks:\n    train:\n      codepipeline:\n        name: cd\n        region: eu-west-1\n        variables: {MODEL: '-3'}\n",
        )
        .unwrap();
        assert_eq!(
            cbs[0].args,
            [
                "callback",
                "codepipeline",
                "--name=cd",
                "--variable=MODEL=-3"
            ]
        );
        assert_eq!(cbs[0].env, [("AWS_REGION".into(), "eu-west-1".into())]);
        assert!(cbs[0].secrets.is_empty(), "an instance profile needs none");
    }

    #[test]
    fn repository_dispatch_carries_its_payload_as_json() {
        let cbs = load(
            "brickci:\n  callbacks:\n    train:\n      github:\n        repo: o/r\n        event_type: model-ready\n        payload: {version: '{{job.run_id}}'}\n      secrets: {GITHUB_TOKEN: {scope: s, key: k}}\n",
        )
        .unwrap();
        assert_eq!(
            cbs[0].args,
            [
                "callback",
                "github",
                "--repo=o/r",
                "--event-type=model-ready",
                "--payload={\"version\":\"{{job.run_id}}\"}",
            ]
        );
    }

    #[test]
    fn every_mistake_is_named_at_once_with_its_place() {
        let e = load(
            "brickci:\n  callbacks:\n    train:\n      github: {repo: o/r, workflow: a.yml, ref: main, inputz: {}}\n      azure_devops: {project: p}\n      compute: {job_cluster_key: a, environment_key: b}\n      secrets: {LD_PRELOAD: {scope: s, key: k}, TOKEN: {scope: 'bad/scope', key: k}}\n  other: 1\n",
        )
        .unwrap_err()
        .to_string();
        for expected in [
            "databricks.yml:4:7: brickci.callbacks.train: names github and azure_devops triggers",
            "brickci.callbacks.train.compute: must name one of",
            "brickci.callbacks.train.secrets.LD_PRELOAD: must be an environment variable name",
            "brickci.callbacks.train.secrets.TOKEN: must be {scope: ..., key: ...}",
            "databricks.yml:8:3: brickci.other: unknown setting (known: callbacks)",
        ] {
            assert!(e.contains(expected), "missing {expected:?} in:\n{e}");
        }
        let e = load("brickci:\n  callbacks:\n    train:\n      github: {repo: o/r, workflow: a.yml, ref: main}\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs a GitHub token"), "{e}");
    }

    #[test]
    fn no_section_means_no_callbacks() {
        assert_eq!(load("bundle: {name: x}\n").unwrap(), Vec::new());
        assert_eq!(load("brickci:\n").unwrap(), Vec::new());
    }
}
