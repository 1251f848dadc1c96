//! Envelope decode (what the processor does with every SQS message) on any text; whatever
//! decodes must survive a round trip through our own writer.
#![no_main]

use hookwell::Envelope;
use hookwell_fuzz::assert_round_trip;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(env) = Envelope::from_json(text) {
        let _ = env.body_bytes();
        let _ = env.key();
        assert_round_trip(&env);
    }
});
