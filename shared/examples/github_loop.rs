#![allow(clippy::expect_used, clippy::print_stdout, clippy::indexing_slicing)]
//! Profiling aid: the GitHub path in a loop (`perf record` target).
fn main() {
    let sources =
        hookwell::Sources::from_json(include_str!("../../infra/local/sources.json")).expect("s");
    let src = sources.get("github").expect("g");
    let now = time::OffsetDateTime::now_utc();
    let body = vec![b'x'; 1024];
    let mut h = http::HeaderMap::new();
    for (k, v) in src
        .scheme()
        .sign(&src.secrets()[0], &body, now.unix_timestamp(), "m")
        .expect("s")
    {
        h.insert(
            http::HeaderName::from_bytes(k.as_bytes()).expect("h"),
            v.parse().expect("v"),
        );
    }
    h.insert("x-github-event", "push".parse().expect("v"));
    h.insert(
        "x-github-delivery",
        "72d3162e-cc78-11e3-81ab-4c9367dc0958".parse().expect("v"),
    );
    h.insert("content-type", "application/json".parse().expect("v"));
    let n = 2_000_000u32;
    let t = std::time::Instant::now();
    for _ in 0..n {
        let v = src
            .verify(
                hookwell::Unverified {
                    headers: &h,
                    body: &body,
                    url_token: None,
                },
                now.unix_timestamp(),
            )
            .expect("v");
        std::hint::black_box(v.accept(now).expect("a"));
    }
    println!("github 1KiB: {:?}", t.elapsed() / n);
}
