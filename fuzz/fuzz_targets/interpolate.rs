//! `${...}` interpolation: the input, split at newlines into up to four strings, becomes
//! variable defaults and settings that refer to each other, so references, nesting,
//! cycles and malformed ones all reach the resolver. Errors are fine; panics are not.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for (range, reference) in brickci::bundle::references(text) {
        assert_eq!(&text[range.clone()], format!("${{{reference}}}"));
        let _ = brickci::bundle::is_deferred(reference);
    }
    let mut parts = text.splitn(4, '\n');
    let mut next = || serde_json::to_string(parts.next().unwrap_or("${var.a}")).unwrap();
    let (a, b, name, tag) = (next(), next(), next(), next());
    let yaml = format!(
        "bundle:\n  name: fuzz\nvariables:\n  a:\n    default: {a}\n  b:\n    default: {b}\n  c:\n    default: ${{var.a}}-${{var.b}}\nresources:\n  jobs:\n    j:\n      name: {name}\n      tags:\n        t: {tag}\n      tasks:\n        - task_key: x\n          notebook_task:\n            notebook_path: ./src/nb.py\n            base_parameters:\n              p: ${{var.c}}\ntargets:\n  dev:\n    default: true\n"
    );
    brickci_fuzz::load(&yaml, "");
});
