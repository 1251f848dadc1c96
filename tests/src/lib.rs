//! Helpers for the integration tests: the local AWS (moto, started by `infra/moto.sh`),
//! unique resources per test, Lambda event fixtures and signing with the dev secrets.

// Test support: a failed set-up step should stop the test loudly.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};
use hookwell::{Secret, Sources};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
pub const DEV_SOURCES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/local/sources.json");

/// The emulator's URL; the tests only ever talk to loopback.
pub fn endpoint() -> String {
    let url = std::env::var("AWS_ENDPOINT_URL").expect(
        "AWS_ENDPOINT_URL is not set: run the tests with `make test` (or infra/moto.sh cargo test)",
    );
    assert!(
        url.starts_with("http://127.0.0.1:") || url.starts_with("http://localhost:"),
        "tests only talk to a loopback emulator, not {url}"
    );
    url
}

pub async fn sdk() -> aws_config::SdkConfig {
    endpoint();
    hookwell::aws::sdk_config(Duration::from_secs(10)).await
}

/// A name no other test (or earlier run against the same emulator) uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{prefix}-{}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        fastrand_u32()
    )
}

fn fastrand_u32() -> u32 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    t ^ std::process::id().rotate_left(16)
}

/// A standard queue sized like production (1 MiB messages).
pub async fn create_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    sqs.create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::MaximumMessageSize, "1048576")
        .attributes(QueueAttributeName::VisibilityTimeout, "30")
        .send()
        .await
        .expect("create queue")
        .queue_url
        .expect("queue url")
}

/// Receives everything currently visible (bounded: at most `max` messages, 20 rounds).
pub async fn drain(sqs: &aws_sdk_sqs::Client, url: &str, max: usize) -> Vec<Message> {
    let mut out = Vec::new();
    for _ in 0..20 {
        let got = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .wait_time_seconds(0)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default();
        if got.is_empty() || out.len() >= max {
            break;
        }
        for m in &got {
            if let Some(h) = m.receipt_handle() {
                sqs.delete_message()
                    .queue_url(url)
                    .receipt_handle(h)
                    .send()
                    .await
                    .expect("delete");
            }
        }
        out.extend(got);
    }
    out
}

/// A queue's messages: (visible, in flight); `u64::MAX` for a count SQS did not return.
pub async fn queue_depth(sqs: &aws_sdk_sqs::Client, url: &str) -> (u64, u64) {
    let (visible, in_flight) = hookwell_cli::console::backend::queue_depth(sqs, url)
        .await
        .expect("queue attributes");
    (visible.unwrap_or(u64::MAX), in_flight.unwrap_or(u64::MAX))
}

pub fn dev_sources() -> Sources {
    Sources::from_file(std::path::Path::new(DEV_SOURCES)).expect("dev sources")
}

/// Every secret value of a sources document (signing secrets, URL tokens, route secrets):
/// what must never show up in a log line or an HTTP answer.
pub fn all_secrets(sources_json: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(sources_json).unwrap();
    let mut out = Vec::new();
    for (_, src) in v["sources"].as_object().unwrap() {
        for s in src["secrets"].as_array().unwrap() {
            out.push(s.as_str().unwrap().to_owned());
        }
        // Meta's verify token and a local Discord signing key are secrets as well.
        for k in ["verify_token", "signing_key"] {
            if let Some(s) = src[k].as_str() {
                out.push(s.to_owned());
            }
        }
    }
    for r in v["routes"].as_array().into_iter().flatten() {
        if let Some(s) = r["secret"].as_str() {
            out.push(s.to_owned());
        }
    }
    assert!(
        out.len() >= 10,
        "the dev configuration has a secret per source"
    );
    out
}

/// Signs `body` for `source` with its first dev secret at `now` (unix s).
pub fn sign(sources: &Sources, source: &str, body: &[u8], now: i64) -> Vec<(String, String)> {
    let s = sources.get(source).expect("source");
    let secret: &Secret = s.signing_secret().expect("secret");
    s.scheme()
        .sign(secret, body, now, &format!("msg_{now}"))
        .expect("sign")
}

/// An API Gateway HTTP API (v2) or Function URL event built from a fixture.
pub fn lambda_event(
    fixture: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> String {
    use base64::Engine as _;
    let text = std::fs::read_to_string(format!("{FIXTURES}/{fixture}")).expect("fixture");
    let mut ev: serde_json::Value = serde_json::from_str(&text).expect("fixture json");
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    ev["rawPath"] = path.into();
    ev["rawQueryString"] = query.into();
    ev["requestContext"]["http"]["method"] = method.into();
    ev["requestContext"]["http"]["path"] = path.into();
    let hs = ev["headers"].as_object_mut().expect("headers");
    hs.insert("content-length".into(), body.len().to_string().into());
    for (k, v) in headers {
        let k = k.to_ascii_lowercase();
        // API Gateway joins a repeated header's values with commas.
        let joined = match hs.get(&k).and_then(|x| x.as_str()) {
            Some(prev) if k != "content-length" => format!("{prev},{v}"),
            _ => v.clone(),
        };
        hs.insert(k, joined.into());
    }
    match std::str::from_utf8(body) {
        Ok(s) => {
            ev["body"] = s.into();
            ev["isBase64Encoded"] = false.into();
        }
        Err(_) => {
            ev["body"] = base64::engine::general_purpose::STANDARD
                .encode(body)
                .into();
            ev["isBase64Encoded"] = true.into();
        }
    }
    ev.to_string()
}

pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Queue + DLQ (redrive after `max_receive` receives) + events table, uniquely named.
#[derive(Debug)]
pub struct Pipeline {
    pub sqs: aws_sdk_sqs::Client,
    pub ddb: aws_sdk_dynamodb::Client,
    pub queue_url: String,
    pub dlq_url: String,
    pub table: String,
}

pub async fn pipeline(max_receive: u32) -> Pipeline {
    pipeline_with(30, max_receive).await
}

/// A pipeline whose queue hides a received message for `visibility_secs`.
pub async fn pipeline_with(visibility_secs: u32, max_receive: u32) -> Pipeline {
    pipeline_of(visibility_secs, max_receive, false).await
}

/// A pipeline with FIFO queues, as `OrderedDelivery=true` deploys them.
pub async fn pipeline_fifo(visibility_secs: u32, max_receive: u32) -> Pipeline {
    pipeline_of(visibility_secs, max_receive, true).await
}

async fn pipeline_of(visibility_secs: u32, max_receive: u32, fifo: bool) -> Pipeline {
    let sdk = sdk().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let name = unique("hw");
    let suffix = if fifo { ".fifo" } else { "" };
    let (queue_url, dlq_url) = hookwell::local::create_queues(
        &sqs,
        &format!("{name}{suffix}"),
        &format!("{name}-dlq{suffix}"),
        &hookwell::local::QueueSettings {
            visibility_timeout_secs: visibility_secs,
            retention_secs: 3600,
            dlq_retention_secs: 3600,
            max_receive_count: max_receive,
            fifo,
        },
    )
    .await
    .expect("queues");
    hookwell::local::create_events_table(&ddb, &name)
        .await
        .expect("table");
    Pipeline {
        sqs,
        ddb,
        queue_url,
        dlq_url,
        table: name,
    }
}

impl Pipeline {
    /// Sends an envelope for (source, type, id) to the queue.
    pub async fn send_event(&self, source: &str, event_type: &str, event_id: &str, body: &str) {
        let env = hookwell::Envelope::new(
            source,
            event_type,
            event_id,
            time::OffsetDateTime::now_utc(),
            body.as_bytes(),
            Default::default(),
        );
        self.send_raw(&env.to_json()).await;
    }

    pub async fn send_raw(&self, body: &str) {
        self.sqs
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .expect("send");
    }

    /// Receives up to `n` visible messages (without deleting them), as the processor gets them.
    pub async fn receive(&self, n: i32) -> Vec<hookwell::queue::InboundMessage> {
        let mut out = Vec::new();
        for _ in 0..10 {
            let got = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages((n - out.len() as i32).clamp(1, 10))
                .message_attribute_names("All")
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await
                .expect("receive")
                .messages
                .unwrap_or_default();
            if got.is_empty() {
                break;
            }
            out.extend(got.iter().map(hookwell::queue::InboundMessage::from_sdk));
            if out.len() as i32 >= n {
                break;
            }
        }
        out
    }

    /// Deletes the messages the batch did not report as failed (what Lambda's event source
    /// mapping does with ReportBatchItemFailures).
    pub async fn ack(&self, batch: &[hookwell::queue::InboundMessage], failures: &[String]) {
        for m in batch {
            if failures.contains(&m.message_id) {
                continue;
            }
            if let Some(h) = &m.receipt_handle {
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(h)
                    .send()
                    .await
                    .expect("delete");
            }
        }
    }

    pub async fn record(
        &self,
        source: &str,
        event_id: &str,
    ) -> Option<hookwell::store::EventRecord> {
        let item = table_item(&self.ddb, &self.table, source, event_id).await?;
        hookwell::store::EventRecord::from_item(&item)
    }

    /// Everything in the DLQ back into the queue, with `hookwell replay`'s defaults.
    pub async fn replay_all(&self) -> hookwell::replay::ReplayReport {
        hookwell::replay::replay(
            &self.sqs,
            &self.dlq_url,
            &self.queue_url,
            &hookwell::replay::ReplayFilter::default(),
            &hookwell::replay::ReplayOptions::default(),
            |_| {},
        )
        .await
        .expect("replay")
    }

    pub async fn dlq_messages(&self) -> Vec<Message> {
        drain(&self.sqs, &self.dlq_url, 100).await
    }
}

/// The forward target used by the tests: `hookwell sink` on a free loopback port.
pub const SINK_SECRET: &str = "whsec_aG9va3dlbGwtdGVzdC1zaW5rLWtleQ==";

pub async fn start_sink() -> hookwell_cli::sink::Sink {
    hookwell_cli::sink::Sink::start(
        "127.0.0.1:0",
        "/hooks",
        Some(SINK_SECRET.to_owned()),
        200,
        |_| {},
    )
    .await
    .unwrap()
}

/// The dev sources with `routes` added (each a JSON route object).
pub fn sources_with_routes(routes: serde_json::Value) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(DEV_SOURCES).unwrap()).unwrap();
    v["routes"] = routes;
    v.to_string()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Counts every operation a DynamoDB or SQS client runs (once each, whatever its retries; all
/// of the event store's calls are writes).
#[derive(Debug, Clone, Default)]
pub struct CountRequests(pub std::sync::Arc<std::sync::atomic::AtomicUsize>);

// Every SDK crate re-exports the same `Intercept` (aws-smithy-runtime-api's): this one
// implementation counts for the DynamoDB and the SQS clients alike.
impl aws_sdk_dynamodb::config::Intercept for CountRequests {
    fn name(&self) -> &'static str {
        "CountRequests"
    }
    fn read_before_execution(
        &self,
        _: &aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef<'_>,
        _: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// A loopback TCP proxy in front of the emulator that can be cut: while down it accepts and
/// drops every connection, as an unreachable AWS endpoint looks to the SDK. State behind it
/// (queues, table) is kept, so recovery can be checked.
#[derive(Debug, Clone)]
pub struct FaultProxy {
    pub url: String,
    down: std::sync::Arc<tokio::sync::watch::Sender<bool>>,
    pub refused: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl FaultProxy {
    /// A TCP proxy to the emulator. While down it refuses new connections and cuts the open
    /// ones: the emulator keeps connections alive, and an outage must not spare a pooled one.
    pub async fn start() -> FaultProxy {
        let target = endpoint().trim_start_matches("http://").to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = FaultProxy {
            url: format!("http://{}", listener.local_addr().unwrap()),
            down: std::sync::Arc::new(tokio::sync::watch::channel(false).0),
            refused: Default::default(),
        };
        let p = proxy.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if *p.down.borrow() {
                    p.refused.fetch_add(1, Ordering::SeqCst);
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let mut down = p.down.subscribe();
                tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                            _ = down.wait_for(|d| *d) => {}
                        }
                    }
                });
            }
        });
        proxy
    }

    pub fn set_down(&self, down: bool) {
        self.down.send_replace(down);
    }

    /// SQS and DynamoDB clients that reach the emulator only through this proxy.
    pub async fn clients(&self) -> (aws_sdk_sqs::Client, aws_sdk_dynamodb::Client) {
        let sdk = sdk().await;
        let sqs = aws_sdk_sqs::config::Builder::from(&sdk)
            .endpoint_url(&self.url)
            .build();
        let ddb = aws_sdk_dynamodb::config::Builder::from(&sdk)
            .endpoint_url(&self.url)
            .build();
        (
            aws_sdk_sqs::Client::from_conf(sqs),
            aws_sdk_dynamodb::Client::from_conf(ddb),
        )
    }
}

/// A router that forwards every event to `sink` (the built-in `forward` handler).
pub fn forward_router(sink: &hookwell_cli::sink::Sink) -> hookwell::Router {
    let mut r = hookwell::Router::new();
    r.fallback(
        hookwell::handlers::Forward::new(
            &sink.url(),
            Secret::new(SINK_SECRET.to_owned()),
            Duration::from_secs(5),
        )
        .unwrap(),
    );
    r
}

/// A signed delivery of `source`'s first sample for ingest, as a front end hands it over.
/// The same `seed` gives the same event, byte for byte (a provider retry: rendered at a fixed
/// time, signed now); another seed, another event.
pub fn signed_request(source: &str, seed: u64) -> hookwell::IngestRequest {
    let sources = dev_sources();
    let at = time::OffsetDateTime::now_utc();
    let rendered = time::OffsetDateTime::from_unix_timestamp(1_764_046_800).expect("time");
    let (_, _, tpl, extra) = hookwell::samples::find(source, None).expect("sample");
    let body = hookwell::samples::render(tpl, rendered, seed);
    let mut headers = http::HeaderMap::new();
    let rendered = extra.iter().map(|(k, v)| {
        (
            (*k).to_owned(),
            hookwell::samples::render(v, rendered, seed),
        )
    });
    for (k, v) in rendered.chain(sign(&sources, source, body.as_bytes(), at.unix_timestamp())) {
        headers.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            http::HeaderValue::from_str(&v).unwrap(),
        );
    }
    hookwell::IngestRequest {
        method: http::Method::POST,
        path: format!("/webhooks/{source}"),
        query: None,
        headers,
        body: bytes::Bytes::from(body),
        source_ip: None,
    }
}

/// A bucket for bodies too large for a queue message, uniquely named, in the local AWS.
pub async fn create_bucket(sdk: &aws_config::SdkConfig) -> (aws_sdk_s3::Client, String) {
    let s3 = hookwell::aws::s3_client(sdk);
    let name = unique("bodies").to_ascii_lowercase();
    hookwell::local::create_body_bucket(&s3, &name)
        .await
        .expect("bucket");
    (s3, name)
}

/// A GitHub `push` body of at least `bytes` bytes, in the shape GitHub's webhook reference
/// documents (ref, before, after, repository, pusher, commits with id, tree_id, distinct,
/// message, timestamp, url, author, committer, added, removed, modified). GitHub puts at most
/// 2048 commits in one payload, so size comes from each commit's list of modified files.
pub fn github_push_of_size(bytes: usize) -> Vec<u8> {
    let path = "src/components/chat/message-list/virtualised-row-renderer.tsx";
    let push = |files: usize| {
        let modified: Vec<String> = (0..files).map(|i| format!("{path}.{i:04}")).collect();
        let commits: Vec<serde_json::Value> = (0..2048usize)
            .map(|i| {
                let id = format!("{:040x}", i + 1);
                serde_json::json!({
                    "id": id,
                    "tree_id": format!("{:040x}", i + 100_000),
                    "distinct": true,
                    "message": format!("Refactor the message list, part {i}"),
                    "timestamp": "2026-11-26T12:00:00Z",
                    "url": format!("https://github.com/octocat/Hello-World/commit/{id}"),
                    "author": {"name": "Monalisa Octocat", "email": "octocat@github.com", "username": "octocat"},
                    "committer": {"name": "Monalisa Octocat", "email": "octocat@github.com", "username": "octocat"},
                    "added": [],
                    "removed": [],
                    "modified": modified,
                })
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "ref": "refs/heads/main",
            "before": "0000000000000000000000000000000000000000",
            "after": format!("{:040x}", commits.len()),
            "repository": {"id": 1_296_269, "full_name": "octocat/Hello-World"},
            "pusher": {"name": "octocat", "email": "octocat@github.com"},
            "commits": commits,
        }))
        .expect("json")
    };
    // Each file name adds its quoted text and a comma to each of the 2048 commits.
    let base = push(0).len();
    let per_file = 2048 * (path.len() + ".0000".len() + 3);
    push(bytes.saturating_sub(base).div_ceil(per_file))
}

/// The events table's item for `source#event_id`, as stored (consistent read).
pub async fn table_item(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
    source: &str,
    event_id: &str,
) -> Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    ddb.get_item()
        .table_name(table)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("{source}#{event_id}")),
        )
        .consistent_read(true)
        .send()
        .await
        .expect("get item")
        .item
}
