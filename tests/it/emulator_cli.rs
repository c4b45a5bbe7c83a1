//! `brickci emulator` as a command: a flag it cannot use, or a port already taken, is exit 2
//! naming it; and docs/emulator.md documents exactly the flags the binary takes.

use std::collections::BTreeSet;

use crate::common::{brickci, code, text};
use clap::CommandFactory;

/// The long flags `brickci emulator` takes, from clap.
fn emulator_flags() -> BTreeSet<String> {
    let cli = brickci::cli::Cli::command();
    let emulator = cli
        .get_subcommands()
        .find(|c| c.get_name() == "emulator")
        .expect("an emulator subcommand");
    emulator
        .get_arguments()
        .filter(|a| !a.is_global_set())
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .filter(|l| l != "--help")
        .collect()
}

/// Flags the doc names: the start of every inline code span, and every word of a
/// `brickci emulator ...` line, that begins with `--`.
fn documented_flags(doc: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let flag = |w: &str| -> Option<String> {
        let w = w.strip_prefix("--")?;
        let name: String = w
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
            .collect();
        (!name.is_empty()).then(|| format!("--{name}"))
    };
    for line in doc.lines() {
        if line.trim_start().starts_with("brickci emulator") {
            out.extend(line.split_whitespace().filter_map(flag));
        }
        for (i, span) in line.split('`').enumerate() {
            if i % 2 == 1 {
                out.extend(flag(span.trim_start()));
            }
        }
    }
    out
}

#[test]
fn the_doc_and_the_flags_agree() {
    let doc = std::fs::read_to_string(crate::common::repo().join("docs/emulator.md")).unwrap();
    let documented = documented_flags(&doc);
    let taken = emulator_flags();
    let undocumented: Vec<_> = taken.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&taken).collect();
    assert!(
        undocumented.is_empty() && unknown.is_empty(),
        "flags the binary takes but docs/emulator.md does not name: {undocumented:?}; \
         flags the doc names but the binary does not take: {unknown:?}"
    );
    // The parser finds flags at all (an empty set on both sides would agree).
    assert!(documented.contains("--federation-policy") && documented.contains("--fault"));
}

#[test]
fn a_bad_flag_value_or_a_taken_port_is_exit_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let cases: &[(&[&str], &str)] = &[
        (&["emulator", "--port", &port], &port),
        (
            &["emulator", "--port", "0", "--fault", "nonsense"],
            "--fault",
        ),
        (
            &["emulator", "--port", "0", "--rate-limit", "*/import=0"],
            "--rate-limit",
        ),
        (
            &["emulator", "--port", "0", "--clock-speed", "0"],
            "--clock-speed",
        ),
        (
            &["emulator", "--port", "0", "--client", "no-colon"],
            "--client",
        ),
        (
            &[
                "emulator",
                "--port",
                "0",
                "--federation-policy",
                "{\"issuer\": 1}",
            ],
            "--federation-policy",
        ),
        (&["emulator", "--port", "not-a-port"], "--port"),
    ];
    for (args, name) in cases {
        let out = brickci(args, &[], dir.path());
        let all = text(&out);
        assert_eq!(code(&out), 2, "{args:?}:\n{all}");
        assert!(all.contains(name), "{args:?} names {name}:\n{all}");
    }
    drop(taken);
}
