//! Task inputs (`INPUT_<NAME>`) as a command line, for an action or a pipeline task that
//! starts the binary with no arguments. The rules are the wrappers' contract:
//! names match ignoring case, `-`, `_` and `.` (GitHub keeps hyphens, Azure DevOps task
//! inputs are camelCase); `command` names the subcommand; every long flag and the global
//! flags are inputs by their long name; positionals are `key`, `tests`, `report`; values go
//! as `--flag=value`; multi-value inputs take one value per line; booleans are
//! true|True|TRUE|false|False|FALSE; empty inputs are ignored.

use clap::{Arg, ArgAction, Command};
use serde::Serialize;

use super::Env;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum InputError {
    #[error("input `command`: {given:?} is not a brickci command; valid: {}", valid.join(", "))]
    UnknownCommand { given: String, valid: Vec<String> },
    #[error(
        "input `{name}` must be true or false (true, True, TRUE, false, False, FALSE), got {value:?}"
    )]
    BadBool { name: String, value: String },
    #[error("input `{name}` is required for command `{command}`")]
    Missing { command: String, name: String },
    #[error("command `{command}` needs one of the inputs {}", names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "))]
    MissingOneOf { command: String, names: Vec<String> },
}

/// Connection inputs and the variable each fills when it is not already set.
pub const CONNECTION: &[(&str, &str, bool)] = &[
    ("host", "DATABRICKS_HOST", false),
    ("client-id", "DATABRICKS_CLIENT_ID", false),
    ("client-secret", "DATABRICKS_CLIENT_SECRET", true),
    ("token", "DATABRICKS_TOKEN", true),
    ("github-token", "GITHUB_TOKEN", true),
];

/// Other names the inputs may use for a flag (`params` for `--param`).
const ALIASES: &[(&str, &str)] = &[
    ("params", "param"),
    ("vars", "var"),
    ("check-run", "github-check"),
    // The action's `job` input: a job of the bundle by its key (`brickci run KEY`).
    ("job", "key"),
];

/// Commands a task cannot run (they serve or describe, they do not do CI work).
/// Commands no wrapper starts: local tools, and the callback (it runs inside a Databricks job).
const NOT_FROM_INPUTS: &[&str] = &["emulator", "demo", "inputs", "help", "callback"];

fn normalise(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// An input's value, trimmed; empty counts as unset.
pub fn lookup(env: &Env, name: &str) -> Option<String> {
    let want = normalise(name);
    env.iter()
        .filter(|(k, _)| {
            k.strip_prefix("INPUT_")
                .is_some_and(|n| normalise(n) == want)
        })
        .map(|(_, v)| v.trim().to_string())
        .find(|v| !v.is_empty())
}

/// The YAML 1.2 core boolean spellings `@actions/core` accepts.
pub fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// Copies connection inputs into unset variables; returns the secret values to mask.
pub fn apply_connection_inputs(env: &mut Env) -> Vec<String> {
    let mut secrets = Vec::new();
    for (input, var, secret) in CONNECTION {
        if let Some(value) = lookup(env, input) {
            if *secret {
                secrets.push(value.clone());
            }
            env.set_if_unset(var, &value);
        }
    }
    secrets
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    String,
    Bool,
    Multiline,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputSpec {
    pub name: String,
    /// The same input as an Azure DevOps task names it.
    pub azure_name: String,
    pub kind: InputKind,
    pub required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_of: Option<String>,
    #[serde(skip)]
    arg_id: String,
    #[serde(skip)]
    positional: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommandInputs {
    pub inputs: Vec<InputSpec>,
    /// Groups of inputs of which one must be given.
    pub required_one_of: Vec<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Catalog {
    /// Inputs every command reads: `command`, the connection inputs, the global flags.
    pub common: Vec<InputSpec>,
    pub commands: std::collections::BTreeMap<String, CommandInputs>,
}

/// The input name of a positional argument.
fn positional_name(id: &str) -> &str {
    match id {
        "globs" => "tests",
        "input" => "report",
        other => other,
    }
}

fn spec(arg: &Arg) -> Option<InputSpec> {
    let id = arg.get_id().as_str();
    if matches!(id, "help" | "version") {
        return None;
    }
    let positional = arg.is_positional();
    let name = if positional {
        positional_name(id).to_string()
    } else {
        arg.get_long()?.to_string()
    };
    let kind = match arg.get_action() {
        ArgAction::SetTrue | ArgAction::SetFalse => InputKind::Bool,
        ArgAction::Append => InputKind::Multiline,
        _ if arg.get_value_delimiter().is_some()
            || arg.get_num_args().is_some_and(|n| n.max_values() > 1) =>
        {
            InputKind::Multiline
        }
        _ => InputKind::String,
    };
    Some(InputSpec {
        azure_name: super::camel_case(&name),
        name,
        kind,
        required: arg.is_required_set(),
        alias_of: None,
        arg_id: id.to_string(),
        positional,
    })
}

fn simple(name: &str, kind: InputKind, required: bool) -> InputSpec {
    InputSpec {
        name: name.into(),
        azure_name: super::camel_case(name),
        kind,
        required,
        alias_of: None,
        arg_id: String::new(),
        positional: false,
    }
}

/// Leaf subcommands as the `command` input spells them (`auth check`).
fn leaf_commands(cmd: &Command, prefix: &str, out: &mut Vec<(String, Command)>) {
    for sub in cmd.get_subcommands() {
        let name = sub.get_name();
        if NOT_FROM_INPUTS.contains(&name) {
            continue;
        }
        let path = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix} {name}")
        };
        if sub.has_subcommands() {
            leaf_commands(sub, &path, out);
        } else {
            out.push((path, sub.clone()));
        }
    }
}

fn command_inputs(root: &Command, leaf: &Command) -> CommandInputs {
    let mut inputs: Vec<InputSpec> = Vec::new();
    for arg in leaf.get_arguments() {
        let Some(s) = spec(arg) else { continue };
        if root
            .get_arguments()
            .any(|g| g.get_id() == arg.get_id() && g.is_global_set())
        {
            continue;
        }
        for (alias, of) in ALIASES {
            if s.name == *of {
                let mut a = s.clone();
                a.name = alias.to_string();
                a.azure_name = super::camel_case(alias);
                a.alias_of = Some(of.to_string());
                inputs.push(a);
            }
        }
        inputs.push(s);
    }
    let name_of = |id: &str| {
        inputs
            .iter()
            .find(|i| i.arg_id == id && i.alias_of.is_none())
            .map(|i| i.name.clone())
    };
    let required_one_of = leaf
        .get_groups()
        .filter(|g| g.is_required_set())
        .map(|g| g.get_args().filter_map(|id| name_of(id.as_str())).collect())
        .collect();
    inputs.sort_by(|a, b| a.name.cmp(&b.name));
    CommandInputs {
        inputs,
        required_one_of,
    }
}

/// Every input the binary reads, per command.
pub fn catalog(root: &Command) -> Catalog {
    let mut root = root.clone();
    root.build();
    let mut common = vec![simple("command", InputKind::String, true)];
    for (name, _, _) in CONNECTION {
        common.push(simple(name, InputKind::String, false));
    }
    common.extend(
        root.get_arguments()
            .filter(|a| a.is_global_set())
            .filter_map(spec),
    );
    let mut leaves = Vec::new();
    leaf_commands(&root, "", &mut leaves);
    let commands = leaves
        .iter()
        .map(|(path, leaf)| (path.clone(), command_inputs(&root, leaf)))
        .collect();
    Catalog { common, commands }
}

/// The command line the inputs describe (`None`: no `command` input).
pub fn args_from_inputs(root: &Command, env: &Env) -> Result<Option<Vec<String>>, InputError> {
    let Some(command) = lookup(env, "command") else {
        return Ok(None);
    };
    let cat = catalog(root);
    let given: Vec<&str> = command.split_whitespace().collect();
    let Some((path, spec)) = cat
        .commands
        .iter()
        .find(|(path, _)| path.split(' ').eq(given.iter().copied()))
    else {
        return Err(InputError::UnknownCommand {
            given: command.clone(),
            valid: cat.commands.keys().cloned().collect(),
        });
    };
    let mut words: Vec<String> = vec!["brickci".into()];
    words.extend(path.split(' ').map(str::to_string));
    let mut positionals = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let all: Vec<&InputSpec> = cat
        .common
        .iter()
        .filter(|s| !s.arg_id.is_empty())
        .chain(spec.inputs.iter())
        .collect();
    for input in &all {
        let Some(value) = lookup(env, &input.name) else {
            continue;
        };
        let flag = input.alias_of.as_deref().unwrap_or(&input.name);
        seen.insert(input.arg_id.clone());
        let values: Vec<String> = match input.kind {
            InputKind::Bool => {
                match parse_bool(&value) {
                    Some(true) => words.push(format!("--{flag}")),
                    Some(false) => {}
                    None => {
                        return Err(InputError::BadBool {
                            name: input.name.clone(),
                            value,
                        });
                    }
                }
                continue;
            }
            InputKind::Multiline => value
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
            InputKind::String => vec![value],
        };
        if input.positional {
            positionals.extend(values);
        } else {
            words.extend(values.into_iter().map(|v| format!("--{flag}={v}")));
        }
    }
    // What the environment already provides (BRICKCI_* variables) satisfies clap too.
    let mut leaf = root.clone();
    for w in path.split(' ') {
        leaf = leaf
            .find_subcommand(w)
            .cloned()
            .unwrap_or_else(|| Command::new(""));
    }
    let from_env = |id: &str| {
        leaf.get_arguments()
            .find(|a| a.get_id() == id)
            .and_then(|a| a.get_env())
            .and_then(|k| k.to_str())
            .is_some_and(|k| env.get(k).is_some())
    };
    let given = |id: &str| seen.contains(id) || from_env(id);
    for input in spec
        .inputs
        .iter()
        .filter(|i| i.required && i.alias_of.is_none())
    {
        if !given(&input.arg_id) {
            return Err(InputError::Missing {
                command: path.clone(),
                name: input.name.clone(),
            });
        }
    }
    for group in leaf.get_groups().filter(|g| g.is_required_set()) {
        if !group.get_args().any(|id| given(id.as_str())) {
            return Err(InputError::MissingOneOf {
                command: path.clone(),
                names: spec.required_one_of.first().cloned().unwrap_or_default(),
            });
        }
    }
    if !positionals.is_empty() {
        words.push("--".into());
        words.extend(positionals);
    }
    Ok(Some(words))
}
