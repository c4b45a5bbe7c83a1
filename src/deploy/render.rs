//! A plan as a terminal table, JSON, or markdown for a PR comment.

use serde_json::json;

use super::plan::{Op, Plan};

/// One line per change, unchanged objects counted but not listed.
pub fn text(plan: &Plan, verbose: bool) -> String {
    let rows: Vec<_> = plan
        .actions
        .iter()
        .filter(|a| verbose || a.action != Op::Unchanged)
        .collect();
    let mut out = format!(
        "Plan for bundle {} target {} ({})\n",
        plan.bundle, plan.target, plan.root_path
    );
    let w_op = rows
        .iter()
        .map(|a| a.action.as_str().len())
        .max()
        .unwrap_or(0)
        .max(6);
    let w_kind = rows.iter().map(|a| a.kind.len()).max().unwrap_or(0).max(4);
    let w_name = rows
        .iter()
        .map(|a| a.name.len())
        .max()
        .unwrap_or(0)
        .clamp(4, 60);
    if !rows.is_empty() {
        out.push_str(&format!(
            "{:w_op$}  {:w_kind$}  {:w_name$}  {}\n",
            "ACTION", "KIND", "NAME", "REASON"
        ));
    }
    for a in rows {
        out.push_str(&format!(
            "{:w_op$}  {:w_kind$}  {:w_name$}  {}\n",
            a.action.as_str(),
            a.kind,
            a.name,
            a.reason
        ));
    }
    out.push_str(&summary_line(plan));
    out.push('\n');
    out
}

/// `1 to create, 2 to update, 0 to delete, 5 unchanged`; replacements (a delete and a create
/// of one object) are counted on their own, when there are any.
pub fn summary_line(plan: &Plan) -> String {
    format!(
        "{} to create, {} to update, {}{} to delete, {} unchanged{}",
        plan.count(Op::Create),
        plan.count(Op::Update),
        match plan.count(Op::Replace) {
            0 => String::new(),
            n => format!("{n} to replace, "),
        },
        plan.count(Op::Delete),
        plan.count(Op::Unchanged),
        match plan.count(Op::Orphaned) {
            0 => String::new(),
            n => format!(", {n} no longer in the bundle (kept; --prune deletes them)"),
        }
    )
}

pub fn json(plan: &Plan) -> String {
    let doc = json!({
        "bundle": plan.bundle,
        "target": plan.target,
        "root_path": plan.root_path,
        "summary": plan.summary(),
        "actions": plan.actions,
    });
    serde_json::to_string_pretty(&doc).expect("plan serialises")
}

/// Names come from the bundle (untrusted): one escaping for every renderer.
fn cell(s: &str) -> String {
    crate::report::markup::text(s)
}

fn code(s: &str) -> String {
    crate::report::markup::code(s, true)
}

/// Changes in a table, unchanged objects folded away.
pub fn markdown(plan: &Plan) -> String {
    let icon = |op: Op| match op {
        Op::Create => "➕ create",
        Op::Update => "✏️ update",
        Op::Replace => "♻️ replace",
        Op::Delete => "🗑️ delete",
        Op::Unchanged => "unchanged",
        Op::Orphaned => "⚠️ orphaned",
    };
    let mut out = format!(
        "### Deploy plan: {} → {}\n\n{}\n\n",
        crate::report::markup::code(&plan.bundle, false),
        crate::report::markup::code(&plan.target, false),
        summary_line(plan)
    );
    let changes: Vec<_> = plan
        .actions
        .iter()
        .filter(|a| a.action != Op::Unchanged)
        .collect();
    if !changes.is_empty() {
        out.push_str("| Action | Kind | Name | Why |\n|---|---|---|---|\n");
        for a in changes {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                icon(a.action),
                cell(&a.kind),
                code(&a.name),
                cell(&a.reason)
            ));
        }
        out.push('\n');
    }
    let same: Vec<_> = plan
        .actions
        .iter()
        .filter(|a| a.action == Op::Unchanged)
        .collect();
    if !same.is_empty() {
        out.push_str(&format!(
            "<details><summary>{} unchanged</summary>\n\n",
            same.len()
        ));
        for a in same.iter().take(200) {
            out.push_str(&format!("- {} {}\n", cell(&a.kind), code(&a.name)));
        }
        if same.len() > 200 {
            out.push_str(&format!("- … and {} more\n", same.len() - 200));
        }
        out.push_str("\n</details>\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::plan::{Action, Work};

    fn action(op: Op, name: &str, target: Option<&str>, reason: &str) -> Action {
        Action {
            action: op,
            kind: "instance_pools".into(),
            name: name.into(),
            target: target.map(str::to_string),
            reason: reason.into(),
            work: Work::Resource {
                settings: serde_json::Value::Null,
                acl: Vec::new(),
            },
        }
    }

    fn plan() -> Plan {
        Plan {
            bundle: "shop".into(),
            target: "dev".into(),
            root_path: "/Workspace/x".into(),
            actions: vec![
                action(Op::Create, "fresh", None, "new"),
                action(
                    Op::Replace,
                    "etl",
                    Some("0101-pool"),
                    "replaces 0101-pool: node_type_id changes from \"i3.xlarge\" to \"m5.large\", which a pool cannot change in place",
                ),
                action(Op::Unchanged, "same", Some("0202-pool"), "same settings"),
            ],
        }
    }

    #[test]
    fn a_replacement_is_its_own_row_and_count_in_every_format() {
        let p = plan();
        assert!(p.actions[1].replaces() && p.actions[1].destroys());
        assert!(!p.actions[0].replaces());
        assert_eq!(
            p.deletes(),
            1,
            "a replacement needs approval as a delete does"
        );
        assert_eq!(p.changes(), 2);
        assert_eq!(
            summary_line(&p),
            "1 to create, 0 to update, 1 to replace, 0 to delete, 1 unchanged"
        );
        let t = text(&p, false);
        assert!(
            t.contains("replace  instance_pools  etl    replaces 0101-pool: node_type_id changes"),
            "{t}"
        );
        let j: serde_json::Value = serde_json::from_str(&json(&p)).unwrap();
        assert_eq!(j["summary"]["replace"], 1);
        assert_eq!(j["summary"]["create"], 1);
        assert_eq!(j["actions"][1]["action"], "replace");
        assert_eq!(j["actions"][1]["target"], "0101-pool");
        let md = markdown(&p);
        assert!(
            md.contains("| ♻️ replace | instance\\_pools | `etl` | replaces 0101-pool: node\\_type\\_id changes"),
            "{md}"
        );
    }

    #[test]
    fn without_replacements_the_summary_is_as_before() {
        let mut p = plan();
        p.actions.remove(1);
        assert_eq!(
            summary_line(&p),
            "1 to create, 0 to update, 0 to delete, 1 unchanged"
        );
        assert_eq!(p.deletes(), 0);
    }
}
