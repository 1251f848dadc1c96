//! Every scheme's header parsing and verification, then identity and envelope for what
//! verifies. With `sign` set, the harness first adds the correct signature headers so the
//! fuzzer explores the accepted path and mutations just around it.
#![no_main]

use arbitrary::Arbitrary;
use hookwell::delivery::Accepted;
use hookwell::Unverified;
use hookwell_fuzz::{
    append_headers, append_signature, assert_round_trip, source_names, sources, FuzzHeaderName,
};
use http::HeaderMap;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    source: u8,
    sign: bool,
    now_offset: i16,
    headers: Vec<(FuzzHeaderName, Vec<u8>)>,
    url_token: Option<String>,
    body: Vec<u8>,
}

const NOW: i64 = 1_764_000_000;

fuzz_target!(|input: Input| {
    let names = source_names();
    let name = &names[usize::from(input.source) % names.len()];
    let source = sources().get(name).expect("listed source");
    let mut map = HeaderMap::new();
    if input.sign {
        append_signature(&mut map, source, &input.body, NOW);
    }
    append_headers(&mut map, &input.headers);
    let now = NOW + i64::from(input.now_offset);
    let d = Unverified {
        headers: &map,
        body: &input.body,
        url_token: input.url_token.as_deref(),
    };
    let Ok(verified) = source.verify(d, now) else {
        return;
    };
    let at = time::OffsetDateTime::from_unix_timestamp(now).expect("valid time");
    if let Ok(Accepted::Events(events)) = verified.accept(at) {
        for e in &events {
            let env = e.envelope();
            assert!(!env.event_id.is_empty() && !env.event_type.is_empty());
            assert!(e.message_body().len() <= 256 * 1024);
            assert_round_trip(env);
        }
    }
});
