//! Every example pipeline (examples/s0-… to s4-…) has its brickci steps run here against the
//! emulator, in the order the pipeline runs them. Each step is looked up in the pipeline file
//! as it is spelled there (a shell line, or an Azure DevOps `brickci@0` task's inputs), and
//! every brickci step in those files must be one of the steps run: files and test cannot drift.

use crate::support::github_standin;

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::{
    TestEmulator, as_refs, brickci, callback_binary, code, copy_tree, repo, run_env, text,
};
use serde_json::Value;

/// How a pipeline file spells one brickci step.
enum Spelled {
    /// A shell command line (GitHub `run:`, buildspec `commands:`), exactly as written;
    /// `$NAME` is taken from the step's variables, as the step's `env:` would set it.
    Line(&'static str, &'static [(&'static str, &'static str)]),
    /// An Azure DevOps `brickci@0` step with exactly these inputs.
    Task(&'static [(&'static str, &'static str)]),
}

struct Step {
    file: &'static str,
    spelled: Spelled,
}

use Spelled::{Line, Task};

fn line(file: &'static str, text: &'static str) -> Step {
    Step {
        file,
        spelled: Line(text, &[]),
    }
}

fn task(file: &'static str, inputs: &'static [(&'static str, &'static str)]) -> Step {
    Step {
        file,
        spelled: Task(inputs),
    }
}

/// The pipeline files of each example, where brickci steps are looked for.
fn pipeline_files(example: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for dir in [example.to_path_buf(), example.join(".github/workflows")] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let pipeline = name.starts_with("azure-pipelines")
                || name.starts_with("buildspec")
                || dir.ends_with("workflows");
            if pipeline && name.ends_with(".yml") {
                let rel = e.path().strip_prefix(example).unwrap().to_owned();
                files.push(rel.to_string_lossy().to_string());
            }
        }
    }
    files.sort();
    files
}

fn parse_yaml(path: &Path) -> Value {
    let src = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&src).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every string in the document, split into trimmed lines (script bodies, command lists).
fn lines_of(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.extend(s.lines().map(|l| l.trim().to_string())),
        Value::Array(a) => a.iter().for_each(|x| lines_of(x, out)),
        Value::Object(o) => o.values().for_each(|x| lines_of(x, out)),
        _ => {}
    }
}

/// The inputs of every `brickci@<major>` task step in the document.
fn brickci_tasks(v: &Value, out: &mut Vec<BTreeMap<String, String>>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| brickci_tasks(x, out)),
        Value::Object(o) => {
            if o.get("task")
                .and_then(Value::as_str)
                .is_some_and(|t| t.starts_with("brickci@"))
            {
                let inputs = o.get("inputs").and_then(Value::as_object);
                let map = inputs
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| {
                        let s = v.as_str().map(str::to_string).unwrap_or(v.to_string());
                        (k.clone(), s.trim().to_string())
                    })
                    .collect();
                out.push(map);
            }
            o.values().for_each(|x| brickci_tasks(x, out));
        }
        _ => {}
    }
}

fn as_inputs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

/// Shell words of a command line: quotes, and `$NAME` / `${NAME}` outside single quotes.
fn shell_words(line: &str, vars: &[(&str, &str)]) -> Vec<String> {
    let var = |name: &str| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .unwrap_or_else(|| panic!("{line:?} uses ${name}, which the step does not set"))
            .1
    };
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, ' ') => words.extend(word.take()),
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_default();
            }
            (Some(q), _) if c == q => quote = None,
            (Some('\''), _) => word.get_or_insert_default().push(c),
            (_, '$') => {
                let braced = chars.next_if_eq(&'{').is_some();
                let mut name = String::new();
                while let Some(n) = chars.next_if(|n| n.is_ascii_alphanumeric() || *n == '_') {
                    name.push(n);
                }
                if braced {
                    assert_eq!(chars.next(), Some('}'), "unclosed ${{ in {line:?}");
                }
                word.get_or_insert_default().push_str(var(&name));
            }
            _ => word.get_or_insert_default().push(c),
        }
    }
    words.extend(word);
    words
}

/// The command line a `brickci@0` task builds from its inputs (CONTRACT.md, inputs).
fn task_args(inputs: &[(&str, &str)]) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    let get = |k: &str| inputs.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
    args.extend(get("command").unwrap().split_whitespace().map(String::from));
    for (name, value) in inputs {
        let lines = || value.lines().map(str::trim).filter(|l| !l.is_empty());
        match *name {
            "command" => {}
            "key" => args.push(value.to_string()),
            "tests" => args.extend(lines().map(String::from)),
            "params" | "vars" | "only" => {
                let flag = match *name {
                    "params" => "--param",
                    "vars" => "--var",
                    _ => "--only",
                };
                for l in lines() {
                    args.push(flag.into());
                    args.push(l.into());
                }
            }
            _ => {
                let kebab: String = name
                    .chars()
                    .flat_map(|c| {
                        if c.is_ascii_uppercase() {
                            vec!['-', c.to_ascii_lowercase()]
                        } else {
                            vec![c]
                        }
                    })
                    .collect();
                match *value {
                    "true" => args.push(format!("--{kebab}")),
                    "false" => {}
                    v => {
                        args.push(format!("--{kebab}"));
                        args.push(v.to_string());
                    }
                }
            }
        }
    }
    args
}

/// Checks the steps against the example's pipeline files, then runs them in order in a copy
/// of the example against one emulator (`setup` first prepares what an admin set up once).
fn run_example(name: &str, steps: &[Step], setup: impl FnOnce(&TestEmulator)) {
    run_example_env(name, steps, setup, &[]);
}

/// `run_example` with more variables in every step's environment.
fn run_example_env(
    name: &str,
    steps: &[Step],
    setup: impl FnOnce(&TestEmulator),
    extra_env: &[(String, String)],
) {
    let example = repo().join("examples").join(name);
    let files = pipeline_files(&example);
    assert!(!files.is_empty(), "{name}: no pipeline files");

    // Both ways: each step is in its file, and each brickci step of a file is a step here.
    for file in &files {
        let doc = parse_yaml(&example.join(file));
        let mut lines = Vec::new();
        lines_of(&doc, &mut lines);
        let mut tasks = Vec::new();
        brickci_tasks(&doc, &mut tasks);
        let mine: Vec<&Step> = steps.iter().filter(|s| s.file == file).collect();
        for step in &mine {
            match &step.spelled {
                Line(l, _) => assert!(
                    lines.iter().any(|x| x == l),
                    "{name}/{file} does not run `{l}`"
                ),
                Task(inputs) => assert!(
                    tasks.contains(&as_inputs(inputs)),
                    "{name}/{file} has no brickci task with inputs {inputs:?}"
                ),
            }
        }
        for l in lines.iter().filter(|l| l.starts_with("brickci ")) {
            assert!(
                mine.iter()
                    .any(|s| matches!(s.spelled, Line(x, _) if x == l)),
                "{name}/{file} runs `{l}`, which this test does not run"
            );
        }
        for t in &tasks {
            assert!(
                mine.iter()
                    .any(|s| matches!(s.spelled, Task(i) if as_inputs(i) == *t)),
                "{name}/{file} has a brickci task {t:?} this test does not run"
            );
        }
    }
    for step in steps {
        assert!(
            files.iter().any(|f| f == step.file),
            "{name}: no {}",
            step.file
        );
    }

    let emu = TestEmulator::fast();
    setup(&emu);
    let work = tempfile::tempdir().unwrap();
    copy_tree(&example, work.path());
    let mut env = run_env(&emu);
    env.extend(extra_env.iter().cloned());
    let from_inputs = reads_task_inputs();
    let agent_temp = tempfile::tempdir().unwrap();
    for step in steps {
        let args = match &step.spelled {
            Line(l, vars) => shell_words(l.strip_prefix("brickci ").unwrap(), vars),
            Task(inputs) => task_args(inputs),
        };
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = match &step.spelled {
            Task(inputs) if from_inputs => {
                as_azure_task(inputs, &env, work.path(), agent_temp.path())
            }
            _ => brickci(&refs, &as_refs(&env), work.path()),
        };
        assert_eq!(
            code(&out),
            0,
            "{name}/{}: brickci {args:?} failed:\n{}",
            step.file,
            text(&out)
        );
        if let Some(i) = refs.iter().position(|a| *a == "--junit") {
            let junit = std::fs::read_to_string(work.path().join(refs[i + 1])).unwrap();
            assert!(
                junit.contains("<testcase") && !junit.contains("<failure"),
                "{name}: {junit}"
            );
        }
    }
}

/// Whether the binary builds its command line from task inputs as CONTRACT.md says (camelCase
/// names, positional inputs); `brickci inputs` comes with that.
fn reads_task_inputs() -> bool {
    let known = brickci(&["inputs", "-o", "json"], &[], &repo())
        .status
        .success();
    if !known {
        eprintln!(
            "note: this brickci has no `brickci inputs` yet, so the examples' Azure DevOps task \
             steps run from their command line instead of INPUT_* variables"
        );
    }
    known
}

/// A `brickci@0` step as the agent starts it: no arguments, each input as INPUT_<NAME>
/// (upper-cased), TF_BUILD set; Azure DevOps itself is a closed local port.
fn as_azure_task(
    inputs: &[(&str, &str)],
    env: &[(String, String)],
    cwd: &Path,
    agent_temp: &Path,
) -> std::process::Output {
    let mut all: Vec<(String, String)> = env.to_vec();
    all.extend([
        ("TF_BUILD".into(), "True".into()),
        ("SYSTEM_COLLECTIONURI".into(), "http://127.0.0.1:9/".into()),
        ("SYSTEM_TEAMPROJECT".into(), "examples".into()),
        ("BUILD_BUILDID".into(), "1".into()),
        ("BUILD_REASON".into(), "IndividualCI".into()),
        (
            "AGENT_TEMPDIRECTORY".into(),
            agent_temp.display().to_string(),
        ),
    ]);
    for (name, value) in inputs {
        all.push((format!("INPUT_{}", name.to_uppercase()), value.to_string()));
    }
    brickci(&[], &as_refs(&all), cwd)
}

#[test]
fn s0_codepipeline_buildspecs() {
    run_example(
        "s0-codepipeline",
        &[
            line("buildspec-qa.yml", "brickci validate -t qa"),
            line("buildspec-qa.yml", "brickci deploy -t qa"),
            line(
                "buildspec-qa.yml",
                "brickci test -t qa tests/test_notebook.py --junit nutter-junit.xml",
            ),
            line("buildspec-prod.yml", "brickci validate -t prod"),
            line("buildspec-prod.yml", "brickci deploy -t prod"),
        ],
        |_| {},
    );
}

/// S1's workflows against the emulator. Deploying to staging gives the training job its
/// callback task. Running the job then starts the CD workflow on a GitHub stand-in that
/// holds the example's deploy-model.yml (its declared inputs and run-name). The stand-in
/// receives the model version the train task set, and the token from the job's secret scope.
#[test]
fn s1_github_mlops_workflows() {
    const CI: &str = ".github/workflows/ci.yml";
    const STAGING: &str = ".github/workflows/cd-staging.yml";
    const MODEL: &str = ".github/workflows/deploy-model.yml";
    const TOKEN: &str = "ghs_s1callbacktoken0123456789abcdef";
    let example = repo().join("examples/s1-github-mlops");
    let workflow = std::fs::read_to_string(example.join(MODEL)).unwrap();
    let declared: Vec<String> = workflow
        .split("inputs:")
        .nth(1)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("      ")?.strip_suffix(':'))
        .filter(|l| !l.starts_with(' '))
        .map(str::to_string)
        .collect();
    assert!(workflow.contains("run-name:") && workflow.contains("inputs.brickci_correlation_id"));

    let data: github_standin::Shared = Default::default();
    {
        let mut d = data.lock().unwrap();
        d.actions.workflows.push(github_standin::actions::Workflow {
            file: "deploy-model.yml".into(),
            id: 5,
            inputs: declared,
            run_name_input: Some("brickci_correlation_id".into()),
        });
        d.actions.tokens.push(TOKEN.into());
    }
    let server = github_standin::start(data.clone(), "/api/v3");
    let bin_dir = tempfile::tempdir().unwrap();
    let env = vec![
        ("BUNDLE_VAR_github_api_url".to_string(), server.url.clone()),
        (
            "BRICKCI_CALLBACK_BINARY".to_string(),
            callback_binary(bin_dir.path()).display().to_string(),
        ),
    ];
    run_example_env(
        "s1-github-mlops",
        &[
            line(CI, "brickci validate -t staging"),
            line(
                CI,
                "brickci test -t staging 'tests/integration/*.py' --junit integration-junit.xml",
            ),
            line(STAGING, "brickci deploy -t staging"),
            line(STAGING, "brickci run -t staging model_training"),
            line(MODEL, "brickci deploy -t prod"),
            Step {
                file: MODEL,
                spelled: Line(
                    "brickci run -t prod batch_inference --param \"model_version=$MODEL_VERSION\"",
                    &[("MODEL_VERSION", "3")],
                ),
            },
        ],
        |emu| {
            emu.post_json(
                "/api/2.0/secrets/scopes/create",
                serde_json::json!({ "scope": "mlops-cicd" }),
            );
            emu.post_json(
                "/api/2.0/secrets/put",
                serde_json::json!({ "scope": "mlops-cicd", "key": "github-token", "string_value": TOKEN }),
            );
        },
        &env,
    );
    let d = data.lock().unwrap();
    let dispatches: Vec<_> = d
        .requests
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/dispatches"))
        .collect();
    assert_eq!(dispatches.len(), 1, "{:?}", d.requests);
    assert_eq!(
        dispatches[0].template.as_deref(),
        Some("/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches")
    );
    assert_eq!(
        dispatches[0].authorization.as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(
        dispatches[0].path,
        "/repos/example-org/mlops-classifier/actions/workflows/deploy-model.yml/dispatches"
    );
    let inputs = &dispatches[0].body["inputs"];
    assert_eq!(inputs["model_version"], "3", "{inputs}");
    assert!(
        inputs["training_run"]
            .as_str()
            .is_some_and(|r| r.parse::<i64>().is_ok()),
        "{inputs}"
    );
}

#[test]
fn s2_azure_devops_pipelines() {
    const CI: &str = "azure-pipelines-ci.yml";
    const CD: &str = "azure-pipelines-cd.yml";
    run_example(
        "s2-azure-devops",
        &[
            task(CI, &[("command", "validate"), ("target", "dev")]),
            task(CI, &[("command", "plan"), ("target", "dev")]),
            task(CD, &[("command", "deploy"), ("target", "dev")]),
            task(
                CD,
                &[("command", "run"), ("target", "dev"), ("key", "sales_etl")],
            ),
            task(CD, &[("command", "deploy"), ("target", "staging")]),
            task(
                CD,
                &[
                    ("command", "run"),
                    ("target", "staging"),
                    ("key", "sales_etl"),
                ],
            ),
            task(
                CD,
                &[
                    ("command", "test"),
                    ("target", "staging"),
                    ("tests", "tests/integration/*.py\n"),
                    ("params", "catalog=sales_staging\n"),
                    ("junit", "integration-tests.xml"),
                ],
            ),
            task(CD, &[("command", "deploy"), ("target", "prod")]),
        ],
        // The stages' catalogs are made once by a metastore admin, not by the pipeline.
        |emu| {
            for catalog in ["sales_dev", "sales_staging", "sales_prod"] {
                emu.post_json(
                    "/api/2.1/unity-catalog/catalogs",
                    serde_json::json!({ "name": catalog }),
                );
            }
        },
    );
}

/// S3's model gate, as ci.yml runs it after training: the new run's accuracy against the best
/// of the branch's last 20 runs in the ci experiment.
const S3_GATE: &str =
    "brickci gate --experiment /Shared/iris-gitflow/ci --metric accuracy --compare best-of:20";

/// Creates S3's ci experiment; its id.
fn s3_experiment(emu: &TestEmulator) -> String {
    let r = emu.post_json(
        "/api/2.0/mlflow/experiments/create",
        serde_json::json!({ "name": "/Shared/iris-gitflow/ci" }),
    );
    r["experiment_id"].as_str().unwrap().to_string()
}

/// A finished training run of the experiment started at `start`, with its accuracy, as the
/// training notebook logs it (MLflow REST, as the MLflow client sends it); its run id.
fn s3_training_run(emu: &TestEmulator, experiment: &str, start: u64, accuracy: f64) -> String {
    let r = emu.post_json(
        "/api/2.0/mlflow/runs/create",
        serde_json::json!({ "experiment_id": experiment, "start_time": start, "run_name": "ci" }),
    );
    let id = r["run"]["info"]["run_id"].as_str().unwrap().to_string();
    emu.post_json(
        "/api/2.0/mlflow/runs/log-batch",
        serde_json::json!({
            "run_id": id,
            "metrics": [{ "key": "accuracy", "value": accuracy, "timestamp": start, "step": 0 }],
        }),
    );
    emu.post_json(
        "/api/2.0/mlflow/runs/update",
        serde_json::json!({ "run_id": id, "status": "FINISHED", "end_time": start + 60 }),
    );
    id
}

#[test]
fn s3_gitflow_workflows() {
    const CI: &str = ".github/workflows/ci.yml";
    const CD: &str = ".github/workflows/cd.yml";
    run_example(
        "s3-gitflow",
        &[
            line(CI, "brickci deploy -t ci"),
            line(CI, "brickci run -t ci training"),
            line(CI, S3_GATE),
            line(
                CI,
                "brickci test -t ci 'tests/integration/*.py' --junit integration-junit.xml",
            ),
            line(CD, "brickci validate -t staging"),
            line(CD, "brickci deploy -t staging"),
            line(
                CD,
                "brickci test -t staging 'tests/integration/*.py' --junit integration-junit.xml",
            ),
            line(CD, "brickci run -t staging validation"),
            line(CD, "brickci deploy -t prod"),
        ],
        // Earlier pull requests trained in the ci experiment; the emulator does not run the
        // notebook's Python, so this pull request's training run is seeded too (the best).
        |emu| {
            let exp = s3_experiment(emu);
            s3_training_run(emu, &exp, 1_000, 0.91);
            s3_training_run(emu, &exp, 2_000, 0.93);
            s3_training_run(emu, &exp, 3_000, 0.95);
        },
    );
}

/// S3's gate line passes a model as good as the branch's best and fails a worse one (exit 1,
/// `gate-passed` false, the table naming the baseline), and judges the latest run by default.
#[test]
fn s3_gate_passes_the_best_model_and_fails_a_worse_one() {
    let emu = TestEmulator::fast();
    let exp = s3_experiment(&emu);
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("outputs.json");
    let args = shell_words(S3_GATE.strip_prefix("brickci ").unwrap(), &[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let gate = || {
        let mut env = run_env(&emu);
        env.push(("BRICKCI_OUTPUT_FILE".into(), outputs.display().to_string()));
        let out = brickci(&args, &as_refs(&env), dir.path());
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(&outputs).unwrap_or_default())
                .unwrap_or(Value::Null);
        (out, doc)
    };

    s3_training_run(&emu, &exp, 1_000, 0.93);
    s3_training_run(&emu, &exp, 2_000, 0.90);
    let tie = s3_training_run(&emu, &exp, 3_000, 0.93);
    let (out, doc) = gate();
    assert_eq!(code(&out), 0, "as good as the best passes:\n{}", text(&out));
    assert_eq!(doc["gate-passed"], "true", "{doc}");
    assert_eq!(doc["candidate-run-id"], tie.as_str(), "{doc}");

    let worse = s3_training_run(&emu, &exp, 4_000, 0.92);
    let (out, doc) = gate();
    assert_eq!(code(&out), 1, "below the best fails:\n{}", text(&out));
    assert_eq!(doc["gate-passed"], "false", "{doc}");
    assert_eq!(doc["candidate-run-id"], worse.as_str(), "{doc}");
    let printed = text(&out);
    assert!(
        printed.contains("accuracy") && printed.contains("0.92") && printed.contains("0.93"),
        "the table shows candidate and baseline:\n{printed}"
    );
}

#[test]
fn s4_keyvault_pipelines() {
    const ADO: &str = "azure-pipelines.yml";
    const GH: &str = ".github/workflows/deploy.yml";
    const LEGACY: &[(&str, &str)] = &[
        ("command", "deploy"),
        ("jobsDir", "jobs"),
        ("clustersDir", "clusters"),
    ];
    let gh_target = |target: &'static [(&'static str, &'static str)]| Step {
        file: GH,
        spelled: Line("brickci deploy -t \"$TARGET\"", target),
    };
    run_example(
        "s4-keyvault",
        &[
            task(ADO, &[("command", "deploy"), ("target", "dev")]),
            task(ADO, LEGACY),
            task(ADO, &[("command", "deploy"), ("target", "prod")]),
            task(ADO, LEGACY),
            gh_target(&[("TARGET", "dev")]),
            line(GH, "brickci deploy --jobs-dir jobs --clusters-dir clusters"),
            gh_target(&[("TARGET", "prod")]),
            line(GH, "brickci deploy --jobs-dir jobs --clusters-dir clusters"),
        ],
        |_| {},
    );
}

#[test]
fn s4_jobs_point_at_their_cluster_by_name() {
    // Run the legacy deploy twice: the second finds cluster and job by name and updates them.
    let emu = TestEmulator::fast();
    let work = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("examples/s4-keyvault"), work.path());
    let env = run_env(&emu);
    let args = ["deploy", "--jobs-dir", "jobs", "--clusters-dir", "clusters"];
    for _ in 0..2 {
        let out = brickci(&args, &as_refs(&env), work.path());
        assert_eq!(code(&out), 0, "{}", text(&out));
    }
    let clusters = emu.get_json("/api/2.1/clusters/list");
    let cluster = &clusters["clusters"].as_array().unwrap()[0];
    assert_eq!(cluster["cluster_name"], "Monoline-Small");
    let jobs = emu.get_json("/api/2.1/jobs/list?expand_tasks=true");
    let jobs = jobs["jobs"].as_array().unwrap();
    assert_eq!(
        jobs.len(),
        1,
        "the second deploy updated, not duplicated: {jobs:?}"
    );
    let settings = &jobs[0]["settings"];
    let text = settings.to_string();
    assert!(
        text.contains(cluster["cluster_id"].as_str().unwrap())
            && !text.contains("\"Monoline-Small\""),
        "existing_cluster_id holds the id, not the name: {settings}"
    );
}
