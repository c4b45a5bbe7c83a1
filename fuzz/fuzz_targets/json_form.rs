//! brickci's JSON test results from a notebook's exit value (untrusted).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Taken as the JSON form when it starts with `{`.
    let value = format!("{{{}", text.strip_prefix('{').unwrap_or(text));
    brickci_fuzz::exit_value(&value);
});
