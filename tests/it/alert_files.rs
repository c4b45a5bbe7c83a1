//! Alerts defined in a `.dbalert.json` file (`file_path`, relative to the YAML that names
//! it), as the Databricks CLI reads them: validate shows the definition, deploy sends it
//! (without `file_path`), a redeploy with the file unchanged writes nothing, a changed file
//! updates the alert, and a definition field in the YAML or a broken file is exit 2 naming
//! the file, line and key.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::{TestEmulator, as_refs, brickci, code, run_env, text};

const BUNDLE: &str = r#"bundle:
  name: alertfile
include:
  - resources/*.yml
resources:
  sql_warehouses:
    wh:
      name: bi
      cluster_size: X-Small
"#;

const ALERT_YML: &str = r#"resources:
  alerts:
    rows:
      display_name: rows
      warehouse_id: ${resources.sql_warehouses.wh.id}
      file_path: ./rows.dbalert.json
"#;

const ALERT: &str = r#"{
  "custom_summary": "Too many rows",
  "evaluation": {
    "source": {"name": "n", "display": "n", "aggregation": "MAX"},
    "comparison_operator": "GREATER_THAN",
    "threshold": {"value": {"double_value": 10.0}},
    "notification": {"retrigger_seconds": 1, "notify_on_ok": false}
  },
  "schedule": {"quartz_cron_schedule": "0 0 * * * ?", "timezone_id": "UTC"},
  "query_lines": ["select count(*) as n", "from main.sales.orders"],
  "custom_description_lines": ["Rows in orders", "above ten"]
}"#;

fn bundle() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("databricks.yml"), BUNDLE).unwrap();
    std::fs::create_dir(p.join("resources")).unwrap();
    std::fs::write(p.join("resources/alerts.yml"), ALERT_YML).unwrap();
    std::fs::write(p.join("resources/rows.dbalert.json"), ALERT).unwrap();
    dir
}

fn run(emu: &TestEmulator, dir: &Path, args: &[&str]) -> std::process::Output {
    brickci(args, &as_refs(&run_env(emu)), dir)
}

/// Writes since request `since`, without the deployment's bookkeeping.
fn writes_since(emu: &TestEmulator, since: usize) -> Vec<String> {
    emu.requests()
        .into_iter()
        .skip(since)
        .filter(|r| !matches!(r.method.as_str(), "GET" | "HEAD"))
        .filter(|r| !r.path.starts_with("/api/2.0/workspace") && !r.path.starts_with("/oidc/"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn the_alert(emu: &TestEmulator) -> Value {
    let list = emu.get_json("/api/2.0/alerts");
    let alerts = list["alerts"].as_array().cloned().unwrap_or_default();
    assert_eq!(alerts.len(), 1, "{list}");
    alerts[0].clone()
}

#[test]
fn an_alert_from_its_file_validates_deploys_redeploys_quietly_and_follows_the_file() {
    let emu = TestEmulator::fast();
    let dir = bundle();

    // Validated from a subfolder too: the path is relative to the YAML, not the caller.
    let out = run(
        &emu,
        &dir.path().join("resources"),
        &["validate", "-o", "json"],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = &doc["resources"]["alerts"]["rows"];
    assert_eq!(a["file_path"], "resources/rows.dbalert.json", "{a}");
    assert_eq!(
        a["query_text"],
        "select count(*) as n\nfrom main.sales.orders\n"
    );
    assert_eq!(a["custom_description"], "Rows in orders\nabove ten\n");
    assert_eq!(a["custom_summary"], "Too many rows");
    assert_eq!(a["display_name"], "rows");
    assert_eq!(a["evaluation"]["comparison_operator"], "GREATER_THAN");
    assert_eq!(
        a["parent_path"],
        "/Workspace/Users/ci-bot@example.com/.bundle/alertfile/default/resources"
    );
    assert!(a.get("query_lines").is_none(), "{a}");

    let out = run(&emu, dir.path(), &["deploy"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let alert = the_alert(&emu);
    assert_eq!(
        alert["query_text"],
        "select count(*) as n\nfrom main.sales.orders\n"
    );
    assert_eq!(alert["custom_summary"], "Too many rows");
    assert_eq!(alert["custom_description"], "Rows in orders\nabove ten\n");
    assert_eq!(
        alert["evaluation"]["threshold"]["value"]["double_value"],
        10.0
    );
    assert_eq!(alert["schedule"]["timezone_id"], "UTC");
    let created = emu.calls("POST", "/api/2.0/alerts");
    assert_eq!(created.len(), 1);
    assert!(
        created[0].body.get("file_path").is_none(),
        "the path is the bundle's, not the API's: {}",
        created[0].body
    );

    // The file unchanged: nothing written.
    let before = emu.requests().len();
    let out = run(&emu, dir.path(), &["deploy"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("0 to create, 0 to update, 0 to delete"),
        "{}",
        text(&out)
    );
    let writes = writes_since(&emu, before);
    assert!(writes.is_empty(), "a no-op redeploy wrote: {writes:?}");

    // The file changed: the alert is updated in place.
    let changed = ALERT.replace("\"double_value\": 10.0", "\"double_value\": 20.0");
    std::fs::write(dir.path().join("resources/rows.dbalert.json"), changed).unwrap();
    let out = run(&emu, dir.path(), &["plan"]);
    assert!(
        text(&out).contains("evaluation.threshold.value.double_value"),
        "the plan says what changed: {}",
        text(&out)
    );
    let before = emu.requests().len();
    let out = run(&emu, dir.path(), &["deploy"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let id = alert["id"].as_str().unwrap();
    let writes = writes_since(&emu, before);
    assert_eq!(writes, [format!("PATCH /api/2.0/alerts/{id}")], "in place");
    let alert = the_alert(&emu);
    assert_eq!(
        alert["evaluation"]["threshold"]["value"],
        json!({"double_value": 20.0})
    );
}

#[test]
fn a_definition_field_beside_file_path_or_a_broken_file_is_exit_2_naming_the_place() {
    let emu = TestEmulator::fast();
    let dir = bundle();
    let yml = dir.path().join("resources/alerts.yml");
    std::fs::write(&yml, format!("{ALERT_YML}      query_text: select 3\n")).unwrap();
    let out = run(&emu, dir.path(), &["deploy"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains(
            "resources/alerts.yml:7:19: resources.alerts.rows.query_text: is not allowed beside file_path"
        ),
        "{}",
        text(&out)
    );

    std::fs::write(&yml, ALERT_YML).unwrap();
    std::fs::write(
        dir.path().join("resources/rows.dbalert.json"),
        "{\n  \"custom_summary\": \"x\",\n}",
    )
    .unwrap();
    let out = run(&emu, dir.path(), &["validate"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains(
            "resources/alerts.yml:6:18: resources.alerts.rows.file_path: resources/rows.dbalert.json is not valid JSON: trailing comma at line 3 column 1"
        ),
        "{}",
        text(&out)
    );

    std::fs::remove_file(dir.path().join("resources/rows.dbalert.json")).unwrap();
    let out = run(&emu, dir.path(), &["plan"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains(
            "resources/alerts.yml:6:18: resources.alerts.rows.file_path: ./rows.dbalert.json does not exist (looked for resources/rows.dbalert.json)"
        ),
        "{}",
        text(&out)
    );
    assert!(
        emu.requests()
            .iter()
            .all(|r| matches!(r.method.as_str(), "GET" | "HEAD")),
        "nothing written"
    );
}
