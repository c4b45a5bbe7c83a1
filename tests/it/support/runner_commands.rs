//! What each runner would act on in a step's output, modelled on the runners' own parsers
//! (actions/runner `ActionCommand` / `ActionCommandManager`, the Azure Pipelines agent's
//! `Command`), written for these tests from the documented rules:
//!
//! - both read lines ending at LF, CR or CR LF;
//! - GitHub: a line whose text, leading whitespace trimmed, starts with `::name ...::data`
//!   for a known command; else `##[name ...]data` anywhere in the line; while commands are
//!   stopped (`::stop-commands::TOKEN`) only `::TOKEN::` is acted on (it resumes);
//!   command names match in any case; data is unescaped (`%25`, `%0D`, `%0A`);
//! - Azure DevOps: `##vso[area.event props]data` anywhere in a line (any case), and the
//!   `##[name]` formatting commands.

#![allow(dead_code)]

#[derive(Debug, Clone, PartialEq)]
pub struct RunnerCommand {
    pub name: String,
    pub props: String,
    pub data: String,
}

const GITHUB_COMMANDS: &[&str] = &[
    "set-env",
    "set-output",
    "save-state",
    "add-path",
    "add-mask",
    "add-matcher",
    "remove-matcher",
    "warning",
    "error",
    "notice",
    "debug",
    "group",
    "endgroup",
    "echo",
    "stop-commands",
];

pub fn runner_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push(std::mem::take(&mut cur));
            }
            '\n' => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn github_unescape(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%25", "%")
}

fn split_name(info: &str) -> (String, String) {
    match info.split_once(' ') {
        Some((n, p)) => (n.to_string(), p.to_string()),
        None => (info.to_string(), String::new()),
    }
}

/// (v2) `::name props::data` at the start of the trimmed line.
fn github_v2(line: &str) -> Option<(String, String, String)> {
    let t = line.trim_start();
    let rest = t.strip_prefix("::")?;
    let end = rest.find("::")?;
    let (name, props) = split_name(&rest[..end]);
    Some((name, props, rest[end + 2..].to_string()))
}

/// (v1) `##[name props]data` anywhere in the line.
fn github_v1(line: &str) -> Option<(String, String, String)> {
    let start = line.find("##[")?;
    let rest = &line[start + 3..];
    let end = rest.find(']')?;
    let (name, props) = split_name(&rest[..end]);
    Some((name, props, rest[end + 1..].to_string()))
}

/// Every command the GitHub runner acts on, in order; also whether commands end stopped.
pub fn github(text: &str) -> (Vec<RunnerCommand>, bool) {
    let mut found = Vec::new();
    let mut stop_token: Option<String> = None;
    for line in runner_lines(text) {
        if let Some(token) = &stop_token {
            if let Some((name, _, _)) = github_v2(&line)
                && name.eq_ignore_ascii_case(token)
            {
                stop_token = None;
            }
            continue;
        }
        let known = |n: &str| GITHUB_COMMANDS.iter().any(|c| c.eq_ignore_ascii_case(n));
        let parsed = github_v2(&line)
            .filter(|(n, _, _)| known(n))
            .or_else(|| github_v1(&line).filter(|(n, _, _)| known(n)));
        let Some((name, props, data)) = parsed else {
            continue;
        };
        let data = github_unescape(&data);
        if name.eq_ignore_ascii_case("stop-commands") {
            stop_token = Some(data.clone());
        }
        found.push(RunnerCommand {
            name: name.to_ascii_lowercase(),
            props,
            data,
        });
    }
    (found, stop_token.is_some())
}

/// Every command the Azure Pipelines agent (and its log view) acts on, in order.
pub fn azure(text: &str) -> Vec<RunnerCommand> {
    let mut found = Vec::new();
    for line in runner_lines(text) {
        let lower = line.to_ascii_lowercase();
        if let Some(start) = lower.find("##vso[") {
            let rest = &line[start + 6..];
            let Some(end) = rest.find(']') else { continue };
            let (name, props) = split_name(&rest[..end]);
            found.push(RunnerCommand {
                name: name.to_ascii_lowercase(),
                props,
                data: rest[end + 1..].to_string(),
            });
        } else if let Some(start) = lower.find("##[") {
            let rest = &line[start + 3..];
            let Some(end) = rest.find(']') else { continue };
            found.push(RunnerCommand {
                name: format!("##[{}]", rest[..end].to_ascii_lowercase()),
                props: String::new(),
                data: rest[end + 1..].to_string(),
            });
        }
    }
    found
}

#[test]
fn the_models_act_as_the_runners_do() {
    let (c, stopped) = github(
        "x\n  ::add-mask::a%0Ab\nmid ##[set-output name=x]1\r::stop-commands::t\n::add-mask::no\n::T::\n::warning::w",
    );
    let names: Vec<&str> = c.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["add-mask", "set-output", "stop-commands", "warning"]
    );
    assert_eq!(c[0].data, "a\nb");
    assert!(!stopped);
    let a = azure("a ##VSO[task.setvariable variable=PATH]x\n##[group]g\nplain");
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].props, "variable=PATH");
}
