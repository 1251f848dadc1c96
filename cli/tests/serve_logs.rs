//! `hookwell serve` writing into pipes, as under `make dev`, `make load` or `hookwell serve |
//! head -1`: its log lines are plain text, without the terminal's colour codes, a closed
//! stdout (where the metric lines go) costs no delivery its answer, and
//! `HOOKWELL_LOG_FORMAT=json` gives Lambda's JSON lines on stdout.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

/// `hookwell serve` on a free port with its stdout and stderr piped, `log_format` in
/// `HOOKWELL_LOG_FORMAT` (unset when `None`). Nothing reaches the queue in these tests (a GET
/// is refused before any AWS call); the endpoint is a closed loopback port all the same, and
/// the region and credentials are set so that nothing is looked up elsewhere.
fn serve(log_format: Option<&str>) -> Child {
    let sources = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/local/sources.json");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hookwell"));
    cmd.args(["serve", "--port", "0"])
        .env("HOOKWELL_QUEUE_URL", "http://127.0.0.1:9/000000000000/q")
        .env("HOOKWELL_SOURCES_FILE", sources)
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("RUST_LOG", "info")
        .env_remove("NO_COLOR")
        .env_remove("HOOKWELL_LOG_FORMAT")
        .env_remove("AWS_LAMBDA_FUNCTION_NAME")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(f) = log_format {
        cmd.env("HOOKWELL_LOG_FORMAT", f);
    }
    cmd.spawn().unwrap()
}

/// Stdout's lines as they come, read on a thread; with `close_after_first`, the pipe is closed
/// after the first line, as `head -1` closes it.
fn stdout_lines(child: &mut Child, close_after_first: bool) -> Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            if tx.send(std::mem::take(&mut line)).is_err() || close_after_first {
                break;
            }
        }
    });
    rx
}

/// The address from serve's first stdout line (bounded in case it never starts).
fn bound_address(child: &mut Child, lines: &Receiver<String>) -> String {
    let line = lines.recv_timeout(Duration::from_secs(30));
    let addr = line
        .as_deref()
        .ok()
        .and_then(|l| l.split("http://").nth(1))
        .and_then(|rest| rest.split('/').next())
        .map(str::to_owned);
    addr.unwrap_or_else(|| {
        let _ = child.kill();
        panic!("serve did not say where it listens: {line:?}")
    })
}

/// A GET to the GitHub source, which answers 405 and logs `delivery rejected` before it
/// answers; the whole answer.
fn get_github(addr: &str) -> String {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    conn.write_all(
        b"GET /webhooks/github HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut answer = String::new();
    let read = conn.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 405"),
        "answer: {answer:?} ({read:?})"
    );
    answer
}

/// Stops the server and returns all it wrote to stderr.
fn stop(mut child: Child) -> String {
    child.kill().unwrap();
    child.wait().unwrap();
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    logs
}

#[test]
fn into_pipes_logs_are_plain_text_and_a_closed_stdout_loses_no_answer() {
    let mut child = serve(None);
    // The request's metric line meets the closed pipe.
    let lines = stdout_lines(&mut child, true);
    let addr = bound_address(&mut child, &lines);
    get_github(&addr);
    // The rejection is logged before it is answered: stderr holds the line by now.
    let logs = stop(child);
    assert!(logs.contains("delivery rejected"), "logs: {logs}");
    assert!(
        !logs.contains('\u{1b}'),
        "colour codes in a log that is not a terminal: {logs:?}"
    );
}

#[test]
fn json_log_format_writes_lambdas_json_lines_to_stdout() {
    let mut child = serve(Some("json"));
    let lines = stdout_lines(&mut child, false);
    let addr = bound_address(&mut child, &lines);
    get_github(&addr);
    // Logged and metered before the answer; the reader thread passes them on (bounded).
    let mut rejected = None;
    for _ in 0..10 {
        let Ok(line) = lines.recv_timeout(Duration::from_secs(10)) else {
            break;
        };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if v["fields"]["message"] == "delivery rejected" {
            rejected = Some(v);
            break;
        }
    }
    let logs = stop(child);
    let v = rejected.unwrap_or_else(|| panic!("no JSON `delivery rejected` line; stderr: {logs}"));
    assert_eq!(v["level"], "WARN");
    assert_eq!(v["fields"]["source"], "github");
    assert_eq!(v["fields"]["code"], "method_not_allowed");
    assert!(!logs.contains("delivery rejected"), "stderr: {logs}");
}
