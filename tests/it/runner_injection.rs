//! Issue 11: text brickci did not write (notebook exit values, error traces, file names,
//! bundle names in `validate -o json` / `plan`) never forms a runner command: everything
//! the binary prints on GitHub Actions and Azure DevOps is read by a runner-faithful parser
//! and only commands brickci means to send are found.

use crate::support::runner_commands;

use crate::common::*;
use runner_commands::{RunnerCommand, azure, github};

/// Every command form, with leading spaces, CR, mid-line, an ANSI escape; `EVIL` marks
/// what must never reach a command's name, properties or mask.
const PAYLOAD: &str = "ok\\n::add-mask::EVIL1\\n   ::set-output name=x::EVIL2\\nmid ##[set-output name=y]EVIL3\r::stop-commands::EVIL4\\n::EVIL4::\\nz ##vso[task.setvariable variable=PATH]EVIL5\\n##[group]EVIL6\\n  ##vso[task.complete result=Failed]EVIL7\\n\u{1b}[31m::add-path::EVIL8";

fn platforms(dir: &std::path::Path) -> Vec<(&'static str, Vec<(String, String)>)> {
    let out = dir.join("github_output");
    vec![
        (
            "github",
            vec![
                ("GITHUB_ACTIONS".into(), "true".into()),
                ("GITHUB_OUTPUT".into(), out.display().to_string()),
            ],
        ),
        ("azure", vec![("TF_BUILD".into(), "True".into())]),
    ]
}

/// GitHub: only brickci's own commands; masks never carry hostile text; every stop is
/// brickci's (random token) and is resumed.
fn assert_github_clean(all: &str, what: &str) {
    let (cmds, stopped) = github(all);
    assert!(!stopped, "{what}: commands left stopped:\n{all}");
    for RunnerCommand { name, props, data } in &cmds {
        match name.as_str() {
            // Annotation properties (a title from a test name) are escaped command data.
            "error" | "warning" | "notice" | "debug" | "group" | "endgroup" => {
                assert!(!props.contains("::"), "{what}: {name} {props}\n{all}")
            }
            "add-mask" => assert!(!data.contains("EVIL"), "{what}: mask {data:?}\n{all}"),
            "stop-commands" => {
                assert!(data.starts_with("brickci-"), "{what}: stop {data:?}\n{all}")
            }
            other => panic!("{what}: runner acted on {other} {props} {data:?}\n{all}"),
        }
    }
}

/// Azure DevOps: only brickci's own logging commands; no hostile variable or formatting.
fn assert_azure_clean(all: &str, what: &str) {
    for RunnerCommand { name, props, data } in azure(all) {
        match name.as_str() {
            "task.setsecret" => assert!(!data.contains("EVIL"), "{what}: {data}\n{all}"),
            "task.logissue" | "task.uploadsummary" | "results.publish" => {
                assert!(!props.contains("EVIL"), "{what}: {props}\n{all}")
            }
            "task.setvariable" => {
                let var = props
                    .split(';')
                    .find_map(|p| p.strip_prefix("variable="))
                    .unwrap_or_default();
                assert!(
                    var.starts_with("BRICKCI_STATE_")
                        || (var.chars().all(|c| c.is_ascii_alphanumeric())
                            && var.chars().next().is_some_and(|c| c.is_ascii_lowercase())),
                    "{what}: variable {var:?}\n{all}"
                );
                assert!(!props.contains("EVIL"), "{what}: {props}\n{all}");
            }
            // A group title may show a file name: it is one neutralised line of data.
            "##[group]" | "##[endgroup]" => {}
            other => panic!("{what}: agent acted on {other} {props} {data:?}\n{all}"),
        }
    }
}

fn check(platform: &str, out: &std::process::Output, what: &str) {
    let all = text(out);
    // Output values keep their bytes (the agent consumes that line; it is not shown).
    let shown = all
        .lines()
        .filter(|l| !l.starts_with("##vso[task.setvariable"));
    for line in shown {
        assert!(
            !line.contains('\u{1b}'),
            "{what}: ANSI escape printed: {line:?}\n{all}"
        );
    }
    match platform {
        "github" => assert_github_clean(&all, what),
        _ => assert_azure_clean(&all, what),
    }
}

#[test]
fn notebook_exit_values_traces_and_file_names_form_no_command() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    let exit_nb = write_notebook(
        dir.path(),
        "exit.py",
        &format!("dbutils.notebook.exit(\"{PAYLOAD}\")\n"),
    );
    let fail_nb = write_notebook(
        dir.path(),
        "fail.py",
        &format!("# brickci-emulator: fail \"{PAYLOAD}\"\n"),
    );
    let odd_name = write_notebook(
        dir.path(),
        "odd\n::add-mask::EVIL9 ##vso[task.setvariable variable=PATH]EVIL10.py",
        "dbutils.notebook.exit('fine')\n",
    );
    for (platform, extra) in platforms(dir.path()) {
        let mut env = run_env(&emu);
        env.extend(extra);
        let env = as_refs(&env);
        for (nb, what) in [
            (&exit_nb, "exit value"),
            (&fail_nb, "failure and trace"),
            (&odd_name, "file name"),
        ] {
            let out = brickci(
                &["run", "--notebook", nb.to_str().unwrap()],
                &env,
                dir.path(),
            );
            assert!(code(&out) <= 1, "{platform} {what}: {}", text(&out));
            check(platform, &out, &format!("{platform} {what}"));
        }
        // The exit value itself still reaches the log, as text.
        let out = brickci(
            &["run", "--notebook", exit_nb.to_str().unwrap()],
            &env,
            dir.path(),
        );
        assert!(text(&out).contains("EVIL1"), "{}", text(&out));
    }
}

#[test]
fn bundle_names_in_validate_and_plan_output_form_no_command() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    write_notebook(dir.path(), "nb.py", "dbutils.notebook.exit('x')\n");
    let name =
        "x ##vso[task.setvariable variable=PATH]EVIL1 ##[add-mask]EVIL2 \\n::add-mask::EVIL3";
    std::fs::write(
        dir.path().join("databricks.yml"),
        format!(
            "bundle:\n  name: hostile\ntargets:\n  dev:\n    default: true\nresources:\n  jobs:\n    evil:\n      name: \"{name}\"\n      tasks:\n        - task_key: t\n          notebook_task:\n            notebook_path: ./nb.py\n"
        ),
    )
    .unwrap();
    for (platform, extra) in platforms(dir.path()) {
        let mut env = run_env(&emu);
        env.extend(extra);
        let env = as_refs(&env);
        for args in [
            &["validate", "-o", "json"][..],
            &["validate"][..],
            &["plan", "-o", "json"][..],
            &["plan"][..],
            &["plan", "-o", "markdown"][..],
        ] {
            let out = brickci(args, &env, dir.path());
            assert_eq!(code(&out), 0, "{platform} {args:?}: {}", text(&out));
            if args.contains(&"json") {
                // The document is still JSON (runner command lines around it aside).
                let stdout = String::from_utf8_lossy(&out.stdout);
                let lines: Vec<&str> = stdout.lines().collect();
                let first = lines.iter().position(|l| *l == "{").unwrap();
                let last = lines.iter().rposition(|l| *l == "}").unwrap();
                let doc = lines[first..=last].join("\n");
                serde_json::from_str::<serde_json::Value>(&doc)
                    .unwrap_or_else(|e| panic!("{platform} {args:?}: {e}\n{doc}"));
            }
            if args == ["validate", "-o", "json"] {
                assert!(
                    text(&out).contains("EVIL1"),
                    "{platform} {args:?}: the name is shown"
                );
            }
            check(platform, &out, &format!("{platform} {args:?}"));
        }
    }
}

#[test]
fn test_names_messages_and_file_names_form_no_command() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    let tests = dir.path().join("tests");
    std::fs::create_dir_all(&tests).unwrap();
    // A JSON report in the exit value: test name and message carry every command form.
    let report = r#"{"tests":[{"name":"t1 ::add-mask::EVIL1 ##vso[task.setvariable variable=PATH]EVIL2","status":"failed","message":"boom\n::add-mask::EVIL3\r##[set-output name=x]EVIL4\n  ::stop-commands::EVIL5\nz ##vso[task.setvariable variable=PATH]EVIL6\n\u001b[31mred"},{"name":"::set-output name=y::EVIL7","status":"passed"}]}"#;
    write_notebook(
        &tests,
        "test_hostile.py",
        &format!(
            "dbutils.notebook.exit('{}')\n",
            report.replace('\\', "\\\\")
        ),
    );
    write_notebook(
        &tests,
        "test_odd\n::add-mask::EVIL8 ##vso[task.setvariable variable=PATH]EVIL9.py",
        "dbutils.notebook.exit('ok')\n",
    );
    for (platform, extra) in platforms(dir.path()) {
        let mut env = run_env(&emu);
        env.extend(extra);
        env.push(("GITHUB_WORKSPACE".into(), dir.path().display().to_string()));
        let env = as_refs(&env);
        let out = brickci(&["test", "tests/test_*.py"], &env, dir.path());
        assert_eq!(code(&out), 1, "{platform}: {}", text(&out));
        assert!(
            text(&out).contains("EVIL3"),
            "{platform}: the message is shown: {}",
            text(&out)
        );
        check(platform, &out, &format!("{platform} test"));
    }
}

#[test]
fn a_password_in_the_host_url_is_never_shown() {
    let emu = TestEmulator::fast();
    let url = emu.url().replace("http://", "http://ci-user:hunter2-pw@");
    let dir = tempfile::tempdir().unwrap();
    for (platform, extra) in platforms(dir.path()) {
        let mut env = vec![
            ("DATABRICKS_HOST".to_string(), url.clone()),
            ("DATABRICKS_TOKEN".to_string(), TOKEN.to_string()),
        ];
        env.extend(extra);
        let out = brickci(
            &["auth", "check", "--log", "debug"],
            &as_refs(&env),
            dir.path(),
        );
        let all = text(&out);
        assert!(!all.contains("hunter2"), "{platform}: {all}");
        check(platform, &out, &format!("{platform} auth check"));
    }
}
