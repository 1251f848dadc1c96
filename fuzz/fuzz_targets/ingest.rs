//! The ingest handler on arbitrary requests: any method, path, query, headers and body, the
//! queue up or down. Checks the HTTP contract: a known status, and messages enqueued only
//! when the answer is 200.
#![no_main]

use arbitrary::Arbitrary;
use bytes::Bytes;
use hookwell::queue::MemoryQueue;
use hookwell::{Ingest, IngestRequest, SourcesCell};
use hookwell_fuzz::{append_headers, append_signature, sources, FuzzHeaderName};
use http::{HeaderMap, Method};
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};

#[derive(Debug, Arbitrary)]
struct Input {
    method: u8,
    raw_method: String,
    path: Path,
    query: Option<String>,
    sign: bool,
    queue_down: bool,
    headers: Vec<(FuzzHeaderName, Vec<u8>)>,
    body: Vec<u8>,
}

#[derive(Debug, Arbitrary)]
enum Path {
    Source(u8),
    SourceWithToken(u8, String),
    Raw(String),
}

const NOW: i64 = 1_764_000_000;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
    })
}

fuzz_target!(|input: Input| {
    let names: Vec<&str> = sources().names().collect();
    let (path, signed_source) = match &input.path {
        Path::Source(i) => {
            let n = names[usize::from(*i) % names.len()];
            (format!("/webhooks/{n}"), Some(n))
        }
        Path::SourceWithToken(i, t) => {
            let n = names[usize::from(*i) % names.len()];
            (format!("/webhooks/{n}/{t}"), Some(n))
        }
        Path::Raw(p) => (p.clone(), None),
    };
    let method = match input.method % 4 {
        0 | 1 => Method::POST,
        2 => Method::GET,
        _ => Method::from_bytes(input.raw_method.as_bytes()).unwrap_or(Method::PUT),
    };
    let mut headers = HeaderMap::new();
    if let (true, Some(n)) = (input.sign, signed_source) {
        append_signature(
            &mut headers,
            sources().get(n).expect("listed source"),
            &input.body,
            NOW,
        );
    }
    append_headers(&mut headers, &input.headers);
    let queue = MemoryQueue::default();
    queue.set_down(input.queue_down);
    let sent = queue.clone();
    let ingest = Ingest::new(SourcesCell::new(sources().clone()), queue)
        .with_clock(|| time::OffsetDateTime::from_unix_timestamp(NOW).expect("valid time"))
        .with_metrics_sink(Arc::new(|_: &str| {}));
    let req = IngestRequest {
        method,
        path,
        query: input.query,
        headers,
        body: Bytes::from(input.body),
        source_ip: None,
    };
    let resp = runtime().block_on(ingest.handle(req));
    let status = resp.status().as_u16();
    assert!(
        [200, 400, 401, 404, 405, 413, 503].contains(&status),
        "unexpected status {status}"
    );
    let n = sent.sent().len();
    if status != 200 {
        assert!(n == 0, "{n} enqueued for a {status}");
    }
    assert!(resp.body().starts_with('{'), "answers are JSON");
});
