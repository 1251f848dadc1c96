//! The chat platforms through ingest: handshakes answered and never enqueued, synchronous
//! answers after enqueueing, tampered deliveries refused. Bodies are the platforms' published
//! examples (`shared/fixtures/platforms/`).

use super::*;
use crate::queue::MemoryQueue;
use crate::secret::Secret;

const NOW: i64 = 1_764_000_000;
// RFC 8032 TEST 1's key pair: the public key is the secret, the seed signs test deliveries.
const DISCORD_SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const DISCORD_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

fn config() -> String {
    format!(
        r#"{{"sources":{{
  "meta":{{"scheme":"meta","secrets":["meta-app-secret"],"verify_token":"meatyhamhock"}},
  "telegram":{{"scheme":"telegram","secrets":["tg_Secret-token_01"]}},
  "discord":{{"scheme":"discord","secrets":["{DISCORD_PUBLIC}"],"signing_key":"{DISCORD_SEED}"}},
  "teams":{{"scheme":"teams","secrets":["SmVmZQ=="],"reply_text":"On it."}},
  "zoom":{{"scheme":"zoom","secrets":["zoom-old-token","zoom-secret-token"]}},
  "bubble":{{"scheme":"bubble","secrets":["bubble-secret"]}}
}}}}"#
    )
}

fn setup() -> (Ingest<MemoryQueue>, MemoryQueue) {
    let q = MemoryQueue::default();
    let ingest = Ingest::new(
        SourcesCell::new(Sources::from_json(&config()).unwrap()),
        q.clone(),
    )
    .with_clock(|| OffsetDateTime::from_unix_timestamp(NOW).unwrap())
    .with_metrics_sink(Arc::new(|_: &str| {}));
    (ingest, q)
}

/// The parent's request builder, without a source address (no allowlists here).
fn request(method: Method, path: &str, headers: &[(String, String)], body: &[u8]) -> IngestRequest {
    super::req(method, path, headers, body).with_source_ip(None)
}

async fn post(
    ingest: &Ingest<MemoryQueue>,
    source: &str,
    secret: &str,
    body: &[u8],
) -> Response<String> {
    let h = ingest
        .sources()
        .current()
        .get(source)
        .unwrap()
        .scheme()
        .sign(&Secret::new(secret), body, NOW, "m")
        .unwrap();
    ingest
        .handle(request(
            Method::POST,
            &format!("/webhooks/{source}"),
            &h,
            body,
        ))
        .await
}

fn json(r: &Response<String>) -> serde_json::Value {
    serde_json::from_str(r.body()).unwrap()
}

// developers.facebook.com/docs/graph-api/webhooks/getting-started: "Sample Verification
// Request" GET ...?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock.
#[tokio::test]
async fn meta_subscription_handshake_answers_the_challenge_only_for_its_token() {
    let (ingest, q) = setup();
    let get = |query: &str| request(Method::GET, &format!("/webhooks/meta?{query}"), &[], b"");
    let r = ingest
        .handle(get(
            "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock",
        ))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.body(), "1158201444");
    assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    // Percent-encoded values are decoded, as in any query string.
    let r = ingest
        .handle(get(
            "hub.mode=subscribe&hub.challenge=a%20b&hub.verify_token=meaty%68amhock",
        ))
        .await;
    assert_eq!((r.status().as_u16(), r.body().as_str()), (200, "a b"));
    for (query, status, code) in [
        (
            "hub.mode=subscribe&hub.challenge=1&hub.verify_token=meatyhamhoc",
            403,
            "invalid_verify_token",
        ),
        (
            "hub.mode=subscribe&hub.challenge=1&hub.verify_token=",
            400,
            "bad_handshake",
        ),
        ("hub.mode=subscribe&hub.challenge=1", 400, "bad_handshake"),
        (
            "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=meatyhamhock",
            400,
            "bad_handshake",
        ),
        (
            "hub.mode=subscribe&hub.verify_token=meatyhamhock",
            400,
            "bad_handshake",
        ),
        (
            "hub.mode=subscribe&hub.challenge=1&hub.challenge=2&hub.verify_token=meatyhamhock",
            400,
            "bad_handshake",
        ),
        (
            "hub.mode=subscribe&hub.challenge=%0a&hub.verify_token=meatyhamhock",
            400,
            "bad_handshake",
        ),
        ("", 400, "bad_handshake"),
    ] {
        let r = ingest.handle(get(query)).await;
        assert_eq!(r.status(), status, "{query}");
        assert_eq!(json(&r)["error"], code, "{query}");
        assert!(
            !r.body().contains("meatyhamhock"),
            "the token is never echoed"
        );
    }
    // GET is only for sources with a handshake; elsewhere it is 405 naming what is allowed.
    let r = ingest
        .handle(request(
            Method::GET,
            "/webhooks/bubble?hub.mode=subscribe",
            &[],
            b"",
        ))
        .await;
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "POST");
    let r = ingest
        .handle(request(Method::PUT, "/webhooks/meta", &[], b"x"))
        .await;
    assert_eq!(r.status(), 405);
    let r = ingest
        .handle(request(
            Method::GET,
            "/webhooks/nope?hub.mode=subscribe",
            &[],
            b"",
        ))
        .await;
    assert_eq!(r.status(), 404);
    assert!(q.sent().is_empty(), "a handshake enqueues nothing");
}

#[tokio::test]
async fn meta_batches_become_one_message_per_event_with_its_entry() {
    let (ingest, q) = setup();
    let body = include_bytes!("../../fixtures/platforms/meta-whatsapp-messages.json");
    let r = post(&ingest, "meta", "meta-app-secret", body).await;
    assert_eq!(r.status(), 200, "{}", r.body());
    let r = post(&ingest, "meta", "wrong-secret", body).await;
    assert_eq!(r.status(), 401);
    // Two entries (a WhatsApp change and a Messenger message) in one POST: two events, each
    // the delivery narrowed to it, `object` and its entry's `id` kept.
    let batch = br#"{"object":"page","entry":[{"id":"P1","time":1,"changes":[{"field":"feed","value":{"x":1}},{"field":"feed","value":{"x":2}}]},{"id":"P2","time":2,"messaging":[{"sender":{"id":"S"},"recipient":{"id":"P2"},"timestamp":2,"message":{"mid":"m1","text":"hi"}}]}]}"#;
    let r = post(&ingest, "meta", "meta-app-secret", batch).await;
    assert_eq!(r.status(), 200, "{}", r.body());
    assert_eq!(json(&r)["event_ids"].as_array().unwrap().len(), 3);
    let sent = q.sent();
    assert_eq!(sent.len(), 4);
    let bodies: Vec<(String, String)> = sent[1..]
        .iter()
        .map(|m| {
            let e = crate::Envelope::from_json(m).unwrap();
            (
                e.event_type.clone(),
                String::from_utf8(e.body_bytes().to_vec()).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        bodies,
        vec![
            ("feed".into(), r#"{"entry":[{"changes":[{"field":"feed","value":{"x":1}}],"id":"P1","time":1}],"object":"page"}"#.into()),
            ("feed".into(), r#"{"entry":[{"changes":[{"field":"feed","value":{"x":2}}],"id":"P1","time":1}],"object":"page"}"#.into()),
            ("message".into(), r#"{"entry":[{"id":"P2","messaging":[{"sender":{"id":"S"},"recipient":{"id":"P2"},"timestamp":2,"message":{"mid":"m1","text":"hi"}}],"time":2}],"object":"page"}"#.into()),
        ]
    );
}

#[tokio::test]
async fn telegram_takes_the_update_id_and_refuses_a_wrong_token() {
    let (ingest, q) = setup();
    let body = include_bytes!("../../fixtures/platforms/telegram-message.json");
    let r = post(&ingest, "telegram", "tg_Secret-token_01", body).await;
    assert_eq!(r.status(), 200);
    assert_eq!(json(&r)["event_id"], "10000");
    let e = crate::Envelope::from_json(&q.sent()[0]).unwrap();
    assert_eq!(e.event_type, "message");
    let r = post(&ingest, "telegram", "tg_Secret-token_02", body).await;
    assert_eq!(
        (r.status().as_u16(), json(&r)["error"].as_str()),
        (401, Some("invalid_signature"))
    );
    assert_eq!(q.sent().len(), 1);
}

#[tokio::test]
async fn discord_ping_is_ponged_and_interactions_are_deferred_after_enqueueing() {
    let (ingest, q) = setup();
    let r = post(
        &ingest,
        "discord",
        DISCORD_SEED,
        br#"{"type":1,"id":"1","application_id":"2","token":"t","version":1}"#,
    )
    .await;
    assert_eq!(
        (r.status().as_u16(), r.body().as_str()),
        (200, r#"{"type":1}"#)
    );
    assert!(q.sent().is_empty(), "a PING enqueues nothing");
    let body = include_bytes!("../../fixtures/platforms/discord-application-command.json");
    let r = post(&ingest, "discord", DISCORD_SEED, body).await;
    assert_eq!(
        (r.status().as_u16(), r.body().as_str()),
        (200, r#"{"type":5}"#)
    );
    let e = crate::Envelope::from_json(&q.sent()[0]).unwrap();
    assert_eq!(
        (e.event_type.as_str(), e.event_id.as_str()),
        ("APPLICATION_COMMAND", "786008729715212338")
    );
    let component =
        br#"{"type":3,"id":"11","token":"t","data":{"custom_id":"b","component_type":2}}"#;
    let r = post(&ingest, "discord", DISCORD_SEED, component).await;
    assert_eq!(r.body(), r#"{"type":6}"#);
    let autocomplete = br#"{"type":4,"id":"12","token":"t","data":{"name":"a","type":1}}"#;
    let r = post(&ingest, "discord", DISCORD_SEED, autocomplete).await;
    assert_eq!(r.body(), r#"{"type":8,"data":{"choices":[]}}"#);
    // Discord checks endpoints with invalid signatures; they must get 401.
    let h = ingest
        .sources()
        .current()
        .get("discord")
        .unwrap()
        .scheme()
        .sign(&Secret::new(DISCORD_SEED), body, NOW, "m")
        .unwrap();
    let mut tampered = body.to_vec();
    tampered[10] ^= 1;
    let r = ingest
        .handle(request(Method::POST, "/webhooks/discord", &h, &tampered))
        .await;
    assert_eq!(r.status(), 401);
    let r = ingest
        .handle(request(
            Method::POST,
            "/webhooks/discord",
            &h,
            b"{\"type\":1}",
        ))
        .await;
    assert_eq!(
        r.status(),
        401,
        "a PING with another body's signature is no PING"
    );
    assert_eq!(q.sent().len(), 3);
}

#[tokio::test]
async fn teams_gets_its_reply_activity() {
    let (ingest, q) = setup();
    let body = include_bytes!("../../fixtures/platforms/teams-message.json");
    let r = post(&ingest, "teams", "SmVmZQ==", body).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        json(&r),
        serde_json::json!({"type": "message", "text": "On it."})
    );
    let e = crate::Envelope::from_json(&q.sent()[0]).unwrap();
    assert_eq!(e.event_type, "message");
    // Microsoft documents no unique id for outgoing webhooks: the body hash is the id.
    assert_eq!(e.event_id.len(), 64);
    let r = post(&ingest, "teams", "U21lZlo=", body).await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn zoom_url_validation_is_answered_with_the_secret_that_verified_it() {
    let (ingest, q) = setup();
    let body = include_bytes!("../../fixtures/platforms/zoom-endpoint.url_validation.json");
    for secret in ["zoom-secret-token", "zoom-old-token"] {
        let r = post(&ingest, "zoom", secret, body).await;
        assert_eq!(r.status(), 200);
        assert_eq!(
            json(&r),
            serde_json::json!({
                "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
                "encryptedToken": crate::scheme::zoom_encrypted_token(&Secret::new(secret), "qgg8vlvZRS6UYooatFL8Aw"),
            })
        );
    }
    // Unsigned, it is refused like any delivery: the answer would prove nothing otherwise.
    let r = ingest
        .handle(request(Method::POST, "/webhooks/zoom", &[], body))
        .await;
    assert_eq!(r.status(), 401);
    assert!(q.sent().is_empty());
    let event = include_bytes!("../../fixtures/platforms/zoom-meeting.started.json");
    let r = post(&ingest, "zoom", "zoom-secret-token", event).await;
    assert_eq!(r.status(), 200);
    let e = crate::Envelope::from_json(&q.sent()[0]).unwrap();
    assert_eq!(e.event_type, "meeting.started");
}

#[test]
fn platform_options_are_checked_at_load() {
    let bad = [
        (
            r#"{"sources":{"m":{"scheme":"meta","secrets":["s"]}}}"#,
            "verify_token",
        ),
        (
            r#"{"sources":{"b":{"scheme":"bubble","secrets":["s"],"verify_token":"t"}}}"#,
            "only applies",
        ),
        (
            r#"{"sources":{"t":{"scheme":"telegram","secrets":["has space"]}}}"#,
            "A-Z",
        ),
        (
            r#"{"sources":{"t":{"scheme":"teams","secrets":["not base64!"]}}}"#,
            "base64",
        ),
        (
            r#"{"sources":{"d":{"scheme":"discord","secrets":["abcd"]}}}"#,
            "hex",
        ),
        (
            r#"{"sources":{"d":{"scheme":"discord","secrets":["3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"],"signing_key":"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"}}}"#,
            "not among the secrets",
        ),
        (
            r#"{"sources":{"t":{"scheme":"teams","secrets":["SmVmZQ=="],"reply_text":""}}}"#,
            "reply_text",
        ),
    ];
    for (doc, needle) in bad {
        let e = Sources::from_json(doc).unwrap_err().to_string();
        assert!(e.contains(needle), "{doc}: {e}");
        assert!(
            !e.contains("has space") && !e.contains("9d61b19d"),
            "no secret in {e}"
        );
    }
}

#[tokio::test]
async fn a_meta_batch_whose_context_would_multiply_it_is_refused_whole() {
    let (ingest, q) = setup();
    let changes = [r#"{"field":"feed","value":1}"#; 10].join(",");
    let pad = "a".repeat(300 * 1024);
    let body = format!(
        r#"{{"object":"page","pad":"{pad}","entry":[{{"id":"1","changes":[{changes}]}}]}}"#
    );
    let r = post(&ingest, "meta", "meta-app-secret", body.as_bytes()).await;
    assert_eq!(r.status(), 413, "{}", r.body());
    assert_eq!(json(&r)["error"], "payload_too_large");
    assert!(q.sent().is_empty(), "nothing half-accepted");
}

// README: `accept_event_types: ["messages"]` keeps WhatsApp's messages and drops its statuses.
#[tokio::test]
async fn whatsapp_statuses_can_be_filtered_out_by_type() {
    let doc = r#"{"sources":{"wa":{"scheme":"meta","secrets":["s"],"verify_token":"t",
        "accept_event_types":["messages"]}}}"#;
    let q = MemoryQueue::default();
    let ingest = Ingest::new(
        SourcesCell::new(Sources::from_json(doc).unwrap()),
        q.clone(),
    )
    .with_clock(|| OffsetDateTime::from_unix_timestamp(NOW).unwrap())
    .with_metrics_sink(Arc::new(|_: &str| {}));
    let status = include_bytes!("../../fixtures/platforms/meta-whatsapp-status.json");
    let r = post(&ingest, "wa", "s", status).await;
    assert_eq!(r.status(), 200);
    assert_eq!(json(&r)["status"], "filtered");
    assert_eq!(json(&r)["event_type"], "statuses");
    assert!(q.sent().is_empty());
    let message = include_bytes!("../../fixtures/platforms/meta-whatsapp-messages.json");
    let r = post(&ingest, "wa", "s", message).await;
    assert_eq!(json(&r)["status"], "accepted");
    assert_eq!(q.sent().len(), 1);
}
