//! What a notebook does when the emulator "runs" it, read from its source:
//!
//! - the literal in its last `dbutils.notebook.exit(...)` becomes the exit value
//!   (a Python string literal in any quotes, a number, True/False/None);
//! - `dbutils.jobs.taskValues.set(key, value)` with literals sets a task value, which
//!   `{{tasks.<key>.values.<name>}}` in a later task's parameters reads;
//! - directive comments, one per line (`#`, `--` or `//` comments):
//!   - `brickci-emulator: fail "message"` fails the run with that error and a trace
//!     pointing at the directive's line;
//!   - `brickci-emulator: duration 90s` (or `1500ms`, `2m`, `1h`) sets how long it runs;
//!   - `brickci-emulator: fail-first N "message"` fails the first N runs of this notebook
//!     (counted per workspace path) and lets later ones pass: a flaky test;
//!   - `brickci-emulator: internal-error` ends the run as INTERNAL_ERROR;
//!   - `brickci-emulator: output-size N` makes an exit value of N bytes (to see truncation);
//!   - `brickci-emulator: task-value NAME VALUE` sets a task value the code computes at run
//!     time (a model version), as a literal `taskValues.set` would.

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Script {
    pub exit_value: Option<String>,
    pub fail: Option<(String, u32)>,
    pub duration_ms: Option<u64>,
    pub internal_error: bool,
    /// `fail-first N "message"`: how many runs fail, the message, the directive's line.
    pub fail_first: Option<(u32, String, u32)>,
    /// `dbutils.jobs.taskValues.set(...)` calls with literal arguments, in order.
    pub task_values: Vec<(String, String)>,
}

const DIRECTIVE: &str = "brickci-emulator:";

pub fn parse(source: &str) -> Script {
    let mut script = Script::default();
    for (i, line) in source.lines().enumerate() {
        let trimmed = line.trim();
        let comment = trimmed
            .strip_prefix('#')
            .or_else(|| trimmed.strip_prefix("--"))
            .or_else(|| trimmed.strip_prefix("//"));
        if let Some(rest) = comment.and_then(|c| c.trim().strip_prefix(DIRECTIVE)) {
            apply_directive(&mut script, rest.trim(), i as u32 + 1);
            continue;
        }
        if let Some(pos) = trimmed.find(TASK_VALUE_SET)
            && let Some(kv) = task_value(&trimmed[pos + TASK_VALUE_SET.len()..])
        {
            script.task_values.retain(|(k, _)| *k != kv.0);
            script.task_values.push(kv);
        }
        if let Some(pos) = trimmed.find("dbutils.notebook.exit(")
            && let Some(v) = literal(&trimmed[pos + "dbutils.notebook.exit(".len()..])
        {
            script.exit_value = Some(v);
        }
    }
    script
}

const TASK_VALUE_SET: &str = "dbutils.jobs.taskValues.set(";

/// `key="k", value=V` or `"k", V` (literals only), after the opening parenthesis.
fn task_value(args: &str) -> Option<(String, String)> {
    let args = args.trim_start();
    let (key, rest) = match args.strip_prefix("key") {
        Some(r) => split_literal(r.trim_start().strip_prefix('=')?.trim_start())?,
        None => split_literal(args)?,
    };
    let rest = rest.trim_start().strip_prefix(',')?.trim_start();
    let rest = rest
        .strip_prefix("value")
        .and_then(|r| r.trim_start().strip_prefix('='))
        .unwrap_or(rest);
    Some((key, literal(rest.trim_start())?))
}

/// A string literal at the start of `s` and what follows it.
fn split_literal(s: &str) -> Option<(String, &str)> {
    let quote = s.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let end = s[1..].find(quote)? + 1;
    Some((s[1..end].to_string(), &s[end + 1..]))
}

fn apply_directive(script: &mut Script, rest: &str, line: u32) {
    let (word, arg) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let arg = arg.trim();
    match word {
        "fail" => {
            let msg = literal(arg).unwrap_or_else(|| arg.to_string());
            script.fail = Some((
                if msg.is_empty() {
                    "Notebook failed".into()
                } else {
                    msg
                },
                line,
            ));
        }
        "fail-first" => {
            let (n, msg) = arg.split_once(char::is_whitespace).unwrap_or((arg, ""));
            if let Ok(n) = n.parse::<u32>() {
                let msg = literal(msg.trim()).unwrap_or_else(|| msg.trim().to_string());
                let msg = if msg.is_empty() {
                    "Notebook failed".to_string()
                } else {
                    msg
                };
                script.fail_first = Some((n, msg, line));
            }
        }
        "duration" => script.duration_ms = parse_duration(arg),
        "internal-error" => script.internal_error = true,
        "task-value" => {
            if let Some((name, value)) = arg.split_once(char::is_whitespace) {
                let value = literal(value.trim()).unwrap_or_else(|| value.trim().to_string());
                script.task_values.retain(|(k, _)| k != name);
                script.task_values.push((name.to_string(), value));
            }
        }
        "output-size" => {
            if let Ok(n) = arg.parse::<usize>() {
                script.exit_value = Some("x".repeat(n));
            }
        }
        _ => {}
    }
}

fn parse_duration(s: &str) -> Option<u64> {
    let (num, unit) = s.split_at(
        s.find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(s.len()),
    );
    let n: f64 = num.parse().ok()?;
    let ms = match unit.trim() {
        "ms" => n,
        "" | "s" => n * 1000.0,
        "m" => n * 60_000.0,
        "h" => n * 3_600_000.0,
        _ => return None,
    };
    Some(ms as u64)
}

/// The value of a Python literal at the start of `s` (up to the closing parenthesis).
fn literal(s: &str) -> Option<String> {
    let s = s.trim_start();
    for quote in ["\"\"\"", "'''", "\"", "'"] {
        if let Some(body) = s.strip_prefix(quote) {
            let mut out = String::new();
            let mut chars = body.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    match chars.next()? {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        other => out.push(other),
                    }
                    continue;
                }
                out.push(c);
                if out.ends_with(quote) {
                    out.truncate(out.len() - quote.len());
                    return Some(out);
                }
            }
            return None;
        }
    }
    let end = s.find(')').unwrap_or(s.len());
    let word = s[..end].trim();
    match word {
        "True" => Some("True".into()),
        "False" => Some("False".into()),
        "None" => Some("None".into()),
        w if !w.is_empty() && w.parse::<f64>().is_ok() => Some(w.to_string()),
        _ => None,
    }
}

impl Script {
    /// This is run number `nth` (from 1) of the notebook: a `fail-first` directive decides
    /// whether it fails.
    pub fn for_run(mut self, nth: u32) -> Script {
        if let Some((n, message, line)) = self.fail_first.take()
            && nth <= n
        {
            self.fail = Some((message, line));
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_values_set_with_literals_are_kept_last_one_winning() {
        let s = parse(
            "# brickci-emulator: task-value run_id \"abc\"\n\
             dbutils.jobs.taskValues.set(key=\"model_version\", value=\"3\")\n\
             dbutils.jobs.taskValues.set('auc', 0.91)\n\
             dbutils.jobs.taskValues.set(key='model_version', value=7)\n\
             dbutils.jobs.taskValues.set(key=name, value=1)\n",
        );
        assert_eq!(
            s.task_values,
            vec![
                ("run_id".to_string(), "abc".to_string()),
                ("auc".to_string(), "0.91".to_string()),
                ("model_version".to_string(), "7".to_string())
            ]
        );
    }

    #[test]
    fn exit_values_and_directives() {
        let s = parse(
            "x = 1\ndbutils.notebook.exit('first')\ndbutils.notebook.exit(\"it's \\\"two\\\"\")\n",
        );
        assert_eq!(s.exit_value.as_deref(), Some("it's \"two\""));
        let s = parse(
            "# brickci-emulator: fail \"AssertionError: bad\"\n-- brickci-emulator: duration 2m\n",
        );
        assert_eq!(s.fail, Some(("AssertionError: bad".into(), 1)));
        assert_eq!(s.duration_ms, Some(120_000));
        assert_eq!(
            parse("dbutils.notebook.exit(42)").exit_value.as_deref(),
            Some("42")
        );
        assert_eq!(
            parse("dbutils.notebook.exit(json.dumps(x))").exit_value,
            None
        );
        assert_eq!(
            parse("dbutils.notebook.exit('''{\"a\": 1}''')")
                .exit_value
                .as_deref(),
            Some("{\"a\": 1}")
        );
        assert!(parse("// brickci-emulator: internal-error").internal_error);
        assert_eq!(
            parse("# brickci-emulator: output-size 3")
                .exit_value
                .as_deref(),
            Some("xxx")
        );
        assert_eq!(parse_duration("1500ms"), Some(1500));
    }
}
