//! The overview note's senders as clients (issue #14): the real `axios` (npm) and `requests`
//! (PyPI), called as the note writes them (`axios.post(url, payload)`,
//! `requests.post(url, json=payload)`, unsigned JSON: `infra/clients/`), post its GitHub-like
//! push to a URL-token source of the local stack, and each event completes. A wrong token is
//! refused 401 and never enqueued.

use crate::e2e::{stack_clients, start_dev};
use hookwell_tests::*;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The dev source for unsigned senders: `url_token`, no identity preset (SHA-256 of the body).
const SOURCE: &str = "generic-token";
/// Bound on one client run (process start, one POST, its answer).
const CLIENT_SECS: u64 = 30;

/// A sender: its name, the program and the script (arguments: URL, author name, message).
struct Client {
    name: &'static str,
    program: PathBuf,
    script: PathBuf,
}

/// Both clients, as `make test` installs them (`make clients`, `make venv`).
fn clients() -> [Client; 2] {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = root.join("infra/clients");
    assert!(
        dir.join("node_modules/axios/package.json").is_file(),
        "axios is not installed in infra/clients: run `make clients` (a step of `make test`)"
    );
    [
        Client {
            name: "axios",
            program: "node".into(),
            script: dir.join("axios-post.js"),
        },
        Client {
            name: "requests",
            program: root.join(".venv/bin/python"),
            script: dir.join("requests_post.py"),
        },
    ]
}

impl Client {
    /// Posts the push payload to `url` (one child process, at most CLIENT_SECS): the answer's
    /// status and JSON body, as the client saw them.
    async fn post(&self, url: &str, message: &str) -> (u16, serde_json::Value) {
        let mut cmd = Command::new(&self.program);
        cmd.arg(&self.script)
            .args([url, "Mona Lisa Octocat", message])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let name = self.name;
        tokio::task::spawn_blocking(move || {
            let mut child = cmd
                .spawn()
                .unwrap_or_else(|e| panic!("{name}: cannot start the client: {e}"));
            let deadline = Instant::now() + Duration::from_secs(CLIENT_SECS);
            let status = loop {
                if let Some(status) = child.try_wait().unwrap() {
                    break status;
                }
                if Instant::now() >= deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("{name}: no answer within {CLIENT_SECS} s");
                }
                std::thread::sleep(Duration::from_millis(20));
            };
            let mut out = String::new();
            child
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            assert!(status.success(), "{name}: {status}");
            let v: serde_json::Value = serde_json::from_str(out.trim())
                .unwrap_or_else(|e| panic!("{name} printed {out:?}: {e}"));
            let code = u16::try_from(v["status"].as_u64().unwrap()).unwrap();
            (code, v["body"].clone())
        })
        .await
        .unwrap()
    }
}

/// A queue's URL, by name.
pub(crate) async fn queue_url(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    let out = sqs.get_queue_url().queue_name(name).send().await.unwrap();
    out.queue_url.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_senders_post_to_a_url_token_source() {
    let started = Instant::now();
    let clients = clients();
    let sink = start_sink().await;
    let config = sources_with_routes(serde_json::json!([
        {"handler": "forward", "url": sink.url(), "secret": SINK_SECRET, "timeout_ms": 5000}
    ]));
    let sources = hookwell::Sources::from_json(&config).unwrap();
    let token = sources.get(SOURCE).unwrap().secrets()[0]
        .expose()
        .to_owned();
    let (moto_port, lambda_port) = (free_port(), free_port());
    let dev = start_dev(moto_port, lambda_port, &config, 1);
    let ingest = format!("http://127.0.0.1:{lambda_port}/lambda-url/ingest/webhooks/{SOURCE}");
    // The token in the path for one client, in `?token=` for the other: the README's two forms.
    let url = |token: &str, i: usize| match i {
        0 => format!("{ingest}/{token}"),
        _ => format!("{ingest}?token={token}"),
    };

    // A wrong token (same length, last character changed) first: refused, never enqueued.
    let wrong = format!("{}x", &token[..token.len() - 1]);
    assert_ne!(wrong, token);
    for (i, c) in clients.iter().enumerate() {
        let (status, body) = c.post(&url(&wrong, i), "pushed with a guessed token").await;
        assert_eq!(status, 401, "{}, wrong token: {body}", c.name);
        assert_eq!(body["error"], "invalid_signature", "{}: {body}", c.name);
    }

    let mut accepted = Vec::new(); // (client, event_id)
    for (i, c) in clients.iter().enumerate() {
        let message = format!("Fix the build (sent with {})", c.name);
        let (status, body) = c.post(&url(&token, i), &message).await;
        assert_eq!(status, 200, "{}: {body}", c.name);
        assert_eq!(body["status"], "accepted", "{}: {body}", c.name);
        accepted.push((c.name, body["event_id"].as_str().unwrap().to_owned()));
    }
    assert_ne!(accepted[0].1, accepted[1].1, "two pushes, two events");

    // Each event COMPLETED (bounded wait), and the source has no other event.
    let (sdk, stack) = stack_clients(moto_port).await;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let filter = hookwell_cli::events::Filter {
        source: Some(SOURCE.into()),
        limit: 50,
        ..Default::default()
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    let records = loop {
        let rows = hookwell_cli::events::list(&ddb, &stack.table_name, &filter)
            .await
            .unwrap();
        let done = accepted.iter().all(|(_, id)| {
            rows.iter()
                .any(|r| r.event_id == *id && r.status == "COMPLETED")
        });
        if done || Instant::now() >= deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    for (client, id) in &accepted {
        let r = records.iter().find(|r| r.event_id == *id);
        let r = r.unwrap_or_else(|| panic!("{client}: event {id} not recorded"));
        assert_eq!(r.status, "COMPLETED", "{client}: {r:?}");
        assert_eq!(r.attempts, 1, "{client}: {r:?}");
        assert_eq!(
            r.event_type, "webhook",
            "no type in the payload: the default"
        );
    }
    assert_eq!(
        records.len(),
        accepted.len(),
        "only the accepted pushes were enqueued: {records:?}"
    );

    // Nothing left behind: the queue drains (bounded), the DLQ stays empty, the handler ran
    // once per event.
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let (queue, dlq) = (
        queue_url(&sqs, &stack.queue_name).await,
        queue_url(&sqs, &stack.dlq_name).await,
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while queue_depth(&sqs, &queue).await != (0, 0) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(queue_depth(&sqs, &queue).await, (0, 0), "queue drained");
    assert_eq!(
        queue_depth(&sqs, &dlq).await,
        (0, 0),
        "nothing dead-lettered"
    );
    for (client, id) in &accepted {
        assert_eq!(sink.count(id), 1, "{client}: forwarded once");
    }
    assert_eq!(sink.total(), accepted.len());

    // The token travels in the URL; no log line of the stack shows it.
    for name in ["functions.log", "poller.log"] {
        let text = std::fs::read_to_string(dev.state.join("logs").join(name)).unwrap();
        assert!(!text.contains(&token), "{name} shows the URL token");
    }
    eprintln!(
        "clients: axios and requests through the local stack in {:?}",
        started.elapsed()
    );
    drop(dev);
}
