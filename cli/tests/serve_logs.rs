//! `hookwell serve` writing into pipes, as under `make dev`, `make load` or `hookwell serve |
//! head -1`: its log lines are plain text, without the terminal's colour codes, and a closed
//! stdout (where the metric lines go) costs no delivery its answer.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn into_pipes_logs_are_plain_text_and_a_closed_stdout_loses_no_answer() {
    let sources = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/local/sources.json");
    // Nothing reaches the queue: a GET is refused before any AWS call. The endpoint is a closed
    // loopback port all the same, and the region and credentials are set so that nothing is
    // looked up elsewhere.
    let mut child = Command::new(env!("CARGO_BIN_EXE_hookwell"))
        .args(["serve", "--port", "0"])
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
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // The first stdout line names the bound address; bounded in case the server never starts.
    // Then the pipe is closed, as `head -1` closes it: the request's metric line meets it.
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(30));
    let addr = line
        .as_deref()
        .ok()
        .and_then(|l| l.split("http://").nth(1))
        .and_then(|rest| rest.split('/').next())
        .map(str::to_owned);
    let Some(addr) = addr else {
        let _ = child.kill();
        panic!("serve did not say where it listens: {line:?}");
    };

    let mut conn = TcpStream::connect(&addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    conn.write_all(
        b"GET /webhooks/github HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut answer = String::new();
    let read = conn.read_to_string(&mut answer);

    // The rejection is logged before it is answered: stderr holds the line by now.
    child.kill().unwrap();
    child.wait().unwrap();
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();

    assert!(
        answer.starts_with("HTTP/1.1 405"),
        "answer: {answer:?} ({read:?}), logs: {logs}"
    );
    assert!(logs.contains("delivery rejected"), "logs: {logs}");
    assert!(
        !logs.contains('\u{1b}'),
        "colour codes in a log that is not a terminal: {logs:?}"
    );
}
