//! verify + identity + envelope, per scheme, at 1 KiB and 64 KiB bodies.
//! Run: `make bench` (= `cargo bench -p hookwell --bench verify`).

#![allow(clippy::expect_used, clippy::missing_docs_in_private_items)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hookwell::delivery::Accepted;
use hookwell::{samples, Sources, Unverified};
use http::{HeaderMap, HeaderName, HeaderValue};
use std::hint::black_box;
use time::OffsetDateTime;

const SOURCES: &str = include_str!("../../infra/local/sources.json");

/// A provider sample padded (inside a JSON string field) to `size` bytes.
fn body_of(provider: &str, size: usize, now: OffsetDateTime) -> (Vec<u8>, Vec<(String, String)>) {
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

fn bench(c: &mut Criterion) {
    let sources = Sources::from_json(SOURCES).expect("sources");
    let now = OffsetDateTime::now_utc();
    let mut g = c.benchmark_group("verify_identify_envelope");
    for provider in [
        "bubble", "groupgm", "sendbird", "github", "shopify", "line", "stripe", "slack", "standard",
    ] {
        let source = sources.get(provider).expect("source");
        for size in [1024usize, 64 * 1024] {
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
            // Sanity: the benchmarked path really accepts.
            let v = source
                .verify(
                    Unverified {
                        headers: &map,
                        body: &body,
                        url_token: None,
                    },
                    now.unix_timestamp(),
                )
                .expect("verifies");
            assert!(matches!(v.accept(now), Ok(Accepted::Events(e)) if !e.is_empty()));

            g.throughput(Throughput::Bytes(body.len() as u64));
            g.bench_with_input(
                BenchmarkId::new(format!("{provider}/verify"), size),
                &body,
                |b, body| {
                    b.iter(|| {
                        black_box(
                            source
                                .verify(
                                    Unverified {
                                        headers: &map,
                                        body,
                                        url_token: None,
                                    },
                                    now.unix_timestamp(),
                                )
                                .expect("verifies"),
                        )
                    })
                },
            );
            g.bench_with_input(
                BenchmarkId::new(format!("{provider}/full"), size),
                &body,
                |b, body| {
                    b.iter(|| {
                        let v = source
                            .verify(
                                Unverified {
                                    headers: &map,
                                    body,
                                    url_token: None,
                                },
                                now.unix_timestamp(),
                            )
                            .expect("verifies");
                        black_box(v.accept(now).expect("accepts"))
                    })
                },
            );
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
