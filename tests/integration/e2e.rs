//! End to end, the way a developer runs it: `infra/dev.sh` (what `make dev` runs) on its own
//! ports, signed deliveries posted to ingest over HTTP as `hookwell send` posts them,
//! duplicates and a tampered one, then the events table and a forward sink are checked.

use hookwell_cli::send;
use hookwell_tests::*;
use std::io::BufRead;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process in its own process group, its stdout lines echoed (prefixed with its tag)
/// and passed on through `lines`; stopped (SIGTERM to the group, bounded wait, then SIGKILL)
/// when dropped.
pub(crate) struct Group {
    child: Child,
    pub(crate) lines: std::sync::mpsc::Receiver<String>,
}

impl Group {
    pub(crate) fn spawn(cmd: &mut Command, tag: &'static str) -> Self {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("start {tag}: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                eprintln!("[{tag}] {line}");
                let _ = tx.send(line);
            }
        });
        Self { child, lines }
    }

    /// Waits (at most `within`) for a line that `wanted` accepts.
    pub(crate) fn wait_for_line(
        &self,
        within: Duration,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if wanted(&line) => return Ok(line),
                Ok(_) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    /// Waits (at most `within`) for the process to end: its exit status and every line it
    /// printed that was not taken yet. On time out the group is stopped.
    pub(crate) fn finish(
        mut self,
        within: Duration,
    ) -> Result<(std::process::ExitStatus, Vec<String>), String> {
        let deadline = Instant::now() + within;
        let status = loop {
            if let Some(s) = self.child.try_wait().map_err(|e| e.to_string())? {
                break s;
            }
            if Instant::now() >= deadline {
                self.stop();
                return Err(format!("still running after {within:?}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        // The reader ends at the pipe's end; bounded in case a grandchild holds it open.
        let mut lines = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            lines.push(line);
        }
        Ok((status, lines))
    }

    fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.child.id())])
            .status();
        // Bounded wait for the group's cleanup.
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The dev stack as a child process group; stopped (SIGTERM to the group) when dropped.
pub(crate) struct DevStack {
    group: Group,
    pub(crate) state: std::path::PathBuf,
}

impl Drop for DevStack {
    fn drop(&mut self) {
        self.group.stop();
        let _ = std::fs::remove_dir_all(&self.state);
    }
}

pub(crate) fn start_dev(
    moto_port: u16,
    lambda_port: u16,
    sources: &str,
    concurrency: u32,
) -> DevStack {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let state = std::env::temp_dir().join(unique("hookwell-e2e"));
    std::fs::create_dir_all(&state).unwrap();
    let sources_file = state.join("sources.json");
    std::fs::write(&sources_file, sources).unwrap();
    let group = Group::spawn(
        Command::new("bash")
            .arg(root.join("infra/dev.sh"))
            .current_dir(&root)
            .env("MOTO_PORT", moto_port.to_string())
            .env("LAMBDA_PORT", lambda_port.to_string())
            .env("LAMBDA_CONCURRENCY", concurrency.to_string())
            .env("HOOKWELL_DEV_SOURCES", &sources_file)
            .env("HOOKWELL_DEV_STATE", &state)
            // Bounded, and long enough for `make soak`.
            .env("HOOKWELL_DEV_MAX_SECS", "5400")
            // The stack runs its own emulator; the suite's must not leak into it.
            .env_remove("AWS_ENDPOINT_URL"),
        "dev",
    );
    let dev = DevStack { group, state };
    if let Err(e) = dev
        .group
        .wait_for_line(Duration::from_secs(900), |l| l.contains("ready in"))
    {
        panic!("dev stack did not become ready: {e}");
    }
    dev
}

/// The dev sources with two routes: Stripe's `invoice.paid` forwarded to `invoice_url` (a
/// path the sink does not have makes those events fail permanently, until the route is
/// fixed), everything else to the sink.
pub(crate) fn invoice_routes(sink: &hookwell_cli::sink::Sink, invoice_url: &str) -> String {
    sources_with_routes(serde_json::json!([
        {"sources": ["stripe"], "event_types": ["invoice.paid"], "handler": "forward",
         "url": invoice_url, "secret": SINK_SECRET, "timeout_ms": 5000},
        {"handler": "forward", "url": sink.url(), "secret": SINK_SECRET, "timeout_ms": 5000}
    ]))
}

/// The SDK configuration for a dev stack's own emulator, and the stack's resource names.
pub(crate) async fn stack_clients(
    moto_port: u16,
) -> (aws_config::SdkConfig, hookwell_cli::stack::Stack) {
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(format!("http://127.0.0.1:{moto_port}"))
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await;
    let stack = hookwell_cli::stack::Stack::from_template(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml"),
        hookwell_cli::stack::LOCAL_STACK_NAME,
    )
    .unwrap();
    (sdk, stack)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_pipeline_on_the_local_stack() {
    let sink = start_sink().await;
    // One route is misconfigured (a path the downstream does not have): its events fail
    // permanently until the configuration is fixed and they are replayed.
    let routes = |invoice_url: String| invoice_routes(&sink, &invoice_url);
    let config = routes(format!("{}/v2/hooks", sink.base));
    let (moto_port, lambda_port) = (free_port(), free_port());
    let dev = start_dev(moto_port, lambda_port, &config, 1);
    let sources = hookwell::Sources::from_json(&config).unwrap();
    let base = format!("http://127.0.0.1:{lambda_port}/lambda-url/ingest");
    let http = hookwell::handlers::client(Duration::from_secs(60)).unwrap();

    let cases = [
        ("bubble", "MESSAGE_CREATE"),
        ("groupgm", "message.received"),
        ("groupgm", "member.joined"),
        ("groupgm", "member.left"),
        ("groupgm", "file.uploaded"),
        ("sendbird", "group_channel:message_send"),
    ];
    let mut sent = Vec::new(); // (source, event_id, posted_at)
    let mut answers = Vec::new(); // every HTTP answer, checked for secrets at the end
    for (i, (source, event)) in cases.iter().enumerate() {
        let d = send::prepare(
            &sources,
            source,
            Some(event),
            None,
            &base,
            time::OffsetDateTime::now_utc(),
            9000 + i as u64,
        )
        .unwrap();
        // Every delivery three times, as a provider retrying would.
        let mut ids = Vec::new();
        let posted = Instant::now();
        for _ in 0..3 {
            let (status, text) = d.post(&http).await.unwrap();
            assert_eq!(status, 200, "{source} {event}: {text}");
            answers.push(text.clone());
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            ids.push(v["event_id"].as_str().unwrap().to_owned());
        }
        assert!(
            ids.iter().all(|x| *x == ids[0]),
            "a retry is the same event"
        );
        sent.push((*source, ids[0].clone(), posted));

        let mut tampered = send::prepare(
            &sources,
            source,
            Some(event),
            None,
            &base,
            time::OffsetDateTime::now_utc(),
            7000 + i as u64,
        )
        .unwrap();
        tampered.tamper();
        let (status, text) = tampered.post(&http).await.unwrap();
        assert_eq!(status, 401, "{source} tampered");
        answers.push(text);
    }
    // The documented bodies exactly as documented, and with each, three more distinct events
    // of that type stamped with the same second (ids, members differ): every one accepted
    // under its own id, none merged (issue #11).
    let second = time::OffsetDateTime::now_utc();
    for (k, (source, event, doc)) in hookwell::samples::DOCUMENTED.iter().enumerate() {
        let mut ids = std::collections::BTreeSet::new();
        for variant in 0..4u64 {
            let body = (variant == 0).then(|| doc.as_bytes().to_vec());
            let seed = 20_000 + 10 * k as u64 + variant;
            let d =
                send::prepare(&sources, source, Some(event), body, &base, second, seed).unwrap();
            let posted = Instant::now();
            let (status, text) = d.post(&http).await.unwrap();
            assert_eq!(status, 200, "{source} {event} #{variant}: {text}");
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            let id = v["event_id"].as_str().unwrap().to_owned();
            assert!(
                ids.insert(id.clone()),
                "{source} {event}: two events, one id"
            );
            sent.push((*source, id, posted));
            answers.push(text);
        }
    }
    // A source that cannot sign: its secret is the URL token (what a log must never show).
    let d = send::prepare(
        &sources,
        "bubble-token",
        None,
        None,
        &base,
        time::OffsetDateTime::now_utc(),
        9100,
    )
    .unwrap();
    let posted = Instant::now();
    let (status, text) = d.post(&http).await.unwrap();
    assert_eq!(status, 200, "bubble-token: {text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    sent.push((
        "bubble-token",
        v["event_id"].as_str().unwrap().to_owned(),
        posted,
    ));
    answers.push(text);
    let mut wrong_token = d.clone();
    wrong_token.url = wrong_token.url.replace("5f2c9a", "000000");
    let (status, text) = wrong_token.post(&http).await.unwrap();
    assert_eq!(status, 401, "bubble-token with a wrong token");
    answers.push(text);

    // Every distinct event COMPLETED once (bounded wait), its handler effect seen once.
    let (sdk, stack) = stack_clients(moto_port).await;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let mut latencies = completed_once_and_forwarded_once(&ddb, &stack, &sink, &sent).await;
    assert_eq!(
        sink.total(),
        sent.len(),
        "nothing else (no tampered delivery) was forwarded"
    );
    assert_eq!(sink.bad_signatures(), 0);
    walkthrough_fail_fix_replay(
        &sources,
        &base,
        &http,
        &sdk,
        &stack,
        &routes(sink.url()),
        &sink,
    )
    .await;
    // No configured secret in any answer or in any log line of the stack.
    let secrets = all_secrets(&config);
    for text in &answers {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "an HTTP answer contains a secret"
            );
        }
    }
    let logs = dev.state.join("logs");
    for name in ["functions.log", "poller.log", "moto.log"] {
        let text = std::fs::read_to_string(logs.join(name)).unwrap();
        assert!(text.lines().count() > 3, "{name} captured nothing");
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{name} contains a configured secret"
            );
        }
    }
    latencies.sort();
    eprintln!(
        "e2e: {} events, send -> COMPLETED (observed with 100 ms polling): median {:?}, max {:?}",
        latencies.len(),
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1]
    );
    drop(dev);
}

/// Waits (at most 120 s) until every `(source, event_id, posted)` is COMPLETED in one attempt,
/// then, after the poller has had a moment for duplicates left in the queue, checks each was
/// forwarded to `sink` exactly once. Returns each event's posted-to-seen-completed time.
pub(crate) async fn completed_once_and_forwarded_once(
    ddb: &aws_sdk_dynamodb::Client,
    stack: &hookwell_cli::stack::Stack,
    sink: &hookwell_cli::sink::Sink,
    sent: &[(&str, String, Instant)],
) -> Vec<Duration> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut latencies = Vec::new();
    let mut pending: Vec<_> = sent.to_vec();
    while !pending.is_empty() && Instant::now() < deadline {
        let mut still = Vec::new();
        for (source, id, posted) in pending {
            let item = table_item(ddb, &stack.table_name, source, &id).await;
            match item
                .as_ref()
                .and_then(hookwell::store::EventRecord::from_item)
            {
                Some(r) if r.status == "COMPLETED" => {
                    assert_eq!(r.attempts, 1, "{source} {id}: handled in one attempt");
                    latencies.push(posted.elapsed());
                }
                _ => still.push((source, id, posted)),
            }
        }
        pending = still;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(pending.is_empty(), "not completed: {pending:?}");
    // Duplicates left in the queue are consumed without effect; give the poller a moment.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for (source, id, _) in sent {
        assert_eq!(sink.count(id), 1, "{source} {id}: forwarded exactly once");
    }
    latencies
}

/// The README's operator walkthrough: an event fails permanently, shows as FAILED and in the
/// DLQ, the configuration is fixed, the event is replayed by id and completes.
async fn walkthrough_fail_fix_replay(
    sources: &hookwell::Sources,
    base: &str,
    http: &reqwest::Client,
    sdk: &aws_config::SdkConfig,
    stack: &hookwell_cli::stack::Stack,
    fixed_config: &str,
    sink: &hookwell_cli::sink::Sink,
) {
    let ddb = aws_sdk_dynamodb::Client::new(sdk);
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let d = send::prepare(
        sources,
        "stripe",
        Some("invoice.paid"),
        None,
        base,
        time::OffsetDateTime::now_utc(),
        4242,
    )
    .unwrap();
    let (status, text) = d.post(http).await.unwrap();
    assert_eq!(status, 200, "{text}");
    let id = serde_json::from_str::<serde_json::Value>(&text).unwrap()["event_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let record = |ddb: aws_sdk_dynamodb::Client, id: String| async move {
        let item = ddb
            .get_item()
            .table_name(&stack.table_name)
            .key(
                "pk",
                aws_sdk_dynamodb::types::AttributeValue::S(format!("stripe#{id}")),
            )
            .send()
            .await
            .unwrap()
            .item;
        item.as_ref()
            .and_then(hookwell::store::EventRecord::from_item)
    };
    let mut failed = None;
    for _ in 0..200 {
        if let Some(r) = record(ddb.clone(), id.clone())
            .await
            .filter(|r| r.status == "FAILED")
        {
            failed = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let failed = failed.expect("the misrouted event is recorded FAILED");
    assert_eq!(failed.failure.as_deref(), Some("permanent"));
    assert_eq!(
        failed.last_error.as_deref(),
        Some("downstream answered 404")
    );

    // `hookwell events --status FAILED` shows it.
    let rows = hookwell_cli::events::list(
        &ddb,
        &stack.table_name,
        &hookwell_cli::events::Filter {
            status: Some("FAILED".into()),
            limit: 50,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(rows.iter().any(|r| r.event_id == id));

    let dlq_url = sqs
        .get_queue_url()
        .queue_name(&stack.dlq_name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_url = sqs
        .get_queue_url()
        .queue_name(&stack.queue_name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let by_id = hookwell::replay::ReplayFilter {
        event_id: Some(id.clone()),
        ..Default::default()
    };
    // `hookwell replay --dry-run` lists it and moves nothing.
    let dry = hookwell::replay::replay(
        &sqs,
        &dlq_url,
        &queue_url,
        &by_id,
        &hookwell::replay::ReplayOptions {
            dry_run: true,
            ..Default::default()
        },
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(dry.matched.len(), 1);
    assert_eq!(dry.matched[0].reason, "downstream answered 404");
    assert_eq!(dry.moved, 0);

    // Fix the route (`hookwell local push-config`), then replay by id.
    hookwell_cli::local::put_secret(
        &aws_sdk_secretsmanager::Client::new(sdk),
        &stack.secret_name,
        fixed_config,
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await; // > HOOKWELL_CONFIG_REFRESH_SECS (2)
    let done = hookwell::replay::replay(
        &sqs,
        &dlq_url,
        &queue_url,
        &by_id,
        &hookwell::replay::ReplayOptions::default(),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(done.moved, 1);

    let mut completed = false;
    for _ in 0..300 {
        if record(ddb.clone(), id.clone())
            .await
            .is_some_and(|r| r.status == "COMPLETED")
        {
            completed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(completed, "replayed event completed");
    assert_eq!(sink.count(&id), 1, "delivered once, after the fix");
}
