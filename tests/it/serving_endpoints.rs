//! `resources.model_serving_endpoints` deployed to the emulator: the deploy waits until the
//! endpoint is READY and not updating, a config change is an update in place (and waited
//! on), a failed update is reported with its reason, a new description replaces the
//! endpoint (the plan says why), prune deletes it, a second deploy writes nothing,
//! permissions go to the endpoint's id; and the official Python SDK drives the emulator's
//! serving and monitor endpoints with the calls brickci makes.

use std::path::Path;
use std::process::Command;

use crate::common::{
    TOKEN, TestEmulator, as_refs, brickci, code, repo, run_env, text, venv_python,
};
use serde_json::{Value, json};

const ROOT: &str = "/Workspace/Users/ci-bot@example.com/.bundle/serve/default";
const ENDPOINT: &str = "/api/2.0/serving-endpoints/churn";

fn write(dir: &Path, resources: &str) {
    let yml = format!("bundle:\n  name: serve\nresources:\n{resources}");
    std::fs::write(dir.join("databricks.yml"), yml).unwrap();
}

fn endpoint(description: &str, version: &str, env: &str) -> String {
    format!(
        "  model_serving_endpoints:\n    churn:\n      name: churn\n      description: {description}\n      tags:\n        - key: team\n          value: ml\n      config:\n        served_entities:\n          - entity_name: main.ml.churn\n            entity_version: \"{version}\"\n            workload_size: Small\n            scale_to_zero_enabled: true\n{env}      permissions:\n        - level: CAN_QUERY\n          group_name: analysts\n"
    )
}

fn deploy(emu: &TestEmulator, dir: &Path, extra: &[&str]) -> std::process::Output {
    let env = run_env(emu);
    let mut args = vec!["deploy"];
    args.extend_from_slice(extra);
    brickci(&args, &as_refs(&env), dir)
}

fn writes_since(emu: &TestEmulator, since: usize) -> Vec<(String, String)> {
    emu.requests()
        .into_iter()
        .skip(since)
        .filter(|r| !matches!(r.method.as_str(), "GET" | "HEAD"))
        .filter(|r| !r.path.starts_with("/api/2.0/workspace/"))
        .map(|r| (r.method, r.path))
        .collect()
}

fn state(emu: &TestEmulator) -> Value {
    let path = format!("{ROOT}/state/brickci-state.json");
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("path", &path)
        .append_pair("direct_download", "true")
        .finish();
    emu.get_json(&format!("/api/2.0/workspace/export?{q}"))
}

#[test]
fn an_endpoint_is_created_ready_updated_in_place_replaced_and_pruned() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &endpoint("churn model", "1", ""));
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    // The deploy returned once the config was deployed: the first GET after it sees READY.
    let e = emu.get_json(ENDPOINT);
    assert_eq!(
        e["state"],
        json!({"config_update": "NOT_UPDATING", "ready": "READY"}),
        "{e}"
    );
    assert_eq!(e["config"]["served_entities"][0]["entity_version"], "1");
    // Permissions went to the endpoint's internal id.
    let id = e["id"].as_str().unwrap();
    let acl = emu.get_json(&format!("/api/2.0/permissions/serving-endpoints/{id}"));
    assert_eq!(
        acl["access_control_list"],
        json!([{"group_name": "analysts", "permission_level": "CAN_QUERY"}])
    );
    let st = state(&emu);
    let entry = &st["resources"]["model_serving_endpoints"]["churn"];
    assert_eq!(entry["id"], "churn");
    assert_eq!(entry["computed"]["endpoint_id"], id);

    let before = emu.requests().len();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(writes_since(&emu, before), vec![], "{}", text(&out));

    // A new entity version: only the config is sent, and the deploy waits for it.
    write(dir.path(), &endpoint("churn model", "2", ""));
    let before = emu.requests().len();
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        writes_since(&emu, before),
        vec![
            ("PUT".to_string(), format!("{ENDPOINT}/config")),
            (
                "PUT".to_string(),
                format!("/api/2.0/permissions/serving-endpoints/{id}")
            )
        ]
    );
    let e = emu.get_json(ENDPOINT);
    assert_eq!(e["state"]["config_update"], "NOT_UPDATING", "{e}");
    assert_eq!(e["config"]["served_entities"][0]["entity_version"], "2");

    // The description cannot be updated: replaced, after approval, the plan saying why.
    write(dir.path(), &endpoint("churn model v2", "2", ""));
    let out = brickci(&["plan"], &as_refs(&run_env(&emu)), dir.path());
    assert!(
        text(&out).contains("replaces churn: description changes from \"churn model\" to \"churn model v2\", which a serving endpoint cannot change in place"),
        "{}",
        text(&out)
    );
    // The same plan as JSON and markdown.
    let out = brickci(
        &["plan", "-o", "json"],
        &as_refs(&run_env(&emu)),
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let action = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "model_serving_endpoints")
        .unwrap()
        .clone();
    assert_eq!(action["action"], "replace");
    assert_eq!(action["target"], "churn", "the endpoint it replaces");
    assert!(
        action["reason"]
            .as_str()
            .unwrap()
            .starts_with("replaces churn: description")
    );
    let out = brickci(
        &["plan", "-o", "markdown"],
        &as_refs(&run_env(&emu)),
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains("model\\_serving\\_endpoints") && md.contains("replaces churn"),
        "{md}"
    );
    let out = deploy(&emu, dir.path(), &["--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let replaced = emu.get_json(ENDPOINT);
    assert_eq!(replaced["description"], "churn model v2");
    assert_ne!(replaced["id"], id, "a new endpoint");

    write(dir.path(), "");
    let out = deploy(&emu, dir.path(), &["--prune", "--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(
        emu.get_json(ENDPOINT)["error_code"],
        "RESOURCE_DOES_NOT_EXIST"
    );
}

#[test]
fn a_failed_config_update_is_reported_with_its_reason() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &endpoint("churn model", "1", ""));
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let env = "            environment_vars:\n              EMULATOR_FAIL_DEPLOYMENT: container image build failed\n";
    write(dir.path(), &endpoint("churn model", "2", env));
    let out = deploy(&emu, dir.path(), &[]);
    assert_ne!(code(&out), 0, "{}", text(&out));
    let all = text(&out);
    assert!(
        all.contains("model_serving_endpoints.churn")
            && all.contains("UPDATE_FAILED")
            && all.contains("container image build failed"),
        "{all}"
    );
    // The endpoint still serves the old config.
    let e = emu.get_json(ENDPOINT);
    assert_eq!(e["config"]["served_entities"][0]["entity_version"], "1");
}

#[test]
fn development_mode_prefixes_the_name_as_unity_catalog_names() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("databricks.yml"),
        "bundle:\n  name: serve\ntargets:\n  dev:\n    mode: development\n    default: true\nresources:\n  model_serving_endpoints:\n    churn:\n      name: churn\n",
    )
    .unwrap();
    let out = brickci(
        &["validate", "-o", "json"],
        &as_refs(&run_env(&emu)),
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = &v["resources"]["model_serving_endpoints"]["churn"];
    assert_eq!(e["name"], "dev_ci_bot_churn", "{e}");
    assert!(
        e.get("permissions").is_none(),
        "none given, none shown: {e}"
    );
    // An endpoint without a config is never READY: the deploy waits only for the update.
    let out = deploy(&emu, dir.path(), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let e = emu.get_json("/api/2.0/serving-endpoints/dev_ci_bot_churn");
    assert_eq!(e["state"]["config_update"], "NOT_UPDATING");
}

#[test]
fn official_sdk_drives_serving_endpoints_and_quality_monitors() {
    let Some(python) = venv_python() else {
        return;
    };
    let emu = TestEmulator::fast();
    let mut cmd = Command::new(python);
    cmd.arg(repo().join("tests/python/sdk_serving_and_monitors.py"))
        .env_clear();
    for key in ["PATH", "HOME"] {
        if let Ok(v) = std::env::var(key) {
            cmd.env(key, v);
        }
    }
    cmd.env("DATABRICKS_HOST", emu.url())
        .env("DATABRICKS_TOKEN", TOKEN)
        .env("DATABRICKS_CONFIG_FILE", "/dev/null")
        .env("NO_PROXY", "*")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    let out = cmd.output().expect("python runs");
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("serving and monitor checks passed"), "{all}");
}

#[test]
fn served_models_are_validated_as_served_entities_with_a_warning() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "  model_serving_endpoints:\n    churn:\n      name: churn\n      config:\n        served_models:\n          - model_name: my-model\n            model_version: \"1\"\n            scale_to_zero_enabled: true\n",
    );
    let out = brickci(
        &["validate", "-o", "json"],
        &as_refs(&run_env(&emu)),
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["resources"]["model_serving_endpoints"]["churn"]["config"],
        json!({"served_entities": [{"entity_name": "my-model", "entity_version": "1", "scale_to_zero_enabled": true}]})
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Using served_models is deprecated"),
        "{}",
        text(&out)
    );
}

/// An external model's key given in the clear (`*_plaintext`, here from a CI secret through a
/// variable) reaches the API and nothing else: not the output, not `validate -o json`, not
/// the deploy state in the workspace (a digest there still notices a rotated key).
#[test]
fn a_plaintext_api_key_reaches_the_api_only() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    let key = "sk-live-4f9a2c7e1b";
    write(
        dir.path(),
        "  model_serving_endpoints:\n    chat:\n      name: chat\n      config:\n        served_entities:\n          - name: gpt\n            external_model:\n              name: gpt-4o\n              provider: openai\n              task: llm/v1/chat\n              openai_config:\n                openai_api_key_plaintext: ${var.openai_key}\nvariables:\n  openai_key:\n    description: from a CI secret\n",
    );
    let mut env = run_env(&emu);
    env.push(("BUNDLE_VAR_openai_key".into(), key.into()));
    let out = brickci(&["deploy"], &as_refs(&env), dir.path());
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(!text(&out).contains(key), "{}", text(&out));
    let sent = emu.calls("POST", "/api/2.0/serving-endpoints");
    assert_eq!(
        sent[0].body["config"]["served_entities"][0]["external_model"]["openai_config"]["openai_api_key_plaintext"],
        key
    );
    let shown = brickci(&["validate", "-o", "json"], &as_refs(&env), dir.path());
    assert_eq!(code(&shown), 0, "{}", text(&shown));
    assert!(!text(&shown).contains(key), "{}", text(&shown));
    let path = "/Workspace/Users/ci-bot@example.com/.bundle/serve/default/state/brickci-state.json";
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("path", path)
        .append_pair("direct_download", "true")
        .finish();
    let recorded = emu
        .get_json(&format!("/api/2.0/workspace/export?{q}"))
        .to_string();
    assert!(!recorded.contains(key), "{recorded}");
    assert!(
        recorded.contains("\"openai_api_key_plaintext\":\"sha256:"),
        "{recorded}"
    );
    // A rotated key is a change the plan names.
    env.retain(|(k, _)| k != "BUNDLE_VAR_openai_key");
    env.push((
        "BUNDLE_VAR_openai_key".into(),
        "sk-live-rotated-9d8e".into(),
    ));
    let plan = brickci(&["plan"], &as_refs(&env), dir.path());
    assert_eq!(code(&plan), 0, "{}", text(&plan));
    assert!(
        text(&plan).contains("openai_api_key_plaintext"),
        "{}",
        text(&plan)
    );
}
