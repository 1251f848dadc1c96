//! Set-up shared by the benchmarks: each provider's sample, padded, signed, as headers.

#![allow(clippy::expect_used)]

use hookwell::{samples, Source, Sources};
use http::{HeaderMap, HeaderName, HeaderValue};
use time::OffsetDateTime;

const SOURCES: &str = include_str!("../../../infra/local/sources.json");

/// The schemes benchmarked, one dev source each.
pub const PROVIDERS: [&str; 9] = [
    "bubble", "groupgm", "sendbird", "github", "shopify", "line", "stripe", "slack", "standard",
];

/// The dev sources (`infra/local/sources.json`).
pub fn sources() -> Sources {
    Sources::from_json(SOURCES).expect("sources")
}

/// A provider sample padded (inside a JSON string field) to `size` bytes.
pub fn body_of(
    provider: &str,
    size: usize,
    now: OffsetDateTime,
) -> (Vec<u8>, Vec<(String, String)>) {
    let (_, _, tpl, hdrs) = samples::find(provider, None).expect("sample");
    let base = samples::render(tpl, now, 42);
    let pad = size.saturating_sub(base.len() + 16);
    // Put the padding first so LINE's events array and the identity fields stay intact.
    let body = format!("{{\"padding\":\"{}\",{}", "p".repeat(pad), &base[1..]);
    let headers = hdrs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), samples::render(v, now, 42)))
        .collect();
    (body.into_bytes(), headers)
}

/// `provider`'s sample of `size` bytes, signed by the source's first secret at `now`.
pub fn signed(
    source: &Source,
    provider: &str,
    size: usize,
    now: OffsetDateTime,
) -> (Vec<u8>, HeaderMap) {
    let (body, mut headers) = body_of(provider, size, now);
    let secret = source.secrets().first().expect("secret");
    headers.extend(
        source
            .scheme()
            .sign(secret, &body, now.unix_timestamp(), "msg_bench")
            .expect("sign"),
    );
    let mut map = HeaderMap::new();
    for (k, v) in &headers {
        map.append(
            HeaderName::from_bytes(k.as_bytes()).expect("name"),
            HeaderValue::from_str(v).expect("value"),
        );
    }
    (body, map)
}
