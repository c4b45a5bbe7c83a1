//! Property tests: bundle paths never lead out of the bundle. A relative path from the
//! configuration resolves inside the root or not at all (`..`, absolute paths), and on
//! disk no file is read or synced through a symlink that leads outside the root.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::local_file::Roots;
use super::paths::inside;
use crate::deploy::sync::synced;

fn segment() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just(".."), Just("."), Just("a"), Just("b"), Just("src")]
}

/// `parts` applied from the root; None when they climb above it.
fn lexical(parts: &[&str]) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for p in parts {
        match *p {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s.to_string()),
        }
    }
    Some(out)
}

/// What a symlink in the generated tree points at.
#[derive(Debug, Clone)]
enum Link {
    /// Relative, possibly climbing out (`../../outside/secret.py`).
    Relative(Vec<&'static str>),
    /// The file outside the bundle, by absolute path.
    AbsoluteOutside,
    /// Itself (a loop).
    Loop,
}

#[derive(Debug, Clone)]
enum Entry {
    File,
    Dir,
    Link(Link),
}

fn entry() -> impl Strategy<Value = (Vec<&'static str>, Entry)> {
    let name = prop_oneof![Just("a"), Just("b"), Just("c.py"), Just("d")];
    let link = prop_oneof![
        prop::collection::vec(
            prop_oneof![
                Just(".."),
                Just("a"),
                Just("c.py"),
                Just("outside"),
                Just("secret.py")
            ],
            1..5
        )
        .prop_map(Link::Relative),
        Just(Link::AbsoluteOutside),
        Just(Link::Loop),
    ];
    let kind = prop_oneof![
        Just(Entry::File),
        Just(Entry::Dir),
        link.prop_map(Entry::Link)
    ];
    (prop::collection::vec(name, 1..4), kind)
}

/// A bundle folder `tmp/bundle` built from `entries` (those that cannot be made, such as a
/// file under a file, are skipped) next to `tmp/outside/secret.py`.
fn build(tmp: &Path, entries: &[(Vec<&'static str>, Entry)]) -> PathBuf {
    let root = tmp.join("bundle");
    let outside = tmp.join("outside");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(
        outside.join("secret.py"),
        "# Databricks notebook source\nsecret\n",
    )
    .unwrap();
    for (parts, kind) in entries {
        let path = parts.iter().fold(root.clone(), |p, s| p.join(s));
        if std::fs::symlink_metadata(&path).is_ok() {
            continue;
        }
        let parent = path.parent().unwrap();
        if std::fs::create_dir_all(parent).is_err() {
            continue;
        }
        let _ = match kind {
            Entry::File => std::fs::write(&path, "x"),
            Entry::Dir => std::fs::create_dir(&path),
            Entry::Link(Link::Relative(to)) => std::os::unix::fs::symlink(to.join("/"), &path),
            Entry::Link(Link::AbsoluteOutside) => {
                std::os::unix::fs::symlink(outside.join("secret.py"), &path)
            }
            Entry::Link(Link::Loop) => std::os::unix::fs::symlink(parts[parts.len() - 1], &path),
        };
    }
    root
}

/// Every path under `root` that is not a folder, found without following links.
fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_configured_path_stays_inside_the_root_or_is_refused(
        dir in prop::collection::vec(prop_oneof![Just("resources"), Just("a"), Just("b")], 0..3),
        rel in prop::collection::vec(segment(), 0..6),
        absolute in any::<bool>(),
    ) {
        let p = format!("{}{}", if absolute { "/" } else { "" }, rel.join("/"));
        let got = inside(&dir.iter().collect::<PathBuf>(), &p);
        let mut all: Vec<&str> = dir.clone();
        all.extend(rel.iter().copied());
        let expected = if absolute { None } else { lexical(&all) }
            .filter(|parts| !parts.is_empty())
            .map(|parts| parts.join("/"));
        prop_assert_eq!(&got, &expected, "{:?} from {:?}", p, dir);
        if let Some(r) = got {
            prop_assert!(!r.starts_with('/'));
            prop_assert!(r.split('/').all(|s| !s.is_empty() && s != "." && s != ".."));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn no_file_is_read_or_synced_through_a_link_out_of_the_bundle(
        entries in prop::collection::vec(entry(), 1..10),
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let root = build(tmp.path(), &entries);
        let real_root = root.canonicalize().unwrap();
        let roots = Roots::new(&root);
        // A link out of the bundle, or one that resolves nowhere: sync must refuse it.
        let mut refusable = false;
        for path in walk(&root) {
            let really = path.canonicalize().ok();
            let inside_and_file = really
                .as_ref()
                .is_some_and(|t| t.starts_with(&real_root) && t.is_file());
            let points_out = really.as_ref().is_some_and(|t| !t.starts_with(&real_root));
            refusable |= points_out || really.is_none();
            match roots.read(&path) {
                Ok(bytes) => {
                    prop_assert!(inside_and_file, "{} was read", path.display());
                    prop_assert_eq!(bytes, b"x".to_vec());
                }
                Err(e) => prop_assert!(!inside_and_file, "{} refused: {}", path.display(), e),
            }
        }
        match synced(&root, &[], &[], &[]) {
            Ok(files) => {
                prop_assert!(!refusable, "a link out of the bundle was synced silently: {:?}", files);
                for rel in files {
                    let t = root.join(&rel).canonicalize().unwrap();
                    prop_assert!(t.starts_with(&real_root) && t.is_file(), "{}", rel);
                }
            }
            Err(message) => prop_assert!(refusable, "refused without a reason: {}", message),
        }
    }
}
