#![allow(clippy::expect_used, clippy::print_stdout)]
use hmac::{Hmac, Mac};
use std::time::Instant;
fn main() {
    let body = vec![b'a'; 1024];
    let n = 200_000;
    let t = Instant::now();
    for _ in 0..n {
        let mut m = Hmac::<sha2::Sha256>::new_from_slice(b"key").expect("k");
        m.update(std::hint::black_box(&body));
        std::hint::black_box(m.finalize());
    }
    println!("hmac 1KiB: {:?}", t.elapsed() / n);
    let s = String::from_utf8(body.clone()).expect("u");
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(serde_json::to_string(std::hint::black_box(&s)).expect("j"));
    }
    println!("json escape 1KiB: {:?}", t.elapsed() / n);
    let now = time::OffsetDateTime::now_utc();
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(
            now.format(&time::format_description::well_known::Rfc3339)
                .expect("f"),
        );
    }
    println!("rfc3339: {:?}", t.elapsed() / n);
    let js = hookwell::samples::render(hookwell::samples::SAMPLES[0].2, now, 1);
    let padded = format!(
        "{{\"padding\":\"{}\",{}",
        "p".repeat(1024 - js.len() - 16),
        &js[1..]
    );
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(
            serde_json::from_str::<serde_json::Value>(std::hint::black_box(&padded)).expect("v"),
        );
    }
    println!("Value parse 1KiB: {:?}", t.elapsed() / n);
    let sources =
        hookwell::Sources::from_json(include_str!("../../infra/local/sources.json")).expect("s");
    let src = sources.get("bubble").expect("b");
    let body = padded.as_bytes();
    let mut h = http::HeaderMap::new();
    for (k, v) in src
        .scheme()
        .sign(&src.secrets()[0], body, now.unix_timestamp(), "m")
        .expect("s")
    {
        h.insert(
            http::HeaderName::from_bytes(k.as_bytes()).expect("h"),
            v.parse().expect("v"),
        );
    }
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(
            src.verify(
                hookwell::Unverified {
                    headers: &h,
                    body,
                    url_token: None,
                },
                now.unix_timestamp(),
            )
            .expect("v"),
        );
    }
    println!("verify bubble 1KiB: {:?}", t.elapsed() / n);
    let v = src
        .verify(
            hookwell::Unverified {
                headers: &h,
                body,
                url_token: None,
            },
            now.unix_timestamp(),
        )
        .expect("v");
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(v.accept(now).expect("a"));
    }
    println!("accept bubble 1KiB: {:?}", t.elapsed() / n);
    let hdr = |_: &str| None;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(src.identity().identify(&hdr, body).expect("a"));
    }
    println!("identify bubble 1KiB: {:?}", t.elapsed() / n);
    let picker = hookwell::jsonpick::Picker::new(&[
        "/type",
        "/data/id",
        "/data/edited_timestamp",
        "/data/guild_id",
        "/data/user/id",
        "/timestamp",
    ]);
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(picker.pick(body).expect("p"));
    }
    println!("pick 1KiB: {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(
            serde_json::from_slice::<serde::de::IgnoredAny>(std::hint::black_box(body)).expect("p"),
        );
    }
    println!("ignore 1KiB: {:?}", t.elapsed() / n);
}

#[allow(dead_code)]
fn unused() {}
