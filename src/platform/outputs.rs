//! Where step outputs go: GitHub's `$GITHUB_OUTPUT` file, or a JSON file (plus a sourceable
//! `.env` beside it on CodeBuild, whose exported-variables come from the shell).

use std::io::Write;
use std::path::Path;

use super::PlatformError;

/// Appends `name=value`, or a heredoc with a random delimiter when the value spans lines.
pub fn append_github_output(path: &Path, name: &str, value: &str) -> Result<(), PlatformError> {
    let record = github_record(
        name,
        value,
        &format!("ghadelimiter_{}", uuid::Uuid::new_v4()),
    )?;
    append(path, &record)
}

pub(crate) fn github_record(
    name: &str,
    value: &str,
    delimiter: &str,
) -> Result<String, PlatformError> {
    if name.is_empty() || name.contains('=') || name.contains('\n') {
        return Err(PlatformError::BadOutputName(name.to_string()));
    }
    if !value.contains('\n') && !value.contains('\r') {
        return Ok(format!("{name}={value}\n"));
    }
    if value.contains(delimiter) {
        return Err(PlatformError::DelimiterInValue(name.to_string()));
    }
    Ok(format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"))
}

pub fn append(path: &Path, text: &str) -> Result<(), PlatformError> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| PlatformError::Write(path.display().to_string(), e.to_string()))?;
    f.write_all(text.as_bytes())
        .map_err(|e| PlatformError::Write(path.display().to_string(), e.to_string()))
}

/// Merges one key into a JSON object file (read, update, write through a temp file).
pub fn merge_json_output(path: &Path, name: &str, value: &str) -> Result<(), PlatformError> {
    let write_err = |e: String| PlatformError::Write(path.display().to_string(), e);
    let mut map = match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => {
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(serde_json::Value::Object(m)) => m,
                _ => return Err(write_err("exists and is not a JSON object".into())),
            }
        }
        _ => serde_json::Map::new(),
    };
    map.insert(
        name.to_string(),
        serde_json::Value::String(value.to_string()),
    );
    let text = serde_json::to_string_pretty(&map).map_err(|e| write_err(e.to_string()))?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text + "\n").map_err(|e| write_err(e.to_string()))?;
    std::fs::rename(&tmp, path).map_err(|e| write_err(e.to_string()))
}

/// Opens `path` for appending (creating it), so an unwritable destination is found before
/// any request; `var` is the variable that named it.
pub fn check_appendable(var: &str, path: &Path) -> Result<(), PlatformError> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map(drop)
        .map_err(|e| destination(var, path, e))
}

/// Starts this command's outputs: every known name, empty, replacing whatever an earlier
/// command left (and the `.env` beside it when `env_file`).
pub fn reset_json_outputs(
    var: &str,
    path: &Path,
    names: &[&str],
    env_file: bool,
) -> Result<(), PlatformError> {
    let map: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .map(|n| (n.to_string(), serde_json::Value::String(String::new())))
        .collect();
    let text = serde_json::to_string_pretty(&map).unwrap_or_default();
    std::fs::write(path, text + "\n").map_err(|e| destination(var, path, e))?;
    if env_file {
        write_env_file(path).map_err(|e| PlatformError::Destination {
            variable: var.to_string(),
            path: env_file_beside(path).display().to_string(),
            reason: e.to_string(),
        })?;
    }
    Ok(())
}

fn destination(var: &str, path: &Path, e: std::io::Error) -> PlatformError {
    PlatformError::Destination {
        variable: var.to_string(),
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// The sourceable file written beside the JSON outputs file: same stem, `.env`.
pub fn env_file_beside(json_path: &Path) -> std::path::PathBuf {
    json_path.with_extension("env")
}

/// `export NAME='value'` lines, for `source` in a buildspec; names use `_` for `-`.
pub fn write_env_file(json_path: &Path) -> Result<(), PlatformError> {
    let env_path = env_file_beside(json_path);
    let text = std::fs::read_to_string(json_path).unwrap_or_default();
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).unwrap_or_default();
    let mut out = String::from("# brickci outputs; source this file in a buildspec phase\n");
    for (k, v) in &map {
        let name: String = k
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        let value = v.as_str().unwrap_or_default().replace('\'', r"'\''");
        out.push_str(&format!("export BRICKCI_{name}='{value}'\n"));
    }
    std::fs::write(&env_path, out)
        .map_err(|e| PlatformError::Write(env_path.display().to_string(), e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a GITHUB_OUTPUT file by the runner's rules.
    fn parse_runner(text: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut lines = text.split('\n');
        while let Some(line) = lines.next() {
            if line.is_empty() {
                continue;
            }
            let eq = line.find('=');
            let heredoc = line.find("<<");
            match (eq, heredoc) {
                (Some(e), h) if h.is_none_or(|h| e < h) => {
                    out.push((line[..e].into(), line[e + 1..].into()))
                }
                (_, Some(h)) => {
                    let (name, delim) = (&line[..h], &line[h + 2..]);
                    let mut value = Vec::new();
                    for l in lines.by_ref() {
                        if l == delim {
                            break;
                        }
                        value.push(l);
                    }
                    out.push((name.into(), value.join("\n")));
                }
                _ => panic!("bad line {line:?}"),
            }
        }
        out
    }

    #[test]
    fn github_outputs_round_trip_through_runner_rules() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out");
        append_github_output(&p, "a", "x=y").unwrap();
        append_github_output(&p, "b", "line 1\nline 2\n").unwrap();
        append_github_output(&p, "c", "").unwrap();
        let parsed = parse_runner(&std::fs::read_to_string(&p).unwrap());
        assert_eq!(
            parsed,
            vec![
                ("a".into(), "x=y".into()),
                ("b".into(), "line 1\nline 2\n".into()),
                ("c".into(), "".into())
            ]
        );
        assert!(matches!(
            github_record("d", "a\nDELIM\n", "DELIM"),
            Err(PlatformError::DelimiterInValue(_))
        ));
    }

    #[test]
    fn a_reset_drops_an_earlier_commands_values() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("brickci-outputs.json");
        merge_json_output(&p, "result-state", "SUCCESS").unwrap();
        reset_json_outputs("X", &p, &["result-state", "tests-failed"], true).unwrap();
        merge_json_output(&p, "tests-failed", "2").unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(v["result-state"], "");
        assert_eq!(v["tests-failed"], "2");
        let err = reset_json_outputs(
            "BRICKCI_OUTPUT_FILE",
            &dir.path().join("no/such/f.json"),
            &[],
            false,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("BRICKCI_OUTPUT_FILE"), "{err}");
        let err = check_appendable("GITHUB_OUTPUT", &dir.path().join("no/out")).unwrap_err();
        assert!(err.to_string().contains("GITHUB_OUTPUT"));
    }

    #[test]
    fn json_outputs_merge_and_env_file_sources_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("brickci-outputs.json");
        merge_json_output(&p, "run-id", "7").unwrap();
        let tricky = "it's \"quoted\"\nand $HOME `x`";
        merge_json_output(&p, "notebook-output", tricky).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(v["run-id"], "7");
        write_env_file(&p).unwrap();
        let script = format!(
            ". '{}'; printf %s \"$BRICKCI_NOTEBOOK_OUTPUT\"",
            p.with_extension("env").display()
        );
        let got = std::process::Command::new("bash")
            .args(["-c", &script])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&got.stdout), tricky);
    }
}
