//! `make coldstart`: time from process start to the first answered invocation, for both
//! release bootstraps, under cargo-lambda's runtime API (`cargo lambda watch
//! --only-lambda-apis`, started once: its own start is not counted). Each repetition starts a
//! fresh process with the function's real environment (sources from the Secrets Manager
//! secret, the queue and table of `template.yaml` in moto) and invokes it with a real event:
//! a signed GitHub delivery for ingest, a fresh envelope for the processor. The second
//! invocation of the same process is timed too (warm). A hello-world `lambda_runtime`
//! function (`functions/hello`, same release profile) is started the same way in the same run,
//! and each function's cold start is also reported as a ratio to it: absolute times move with
//! the machine, the ratio much less. Run under infra/moto.sh.
//!
//! The local AWS is moto, a Python server: each of its answers takes milliseconds that AWS's
//! own do not, so the run also measures how much of each cold start is moto's answering time
//! and reports the rest, the process's own work, as a ratio too. Moto's share is (1) the
//! function's init calls (the same requests, at the same time), sent as raw HTTP over
//! kept-alive connections from this process, median of as many repetitions, plus (2) the
//! first event's calls, taken as the function's warm invocation minus the hello world's
//! (both include the runtime API round trip; what remains is the handler, almost all of it
//! moto's answers).
//! Knobs: COLDSTART_REPS (default 20); COLDSTART_BIN_DIR (default target/release), to time
//! another build's binaries in the same way (e.g. alternating before/after).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::panic,
    clippy::indexing_slicing
)]

use hookwell_tests::*;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn ingest_event(seed: u64) -> String {
    let req = signed_request("github", seed);
    let headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    lambda_event(
        "apigw-v2-request.json",
        "POST",
        &req.path,
        &headers,
        &req.body,
    )
}

fn processor_event(seed: u64, queue_arn: &str) -> String {
    let env = hookwell::Envelope::new(
        "github",
        "push",
        &format!("coldstart-{seed}"),
        time::OffsetDateTime::now_utc(),
        b"{}",
        Default::default(),
    );
    serde_json::json!({"Records": [{
        "messageId": format!("m-{seed}"),
        "receiptHandle": format!("rh-{seed}"),
        "body": env.to_json(),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "0",
                       "SenderId": "local", "ApproximateFirstReceiveTimestamp": "0"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1"
    }]})
    .to_string()
}

/// One AWS JSON-protocol call on a kept-alive connection, as raw HTTP/1.1: moto checks no
/// signature, so a well-formed request with a placeholder `Authorization` is answered like the
/// SDK's. Timed this way, a call costs moto's answer and a loopback round trip, and nothing of
/// this (unoptimised) harness's own SDK stack.
struct RawCall {
    conn: std::net::TcpStream,
    request: Vec<u8>,
}

impl RawCall {
    fn new(endpoint: &str, service: &str, target: &str, json: &str, body: String) -> Self {
        let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
        let conn = std::net::TcpStream::connect(host).unwrap();
        conn.set_nodelay(true).unwrap();
        let request = format!(
            "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-amz-json-{json}\r\n\
             X-Amz-Target: {target}\r\nX-Amz-Date: 20260101T000000Z\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        Self {
            conn,
            request: request.into_bytes(),
        }
    }

    /// Sends the request and reads the whole answer; panics unless it is a 200.
    fn call(&mut self) {
        use std::io::{Read, Write};
        self.conn.write_all(&self.request).unwrap();
        let mut buf = Vec::with_capacity(4096);
        let mut chunk = [0u8; 4096];
        loop {
            let n = self.conn.read(&mut chunk).unwrap();
            assert!(n > 0, "moto closed the connection");
            buf.extend_from_slice(&chunk[..n]);
            let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            assert!(head.starts_with("http/1.1 200"), "moto answered: {head}");
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().unwrap())
                .expect("a Content-Length");
            if buf.len() >= end + 4 + len {
                return;
            }
        }
    }
}

/// Runs the calls at the same time (one thread each, as the functions' `join!` does), and
/// returns the time until the last answer, in ms.
fn concurrently(calls: &mut [RawCall]) -> f64 {
    let t = Instant::now();
    std::thread::scope(|s| {
        for c in calls.iter_mut() {
            s.spawn(move || c.call());
        }
    });
    t.elapsed().as_secs_f64() * 1000.0
}

/// Median time moto takes to answer each function's init calls (those its `main` makes, at
/// the same time as it makes them), over kept-alive connections.
fn moto_init_times(
    endpoint: &str,
    get: &dyn Fn(&str) -> Option<String>,
    reps: usize,
) -> std::collections::BTreeMap<&'static str, f64> {
    let var = |name: &str| get(name).unwrap();
    let j = |v: String| serde_json::Value::String(v).to_string();
    let secret = || {
        let body = format!(
            "{{\"SecretId\":{}}}",
            j(var(hookwell::settings::var::SOURCES_SECRET_ID))
        );
        RawCall::new(
            endpoint,
            "secretsmanager",
            "secretsmanager.GetSecretValue",
            "1.1",
            body,
        )
    };
    let queue = || {
        let body = format!(
            "{{\"QueueUrl\":{},\"AttributeNames\":[\"QueueArn\"]}}",
            j(var(hookwell::settings::var::QUEUE_URL))
        );
        RawCall::new(endpoint, "sqs", "AmazonSQS.GetQueueAttributes", "1.0", body)
    };
    let table = || {
        let body = format!(
            "{{\"TableName\":{},\"Key\":{{\"pk\":{{\"S\":\"hookwell#warm-up\"}}}},\"ProjectionExpression\":\"pk\"}}",
            j(var(hookwell::settings::var::TABLE))
        );
        RawCall::new(
            endpoint,
            "dynamodb",
            "DynamoDB_20120810.GetItem",
            "1.0",
            body,
        )
    };
    let mut ingest = [secret(), queue()];
    let mut processor = [secret(), table(), queue()];
    let mut floor = [queue()];
    let (mut i, mut p, mut f) = (Vec::new(), Vec::new(), Vec::new());
    for rep in 0..=reps {
        let (ti, tp, tf) = (
            concurrently(&mut ingest),
            concurrently(&mut processor),
            concurrently(&mut floor),
        );
        // The first round is moto's own first sight of each call: not counted.
        if rep > 0 {
            i.push(ti);
            p.push(tp);
            f.push(tf);
        }
    }
    let (i, p, f) = (median(&mut i), median(&mut p), median(&mut f));
    eprintln!(
        "moto: the init calls, answered over kept-alive connections, median: ingest {i:.2} ms, processor {p:.2} ms, ingest-floor {f:.2} ms"
    );
    [("ingest", i), ("processor", p), ("ingest-floor", f)]
        .into_iter()
        .collect()
}

#[tokio::main]
async fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let reps: usize = std::env::var("COLDSTART_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
        .clamp(1, 200);
    let endpoint = endpoint();
    let stack = hookwell_cli::stack::Stack::from_template(
        &root.join("template.yaml"),
        hookwell_cli::stack::LOCAL_STACK_NAME,
    )
    .unwrap();
    let sdk = sdk().await;
    let sources = std::fs::read_to_string(DEV_SOURCES).unwrap();
    let ls = hookwell_cli::local::up(&sdk, &stack, &sources)
        .await
        .unwrap();
    let fenv = ls.function_env(&endpoint, &stack, 300);

    let port = free_port();
    let mut emulator = Command::new(root.join(".venv/bin/cargo-lambda"))
        .args([
            "lambda",
            "watch",
            "--only-lambda-apis",
            "-A",
            "127.0.0.1",
            "-P",
        ])
        .arg(port.to_string())
        .current_dir(&root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("cargo lambda watch (make venv)");
    let http = hookwell::handlers::client(Duration::from_secs(20)).unwrap();
    let invoke = format!("http://127.0.0.1:{port}/2015-03-31/functions/_/invocations");
    // Up once it accepts connections (bounded: 10 s). Its other paths wait for a function.
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut report = serde_json::Map::new();
    // `ingest-floor`: the ingest binary with its sources from a file and a GET (answered 405
    // before any AWS call): process start, runtime handshake and init without moto's round
    // trips, the part of the cold start that is hookwell's own.
    let mut medians = std::collections::BTreeMap::new();
    let mut warm_medians = std::collections::BTreeMap::new();
    let bin_dir = std::env::var("COLDSTART_BIN_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root.join("target/release"));
    for function in ["hello", "ingest", "processor", "ingest-floor"] {
        let binary = function.trim_end_matches("-floor");
        let bin = bin_dir.join(binary);
        assert!(
            bin.exists(),
            "{}: build it first (make coldstart does)",
            bin.display()
        );
        let (mut cold, mut warm, mut log_bytes) = (Vec::new(), Vec::new(), Vec::new());
        for rep in 0..reps {
            let seed = 900_000 + rep as u64 * 2;
            let event = |s: u64| match function {
                "ingest" => ingest_event(s),
                "processor" => processor_event(s, &ls.queue_arn),
                "hello" => format!("{{\"seed\":{s}}}"),
                _ => lambda_event("apigw-v2-request.json", "GET", "/webhooks/github", &[], b""),
            };
            let mut env = fenv.clone();
            if function == "ingest-floor" {
                env.retain(|(k, _)| k != hookwell::settings::var::SOURCES_SECRET_ID);
                env.push((
                    hookwell::settings::var::SOURCES_FILE.into(),
                    DEV_SOURCES.into(),
                ));
            }
            let (first, second) = (event(seed), event(seed + 1));
            let log = root.join(format!("target/coldstart-{function}.log"));
            let out = root.join(format!("target/coldstart-{function}.out"));
            let started = Instant::now();
            let mut child = Command::new(&bin)
                .envs(env)
                .env(
                    "AWS_LAMBDA_RUNTIME_API",
                    format!("http://127.0.0.1:{port}/.rt"),
                )
                .env("AWS_LAMBDA_FUNCTION_NAME", "_")
                .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
                .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
                .stdout(std::fs::File::create(&out).unwrap())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .unwrap();
            let resp = match http.post(&invoke).body(first).send().await {
                Ok(r) => r,
                Err(e) => panic!(
                    "{function}: no answer ({e}); exited: {:?}; its log: {}",
                    child.try_wait(),
                    std::fs::read_to_string(&log).unwrap_or_default()
                ),
            };
            let status = resp.status();
            let text = resp.text().await.unwrap();
            let t_cold = started.elapsed();
            assert!(status.is_success(), "{function}: {status} {text}");
            if function == "hello" {
                assert!(text.contains("world"), "hello answered: {text}");
            } else if function == "ingest" {
                assert!(text.contains("accepted"), "ingest answered: {text}");
            } else if function == "ingest-floor" {
                assert!(text.contains("405"), "ingest answered: {text}");
            } else {
                assert!(
                    text.contains("batchItemFailures\":[]"),
                    "processor answered: {text}"
                );
            }
            let t1 = Instant::now();
            let resp = http.post(&invoke).body(second).send().await.unwrap();
            assert!(resp.status().is_success());
            let _ = resp.text().await;
            let t_warm = t1.elapsed();
            child.kill().unwrap();
            child.wait().unwrap();
            // What CloudWatch Logs would ingest per invocation (JSON lines and EMF; Lambda's
            // own START/REPORT lines are dropped by the template's SystemLogLevel).
            log_bytes.push(std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0) as f64 / 2.0);
            cold.push(t_cold.as_secs_f64() * 1000.0);
            warm.push(t_warm.as_secs_f64() * 1000.0);
        }
        let (c, w, b) = (median(&mut cold), median(&mut warm), median(&mut log_bytes));
        medians.insert(function, c);
        warm_medians.insert(function, w);
        eprintln!(
            "{function}: process start -> first answer median {c:.1} ms (min {:.1}, max {:.1}); warm invocation median {w:.1} ms; {reps} starts",
            cold[0],
            cold[cold.len() - 1]
        );
        report.insert(
            function.into(),
            serde_json::json!({"reps": reps, "cold_median_ms": c, "cold_min_ms": cold[0],
                "cold_max_ms": cold[cold.len() - 1], "warm_median_ms": w,
                "log_bytes_per_invocation": b}),
        );
    }
    // Moto's answering time inside each cold start: the init calls, timed here (warm
    // process, warm connections) with the functions' own code, and the first event's calls.
    let lookup = |name: &str| fenv.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let moto_init = moto_init_times(&endpoint, &lookup, reps);
    let hello_warm = warm_medians.get("hello").copied().unwrap_or(f64::NAN);
    // Each function's cold start over the hello world's, started the same way in this run.
    let hello = medians.get("hello").copied().unwrap_or(f64::NAN);
    for (function, c) in &medians {
        if *function != "hello" {
            eprintln!("{function}: {:.2}x the hello world's cold start", c / hello);
            let o = match report.get_mut(*function) {
                Some(serde_json::Value::Object(o)) => o,
                _ => continue,
            };
            o.insert("ratio_to_hello".into(), serde_json::json!(c / hello));
            let Some(init) = moto_init.get(function) else {
                continue;
            };
            let event = (warm_medians[function] - hello_warm).max(0.0);
            let own = c - init - event;
            eprintln!(
                "{function}: moto answering {:.1} ms (init calls {init:.1}, first event's {event:.1}); own work {own:.1} ms = {:.2}x the hello world's cold start",
                init + event,
                own / hello
            );
            o.insert("moto_init_ms".into(), serde_json::json!(init));
            o.insert("moto_event_ms".into(), serde_json::json!(event));
            o.insert("own_ms".into(), serde_json::json!(own));
            o.insert("own_ratio_to_hello".into(), serde_json::json!(own / hello));
        }
    }
    let _ = Command::new("kill")
        .args(["-TERM", "--", &format!("-{}", emulator.id())])
        .status();
    let _ = emulator.wait();
    println!("{}", serde_json::Value::Object(report));
}
