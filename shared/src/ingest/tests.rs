use super::*;
use crate::queue::MemoryQueue;
use crate::secret::Secret;
use std::sync::Mutex;

const NOW: i64 = 1_764_000_000;
const CONFIG: &str = r#"{"sources":{
  "bubble":{"scheme":"bubble","secrets":["bubble-dev-secret","bubble-old-secret"],"max_body_bytes":4096},
  "bubble-token":{"scheme":"url_token","identity":"bubble","secrets":["tok_abc123_0123456789abcdef0123456789"]},
  "slack":{"scheme":"slack","secrets":["slack-dev-secret"]},
  "line":{"scheme":"line","secrets":["line-dev-secret"]},
  "github":{"scheme":"github","secrets":["gh-dev-secret"]},
  "bubble-bot":{"scheme":"bubble","secrets":["bot-secret"],"accept_event_types":["MESSAGE_CREATE","GUILD_MEMBER_*"]},
  "line-chat":{"scheme":"line","secrets":["line-chat-secret"],"drop_event_types":["follow"]},
  "walled":{"scheme":"bubble","secrets":["walled-secret"],"allowed_ips":["203.0.113.0/24","2001:db8::/32","198.51.100.7"]},
  "acme":{"scheme":"hmac","hmac":{"header":"X-Acme-Signature","algorithm":"sha256","encoding":"hex"},
          "identity":{"event_type":[{"field":"/kind"}],"id_fields":["/order/id"]},"secrets":["acme-dev-secret"]}
}}"#;

type Lines = Arc<Mutex<Vec<String>>>;

fn setup() -> (Ingest<MemoryQueue>, MemoryQueue, Lines) {
    let q = MemoryQueue::default();
    let (ingest, lines) = ingest_over(q.clone());
    (ingest, q, lines)
}

/// Ingest over `q`, with [`CONFIG`], a fixed clock and the metric lines kept.
fn ingest_over<Q: EventQueue>(q: Q) -> (Ingest<Q>, Lines) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let l2 = lines.clone();
    let ingest = Ingest::new(SourcesCell::new(Sources::from_json(CONFIG).unwrap()), q)
        .with_clock(|| OffsetDateTime::from_unix_timestamp(NOW).unwrap())
        .with_metrics_sink(Arc::new(move |l: &str| {
            l2.lock().unwrap().push(l.to_owned())
        }));
    (ingest, lines)
}

fn req(method: Method, path: &str, headers: &[(String, String)], body: &[u8]) -> IngestRequest {
    let mut h = HeaderMap::new();
    for (k, v) in headers {
        h.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (path.to_owned(), None),
    };
    IngestRequest {
        method,
        path,
        query,
        headers: h,
        body: Bytes::copy_from_slice(body),
        source_ip: Some("203.0.113.10".parse().unwrap()),
    }
}

fn sign(
    ingest: &Ingest<MemoryQueue>,
    source: &str,
    secret: &str,
    body: &[u8],
) -> Vec<(String, String)> {
    let sources = ingest.sources().current();
    sources
        .get(source)
        .unwrap()
        .scheme()
        .sign(&Secret::new(secret), body, NOW, "msg_1")
        .unwrap()
}

fn json_body(r: &Response<String>) -> serde_json::Value {
    assert_eq!(r.headers().get("content-type").unwrap(), "application/json");
    serde_json::from_str(r.body()).unwrap()
}

/// Bubble's documented MESSAGE_CREATE body.
const MSG: &[u8] = include_bytes!("../../fixtures/providers/bubble-MESSAGE_CREATE.json");

#[tokio::test]
async fn signed_bubble_is_accepted_and_enqueued() {
    let (ingest, q, lines) = setup();
    let h = sign(&ingest, "bubble", "bubble-dev-secret", MSG);
    let r = ingest
        .handle(req(Method::POST, "/webhooks/bubble", &h, MSG))
        .await;
    assert_eq!(r.status(), 200);
    let b = json_body(&r);
    assert_eq!(b["status"], "accepted");
    let sent = q.sent();
    assert_eq!(sent.len(), 1);
    let env = crate::Envelope::from_json(&sent[0]).unwrap();
    assert_eq!(env.event_id, b["event_id"].as_str().unwrap());
    assert_eq!(env.body_bytes().as_ref(), MSG);
    assert_eq!(env.event_type, "MESSAGE_CREATE");
    let emf = crate::metrics::validate_emf(&lines.lock().unwrap()[0]).unwrap();
    assert_eq!(emf["Received"], 1.0);
    assert_eq!(emf["Enqueued"], 1.0);
    assert_eq!(emf["Source"], "bubble");
}

#[tokio::test]
async fn rejections_have_exact_status_and_enqueue_nothing() {
    let (ingest, q, _) = setup();
    let good = sign(&ingest, "bubble", "bubble-dev-secret", MSG);
    let mut tampered = MSG.to_vec();
    tampered[30] ^= 1;
    let big = vec![b'a'; 4097];
    let big_h = sign(&ingest, "bubble", "bubble-dev-secret", &big);
    let bad_json = b"{\"type\": nope";
    let bad_json_h = sign(&ingest, "bubble", "bubble-dev-secret", bad_json);
    let non_utf8 = [0xffu8, 0xfe, 0x00];
    let non_utf8_h = sign(&ingest, "bubble", "bubble-dev-secret", &non_utf8);
    let deep = "[".repeat(2000) + &"]".repeat(2000);
    let deep_h = sign(&ingest, "bubble", "bubble-dev-secret", deep.as_bytes());
    let mut twice = good.clone();
    twice.push(good[0].clone());
    let cases: Vec<(&str, IngestRequest, u16, &str)> = vec![
        (
            "tampered",
            req(Method::POST, "/webhooks/bubble", &good, &tampered),
            401,
            "invalid_signature",
        ),
        (
            "missing signature",
            req(Method::POST, "/webhooks/bubble", &[], MSG),
            401,
            "missing_signature",
        ),
        (
            "wrong secret",
            req(
                Method::POST,
                "/webhooks/bubble",
                &sign(&ingest, "bubble", "nope", MSG),
                MSG,
            ),
            401,
            "invalid_signature",
        ),
        (
            "header twice",
            req(Method::POST, "/webhooks/bubble", &twice, MSG),
            401,
            "invalid_signature",
        ),
        (
            "unknown source",
            req(Method::POST, "/webhooks/nosuch", &good, MSG),
            404,
            "unknown_source",
        ),
        (
            "no route",
            req(Method::POST, "/other", &good, MSG),
            404,
            "not_found",
        ),
        (
            "extra segments",
            req(Method::POST, "/webhooks/bubble/a/b", &good, MSG),
            404,
            "not_found",
        ),
        (
            "GET",
            req(Method::GET, "/webhooks/bubble", &good, MSG),
            405,
            "method_not_allowed",
        ),
        (
            "too large",
            req(Method::POST, "/webhooks/bubble", &big_h, &big),
            413,
            "payload_too_large",
        ),
        (
            "empty",
            req(Method::POST, "/webhooks/bubble", &good, b""),
            400,
            "empty_body",
        ),
        (
            "malformed json",
            req(Method::POST, "/webhooks/bubble", &bad_json_h, bad_json),
            400,
            "malformed_body",
        ),
        (
            "non-utf8 for a JSON provider",
            req(Method::POST, "/webhooks/bubble", &non_utf8_h, &non_utf8),
            400,
            "malformed_body",
        ),
        (
            "deep nesting",
            req(Method::POST, "/webhooks/bubble", &deep_h, deep.as_bytes()),
            400,
            "malformed_body",
        ),
        (
            "bad url token",
            req(Method::POST, "/webhooks/bubble-token/tok_wrong", &[], MSG),
            401,
            "invalid_signature",
        ),
        (
            "no url token",
            req(Method::POST, "/webhooks/bubble-token", &[], MSG),
            401,
            "missing_signature",
        ),
        (
            "stale slack",
            req(
                Method::POST,
                "/webhooks/slack",
                &{
                    let s = ingest.sources().current();
                    s.get("slack")
                        .unwrap()
                        .scheme()
                        .sign(&Secret::new("slack-dev-secret"), MSG, NOW - 301, "")
                        .unwrap()
                },
                MSG,
            ),
            401,
            "stale_timestamp",
        ),
    ];
    for (what, r, status, code) in cases {
        let resp = ingest.handle(r).await;
        assert_eq!(resp.status().as_u16(), status, "{what}");
        let b = json_body(&resp);
        assert_eq!(b["error"], code, "{what}");
        assert!(b["message"].is_string(), "{what}");
        assert!(
            !resp.body().contains("bubble-dev-secret") && !resp.body().contains("hello"),
            "{what} echoes"
        );
    }
    assert!(q.sent().is_empty());
}

#[tokio::test]
async fn method_not_allowed_says_allow_post() {
    let (ingest, _, _) = setup();
    let r = ingest
        .handle(req(Method::PUT, "/webhooks/bubble", &[], MSG))
        .await;
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers().get("allow").unwrap(), "POST");
}

#[tokio::test]
async fn queue_down_is_503_and_nothing_half_accepted() {
    let (ingest, q, lines) = setup();
    q.set_down(true);
    let h = sign(&ingest, "bubble", "bubble-dev-secret", MSG);
    let r = ingest
        .handle(req(Method::POST, "/webhooks/bubble", &h, MSG))
        .await;
    assert_eq!(r.status(), 503);
    assert_eq!(json_body(&r)["error"], "queue_unavailable");
    assert_eq!(r.headers().get("retry-after").unwrap(), "5");
    assert!(
        !r.body().contains("connection refused"),
        "internal error details stay in logs"
    );
    let emf = crate::metrics::validate_emf(&lines.lock().unwrap()[0]).unwrap();
    assert_eq!(emf["EnqueueFailed"], 1.0);
    assert_eq!(emf["RejectedQueueUnavailable"], 1.0);
}

#[tokio::test]
async fn url_token_in_path_or_query() {
    let (ingest, q, _) = setup();
    for path in [
        "/webhooks/bubble-token/tok_abc123_0123456789abcdef0123456789",
        "/webhooks/bubble-token?x=1&token=tok_abc123_0123456789abcdef0123456789",
        // Percent-encoded, as a client may send any URL component.
        "/webhooks/bubble-token/tok%5Fabc123_0123456789abcdef0123456789",
        "/webhooks/bubble-token?token=tok_abc123%5F0123456789abcdef0123456789",
    ] {
        let r = ingest.handle(req(Method::POST, path, &[], MSG)).await;
        assert_eq!(r.status(), 200, "{path}");
    }
    for wrong in [
        "/webhooks/bubble-token/tok_abc123",
        "/webhooks/bubble-token/tok%5Fabc123_0123456789abcdef012345678",
        "/webhooks/bubble-token/%FF%FEtok_abc123_0123456789abcdef0123456789",
        "/webhooks/bubble-token?token=",
    ] {
        let r = ingest.handle(req(Method::POST, wrong, &[], MSG)).await;
        assert_eq!(r.status(), 401, "{wrong}");
    }
    assert_eq!(q.sent().len(), 4);
}

#[tokio::test]
async fn rotated_secret_is_accepted() {
    let (ingest, _, _) = setup();
    let h = sign(&ingest, "bubble", "bubble-old-secret", MSG);
    assert_eq!(
        ingest
            .handle(req(Method::POST, "/webhooks/bubble", &h, MSG))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn stage_prefix_is_tolerated() {
    let (ingest, _, _) = setup();
    let h = sign(&ingest, "bubble", "bubble-dev-secret", MSG);
    assert_eq!(
        ingest
            .handle(req(Method::POST, "/prod/webhooks/bubble", &h, MSG))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn slack_challenge_is_answered_without_enqueueing() {
    let (ingest, q, _) = setup();
    let body = br#"{"token":"x","challenge":"abc123","type":"url_verification"}"#;
    let h = sign(&ingest, "slack", "slack-dev-secret", body);
    let r = ingest
        .handle(req(Method::POST, "/webhooks/slack", &h, body))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(json_body(&r)["challenge"], "abc123");
    assert!(q.sent().is_empty());
    // Unsigned challenges are refused like anything else.
    let r = ingest
        .handle(req(Method::POST, "/webhooks/slack", &[], body))
        .await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn line_delivery_becomes_one_message_per_event() {
    let (ingest, q, _) = setup();
    let body = br#"{"destination":"U1","events":[{"type":"message","webhookEventId":"E1"},{"type":"follow","webhookEventId":"E2"}]}"#;
    let h = sign(&ingest, "line", "line-dev-secret", body);
    let r = ingest
        .handle(req(Method::POST, "/webhooks/line", &h, body))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(json_body(&r)["event_ids"], serde_json::json!(["E1", "E2"]));
    let sent = q.sent();
    assert_eq!(sent.len(), 2);
    let e2 = crate::Envelope::from_json(&sent[1]).unwrap();
    assert_eq!(
        e2.body_bytes().as_ref(),
        br#"{"type":"follow","webhookEventId":"E2"}"#
    );
}

#[tokio::test]
async fn binary_body_for_a_non_json_provider_is_base64_enveloped() {
    let (ingest, q, _) = setup();
    let body = [0xffu8, 0x00, 0x80, b'x'];
    let mut h = sign(&ingest, "github", "gh-dev-secret", &body);
    h.push(("x-github-event".into(), "push".into()));
    h.push(("x-github-delivery".into(), "d-1".into()));
    let r = ingest
        .handle(req(Method::POST, "/webhooks/github", &h, &body))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(json_body(&r)["event_id"], "d-1");
    let env = crate::Envelope::from_json(&q.sent()[0]).unwrap();
    assert_eq!(env.body_bytes().as_ref(), &body);
    assert_eq!(
        env.headers.get("x-github-event").map(String::as_str),
        Some("push")
    );
}

#[tokio::test]
async fn emf_counts_rejections_by_reason() {
    let (ingest, _, lines) = setup();
    let h = sign(&ingest, "bubble", "bubble-dev-secret", MSG);
    ingest
        .handle(req(Method::POST, "/webhooks/bubble", &h, MSG))
        .await;
    ingest
        .handle(req(Method::POST, "/webhooks/bubble", &[], MSG))
        .await;
    ingest
        .handle(req(Method::POST, "/webhooks/nosuch", &[], MSG))
        .await;
    ingest
        .handle(req(Method::POST, "/webhooks/bubble", &h, &vec![b'x'; 5000]))
        .await;
    let lines = lines.lock().unwrap();
    let docs: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| crate::metrics::validate_emf(l).unwrap())
        .collect();
    assert_eq!(docs.len(), 4, "one line per invocation");
    assert_eq!(docs[0]["Enqueued"], 1.0);
    assert_eq!(docs[1]["RejectedSignature"], 1.0);
    assert_eq!(docs[1]["Rejected"], 1.0);
    assert_eq!(docs[2]["RejectedUnknownSource"], 1.0);
    assert_eq!(
        docs[2]["Source"], "_unknown",
        "attacker-chosen names never become dimensions"
    );
    assert_eq!(docs[3]["RejectedSize"], 1.0);
    assert!(lines.iter().all(|l| !l.contains("bubble-dev-secret")));
}

/// A custom source whose configured id fields are absent: accepted under the body hash, and
/// counted so an operator sees that the configuration does not match the deliveries.
#[tokio::test]
async fn absent_custom_id_fields_fall_back_to_the_body_hash_and_are_counted() {
    let (ingest, q, lines) = setup();
    for (body, fallback) in [
        (&br#"{"kind":"order.paid","order":{"id":7}}"#[..], None),
        (
            &br#"{"kind":"order.paid","note":"no order id"}"#[..],
            Some(1.0),
        ),
    ] {
        let h = sign(&ingest, "acme", "acme-dev-secret", body);
        let r = ingest
            .handle(req(Method::POST, "/webhooks/acme", &h, body))
            .await;
        assert_eq!(r.status(), 200);
        let emf = crate::metrics::validate_emf(lines.lock().unwrap().last().unwrap()).unwrap();
        assert_eq!(
            emf.get("IdFallbackToBody").and_then(|v| v.as_f64()),
            fallback
        );
        if fallback.is_some() {
            use sha2::Digest;
            assert_eq!(
                json_body(&r)["event_id"],
                hex::encode(sha2::Sha256::digest(body))
            );
        }
    }
    assert_eq!(q.sent().len(), 2);
}

/// A source that wants two of Bubble's types: the rest are verified, answered 200
/// `filtered`, counted, and never enqueued; a bad signature is still 401.
#[tokio::test]
async fn unwanted_event_types_are_filtered_after_verification() {
    let (ingest, q, lines) = setup();
    let update = String::from_utf8(MSG.to_vec())
        .unwrap()
        .replace("MESSAGE_CREATE", "MESSAGE_UPDATE");
    for (body, status) in [
        (MSG.to_vec(), "accepted"),
        (update.clone().into_bytes(), "filtered"),
    ] {
        let h = sign(&ingest, "bubble-bot", "bot-secret", &body);
        let r = ingest
            .handle(req(Method::POST, "/webhooks/bubble-bot", &h, &body))
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(json_body(&r)["status"], status);
    }
    assert_eq!(q.sent().len(), 1, "only the wanted type reached the queue");
    let emf = crate::metrics::validate_emf(lines.lock().unwrap().last().unwrap()).unwrap();
    assert_eq!(emf["Filtered"], 1.0);
    assert!(emf.get("Enqueued").is_none());
    // Filtering never skips the signature check.
    let h = sign(&ingest, "bubble-bot", "wrong-secret", update.as_bytes());
    let r = ingest
        .handle(req(
            Method::POST,
            "/webhooks/bubble-bot",
            &h,
            update.as_bytes(),
        ))
        .await;
    assert_eq!(r.status(), 401);

    // A delivery of several events: the wanted ones are enqueued, the rest counted.
    let line = br#"{"destination":"U1","events":[{"type":"message","webhookEventId":"01A"},{"type":"follow","webhookEventId":"01B"}]}"#;
    let h = sign(&ingest, "line-chat", "line-chat-secret", line);
    let r = ingest
        .handle(req(Method::POST, "/webhooks/line-chat", &h, line))
        .await;
    let b = json_body(&r);
    assert_eq!(
        (b["status"].as_str(), b["event_id"].as_str()),
        (Some("accepted"), Some("01A"))
    );
    assert_eq!(b["filtered"], 1);
    assert_eq!(q.sent().len(), 2);
}

/// A source with an IP allowlist: the address the front end saw decides, never a
/// client-set `X-Forwarded-For`; refused before anything is parsed, with 403.
#[tokio::test]
async fn ip_allowlist_uses_the_connection_address_never_forwarded_headers() {
    let (ingest, q, lines) = setup();
    let mut h = sign(&ingest, "walled", "walled-secret", MSG);
    let post = |ip: Option<&str>, h: &[(String, String)]| {
        let mut r = req(Method::POST, "/webhooks/walled", h, MSG);
        r.source_ip = ip.map(|i| i.parse().unwrap());
        r
    };
    for (ip, status) in [
        (Some("203.0.113.10"), 200),
        (Some("198.51.100.7"), 200),
        (Some("2001:db8::1"), 200),
        (Some("::ffff:203.0.113.99"), 200),
        (Some("198.51.100.8"), 403),
        (Some("192.0.2.1"), 403),
        (Some("2001:db9::1"), 403),
        (None, 403),
    ] {
        let r = ingest.handle(post(ip, &h)).await;
        assert_eq!(r.status(), status, "{ip:?}");
        if status == 403 {
            assert_eq!(json_body(&r)["error"], "ip_not_allowed");
        }
    }
    // A spoofed X-Forwarded-For naming an allowed address changes nothing.
    h.push(("x-forwarded-for".into(), "203.0.113.10".into()));
    let r = ingest.handle(post(Some("192.0.2.1"), &h)).await;
    assert_eq!(r.status(), 403);
    assert_eq!(q.sent().len(), 4, "only the allowed addresses' deliveries");
    let emf = crate::metrics::validate_emf(lines.lock().unwrap().last().unwrap()).unwrap();
    assert_eq!(emf["RejectedIp"], 1.0);
    // Sources without a list accept any address, or none.
    let b = sign(&ingest, "bubble", "bubble-dev-secret", MSG);
    let mut r = req(Method::POST, "/webhooks/bubble", &b, MSG);
    r.source_ip = None;
    assert_eq!(ingest.handle(r).await.status(), 200);
}

#[tokio::test]
async fn bodies_over_the_queue_limit_go_to_the_body_store_or_get_413() {
    // A GitHub-style body of 1.5 MiB: over an SQS message, under the front end's limit.
    let filler = "x".repeat(1536 * 1024);
    let body = format!(r#"{{"ref":"refs/heads/main","commits":[{{"message":"{filler}"}}]}}"#);
    let headers = |ingest: &Ingest<MemoryQueue>| {
        let mut h = sign(ingest, "github", "gh-dev-secret", body.as_bytes());
        h.push(("x-github-event".into(), "push".into()));
        h.push(("x-github-delivery".into(), "big-1".into()));
        h
    };

    // No body store: refused, nothing enqueued.
    let (ingest, q, _) = setup();
    let h = headers(&ingest);
    let r = ingest
        .handle(req(Method::POST, "/webhooks/github", &h, body.as_bytes()))
        .await;
    assert_eq!(r.status(), 413);
    assert_eq!(json_body(&r)["error"], "payload_too_large");
    assert!(q.sent().is_empty());

    // With one: stored, and a small claim-check envelope enqueued.
    let (ingest, q, lines) = setup();
    let bodies = crate::bodies::MemoryBodyStore::default();
    let ingest = ingest.with_body_store(Arc::new(bodies.clone()));
    let h = headers(&ingest);
    let r = ingest
        .handle(req(Method::POST, "/webhooks/github", &h, body.as_bytes()))
        .await;
    assert_eq!(r.status(), 200, "{}", r.body());
    assert_eq!(json_body(&r)["event_id"], "big-1");
    let sent = q.sent();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].len() < 1024, "the message is a pointer");
    let env = crate::Envelope::from_json(&sent[0]).unwrap();
    let at = env.body_ref.clone().unwrap();
    assert_eq!(at.size as usize, body.len());
    assert_eq!(bodies.keys(), vec![at.key.clone()]);
    assert_eq!(
        env.with_body_fetched(body.as_bytes()).unwrap().body,
        body,
        "the stored body is the delivery's"
    );
    assert!(lines.lock().unwrap()[0].contains("\"BodyStored\":1"));

    // The store down: 503 with Retry-After, still nothing enqueued.
    let (ingest, q, _) = setup();
    bodies.set_down(true);
    let ingest = ingest.with_body_store(Arc::new(bodies.clone()));
    let h = headers(&ingest);
    let r = ingest
        .handle(req(Method::POST, "/webhooks/github", &h, body.as_bytes()))
        .await;
    assert_eq!(r.status(), 503);
    assert_eq!(json_body(&r)["error"], "storage_unavailable");
    assert_eq!(r.headers().get("retry-after").unwrap(), "5");
    assert!(q.sent().is_empty());
}

#[path = "chat_tests.rs"]
mod chat_tests;

/// A queue that takes `room` messages, then refuses every send.
#[derive(Clone)]
struct FillingQueue {
    taken: Arc<Mutex<Vec<String>>>,
    room: usize,
}

#[async_trait::async_trait]
impl EventQueue for FillingQueue {
    async fn enqueue(&self, event: &AcceptedEvent) -> Result<(), QueueError> {
        let mut taken = self.taken.lock().unwrap();
        if taken.len() == self.room {
            return Err(QueueError("full".into()));
        }
        taken.push(event.message_body().to_owned());
        Ok(())
    }
}

/// A delivery of several events that the queue refuses part-way is answered 503 (the
/// provider retries it whole; the processor deduplicates what was sent), and the metrics
/// count what did reach the queue.
#[tokio::test]
async fn several_events_refused_part_way_are_503_and_counted_as_far_as_sent() {
    let q = FillingQueue {
        taken: Arc::default(),
        room: 2,
    };
    let (ingest, lines) = ingest_over(q.clone());
    let body = br#"{"destination":"U1","events":[{"type":"message","webhookEventId":"E1"},{"type":"follow","webhookEventId":"E2"},{"type":"unfollow","webhookEventId":"E3"}]}"#;
    let h = sign(&setup().0, "line", "line-dev-secret", body);
    let r = ingest
        .handle(req(Method::POST, "/webhooks/line", &h, body))
        .await;
    assert_eq!(r.status(), 503);
    assert_eq!(json_body(&r)["error"], "queue_unavailable");
    assert_eq!(q.taken.lock().unwrap().len(), 2);
    let doc = crate::metrics::validate_emf(&lines.lock().unwrap()[0]).unwrap();
    assert_eq!(doc["Enqueued"], 2.0);
    assert_eq!(doc["EnqueueFailed"], 1.0);
}
