//! The sources document (from Secrets Manager or a file) on any text: an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = hookwell::Sources::from_json(text);
    }
});
