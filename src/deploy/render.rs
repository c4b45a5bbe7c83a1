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

pub fn summary_line(plan: &Plan) -> String {
    format!(
        "{} to create, {} to update, {} to delete, {} unchanged{}",
        plan.count(Op::Create),
        plan.count(Op::Update),
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
