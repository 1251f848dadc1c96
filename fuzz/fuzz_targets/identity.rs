//! Event identity of every source (provider presets and the custom one) on any body and
//! headers, without a signature in the way.
#![no_main]

use arbitrary::Arbitrary;
use hookwell::identity::Found;
use hookwell_fuzz::{append_headers, source_names, sources, FuzzHeaderName};
use http::HeaderMap;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    source: u8,
    headers: Vec<(FuzzHeaderName, Vec<u8>)>,
    body: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let names = source_names();
    let name = &names[usize::from(input.source) % names.len()];
    let source = sources().get(name).expect("listed source");
    let mut map = HeaderMap::new();
    append_headers(&mut map, &input.headers);
    let header = |n: &str| -> Option<String> {
        map.get(n)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    if let Ok(Found::Events(events)) = source.identity().identify(&header, &input.body) {
        for e in events {
            assert!(!e.event_id.is_empty() && e.event_id.len() <= 128);
            assert!(!e.event_type.is_empty() && e.event_type.len() <= 128);
            assert!(e.payload.len() <= input.body.len());
        }
    }
});
