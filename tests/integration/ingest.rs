//! The ingest handler, fed API Gateway v2 / Function URL events, against moto SQS.

use hookwell::samples;
use hookwell::{Envelope, Ingest, SourcesCell, SqsEventQueue};
use hookwell_tests::*;
use std::sync::atomic::Ordering;

struct Rig {
    ingest: Ingest<SqsEventQueue>,
    sqs: aws_sdk_sqs::Client,
    url: String,
}

async fn rig() -> Rig {
    let sdk = sdk().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let url = create_queue(&sqs, &unique("ingest")).await;
    let ingest = Ingest::new(
        SourcesCell::new(dev_sources()),
        SqsEventQueue::new(sqs.clone(), url.clone()),
    )
    .with_metrics_sink(std::sync::Arc::new(|_: &str| {}));
    Rig { ingest, sqs, url }
}

async fn call(rig: &Rig, event_json: &str) -> (u16, serde_json::Value) {
    let req = lambda_http::request::from_str(event_json).expect("lambda event");
    let resp = hookwell::lambda::handle_ingest(&rig.ingest, req).await;
    let status = resp.status().as_u16();
    let body = match resp.body() {
        lambda_http::Body::Text(t) => t.clone(),
        other => panic!("unexpected body {other:?}"),
    };
    (status, serde_json::from_str(&body).expect("json body"))
}

fn sample(provider: &str, event: &str, seed: u64) -> (Vec<u8>, Vec<(String, String)>) {
    let (_, _, body, headers) = samples::find(provider, Some(event)).expect("sample");
    let now = time::OffsetDateTime::now_utc();
    let body = samples::render(body, now, seed).into_bytes();
    let hs = headers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), samples::render(v, now, seed)))
        .collect();
    (body, hs)
}

#[tokio::test]
async fn seed_provider_samples_are_accepted_and_tampered_ones_are_not() {
    let rig = rig().await;
    let sources = dev_sources();
    // Every seed provider's sample: their documented bodies (and Sendbird's reference one).
    let seeds = samples::SAMPLES
        .iter()
        .filter(|s| matches!(s.0, "bubble" | "groupgm" | "sendbird"))
        .map(|s| (s.0, s.1));
    for (i, (provider, event)) in seeds.enumerate() {
        let (body, mut headers) = sample(provider, event, 1000 + i as u64);
        headers.extend(sign(&sources, provider, &body, now()));
        let path = format!("/webhooks/{provider}");
        let (status, resp) = call(
            &rig,
            &lambda_event("apigw-v2-request.json", "POST", &path, &headers, &body),
        )
        .await;
        assert_eq!(status, 200, "{provider} {event}: {resp}");
        assert_eq!(resp["status"], "accepted");

        let msgs = drain(&rig.sqs, &rig.url, 10).await;
        assert_eq!(msgs.len(), 1, "{provider} {event}");
        let env = Envelope::from_json(msgs[0].body().unwrap()).unwrap();
        assert_eq!(env.body_bytes().as_ref(), body.as_slice(), "byte for byte");
        assert_eq!(env.source, provider);
        assert_eq!(env.event_type, event);
        assert_eq!(env.event_id, resp["event_id"].as_str().unwrap());
        let attrs = msgs[0].message_attributes().unwrap();
        assert_eq!(attrs["source"].string_value(), Some(provider));
        assert_eq!(attrs["event_type"].string_value(), Some(event));
        assert_eq!(
            attrs["event_id"].string_value(),
            Some(env.event_id.as_str())
        );

        // The same delivery with one byte changed after signing: 401, nothing queued.
        let mut tampered = body.clone();
        let at = tampered.len() / 2;
        tampered[at] ^= 0x20;
        let (status, resp) = call(
            &rig,
            &lambda_event("apigw-v2-request.json", "POST", &path, &headers, &tampered),
        )
        .await;
        assert_eq!(status, 401, "{provider} tampered: {resp}");
        assert_eq!(resp["error"], "invalid_signature");
        assert!(
            drain(&rig.sqs, &rig.url, 10).await.is_empty(),
            "{provider}: tampered reached the queue"
        );
    }
}

#[tokio::test]
async fn every_provider_sample_is_accepted() {
    let rig = rig().await;
    let sources = dev_sources();
    for (i, (provider, event, _, _)) in samples::SAMPLES.iter().enumerate() {
        let (body, mut headers) = sample(provider, event, 5000 + i as u64);
        headers.extend(sign(&sources, provider, &body, now()));
        let path = format!("/webhooks/{provider}");
        let (status, resp) = call(
            &rig,
            &lambda_event("apigw-v2-request.json", "POST", &path, &headers, &body),
        )
        .await;
        assert_eq!(status, 200, "{provider} {event}: {resp}");
        let msgs = drain(&rig.sqs, &rig.url, 10).await;
        // A handshake sample (Zoom's URL validation) is answered and enqueues nothing.
        if resp.get("encryptedToken").is_some() {
            assert!(
                msgs.is_empty(),
                "{provider} {event}: a handshake was enqueued"
            );
            continue;
        }
        assert_eq!(msgs.len(), 1, "{provider}");
        assert_eq!(
            Envelope::from_json(msgs[0].body().unwrap())
                .unwrap()
                .event_type,
            *event
        );
    }
}

#[tokio::test]
async fn function_url_events_work_too() {
    let rig = rig().await;
    let (body, mut headers) = sample("bubble", "MESSAGE_CREATE", 7);
    headers.extend(sign(&dev_sources(), "bubble", &body, now()));
    let (status, _) = call(
        &rig,
        &lambda_event(
            "function-url-request.json",
            "POST",
            "/webhooks/bubble",
            &headers,
            &body,
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(drain(&rig.sqs, &rig.url, 10).await.len(), 1);
}

#[tokio::test]
async fn url_token_source_for_unsigned_bubble() {
    let rig = rig().await;
    let (body, headers) = sample("bubble", "MESSAGE_CREATE", 8);
    let ok = lambda_event(
        "apigw-v2-request.json",
        "POST",
        "/webhooks/bubble-token/dev_bubble_url_token_5f2c9a0b7d41e83c",
        &headers,
        &body,
    );
    assert_eq!(call(&rig, &ok).await.0, 200);
    let q = lambda_event(
        "apigw-v2-request.json",
        "POST",
        "/webhooks/bubble-token?token=dev_bubble_url_token_5f2c9a0b7d41e83c",
        &headers,
        &body,
    );
    assert_eq!(call(&rig, &q).await.0, 200);
    let bad = lambda_event(
        "apigw-v2-request.json",
        "POST",
        "/webhooks/bubble-token/guess",
        &headers,
        &body,
    );
    assert_eq!(call(&rig, &bad).await.0, 401);
    assert_eq!(drain(&rig.sqs, &rig.url, 10).await.len(), 2);
}

#[tokio::test]
async fn bad_input_catalog() {
    let rig = rig().await;
    let sources = dev_sources();
    let signed = |source: &str, body: &[u8]| sign(&sources, source, body, now());
    let (msg, _) = sample("bubble", "MESSAGE_CREATE", 9);

    let over = vec![b'a'; hookwell::config::DEFAULT_MAX_BODY_BYTES + 1];
    let non_utf8: Vec<u8> = vec![0xc3, 0x28, 0xff, 0xfe];
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    let bad_json = br#"{"type":"MESSAGE_CREATE","data":"#.to_vec();
    // Fits the raw limit but not the queue once every byte is JSON-escaped to \u0001.
    let escapes = vec![1u8; 200_000];
    let mut twice = signed("bubble", &msg);
    twice.push(twice[0].clone());

    let cases: Vec<(&str, String, u16, &str)> = vec![
        (
            "empty body",
            lambda_event(
                "apigw-v2-request.json",
                "POST",
                "/webhooks/bubble",
                &signed("bubble", b""),
                b"",
            ),
            400,
            "empty_body",
        ),
        (
            "body over the limit",
            lambda_event(
                "apigw-v2-request.json",
                "POST",
                "/webhooks/github",
                &signed("github", &over),
                &over,
            ),
            413,
            "payload_too_large",
        ),
        (
            "escaped body over the queue limit",
            lambda_event(
                "apigw-v2-request.json",
                "POST",
                "/webhooks/github",
                &signed("github", &escapes),
                &escapes,
            ),
            413,
            "payload_too_large",
        ),
        (
            "non-UTF-8 body for a JSON provider",
            lambda_event(
                "apigw-v2-request.json",
                "POST",
                "/webhooks/bubble",
                &signed("bubble", &non_utf8),
                &non_utf8,
            ),
            400,
            "malformed_body",
        ),
        (
            "JSON nested 10 000 deep",
            lambda_event(
                "apigw-v2-request.json",
                "POST",
                "/webhooks/bubble",
                &signed("bubble", deep.as_bytes()),
                deep.as_bytes(),
            ),
            400,
            "malformed_body",
        ),
        (
            "malformed JSON",
            lambda_event(
                "apigw-v2-request.json",
                "POST",
                "/webhooks/bubble",
                &signed("bubble", &bad_json),
                &bad_json,
            ),
            400,
            "malformed_body",
        ),
        (
            "signature header repeated",
            lambda_event(
                "apigw-v2-request.json",
                "POST",
                "/webhooks/bubble",
                &twice,
                &msg,
            ),
            401,
            "invalid_signature",
        ),
        (
            "missing signature",
            lambda_event(
                "apigw-v2-request.json",
                "POST",
                "/webhooks/bubble",
                &[],
                &msg,
            ),
            401,
            "missing_signature",
        ),
        (
            "unknown source",
            lambda_event(
                "apigw-v2-request.json",
                "POST",
                "/webhooks/nosuchsource",
                &signed("bubble", &msg),
                &msg,
            ),
            404,
            "unknown_source",
        ),
        (
            "GET instead of POST",
            lambda_event("apigw-v2-request.json", "GET", "/webhooks/bubble", &[], b""),
            405,
            "method_not_allowed",
        ),
        (
            "stale Slack timestamp",
            lambda_event(
                "apigw-v2-request.json",
                "POST",
                "/webhooks/slack",
                &sign(&sources, "slack", &msg, now() - 600),
                &msg,
            ),
            401,
            "stale_timestamp",
        ),
    ];
    for (what, ev, status, code) in cases {
        let (got, body) = call(&rig, &ev).await;
        assert_eq!(got, status, "{what}: {body}");
        assert_eq!(body["error"], code, "{what}");
    }
    // Non-UTF-8 is fine where the provider does not promise JSON: base64 in the envelope.
    let mut h = signed("github", &non_utf8);
    h.push(("x-github-event".into(), "push".into()));
    h.push(("x-github-delivery".into(), "bin-1".into()));
    let (got, _) = call(
        &rig,
        &lambda_event(
            "apigw-v2-request.json",
            "POST",
            "/webhooks/github",
            &h,
            &non_utf8,
        ),
    )
    .await;
    assert_eq!(got, 200);
    let msgs = drain(&rig.sqs, &rig.url, 10).await;
    assert_eq!(msgs.len(), 1, "only the valid binary delivery was enqueued");
    assert_eq!(
        Envelope::from_json(msgs[0].body().unwrap())
            .unwrap()
            .body_bytes()
            .as_ref(),
        non_utf8.as_slice()
    );
}

#[tokio::test]
async fn largest_inline_body_fits_the_queue() {
    let rig = rig().await;
    let body = vec![b'x'; hookwell::config::INLINE_MAX_BODY_BYTES];
    let mut h = sign(&dev_sources(), "github", &body, now());
    h.push(("x-github-event".into(), "push".into()));
    h.push(("x-github-delivery".into(), "big-1".into()));
    let (status, resp) = call(
        &rig,
        &lambda_event(
            "apigw-v2-request.json",
            "POST",
            "/webhooks/github",
            &h,
            &body,
        ),
    )
    .await;
    assert_eq!(status, 200, "{resp}");
    let msgs = drain(&rig.sqs, &rig.url, 10).await;
    assert_eq!(
        Envelope::from_json(msgs[0].body().unwrap())
            .unwrap()
            .body_bytes()
            .len(),
        body.len()
    );
}

#[tokio::test]
async fn queue_unreachable_is_503_and_nothing_enqueued() {
    let live = rig().await;
    // A port nothing listens on: the SDK's connect fails fast.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dead_sdk = hookwell::aws::sdk_config(std::time::Duration::from_secs(3)).await;
    let dead_sqs = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(&dead_sdk)
            .endpoint_url(format!("http://127.0.0.1:{closed}"))
            .build(),
    );
    let ingest = Ingest::new(
        SourcesCell::new(dev_sources()),
        SqsEventQueue::new(dead_sqs, live.url.clone()),
    )
    .with_metrics_sink(std::sync::Arc::new(|_: &str| {}));
    let dead = Rig {
        ingest,
        sqs: live.sqs.clone(),
        url: live.url.clone(),
    };
    let (body, mut headers) = sample("sendbird", "group_channel:message_send", 11);
    headers.extend(sign(&dev_sources(), "sendbird", &body, now()));
    let (status, resp) = call(
        &dead,
        &lambda_event(
            "apigw-v2-request.json",
            "POST",
            "/webhooks/sendbird",
            &headers,
            &body,
        ),
    )
    .await;
    assert_eq!(status, 503, "{resp}");
    assert_eq!(resp["error"], "queue_unavailable");
    assert!(
        !resp.to_string().contains("127.0.0.1"),
        "no internals in the answer"
    );
    assert!(drain(&live.sqs, &live.url, 10).await.is_empty());
}

/// The Lambda adapter takes the address API Gateway and the Function URL saw for the
/// connection (`requestContext.http.sourceIp`), not a client-set `X-Forwarded-For`.
#[test]
fn lambda_adapter_reads_the_source_ip_from_the_request_context() {
    for fixture in ["apigw-v2-request.json", "function-url-request.json"] {
        let ev = lambda_event(
            fixture,
            "POST",
            "/webhooks/bubble",
            &[("x-forwarded-for".to_owned(), "198.51.100.1".to_owned())],
            b"{}",
        );
        let req = hookwell::lambda::ingest_request(lambda_http::request::from_str(&ev).unwrap());
        assert_eq!(
            req.source_ip,
            Some("203.0.113.10".parse().unwrap()),
            "{fixture}"
        );
    }
}

/// A delivery of many events (LINE batches them) goes to the queue in `SendMessageBatch` runs
/// of ten: each event arrives once, as its own message with its attributes and its element's
/// bytes, on a standard and on a FIFO queue; on the FIFO queue, with the events in one
/// message group (`order_by` the sender), in the delivery's order.
#[tokio::test]
async fn a_delivery_of_many_events_is_enqueued_in_batches() {
    // LINE's documented message event (the `line` sample), 23 times with its per-event
    // values filled differently, in one `events` array.
    let mut destination = serde_json::Value::Null;
    let mut events = Vec::new();
    for seed in 0..23 {
        let (body, _) = sample("line", "message", 500 + seed);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        destination = v["destination"].clone();
        events.push(v["events"][0].clone());
    }
    let body = serde_json::to_vec(&serde_json::json!({
        "destination": destination,
        "events": events,
    }))
    .unwrap();
    let elements: std::collections::BTreeSet<String> =
        events.iter().map(|e| e.to_string()).collect();
    assert_eq!(elements.len(), 23);

    let sdk = sdk().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let standard = create_queue(&sqs, &unique("batch")).await;
    let fifo = sqs
        .create_queue()
        .queue_name(format!("{}.fifo", unique("batch")))
        .attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    // The dev `line` source, ordered by sender: the 23 events share one FIFO message group.
    let sources = || {
        let mut doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(DEV_SOURCES).unwrap()).unwrap();
        doc["sources"]["line"]["order_by"] = "/source/userId".into();
        hookwell::Sources::from_json(&doc.to_string()).unwrap()
    };
    for url in [standard, fifo] {
        let calls = CountRequests::default();
        let counted = aws_sdk_sqs::Client::from_conf(
            sqs.config().to_builder().interceptor(calls.clone()).build(),
        );
        let rig = Rig {
            ingest: Ingest::new(
                SourcesCell::new(sources()),
                SqsEventQueue::new(counted, url.clone()),
            )
            .with_metrics_sink(std::sync::Arc::new(|_: &str| {})),
            sqs: sqs.clone(),
            url: url.clone(),
        };
        let headers = sign(&sources(), "line", &body, now());
        let (status, resp) = call(
            &rig,
            &lambda_event(
                "apigw-v2-request.json",
                "POST",
                "/webhooks/line",
                &headers,
                &body,
            ),
        )
        .await;
        assert_eq!(status, 200, "{url}: {resp}");
        let in_order: Vec<String> = resp["event_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        let answered: std::collections::BTreeSet<String> = in_order.iter().cloned().collect();
        assert_eq!(answered.len(), 23, "{url}");
        assert_eq!(
            calls.0.load(Ordering::SeqCst),
            3,
            "{url}: runs of 10, 10 and 3"
        );
        let msgs = drain(&rig.sqs, &rig.url, 100).await;
        assert_eq!(msgs.len(), 23, "{url}: each event once");
        let mut ids = std::collections::BTreeSet::new();
        let mut received = Vec::new();
        let mut bodies = std::collections::BTreeSet::new();
        for m in &msgs {
            let env = Envelope::from_json(m.body().unwrap()).unwrap();
            let attr = |k: &str| {
                m.message_attributes()
                    .and_then(|a| a.get(k))
                    .and_then(|v| v.string_value())
                    .map(str::to_owned)
            };
            assert_eq!(attr("source").as_deref(), Some("line"));
            assert_eq!(attr("event_type").as_deref(), Some(env.event_type.as_str()));
            assert_eq!(attr("event_id").as_deref(), Some(env.event_id.as_str()));
            ids.insert(env.event_id.clone());
            received.push(env.event_id.clone());
            bodies.insert(String::from_utf8(env.body_bytes().to_vec()).unwrap());
        }
        assert_eq!(ids, answered, "{url}");
        assert_eq!(bodies, elements, "{url}: each element's bytes as sent");
        if url.ends_with(".fifo") {
            assert_eq!(received, in_order, "one group: the delivery's order");
        }
    }
}
