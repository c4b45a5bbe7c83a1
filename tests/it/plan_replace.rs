//! A setting an update cannot change (a catalog's storage root, a pool's node type) makes
//! the plan's op `replace`, not `create`: its own row and count in text, `-o json` and
//! `-o markdown`, the reason naming the setting and why, and it needs `--auto-approve` as a
//! delete does.

use std::path::Path;

use serde_json::Value;

use crate::common::{TestEmulator, as_refs, brickci, code, run_env, text};

const BUNDLE: &str = r#"bundle:
  name: repl
resources:
  catalogs:
    sales:
      name: sales_repl
      storage_root: s3://acme/old
  instance_pools:
    pool:
      instance_pool_name: etl
      node_type_id: i3.xlarge
      max_capacity: 4
"#;

fn edit(dir: &Path, from: &str, to: &str) {
    let f = dir.join("databricks.yml");
    let s = std::fs::read_to_string(&f).unwrap();
    assert!(s.contains(from), "{from} not in the bundle");
    std::fs::write(f, s.replace(from, to)).unwrap();
}

fn run(emu: &TestEmulator, dir: &Path, args: &[&str]) -> std::process::Output {
    brickci(args, &as_refs(&run_env(emu)), dir)
}

#[test]
fn a_replacement_is_its_own_op_in_every_format_and_needs_approval() {
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("databricks.yml"), BUNDLE).unwrap();
    let out = run(&emu, dir.path(), &["deploy"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    edit(dir.path(), "s3://acme/old", "s3://acme/new");
    edit(
        dir.path(),
        "node_type_id: i3.xlarge",
        "node_type_id: m5.large",
    );
    edit(dir.path(), "max_capacity: 4", "max_capacity: 6");

    let out = run(&emu, dir.path(), &["plan"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let plan = text(&out);
    let row = |kind: &str| {
        plan.lines()
            .find(|l| l.contains(kind) && !l.starts_with("Plan"))
            .unwrap_or_else(|| panic!("no {kind} row in {plan}"))
            .to_string()
    };
    assert!(
        row("catalogs").starts_with("replace  catalogs")
            && row("catalogs").contains(
                "replaces sales_repl: storage_root changes from \"s3://acme/old\" to \"s3://acme/new\", which Unity Catalog cannot change on an existing catalog"
            ),
        "{plan}"
    );
    assert!(
        row("instance_pools").starts_with("replace  instance_pools")
            && row("instance_pools").contains(
                "node_type_id changes from \"i3.xlarge\" to \"m5.large\", which the instance pools API cannot edit"
            ),
        "{plan}"
    );
    assert!(
        plan.contains("0 to create, 1 to update, 2 to replace, 0 to delete"),
        "databricks.yml itself is the update: {plan}"
    );
    assert!(!plan.contains("create  "), "{plan}");

    let out = run(&emu, dir.path(), &["plan", "-o", "json"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["summary"]["replace"], 2, "{doc}");
    assert_eq!(doc["summary"]["create"], 0, "{doc}");
    let pool = doc["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "instance_pools")
        .unwrap();
    assert_eq!(pool["action"], "replace");
    let old_pool = pool["target"].as_str().unwrap().to_string();
    assert!(
        pool["reason"]
            .as_str()
            .unwrap()
            .starts_with(&format!("replaces {old_pool}: node_type_id changes")),
        "{pool}"
    );

    let out = run(&emu, dir.path(), &["plan", "-o", "markdown"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains(
            "| ♻️ replace | catalogs | `sales` | replaces sales\\_repl: storage\\_root changes"
        ),
        "{md}"
    );
    assert!(
        md.contains("| ♻️ replace | instance\\_pools | `pool` |"),
        "{md}"
    );
    assert!(md.contains("2 to replace"), "{md}");

    // Like a delete: refused without approval, nothing written.
    let out = run(&emu, dir.path(), &["deploy"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("catalogs sales (replaced)")
            && text(&out).contains("instance_pools pool (replaced)")
            && text(&out).contains("--auto-approve"),
        "{}",
        text(&out)
    );
    let out = run(&emu, dir.path(), &["deploy", "--auto-approve"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let pools = emu.get_json("/api/2.0/instance-pools/list");
    let pool = pools["instance_pools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["instance_pool_name"] == "etl")
        .unwrap();
    assert_ne!(pool["instance_pool_id"], old_pool.as_str(), "a new pool");
    assert_eq!(pool["node_type_id"], "m5.large");
    assert_eq!(pool["max_capacity"], 6);
    let cat = emu.get_json("/api/2.1/unity-catalog/catalogs/sales_repl");
    assert_eq!(cat["storage_root"], "s3://acme/new", "{cat}");
    // Replaced objects are recorded anew: the next plan has nothing to do.
    let out = run(&emu, dir.path(), &["plan"]);
    assert!(
        text(&out).contains("0 to create, 0 to update, 0 to delete"),
        "{}",
        text(&out)
    );
}
