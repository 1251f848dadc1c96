//! `hookwell console` in a real browser (issue #13, item 4): the local stack (`infra/dev.sh`,
//! as `make dev` runs it) receives a few signed events, one of them misrouted so that it fails
//! for good and lands in the DLQ; the route is fixed; then `hookwell console` runs against the
//! stack and Debian's Chromium, driven by playwright-core (`tests/browser/console.mjs`), loads
//! the history, filters it, opens events (a payload shown pretty, a hostile one shown inert),
//! replays the dead letter and re-delivers a completed event through their confirmation steps,
//! sends a test event, and is refused a cross-site POST. This test then checks the outcome in
//! the events table and at the downstream, and that POSTs without the console's Origin or
//! token, or to another Host, are answered 403 and change nothing.
//!
//! The browser's screenshots go to `target/console-screenshots/`; with `HOOKWELL_REGENERATE=1`
//! to `docs/` (the README's pictures).

use crate::clients::queue_url;
use crate::e2e::{invoice_routes, stack_clients, start_dev, Group};
use hookwell_cli::send;
use hookwell_tests::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Bound on the browser script (it stops itself at 240 s).
const BROWSER_SECS: u64 = 300;
/// Page refresh period the console is started with (seconds).
const REFRESH_SECS: u64 = 2;
const HOSTILE: &str = r#"{"type":"MESSAGE_CREATE","data":{"id":777,"content":"<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">"}}"#;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Starts the console on a free loopback port against the dev stack whose state is in
/// `state` (its `stack.env`), with "send test" posting to `ingest`; its base URL.
fn start_console(state: &Path, ingest: &str) -> (Group, String) {
    let port = free_port();
    let console = Group::spawn(
        Command::new(root().join("target/debug/hookwell"))
            .args(["console", "--port", &port.to_string()])
            .args(["--refresh", &REFRESH_SECS.to_string(), "--url", ingest])
            .arg("--config")
            .arg(state.join("sources.json"))
            .current_dir(root())
            .env("HOOKWELL_STACK_ENV", state.join("stack.env"))
            // The stack's own emulator, not the suite's; nothing else from the environment.
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("HOOKWELL_TABLE")
            .env_remove("HOOKWELL_QUEUE_URL")
            .env_remove("HOOKWELL_DLQ_URL")
            .env_remove("HOOKWELL_URL")
            .stdin(Stdio::null()),
        "console",
    );
    let base = format!("http://127.0.0.1:{port}");
    if let Err(e) = console.wait_for_line(Duration::from_secs(30), |l| {
        l.starts_with(&format!("hookwell console: {base}/"))
    }) {
        panic!("the console did not start: {e}");
    }
    (console, base)
}

/// Runs the browser script with `spec`; its JSON lines.
fn run_browser(spec: &serde_json::Value) -> Vec<serde_json::Value> {
    let dir = root().join("tests/browser");
    assert!(
        dir.join("node_modules/playwright-core/package.json").is_file(),
        "playwright-core is not installed in tests/browser: run `make browser` (a step of `make test`)"
    );
    let chromium =
        std::env::var("HOOKWELL_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        Path::new(&chromium).is_file(),
        "{chromium} is missing: run `make browser` (infra/browser.sh installs Debian's chromium; it needs root)"
    );
    let node = Group::spawn(
        Command::new("node")
            .arg("console.mjs")
            .arg(spec.to_string())
            .current_dir(&dir)
            .stdin(Stdio::null()),
        "browser",
    );
    let (status, lines) = node
        .finish(Duration::from_secs(BROWSER_SECS))
        .unwrap_or_else(|e| panic!("the browser script: {e}"));
    assert!(
        status.success(),
        "the browser script failed ({status}); see the [browser] lines and its failure.png"
    );
    lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

async fn record(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
    source: &str,
    id: &str,
) -> Option<hookwell::store::EventRecord> {
    hookwell::DynamoDbEventStore::new(ddb.clone(), table)
        .get(source, id)
        .await
        .unwrap()
}

/// Waits (bounded) until every event's record passes `done`.
async fn wait_for(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
    events: &[(&str, String)],
    done: impl Fn(&str, &hookwell::store::EventRecord) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let mut pending = Vec::new();
        for (source, id) in events {
            match record(ddb, table, source, id).await {
                Some(r) if done(id, &r) => {}
                other => pending.push((source, id, other.map(|r| r.status))),
            }
        }
        if pending.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "not there in time: {pending:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_a_real_browser() {
    let started = Instant::now();
    let sink = start_sink().await;
    // Stripe's invoices are misrouted (a path the downstream does not have): such an event
    // fails permanently and is dead-lettered, until the route is fixed and it is replayed.
    let routes = |invoice_url: String| invoice_routes(&sink, &invoice_url);
    let config = routes(format!("{}/v2/hooks", sink.base));
    let (moto_port, lambda_port) = (free_port(), free_port());
    let dev = start_dev(moto_port, lambda_port, &config, 1);
    let stack_up = started.elapsed();
    let sources = hookwell::Sources::from_json(&config).unwrap();
    let ingest = format!("http://127.0.0.1:{lambda_port}/lambda-url/ingest");
    let http = hookwell::handlers::client(Duration::from_secs(60)).unwrap();

    let post = |source: &'static str, event: &str, body: Option<&str>, seed: u64| {
        let d = send::prepare(
            &sources,
            source,
            Some(event),
            body.map(|b| b.as_bytes().to_vec()),
            &ingest,
            time::OffsetDateTime::now_utc(),
            seed,
        )
        .unwrap();
        let http = http.clone();
        async move {
            let (status, text) = d.post(&http).await.unwrap();
            assert_eq!(status, 200, "{source} {text}");
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            (source, v["event_id"].as_str().unwrap().to_owned())
        }
    };
    let bubble = post("bubble", "MESSAGE_CREATE", None, 31).await;
    let pretty = post("groupgm", "message.received", None, 32).await;
    let github = post("github", "push", None, 33).await;
    let sendbird = post("sendbird", "group_channel:message_send", None, 34).await;
    let hostile = post("bubble", "MESSAGE_CREATE", Some(HOSTILE), 35).await;
    let dead = post("stripe", "invoice.paid", None, 36).await;
    let fine = [
        bubble.clone(),
        pretty.clone(),
        github.clone(),
        sendbird.clone(),
        hostile.clone(),
    ];

    let (sdk, stack) = stack_clients(moto_port).await;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let table = stack.table_name.clone();
    wait_for(&ddb, &table, &fine, |_, r| r.status == "COMPLETED").await;
    wait_for(&ddb, &table, std::slice::from_ref(&dead), |_, r| {
        r.status == "FAILED" && r.failure.as_deref() == Some("permanent")
    })
    .await;
    let dlq_url = queue_url(&sqs, &stack.dlq_name).await;
    let mut depth = 0;
    for _ in 0..100 {
        let (visible, in_flight) = queue_depth(&sqs, &dlq_url).await;
        depth = visible.saturating_add(in_flight);
        if depth >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(depth, 1, "the misrouted event is dead-lettered");

    // Fix the route (`hookwell local push-config`); the functions reload it within 2 s.
    hookwell_cli::local::put_secret(
        &aws_sdk_secretsmanager::Client::new(&sdk),
        &stack.secret_name,
        &routes(sink.url()),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;

    let (console, console_base) = start_console(&dev.state, &ingest);
    let shots = if std::env::var_os("HOOKWELL_REGENERATE").is_some() {
        root().join("docs")
    } else {
        root().join("target/console-screenshots")
    };
    std::fs::create_dir_all(&shots).unwrap();
    let key = |e: &(&str, String)| serde_json::json!({"source": e.0, "id": e.1});
    let spec = serde_json::json!({
        "base": console_base,
        "shots": shots,
        "refreshMs": REFRESH_SECS * 1000,
        "events": fine.iter().chain([&dead]).map(key).collect::<Vec<_>>(),
        "hostile": key(&hostile),
        "pretty": {"source": pretty.0, "id": pretty.1, "text": "大家早安"},
        "dead": key(&dead),
        "redeliver": key(&github),
        "send": "sendbird/group_channel:message_send",
    });
    let browser_started = Instant::now();
    let lines = tokio::task::spawn_blocking(move || run_browser(&spec))
        .await
        .unwrap();
    let browser_took = browser_started.elapsed();
    let last = lines.last().unwrap();
    assert_eq!(last["ok"], true, "{lines:?}");

    // The outcome in the events table and at the downstream.
    let r = record(&ddb, &table, dead.0, &dead.1).await.unwrap();
    assert_eq!(
        r.status, "COMPLETED",
        "the replayed event completed after the fix"
    );
    assert_eq!(sink.count(&dead.1), 1, "delivered once, after the fix");
    assert_eq!(
        queue_depth(&sqs, &dlq_url).await,
        (0, 0),
        "the DLQ is empty"
    );
    let r = record(&ddb, &table, github.0, &github.1).await.unwrap();
    assert_eq!((r.status.as_str(), r.redeliveries), ("COMPLETED", 1));
    assert!(r.redelivered_at.is_some());
    assert_eq!(
        sink.count(&github.1),
        2,
        "re-delivered: handlers ran again, once"
    );
    let sent = &last["sent"];
    assert_eq!(sent["source"], "sendbird");
    let sent_id = sent["id"].as_str().unwrap();
    let r = record(&ddb, &table, "sendbird", sent_id).await.unwrap();
    assert_eq!(r.status, "COMPLETED");
    assert_eq!(sink.count(sent_id), 1);
    // The hostile payload was kept as sent.
    let r = record(&ddb, &table, hostile.0, &hostile.1).await.unwrap();
    assert_eq!(r.payload.as_deref(), Some(HOSTILE.as_bytes()));

    // Cross-site requests, from outside a browser: refused 403, nothing done.
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let confirm = raw
        .get(format!(
            "{}/confirm/redeliver?source={}&id={}",
            console_base, github.0, github.1
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = confirm
        .split("name=\"token\" value=\"")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .unwrap()
        .to_owned();
    assert_eq!(token.len(), 64);
    let form = |token: &str| format!("token={token}&source={}&id={}", github.0, github.1);
    let cases: [(Option<&str>, Option<&str>, String, &str); 5] = [
        (None, None, form(&token), "no Origin"),
        (
            Some("http://evil.example"),
            None,
            form(&token),
            "another Origin",
        ),
        (
            Some(&console_base),
            None,
            format!("source={}&id={}", github.0, github.1),
            "no token",
        ),
        (
            Some(&console_base),
            None,
            form(&"0".repeat(64)),
            "a wrong token",
        ),
        (
            Some("http://evil.example"),
            Some("evil.example"),
            form(&token),
            "another Host (DNS rebinding)",
        ),
    ];
    for (origin, host, body, why) in cases {
        let mut req = raw
            .post(format!("{}/actions/redeliver", console_base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        if let Some(h) = host {
            req = req.header("host", h);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 403, "{why}");
        assert_eq!(
            resp.headers()["x-content-type-options"],
            "nosniff",
            "{why}: security headers on a refusal too"
        );
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let r = record(&ddb, &table, github.0, &github.1).await.unwrap();
    assert_eq!(
        r.redeliveries, 1,
        "no refused request re-delivered anything"
    );
    assert_eq!(sink.count(&github.1), 2);

    for name in ["console-history.png", "console-event.png"] {
        let png = std::fs::read(shots.join(name)).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{name}");
    }
    drop(console);
    drop(dev);
    eprintln!(
        "console: stack up in {:.0?}, browser script {:.1?}, whole test {:.0?}",
        stack_up,
        browser_took,
        started.elapsed()
    );
}
