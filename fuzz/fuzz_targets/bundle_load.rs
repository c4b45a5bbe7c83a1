//! The bundle loader: any text as `databricks.yml` (and, after a form feed, as an included
//! `extra.yml`) is loaded, validated and resolved; an error is fine, a panic is not.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (root, included) = text.split_once('\x0c').unwrap_or((text, ""));
    brickci_fuzz::load(root, included);
});
