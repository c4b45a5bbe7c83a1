//! Behaviour matched to the Databricks CLI's own acceptance cases (issue 13): what
//! `validate` prints when it fails, `--include-locations`, immutable workspace paths.

use std::path::Path;

use crate::common::{TestEmulator, as_refs, brickci, code, run_env, text};

fn bundle_dir(yaml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("databricks.yml"), yaml).unwrap();
    dir
}

fn validate(dir: &Path, env: &[(String, String)], args: &[&str]) -> std::process::Output {
    let mut all = vec!["validate"];
    all.extend_from_slice(args);
    brickci(&all, &as_refs(env), dir)
}

#[test]
fn an_unreadable_git_folder_still_prints_the_configuration_and_fails() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let dir = bundle_dir("bundle:\n  name: g\n");
    // A `.git` file must name the git dir; an empty one names none.
    std::fs::write(dir.path().join(".git"), "").unwrap();
    let out = validate(dir.path(), &env, &["-o", "json"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the configuration");
    assert_eq!(
        json["bundle"]["git"],
        serde_json::json!({"bundle_root_path": "."})
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let why = format!(
        "expected {:?} to contain a line with \"gitdir: [...]\"",
        dir.path().join(".git").display().to_string()
    );
    assert!(
        stderr.contains(&format!("warning: (git): failed to read .git: {why}")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "the bundle configuration is invalid:\n(git): {why}"
        )),
        "{stderr}"
    );
    // The text summary too, without a verdict; a deploy refuses before writing.
    let out = validate(dir.path(), &env, &[]);
    assert_eq!(code(&out), 2);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("Name: g\nTarget: default\n"), "{stdout}");
    assert!(!stdout.contains("Validation OK!"), "{stdout}");
    let out = brickci(&["deploy", "--auto-approve"], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        emu.requests()
            .iter()
            .all(|r| matches!(r.method.as_str(), "GET" | "HEAD")),
        "a write was sent"
    );
}

#[test]
fn an_unreadable_head_is_two_warnings_and_validate_passes() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let dir = bundle_dir("bundle:\n  name: g\n");
    // A folder where HEAD should be: unreadable as a file, even for root.
    std::fs::create_dir_all(dir.path().join(".git/HEAD")).unwrap();
    let out = validate(dir.path(), &env, &["-o", "json"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["bundle"]["git"],
        serde_json::json!({"bundle_root_path": "."})
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: (git): failed to load current branch: open HEAD: "),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: (git): failed to load latest commit: open HEAD: "),
        "{stderr}"
    );
}

#[test]
fn include_locations_lists_every_place_a_merged_resource_was_set_at() {
    let emu = TestEmulator::fast();
    let env = run_env(&emu);
    let dir = bundle_dir(
        "bundle:\n  name: l\ninclude:\n  - job.yml\ntargets:\n  dev:\n    resources:\n      jobs:\n        j: {name: dev}\n",
    );
    std::fs::write(
        dir.path().join("job.yml"),
        "resources:\n  jobs:\n    j:\n      name: j\n",
    )
    .unwrap();
    let out = validate(
        dir.path(),
        &env,
        &["-o", "json", "-t", "dev", "--include-locations"],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let at = &json["__locations"];
    assert_eq!(
        at["files"],
        serde_json::json!(["databricks.yml", "job.yml"])
    );
    assert_eq!(
        at["locations"]["resources.jobs.j"],
        serde_json::json!([[1, 4, 7], [0, 9, 12]])
    );
    // Without the flag the document has no such section.
    let out = validate(dir.path(), &env, &["-o", "json", "-t", "dev"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json.get("__locations").is_none());
}
