//! Issue #16 item 4 as one number per scheme: the library path (verify + identity + envelope)
//! over the signature check alone, on a 1 KiB body.
//! Run: `make bench` (after the criterion run) or `cargo bench -p hookwell --bench ratio`.
//!
//! A shared machine's noise only ever adds time, and it comes in bursts longer than a
//! criterion sample: the two paths are timed in alternating batches and each keeps its
//! fastest batch, so both sides of a ratio come from the same minutes.

#![allow(
    clippy::expect_used,
    clippy::missing_docs_in_private_items,
    clippy::print_stdout
)]

use hookwell::delivery::Accepted;
use hookwell::Unverified;
use std::hint::black_box;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

mod common;

/// Alternating rounds, each one batch of either path; bounded in count and, through
/// `MAX_TIME`, in time.
const ROUNDS: usize = 400;
const BATCH: u32 = 500;
const MAX_TIME: Duration = Duration::from_secs(20);

/// The fastest batch's time per iteration, in microseconds.
fn fastest(best: &mut f64, batch: &mut dyn FnMut()) {
    let t = Instant::now();
    for _ in 0..BATCH {
        batch();
    }
    *best = best.min(t.elapsed().as_secs_f64() * 1e6 / f64::from(BATCH));
}

fn main() {
    // `cargo bench` passes `--bench` and any filter: a filter naming no scheme runs none.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let sources = common::sources();
    let now = OffsetDateTime::now_utc();
    println!("| scheme | verify 1 KiB (µs) | full 1 KiB (µs) | full / verify |");
    println!("|---|---:|---:|---:|");
    for provider in common::PROVIDERS {
        if !filter.is_empty() && !filter.iter().any(|f| provider.contains(f.as_str())) {
            continue;
        }
        let source = sources.get(provider).expect("source");
        let (body, map) = common::signed(source, provider, 1024, now);
        let delivery = || Unverified {
            headers: &map,
            body: &body,
            url_token: None,
        };
        let v = source
            .verify(delivery(), now.unix_timestamp())
            .expect("verifies");
        assert!(matches!(v.accept(now), Ok(Accepted::Events(e)) if !e.is_empty()));
        let (mut verify, mut full) = (f64::MAX, f64::MAX);
        let started = Instant::now();
        for _ in 0..ROUNDS {
            fastest(&mut verify, &mut || {
                black_box(
                    source
                        .verify(delivery(), now.unix_timestamp())
                        .expect("verifies"),
                );
            });
            fastest(&mut full, &mut || {
                let v = source
                    .verify(delivery(), now.unix_timestamp())
                    .expect("verifies");
                black_box(v.accept(now).expect("accepts"));
            });
            if started.elapsed() > MAX_TIME {
                break;
            }
        }
        println!(
            "| {provider} | {verify:.3} | {full:.3} | {:.2}x |",
            full / verify
        );
    }
}
