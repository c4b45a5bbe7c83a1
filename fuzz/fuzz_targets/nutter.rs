//! Nutter's results: a base64 pickle in a notebook's exit value (untrusted). The fuzzer's
//! bytes are the pickle, after the protocol marker that makes the reader take it as one.
#![no_main]

use base64::Engine;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = brickci::testing::pickle::read(data);
    let mut pickle = vec![0x80];
    pickle.extend_from_slice(data.strip_prefix(&[0x80]).unwrap_or(data));
    let value = base64::engine::general_purpose::STANDARD.encode(&pickle);
    brickci_fuzz::exit_value(&value);
});
