//! Hostile input at the HTTP level: API Gateway v2 events through the ingest handler, against
//! a real (moto) queue. Each case has its exact status and exactly how many messages it may
//! enqueue: nothing unless the delivery is valid.

use hookwell::{Ingest, SourcesCell, SqsEventQueue};
use hookwell_tests::*;

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// One case: name, method, path, headers, body, status, error code (or "" for 200), enqueued.
type Case = (
    &'static str,
    &'static str,
    String,
    Vec<(String, String)>,
    Vec<u8>,
    u16,
    &'static str,
    usize,
);

#[tokio::test]
async fn hostile_input_catalog() {
    let sources = dev_sources();
    let now = now();
    let sign = |source: &str, body: &[u8]| hookwell_tests::sign(&sources, source, body, now);
    let sign_at =
        |source: &str, body: &[u8], at: i64| hookwell_tests::sign(&sources, source, body, at);
    let msg = br#"{"type":"MESSAGE_CREATE","timestamp":"2026-11-25T05:00:00Z","data":{"id":"m1","content":"hi"}}"#.to_vec();
    let bubble_sig = sign("bubble", &msg)[0].1.clone();
    let gh = |body: &[u8], id: &str| {
        let mut v = sign("github", body);
        v.extend(h(&[("x-github-event", "push"), ("x-github-delivery", id)]));
        v
    };
    let with_sig = |sig: &str| h(&[("x-bubble-signature", sig)]);
    let hex_part = bubble_sig.trim_start_matches("sha256=").to_owned();
    let over = vec![b'a'; hookwell::config::DEFAULT_MAX_BODY_BYTES + 1];
    let at_limit = vec![b'a'; hookwell::config::DEFAULT_MAX_BODY_BYTES];
    let deep = |n: usize| {
        format!(r#"{{"type":"T","x":{}1{}}}"#, "[".repeat(n), "]".repeat(n)).into_bytes()
    };
    let sha512 = {
        use hmac::{KeyInit, Mac};
        let mut m =
            hmac::Hmac::<sha2::Sha512>::new_from_slice(b"dev-bubble-signing-secret").unwrap();
        m.update(&msg);
        format!("sha256={}", hex::encode(m.finalize().into_bytes()))
    };
    let meta_body: &[u8] =
        include_bytes!("../../shared/fixtures/platforms/meta-whatsapp-messages.json");
    let telegram_body: &[u8] =
        include_bytes!("../../shared/fixtures/platforms/telegram-message.json");
    let discord_body: &[u8] =
        include_bytes!("../../shared/fixtures/platforms/discord-application-command.json");
    let teams_body: &[u8] = include_bytes!("../../shared/fixtures/platforms/teams-message.json");
    let zoom_validation: &[u8] =
        include_bytes!("../../shared/fixtures/platforms/zoom-endpoint.url_validation.json");
    let slack_body =
        br#"{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention"}}"#.to_vec();
    let slack_ts = |ts: &str| {
        let mut v = sign("slack", &slack_body);
        v.retain(|(k, _)| k != "X-Slack-Request-Timestamp");
        v.push(("X-Slack-Request-Timestamp".into(), ts.into()));
        v
    };
    let std_body = br#"{"type":"user.created","data":{}}"#.to_vec();
    let line_sig = |b: &[u8]| sign("line", b);
    let p = |s: &str| format!("/webhooks/{s}");
    let mut sig_and_spaces = with_sig(&format!("  {bubble_sig}  "));
    sig_and_spaces.push(("content-type".into(), "text/plain".into()));
    let mut chunked = sign("bubble", &msg);
    chunked.push(("transfer-encoding".into(), "chunked".into()));
    let mut twice = sign("bubble", &msg);
    twice.push(twice[0].clone());
    let mut huge_header = with_sig(&format!("sha256={}", "ab".repeat(8 * 1024)));
    huge_header.push(("x-padding".into(), "p".repeat(16 * 1024)));
    let huge_number = br#"{"type":"MESSAGE_CREATE","data":{"id":1e999999}}"#.to_vec();
    let big_int =
        br#"{"type":"MESSAGE_CREATE","data":{"id":123456789012345678901234567890}}"#.to_vec();
    let dup_keys = br#"{"type":"A","type":"MESSAGE_CREATE","data":{"id":"d1"}}"#.to_vec();
    let std_multi = {
        let mut v = sign("standard", &std_body);
        for (k, val) in v.iter_mut() {
            if k == "webhook-signature" {
                *val = format!("v1,AAAA v2,bm9wZQ== {val}");
            }
        }
        v
    };
    let stripe_body = br#"{"id":"evt_h1","type":"invoice.paid"}"#.to_vec();

    let cases: Vec<Case> = vec![
        (
            "valid bubble",
            "POST",
            p("bubble"),
            sign("bubble", &msg),
            msg.clone(),
            200,
            "",
            1,
        ),
        (
            "oversize body",
            "POST",
            p("github"),
            gh(&over, "o1"),
            over.clone(),
            413,
            "payload_too_large",
            0,
        ),
        (
            "body exactly at the limit",
            "POST",
            p("github"),
            gh(&at_limit, "l1"),
            at_limit.clone(),
            200,
            "",
            1,
        ),
        (
            "chunked transfer-encoding header",
            "POST",
            p("bubble"),
            chunked,
            msg.clone(),
            200,
            "",
            1,
        ),
        (
            "empty body",
            "POST",
            p("bubble"),
            sign("bubble", b""),
            vec![],
            400,
            "empty_body",
            0,
        ),
        (
            "non-UTF-8 to a JSON provider",
            "POST",
            p("bubble"),
            sign("bubble", &[0xff, 0xfe, 0x80]),
            vec![0xff, 0xfe, 0x80],
            400,
            "malformed_body",
            0,
        ),
        (
            "non-UTF-8 to GitHub",
            "POST",
            p("github"),
            gh(&[0xff, 0xfe, 0x80], "n1"),
            vec![0xff, 0xfe, 0x80],
            200,
            "",
            1,
        ),
        (
            "invalid JSON",
            "POST",
            p("bubble"),
            sign("bubble", b"{\"type\":"),
            b"{\"type\":".to_vec(),
            400,
            "malformed_body",
            0,
        ),
        (
            "trailing garbage after JSON",
            "POST",
            p("bubble"),
            sign("bubble", b"{}{}"),
            b"{}{}".to_vec(),
            400,
            "malformed_body",
            0,
        ),
        (
            "nesting 10 000 deep",
            "POST",
            p("bubble"),
            sign("bubble", &deep(10_000)),
            deep(10_000),
            400,
            "malformed_body",
            0,
        ),
        (
            "nesting 200 deep",
            "POST",
            p("bubble"),
            sign("bubble", &deep(200)),
            deep(200),
            400,
            "malformed_body",
            0,
        ),
        (
            "nesting 50 deep is fine",
            "POST",
            p("bubble"),
            sign("bubble", &deep(50)),
            deep(50),
            200,
            "",
            1,
        ),
        (
            "number out of range",
            "POST",
            p("bubble"),
            sign("bubble", &huge_number),
            huge_number.clone(),
            400,
            "malformed_body",
            0,
        ),
        (
            "huge integer id",
            "POST",
            p("bubble"),
            sign("bubble", &big_int),
            big_int.clone(),
            200,
            "",
            1,
        ),
        (
            "duplicate keys (last wins, as serde)",
            "POST",
            p("bubble"),
            sign("bubble", &dup_keys),
            dup_keys.clone(),
            200,
            "",
            1,
        ),
        (
            "signature header repeated",
            "POST",
            p("bubble"),
            twice,
            msg.clone(),
            401,
            "invalid_signature",
            0,
        ),
        (
            "oversized signature header",
            "POST",
            p("bubble"),
            huge_header,
            msg.clone(),
            401,
            "invalid_signature",
            0,
        ),
        (
            "wrong content type, valid signature",
            "POST",
            p("bubble"),
            sig_and_spaces,
            msg.clone(),
            200,
            "",
            1,
        ),
        (
            "upper-case hex digits",
            "POST",
            p("bubble"),
            with_sig(&format!("sha256={}", hex_part.to_ascii_uppercase())),
            msg.clone(),
            200,
            "",
            1,
        ),
        (
            "upper-case prefix",
            "POST",
            p("bubble"),
            with_sig(&format!("SHA256={hex_part}")),
            msg.clone(),
            401,
            "invalid_signature",
            0,
        ),
        (
            "space inside the value",
            "POST",
            p("bubble"),
            with_sig(&format!("sha256= {hex_part}")),
            msg.clone(),
            401,
            "invalid_signature",
            0,
        ),
        (
            "truncated signature",
            "POST",
            p("bubble"),
            with_sig(&bubble_sig[..40]),
            msg.clone(),
            401,
            "invalid_signature",
            0,
        ),
        (
            "wrong prefix",
            "POST",
            p("bubble"),
            with_sig(&format!("sha1={hex_part}")),
            msg.clone(),
            401,
            "invalid_signature",
            0,
        ),
        (
            "no prefix",
            "POST",
            p("bubble"),
            with_sig(&hex_part),
            msg.clone(),
            401,
            "invalid_signature",
            0,
        ),
        (
            "other algorithm (HMAC-SHA512)",
            "POST",
            p("bubble"),
            with_sig(&sha512),
            msg.clone(),
            401,
            "invalid_signature",
            0,
        ),
        (
            "signature of another body",
            "POST",
            p("bubble"),
            sign("bubble", b"{}"),
            msg.clone(),
            401,
            "invalid_signature",
            0,
        ),
        (
            "another source's secret",
            "POST",
            p("bubble"),
            with_sig(&sign("groupgm", &msg)[0].1),
            msg.clone(),
            401,
            "invalid_signature",
            0,
        ),
        (
            "empty signature header",
            "POST",
            p("bubble"),
            with_sig(""),
            msg.clone(),
            401,
            "missing_signature",
            0,
        ),
        (
            "no signature",
            "POST",
            p("bubble"),
            vec![],
            msg.clone(),
            401,
            "missing_signature",
            0,
        ),
        (
            "Slack stale timestamp",
            "POST",
            p("slack"),
            sign_at("slack", &slack_body, now - 600),
            slack_body.clone(),
            401,
            "stale_timestamp",
            0,
        ),
        (
            "Slack future timestamp",
            "POST",
            p("slack"),
            sign_at("slack", &slack_body, now + 600),
            slack_body.clone(),
            401,
            "stale_timestamp",
            0,
        ),
        (
            "Slack non-numeric timestamp",
            "POST",
            p("slack"),
            slack_ts("12a4"),
            slack_body.clone(),
            401,
            "invalid_signature",
            0,
        ),
        (
            "Slack overflowing timestamp",
            "POST",
            p("slack"),
            slack_ts("999999999999999999999999"),
            slack_body.clone(),
            401,
            "invalid_signature",
            0,
        ),
        (
            "Slack negative timestamp",
            "POST",
            p("slack"),
            slack_ts("-1"),
            slack_body.clone(),
            401,
            "invalid_signature",
            0,
        ),
        (
            "Standard Webhooks stale",
            "POST",
            p("standard"),
            sign_at("standard", &std_body, now - 600),
            std_body.clone(),
            401,
            "stale_timestamp",
            0,
        ),
        (
            "Standard Webhooks future",
            "POST",
            p("standard"),
            sign_at("standard", &std_body, now + 600),
            std_body.clone(),
            401,
            "stale_timestamp",
            0,
        ),
        (
            "Standard Webhooks, one of several signatures valid",
            "POST",
            p("standard"),
            std_multi,
            std_body.clone(),
            200,
            "",
            1,
        ),
        (
            "Stripe stale",
            "POST",
            p("stripe"),
            sign_at("stripe", &stripe_body, now - 600),
            stripe_body.clone(),
            401,
            "stale_timestamp",
            0,
        ),
        (
            "Stripe future (Stripe rejects only old)",
            "POST",
            p("stripe"),
            sign_at("stripe", &stripe_body, now + 600),
            stripe_body.clone(),
            200,
            "",
            1,
        ),
        (
            "replayed delivery (accepted again; deduplicated later)",
            "POST",
            p("bubble"),
            sign("bubble", &msg),
            msg.clone(),
            200,
            "",
            1,
        ),
        (
            "URL token wrong",
            "POST",
            "/webhooks/bubble-token/not-the-token".into(),
            vec![],
            msg.clone(),
            401,
            "invalid_signature",
            0,
        ),
        (
            "URL token in the query",
            "POST",
            "/webhooks/bubble-token?token=dev_bubble_url_token_5f2c9a0b7d41e83c".into(),
            vec![],
            msg.clone(),
            200,
            "",
            1,
        ),
        (
            "unknown source",
            "POST",
            p("nosuch"),
            sign("bubble", &msg),
            msg.clone(),
            404,
            "unknown_source",
            0,
        ),
        (
            "path traversal (normalised away: not a webhooks path)",
            "POST",
            "/webhooks/../bubble".into(),
            sign("bubble", &msg),
            msg.clone(),
            404,
            "not_found",
            0,
        ),
        (
            "not a webhooks path",
            "POST",
            "/admin".into(),
            sign("bubble", &msg),
            msg.clone(),
            404,
            "not_found",
            0,
        ),
        (
            "GET",
            "GET",
            p("bubble"),
            sign("bubble", &msg),
            msg.clone(),
            405,
            "method_not_allowed",
            0,
        ),
        (
            "PUT",
            "PUT",
            p("bubble"),
            sign("bubble", &msg),
            msg.clone(),
            405,
            "method_not_allowed",
            0,
        ),
        (
            "LINE without events",
            "POST",
            p("line"),
            line_sig(br#"{"destination":"U"}"#),
            br#"{"destination":"U"}"#.to_vec(),
            400,
            "malformed_body",
            0,
        ),
        (
            "LINE verify (no events)",
            "POST",
            p("line"),
            line_sig(br#"{"destination":"U","events":[]}"#),
            br#"{"destination":"U","events":[]}"#.to_vec(),
            200,
            "",
            0,
        ),
        (
            "LINE bad base64 signature",
            "POST",
            p("line"),
            h(&[("x-line-signature", "a===")]),
            br#"{"events":[]}"#.to_vec(),
            401,
            "invalid_signature",
            0,
        ),
        (
            "Slack url_verification (answered, not enqueued)",
            "POST",
            p("slack"),
            sign("slack", br#"{"type":"url_verification","challenge":"c"}"#),
            br#"{"type":"url_verification","challenge":"c"}"#.to_vec(),
            200,
            "",
            0,
        ),
        // Issue #17: GET is a handshake only for Meta; the chat platforms' credentials.
        (
            "meta subscription handshake",
            "GET",
            "/webhooks/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=dev-meta-verify-token".into(),
            vec![],
            vec![],
            200,
            "",
            0,
        ),
        (
            "meta handshake, wrong verify token",
            "GET",
            "/webhooks/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess".into(),
            vec![],
            vec![],
            403,
            "invalid_verify_token",
            0,
        ),
        (
            "meta handshake without a challenge",
            "GET",
            "/webhooks/meta?hub.mode=subscribe&hub.verify_token=dev-meta-verify-token".into(),
            vec![],
            vec![],
            400,
            "bad_handshake",
            0,
        ),
        (
            "meta handshake on a token path",
            "GET",
            "/webhooks/meta/extra?hub.mode=subscribe&hub.challenge=1&hub.verify_token=dev-meta-verify-token".into(),
            vec![],
            vec![],
            405,
            "method_not_allowed",
            0,
        ),
        (
            "GET to an unknown source",
            "GET",
            "/webhooks/nope?hub.mode=subscribe&hub.challenge=1&hub.verify_token=x".into(),
            vec![],
            vec![],
            404,
            "unknown_source",
            0,
        ),
        (
            "meta POST signed with the GitHub secret",
            "POST",
            p("meta"),
            sign("github", meta_body),
            meta_body.to_vec(),
            401,
            "invalid_signature",
            0,
        ),
        (
            "meta POST, valid",
            "POST",
            p("meta"),
            sign("meta", meta_body),
            meta_body.to_vec(),
            200,
            "",
            1,
        ),
        (
            "telegram without its secret token header",
            "POST",
            p("telegram"),
            vec![],
            telegram_body.to_vec(),
            401,
            "missing_signature",
            0,
        ),
        (
            "telegram with another token",
            "POST",
            p("telegram"),
            h(&[("x-telegram-bot-api-secret-token", "dev_telegram_secret_token_7d1f")]),
            telegram_body.to_vec(),
            401,
            "invalid_signature",
            0,
        ),
        (
            "discord PING, unsigned",
            "POST",
            p("discord"),
            h(&[("x-signature-timestamp", "1")]),
            br#"{"type":1}"#.to_vec(),
            401,
            "missing_signature",
            0,
        ),
        (
            "discord interaction, signature of another body",
            "POST",
            p("discord"),
            sign("discord", br#"{"type":1}"#),
            discord_body.to_vec(),
            401,
            "invalid_signature",
            0,
        ),
        (
            "teams, Bearer instead of HMAC",
            "POST",
            p("teams"),
            h(&[("authorization", "Bearer W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=")]),
            teams_body.to_vec(),
            401,
            "invalid_signature",
            0,
        ),
        (
            "zoom URL validation, unsigned",
            "POST",
            p("zoom"),
            vec![],
            zoom_validation.to_vec(),
            401,
            "missing_signature",
            0,
        ),
        (
            "zoom URL validation, signed",
            "POST",
            p("zoom"),
            sign("zoom", zoom_validation),
            zoom_validation.to_vec(),
            200,
            "",
            0,
        ),
    ];
    assert!(cases.len() >= 40, "{} cases", cases.len());

    let sdk = sdk().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let url = create_queue(&sqs, &unique("hostile")).await;
    // As deployed: bodies over a queue message go to the bucket (the case at the limit).
    let (s3, bucket) = create_bucket(&sdk).await;
    let ingest = Ingest::new(
        SourcesCell::new(dev_sources()),
        SqsEventQueue::new(sqs.clone(), url.clone()),
    )
    .with_body_store(std::sync::Arc::new(hookwell::aws::S3BodyStore::new(
        s3, bucket,
    )))
    .with_metrics_sink(std::sync::Arc::new(|_: &str| {}));
    let secrets = all_secrets(&std::fs::read_to_string(DEV_SOURCES).unwrap());
    for (what, method, path, headers, body, status, code, enqueued) in cases {
        let ev = lambda_event("apigw-v2-request.json", method, &path, &headers, &body);
        let req = lambda_http::request::from_str(&ev).unwrap_or_else(|e| panic!("{what}: {e}"));
        let resp = hookwell::lambda::handle_ingest(&ingest, req).await;
        let text = match resp.body() {
            lambda_http::Body::Text(t) => t.clone(),
            other => panic!("{what}: body {other:?}"),
        };
        assert_eq!(resp.status().as_u16(), status, "{what}: {text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        if code.is_empty() {
            assert!(v.get("error").is_none(), "{what}: {text}");
        } else {
            assert_eq!(v["error"], code, "{what}");
        }
        assert!(!text.contains("hi\""), "{what}: echoes the body");
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{what}: answer contains a secret"
            );
        }
        let got = drain(&sqs, &url, 10).await.len();
        assert_eq!(got, enqueued, "{what}: enqueued");
    }
}
