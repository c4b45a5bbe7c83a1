//! JUnit XML from a notebook's exit value (untrusted: the notebook writes it).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The report reader takes an exit value as JUnit when it starts with `<`.
    let value = format!("<{}", text.strip_prefix('<').unwrap_or(text));
    brickci_fuzz::exit_value(&value);
});
