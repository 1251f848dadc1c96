//! verify + identity + envelope, per scheme, at 1 KiB and 64 KiB bodies.
//! Run: `make bench` (= `cargo bench -p hookwell --bench verify`).

#![allow(clippy::expect_used, clippy::missing_docs_in_private_items)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hookwell::delivery::Accepted;
use hookwell::Unverified;
use std::hint::black_box;
use time::OffsetDateTime;

mod common;

fn bench(c: &mut Criterion) {
    let sources = common::sources();
    let now = OffsetDateTime::now_utc();
    let mut g = c.benchmark_group("verify_identify_envelope");
    for provider in common::PROVIDERS {
        let source = sources.get(provider).expect("source");
        for size in [1024usize, 64 * 1024] {
            let (body, map) = common::signed(source, provider, size, now);
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
