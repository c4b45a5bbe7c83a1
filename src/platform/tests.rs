use std::io::Write;
use std::sync::{Arc, Mutex};

use super::*;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn platform(pairs: &[(&str, &str)]) -> (Platform, Captured) {
    let cap = Captured::default();
    let p = Platform::with_writer(
        Env::from_pairs(pairs.iter().copied()),
        Box::new(cap.clone()),
    );
    (p, cap)
}

#[test]
fn detects_each_platform() {
    assert_eq!(
        platform(&[("GITHUB_ACTIONS", "true")]).0.kind(),
        Kind::GitHubActions
    );
    assert_eq!(
        platform(&[("TF_BUILD", "True")]).0.kind(),
        Kind::AzureDevOps
    );
    assert_eq!(
        platform(&[("CODEBUILD_BUILD_ID", "p:1")]).0.kind(),
        Kind::CodeBuild
    );
    assert_eq!(
        platform(&[
            ("DATABRICKS_RUNTIME_VERSION", "15.4"),
            ("DB_IS_JOB_CLUSTER", "TRUE")
        ])
        .0
        .kind(),
        Kind::DatabricksJob
    );
    // Every cluster sets the runtime version; a notebook on an interactive one is no job.
    assert_eq!(
        platform(&[("DATABRICKS_RUNTIME_VERSION", "15.4")]).0.kind(),
        Kind::Local
    );
    assert_eq!(platform(&[("GITHUB_ACTIONS", "")]).0.kind(), Kind::Local);
}

#[test]
fn inputs_as_each_runner_names_them() {
    let (p, _) = platform(&[
        ("INPUT_CLUSTER-ID", " abc "),
        ("INPUT_MY_INPUT", "x"),
        ("INPUT_A_B", "ado"),
        ("INPUT_FLAG", "True"),
    ]);
    assert_eq!(p.input("cluster-id").as_deref(), Some("abc"));
    assert_eq!(p.input("my input").as_deref(), Some("x"));
    assert_eq!(p.input("a.b").as_deref(), Some("ado"));
    assert_eq!(p.input_bool("flag").unwrap(), Some(true));
    let (p, _) = platform(&[("INPUT_FLAG", "yes")]);
    assert!(
        p.input_bool("flag")
            .unwrap_err()
            .to_string()
            .contains("flag")
    );
    let (p, _) = platform(&[("INPUT_CLUSTER_ID", "underscored")]);
    assert_eq!(p.input("cluster-id").as_deref(), Some("underscored"));
}

#[test]
fn masked_secrets_never_printed_anywhere() {
    for kind_env in [
        ("GITHUB_ACTIONS", "true"),
        ("TF_BUILD", "True"),
        ("CI", "true"),
    ] {
        let (p, cap) = platform(&[kind_env]);
        p.mask("s3cr3t-value");
        p.info("token is s3cr3t-value");
        p.group_start("group s3cr3t-value");
        p.group_end();
        p.annotate(&Annotation {
            message: "boom s3cr3t-value".into(),
            title: Some("t s3cr3t-value".into()),
            ..Default::default()
        });
        p.warn("w s3cr3t-value");
        let text = cap.text();
        for line in text.lines() {
            if line.starts_with("::add-mask::") || line.starts_with("##vso[task.setsecret]") {
                continue;
            }
            assert!(!line.contains("s3cr3t"), "{kind_env:?}: {line}");
        }
        assert!(text.contains("***"), "{text}");
    }
    let (p, cap) = platform(&[("GITHUB_ACTIONS", "true")]);
    p.mask("line-one\nline-two");
    p.mask("50%0Aoff\rx");
    assert!(
        cap.text().contains(
            "::add-mask::line-one\n::add-mask::line-two\n::add-mask::50%250Aoff\n::add-mask::x\n"
        ),
        "{}",
        cap.text()
    );
}

#[test]
fn annotations_per_platform() {
    let a = Annotation {
        level: Some(Level::Error),
        message: "50% failed\nsee log".into(),
        title: Some("a:b".into()),
        file: Some("/ws/tests/t.py".into()),
        line: Some(12),
        ..Default::default()
    };
    let (p, cap) = platform(&[("GITHUB_ACTIONS", "true"), ("GITHUB_WORKSPACE", "/ws")]);
    p.annotate(&a);
    assert_eq!(
        cap.text(),
        "::error file=tests/t.py,line=12,title=a%3Ab::50%25 failed%0Asee log\n"
    );
    let (p, cap) = platform(&[("TF_BUILD", "True")]);
    p.annotate(&a);
    assert_eq!(
        cap.text(),
        "##vso[task.logissue type=error;sourcepath=/ws/tests/t.py;linenumber=12]50%AZP25 failed%0Asee log\n"
    );
    let (p, cap) = platform(&[]);
    p.annotate(&a);
    assert_eq!(
        cap.text(),
        "/ws/tests/t.py:12: error: 50% failed\nsee log\n"
    );
}

#[test]
fn log_lines_cannot_inject_runner_commands() {
    let (p, cap) = platform(&[("GITHUB_ACTIONS", "true")]);
    p.info("::add-mask::oops");
    let text = cap.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    let token = lines[0].strip_prefix("::stop-commands::").unwrap();
    assert_eq!(lines[1], "::add-mask::oops");
    assert_eq!(lines[2], format!("::{token}::"));
    let (p, cap) = platform(&[("GITHUB_ACTIONS", "true")]);
    p.info("plain line");
    assert_eq!(cap.text(), "plain line\n");
    let (p, cap) = platform(&[("TF_BUILD", "True")]);
    p.info("x ##vso[task.complete result=Failed]");
    assert!(!cap.text().contains("##vso["), "{}", cap.text());
}

#[test]
fn outputs_per_platform() {
    let dir = tempfile::tempdir().unwrap();
    let gh = dir.path().join("gh");
    let (p, _) = platform(&[
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_OUTPUT", gh.to_str().unwrap()),
    ]);
    p.set_output("result-state", "SUCCESS").unwrap();
    p.set_output("notebook-output", "a\nb").unwrap();
    let text = std::fs::read_to_string(&gh).unwrap();
    assert!(
        text.starts_with("result-state=SUCCESS\nnotebook-output<<ghadelimiter_"),
        "{text}"
    );
    let (p, cap) = platform(&[("TF_BUILD", "True")]);
    p.set_output("run-url", "http://x/;y").unwrap();
    assert_eq!(
        cap.text(),
        "##vso[task.setvariable variable=runUrl;isOutput=true]http://x/%3By\n"
    );
    let (p, _) = platform(&[
        ("CODEBUILD_BUILD_ID", "p:1"),
        ("CODEBUILD_SRC_DIR", dir.path().to_str().unwrap()),
    ]);
    p.set_output("run-id", "5").unwrap();
    assert!(dir.path().join("brickci-outputs.json").exists());
    assert!(
        std::fs::read_to_string(dir.path().join("brickci-outputs.env"))
            .unwrap()
            .contains("export BRICKCI_RUN_ID='5'")
    );
    let (p, _) = platform(&[]);
    p.set_output("run-id", "5").unwrap();
}

#[test]
fn summary_respects_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("summary.md");
    let (p, _) = platform(&[
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_STEP_SUMMARY", path.to_str().unwrap()),
    ]);
    let big = "| row | value |\n".repeat(100_000);
    p.summary(&big).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.len() <= SUMMARY_LIMIT, "{}", written.len());
    assert!(written.contains("summary trimmed"));
    assert_eq!(fit_summary("short", 100), "short");
}

#[test]
fn idempotency_seeds_are_stable_per_attempt() {
    let (p, _) = platform(&[
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_RUN_ID", "9"),
        ("GITHUB_RUN_ATTEMPT", "2"),
        ("GITHUB_JOB", "test"),
        ("GITHUB_ACTION", "__run_2"),
    ]);
    assert_eq!(p.idempotency_seed().as_deref(), Some("gh-9-2-test-__run_2"));
    assert_eq!(platform(&[]).0.idempotency_seed(), None);
    // Two steps of one Azure DevOps job seed differently.
    let step = |id| {
        platform(&[
            ("TF_BUILD", "True"),
            ("BUILD_BUILDID", "5"),
            ("SYSTEM_JOBID", "j"),
            ("SYSTEM_TASKINSTANCEID", id),
        ])
        .0
        .idempotency_seed()
    };
    assert_ne!(step("a"), step("b"));
}

#[test]
fn outputs_over_a_megabyte_are_cut_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let (p, _) = platform(&[("BRICKCI_OUTPUT_FILE", out.to_str().unwrap())]);
    let big = "é".repeat(OUTPUT_LIMIT);
    p.set_output("notebook-output", &big).unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let got = v["notebook-output"].as_str().unwrap();
    assert!(
        got.len() <= OUTPUT_LIMIT
            && got.ends_with("1 MB; the full value is in the run's log and report]")
    );
    assert_eq!(
        v["run-id"], "",
        "every output starts empty: no stale values"
    );
}

#[test]
fn unwritable_destinations_are_named_before_work() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("missing/dir/out");
    let (p, _) = platform(&[
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_OUTPUT", bad.to_str().unwrap()),
    ]);
    let e = p.check_destinations().unwrap_err().to_string();
    assert!(e.starts_with("GITHUB_OUTPUT names"), "{e}");
    let (p, _) = platform(&[
        ("CODEBUILD_BUILD_ID", "p:1"),
        ("CODEBUILD_SRC_DIR", bad.to_str().unwrap()),
    ]);
    assert!(
        p.check_destinations()
            .unwrap_err()
            .to_string()
            .contains("CODEBUILD_SRC_DIR")
    );
}

#[test]
fn codebuild_outputs_hold_only_the_last_commands_values() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("CODEBUILD_BUILD_ID", "p:1"),
        ("CODEBUILD_SRC_DIR", dir.path().to_str().unwrap()),
    ];
    let (run, _) = platform(&env);
    run.set_output("result-state", "SUCCESS").unwrap();
    let (test, _) = platform(&env);
    test.check_destinations().unwrap();
    test.set_output("tests-failed", "2").unwrap();
    let envfile = std::fs::read_to_string(dir.path().join("brickci-outputs.env")).unwrap();
    assert!(
        envfile.contains("export BRICKCI_TESTS_FAILED='2'"),
        "{envfile}"
    );
    assert!(
        envfile.contains("export BRICKCI_RESULT_STATE=''"),
        "{envfile}"
    );
}

#[test]
fn azure_untrusted_text_cannot_form_commands() {
    let (p, cap) = platform(&[("TF_BUILD", "True")]);
    p.print_untrusted("ok ##VSO[task.setvariable variable=PATH]/x\r##[group]g\n\u{1b}[31mred");
    assert_eq!(
        cap.text(),
        "ok # #VSO[task.setvariable variable=PATH]/x\n# #[group]g\nred\n"
    );
    assert_eq!(camel_case("tests-failed"), "testsFailed");
    let (p, cap) = platform(&[("TF_BUILD", "True")]);
    p.command("##vso[task.logissue type=error]t ##vso[task.setvariable variable=PATH%5Dx\u{1b}[1m");
    assert_eq!(
        cap.text(),
        "##vso[task.logissue type=error]t # #vso[task.setvariable variable=PATH%5Dx\n"
    );
}

#[test]
fn saved_state_names_per_platform() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (p, _) = platform(&[
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_STATE", state.to_str().unwrap()),
        ("RUNNER_TEMP", dir.path().to_str().unwrap()),
    ]);
    p.run_started(41, None).unwrap();
    p.run_started(42, Some("http://x/run/42")).unwrap();
    p.run_finished(41).unwrap();
    let text = std::fs::read_to_string(&state).unwrap();
    assert!(text.ends_with("BRICKCI_RUN_ID=42\nBRICKCI_RUN_IDS=41,42\nBRICKCI_RUN_DONE=false\nBRICKCI_RUN_IDS=42\nBRICKCI_RUN_DONE=false\n"), "{text}");
    assert!(dir.path().join("brickci/runs/42.json").exists());
    assert!(!dir.path().join("brickci/runs/41.json").exists());
    p.run_finished(42).unwrap();
    assert!(
        std::fs::read_to_string(&state)
            .unwrap()
            .ends_with("BRICKCI_RUN_IDS=\nBRICKCI_RUN_DONE=true\n")
    );
    p.hand_over_runs();
    p.run_started(43, None).unwrap();
    assert!(
        std::fs::read_to_string(&state)
            .unwrap()
            .ends_with("BRICKCI_RUN_DONE=handed-over\n")
    );
    let (p, _) = platform(&[("GITHUB_ACTIONS", "true"), ("STATE_BRICKCI_RUN_ID", "42")]);
    assert_eq!(p.saved_state("BRICKCI_RUN_ID").as_deref(), Some("42"));
    let (p, cap) = platform(&[("TF_BUILD", "True")]);
    p.save_state("BRICKCI_RUN_ID", "42").unwrap();
    assert_eq!(
        cap.text(),
        "##vso[task.setvariable variable=BRICKCI_STATE_RUN_ID]42\n"
    );
    let (p, _) = platform(&[("TF_BUILD", "True"), ("BRICKCI_STATE_RUN_ID", "42")]);
    assert_eq!(p.saved_state("BRICKCI_RUN_ID").as_deref(), Some("42"));
}

#[test]
fn url_passwords_are_never_printed() {
    for kind_env in [
        ("GITHUB_ACTIONS", "true"),
        ("TF_BUILD", "True"),
        ("CI", "true"),
    ] {
        let (p, cap) = platform(&[kind_env]);
        p.info("host:      http://user:s3cr3t@h.example");
        p.error("cannot reach https://user:s3cr3t@h.example/api");
        p.print("{\"host\": \"http://user:s3cr3t@h\"}");
        let text = cap.text();
        assert!(
            !text.contains("s3cr3t") && text.contains("http://***@h.example"),
            "{text}"
        );
    }
}

#[test]
fn json_documents_stay_valid_json_and_inert() {
    for kind_env in [("GITHUB_ACTIONS", "true"), ("TF_BUILD", "True")] {
        let (p, cap) = platform(&[kind_env]);
        let doc = serde_json::json!({"name": "x ##[add-mask]y ##vso[task.setvariable variable=PATH]z\n::set-output::w"});
        let text = serde_json::to_string_pretty(&doc).unwrap();
        p.print(&text);
        let printed = cap.text();
        assert!(
            !printed.contains("##") && !printed.contains("stop-commands"),
            "{printed}"
        );
        let back: serde_json::Value = serde_json::from_str(&printed).unwrap();
        assert_eq!(back, doc);
    }
}
