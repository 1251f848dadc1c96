//! Issue #17: every chat platform end to end on the local stack (cargo lambda + moto): its
//! handshake answered and nothing enqueued, its published examples and two more events of
//! each (stamped with the same second) accepted, COMPLETED once and forwarded once, a
//! provider retry recognised, a tampered delivery refused. Bodies: `samples::PLATFORMS`.

use crate::e2e::{completed_once_and_forwarded_once, stack_clients, start_dev};
use hookwell::identity::Found;
use hookwell_cli::send;
use hookwell_tests::*;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_chat_platform_on_the_local_stack() {
    let sink = start_sink().await;
    let config = sources_with_routes(serde_json::json!([
        {"handler": "forward", "url": sink.url(), "secret": SINK_SECRET, "timeout_ms": 5000}
    ]));
    let (moto_port, lambda_port) = (free_port(), free_port());
    let dev = start_dev(moto_port, lambda_port, &config, 1);
    let sources = hookwell::Sources::from_json(&config).unwrap();
    let base = format!("http://127.0.0.1:{lambda_port}/lambda-url/ingest");
    let http = hookwell::handlers::client(Duration::from_secs(60)).unwrap();
    let mut answers = Vec::new();

    // Meta's subscription handshake: the challenge for the right token, 403 otherwise.
    let (status, text, ok) = send::handshake(&sources, "meta", &base, false, 7, &http)
        .await
        .unwrap();
    assert!(ok, "meta handshake: {status} {text}");
    answers.push(text);
    let (status, text, ok) = send::handshake(&sources, "meta", &base, true, 8, &http)
        .await
        .unwrap();
    assert_eq!((status, ok), (403, false), "{text}");
    answers.push(text);

    // Zoom's URL validation and Discord's PING, signed, answered synchronously.
    let now = time::OffsetDateTime::now_utc();
    let d = send::prepare(
        &sources,
        "zoom",
        Some("endpoint.url_validation"),
        None,
        &base,
        now,
        11,
    )
    .unwrap();
    let (status, text) = d.post(&http).await.unwrap();
    assert_eq!(status, 200, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let plain = v["plainToken"].as_str().unwrap();
    let zoom_secret = sources.get("zoom").unwrap().secrets()[0].clone();
    assert_eq!(
        v["encryptedToken"],
        hookwell::scheme::zoom_encrypted_token(&zoom_secret, plain)
    );
    answers.push(text);
    let ping = br#"{"type":1,"id":"1","application_id":"2","token":"t","version":1}"#.to_vec();
    let d = send::prepare(&sources, "discord", None, Some(ping), &base, now, 12).unwrap();
    let (status, text) = d.post(&http).await.unwrap();
    assert_eq!((status, text.as_str()), (200, r#"{"type":1}"#));

    // Every published example as published, and two more of its kind in the same second.
    let second = time::OffsetDateTime::now_utc();
    let mut sent = Vec::new(); // (platform, event id, answer)
    for (k, (platform, event, published, _)) in hookwell::samples::PLATFORMS.iter().enumerate() {
        let src = sources.get(platform).unwrap();
        for variant in 0..3u64 {
            let body = (variant == 0).then(|| published.as_bytes().to_vec());
            let seed = 30_000 + 10 * k as u64 + variant;
            let d =
                send::prepare(&sources, platform, Some(event), body, &base, second, seed).unwrap();
            let ids = match src.identity().identify(&|_| None, &d.body).unwrap() {
                Found::Events(evs) => evs.into_iter().map(|e| e.event_id).collect::<Vec<_>>(),
                Found::Handshake(_) => break, // Zoom's validation, answered above
            };
            // Twice, as a provider retrying would: one event.
            for _ in 0..2 {
                let (status, text) = d.post(&http).await.unwrap();
                assert_eq!(status, 200, "{platform} {event} #{variant}: {text}");
                answers.push(text);
            }
            for id in ids {
                assert!(
                    !sent.iter().any(|(_, s, _)| *s == id),
                    "{platform} {event} #{variant}: two events, one id"
                );
                sent.push((*platform, id, Instant::now()));
            }
            let mut tampered = d.clone();
            tampered.tamper();
            let (status, text) = tampered.post(&http).await.unwrap();
            assert_eq!(status, 401, "{platform} {event}: tampered");
            answers.push(text);
        }
    }
    assert!(sent.len() >= 7 * 3, "{} events", sent.len());

    // Each COMPLETED in one attempt and forwarded exactly once.
    let (sdk, stack) = stack_clients(moto_port).await;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    completed_once_and_forwarded_once(&ddb, &stack, &sink, &sent).await;
    assert_eq!(
        sink.total(),
        sent.len(),
        "no handshake and no tampered delivery forwarded"
    );
    assert_eq!(sink.bad_signatures(), 0);

    let secrets = all_secrets(&config);
    for text in &answers {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "an answer contains a secret: {text}"
            );
        }
    }
    let logs = dev.state.join("logs");
    for name in ["functions.log", "poller.log"] {
        let text = std::fs::read_to_string(logs.join(name)).unwrap();
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{name} contains a configured secret"
            );
        }
    }
    drop(dev);
}
