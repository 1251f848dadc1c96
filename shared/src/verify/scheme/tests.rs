use super::*;
use http::HeaderValue;

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

fn secrets(v: &[&str]) -> Vec<Secret> {
    v.iter().map(|s| Secret::new(*s)).collect()
}

fn check(
    scheme: &Scheme,
    keys: &[&str],
    h: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    scheme.verify(
        &secrets(keys),
        Unverified {
            headers: h,
            body,
            url_token: None,
        },
        now,
    )
}

fn github() -> Scheme {
    Scheme::Hmac(HmacScheme::new(
        "x-hub-signature-256",
        Algorithm::Sha256,
        Encoding::Hex,
        Some("sha256="),
    ))
}

// Source: GitHub Docs, "Validating webhook deliveries", section "Testing the webhook payload
// validation" (docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries).
#[test]
fn github_published_vector() {
    let h = headers(&[(
        "X-Hub-Signature-256",
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    )]);
    assert_eq!(
        check(
            &github(),
            &["It's a Secret to Everybody"],
            &h,
            b"Hello, World!",
            0
        ),
        Ok(())
    );
    assert_eq!(
        check(
            &github(),
            &["It's a Secret to Everybody"],
            &h,
            b"Hello, World?",
            0
        ),
        Err(SignatureError::Mismatch)
    );
}

// Source: standard-webhooks/standard-webhooks, libraries/rust/src/lib.rs tests
// (secret, msg id, timestamp, payload and expected signature as given there).
#[test]
fn standard_webhooks_rust_vector() {
    let s = Scheme::StandardWebhooks {
        tolerance_secs: 300,
    };
    let h = headers(&[
        ("webhook-id", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"),
        ("webhook-timestamp", "1649367553"),
        (
            "webhook-signature",
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
        ),
    ]);
    let body = br#"{"email":"test@example.com","username":"test_user"}"#;
    let key = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    assert_eq!(check(&s, &[key], &h, body, 1_649_367_553), Ok(()));
    // The same delivery an hour later is a replay.
    assert_eq!(
        check(&s, &[key], &h, body, 1_649_367_553 + 3600),
        Err(SignatureError::OutsideTolerance(300))
    );
    let signed = s
        .sign(
            &Secret::new(key),
            body,
            1_649_367_553,
            "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
        )
        .unwrap();
    assert_eq!(
        signed[2].1,
        "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
    );
}

// Source: standard-webhooks/standard-webhooks, libraries/javascript/src/index.test.ts and
// libraries/go/webhooks_test.go (same vector in both).
#[test]
fn standard_webhooks_js_go_vector() {
    let s = Scheme::StandardWebhooks {
        tolerance_secs: 300,
    };
    let h = headers(&[
        ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
        ("webhook-timestamp", "1614265330"),
        // Several signatures, one of them unknown: any v1 match is enough.
        (
            "webhook-signature",
            "v1,bm9wZQ== v2,Zm9v v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        ),
    ]);
    let body = br#"{"test": 2432232314}"#;
    assert_eq!(
        check(
            &s,
            &["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            &h,
            body,
            1_614_265_330
        ),
        Ok(())
    );
    assert_eq!(
        check(
            &s,
            &["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
            &h,
            body,
            1_614_265_330 - 301
        ),
        Err(SignatureError::OutsideTolerance(300)),
        "a timestamp from the future is rejected too"
    );
}

// Source: slackapi/python-slack-sdk, tests/signature/test_signature_verifier.py.
#[test]
fn slack_python_sdk_vector() {
    let s = Scheme::Slack {
        tolerance_secs: 300,
    };
    let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    let h = headers(&[
        ("X-Slack-Request-Timestamp", "1531420618"),
        (
            "X-Slack-Signature",
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        ),
    ]);
    let key = "8f742231b10e8888abcd99yyyzzz85a5";
    assert_eq!(check(&s, &[key], &h, body, 1_531_420_618), Ok(()));
    assert_eq!(
        check(&s, &[key], &h, body, 1_531_420_618 + 301),
        Err(SignatureError::OutsideTolerance(300))
    );
    assert_eq!(
        check(&s, &[key], &h, body, 1_531_420_618 - 301),
        Err(SignatureError::OutsideTolerance(300))
    );
}

// Source: line/line-bot-sdk-python, tests/test_webhook.py (TestSignatureValidator).
#[test]
fn line_python_sdk_vector() {
    let s = Scheme::Hmac(HmacScheme::new(
        "x-line-signature",
        Algorithm::Sha256,
        Encoding::Base64,
        None,
    ));
    let h = headers(&[(
        "x-line-signature",
        "/gg9a+LvFevTH1sd7XCQycD7tsWclCsInj7MhBHxN7k=",
    )]);
    assert_eq!(
        check(&s, &["channel_secret"], &h, b"bodybodybodybody", 0),
        Ok(())
    );
    assert_eq!(
        check(&s, &["channel_secret"], &h, b"bodybodybodybodY", 0),
        Err(SignatureError::Mismatch)
    );
}

/// Every scheme, signed by our own signer, exercised through the common failure cases.
fn all_schemes() -> Vec<(&'static str, Scheme, &'static str)> {
    vec![
        (
            "bubble",
            Scheme::Hmac(HmacScheme::new(
                "x-bubble-signature",
                Algorithm::Sha256,
                Encoding::Hex,
                Some("sha256="),
            )),
            "bubble-secret",
        ),
        (
            "groupgm",
            Scheme::Hmac(HmacScheme::new(
                "x-webhook-signature",
                Algorithm::Sha256,
                Encoding::Hex,
                Some("sha256="),
            )),
            "gm-secret",
        ),
        (
            "sendbird",
            Scheme::Hmac(HmacScheme::new(
                "x-sendbird-signature",
                Algorithm::Sha256,
                Encoding::Hex,
                None,
            )),
            "sb-api-token",
        ),
        ("github", github(), "gh-secret"),
        (
            "shopify",
            Scheme::Hmac(HmacScheme::new(
                "x-shopify-hmac-sha256",
                Algorithm::Sha256,
                Encoding::Base64,
                None,
            )),
            "shp-secret",
        ),
        (
            "line",
            Scheme::Hmac(HmacScheme::new(
                "x-line-signature",
                Algorithm::Sha256,
                Encoding::Base64,
                None,
            )),
            "line-secret",
        ),
        (
            "sha1",
            Scheme::Hmac(HmacScheme::new(
                "x-sig",
                Algorithm::Sha1,
                Encoding::Hex,
                Some("sha1="),
            )),
            "k1",
        ),
        (
            "sha512",
            Scheme::Hmac(HmacScheme::new(
                "x-sig",
                Algorithm::Sha512,
                Encoding::Base64,
                None,
            )),
            "k512",
        ),
        (
            "stripe",
            Scheme::Stripe {
                tolerance_secs: 300,
            },
            "whsec_stripe_test",
        ),
        (
            "slack",
            Scheme::Slack {
                tolerance_secs: 300,
            },
            "slack-secret",
        ),
        (
            "standard",
            Scheme::StandardWebhooks {
                tolerance_secs: 300,
            },
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ),
    ]
}

const NOW: i64 = 1_764_000_000;
const BODY: &[u8] = br#"{"type":"MESSAGE_CREATE","data":{"id":"1"}}"#;

fn signed(scheme: &Scheme, key: &str, body: &[u8], at: i64) -> HeaderMap {
    let pairs = scheme.sign(&Secret::new(key), body, at, "msg_1").unwrap();
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(&v).unwrap(),
        );
    }
    h
}

#[test]
fn valid_signature_passes_for_every_scheme() {
    for (name, s, key) in all_schemes() {
        assert_eq!(
            check(&s, &[key], &signed(&s, key, BODY, NOW), BODY, NOW),
            Ok(()),
            "{name}"
        );
    }
}

#[test]
fn wrong_secret_fails_for_every_scheme() {
    for (name, s, key) in all_schemes() {
        let h = signed(&s, key, BODY, NOW);
        let wrong = if name == "standard" {
            "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
        } else {
            "not-the-secret"
        };
        assert_eq!(
            check(&s, &[wrong], &h, BODY, NOW),
            Err(SignatureError::Mismatch),
            "{name}"
        );
    }
}

#[test]
fn tampered_body_fails_for_every_scheme() {
    for (name, s, key) in all_schemes() {
        let h = signed(&s, key, BODY, NOW);
        let mut tampered = BODY.to_vec();
        tampered[10] ^= 0x01;
        assert_eq!(
            check(&s, &[key], &h, &tampered, NOW),
            Err(SignatureError::Mismatch),
            "{name}"
        );
    }
}

#[test]
fn rotated_secrets_both_pass_while_active() {
    for (name, s, key) in all_schemes() {
        let old = if name == "standard" {
            "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
        } else {
            "the-old-secret"
        };
        let active = [key, old];
        assert_eq!(
            check(&s, &active, &signed(&s, key, BODY, NOW), BODY, NOW),
            Ok(()),
            "{name} new"
        );
        assert_eq!(
            check(&s, &active, &signed(&s, old, BODY, NOW), BODY, NOW),
            Ok(()),
            "{name} old"
        );
        // Once the old one is retired, its signatures stop passing.
        assert_eq!(
            check(&s, &[key], &signed(&s, old, BODY, NOW), BODY, NOW),
            Err(SignatureError::Mismatch),
            "{name} retired"
        );
    }
}

#[test]
fn missing_headers_fail_for_every_scheme() {
    for (name, s, key) in all_schemes() {
        let full = signed(&s, key, BODY, NOW);
        assert!(
            matches!(
                check(&s, &[key], &HeaderMap::new(), BODY, NOW),
                Err(SignatureError::Missing(_))
            ),
            "{name} none"
        );
        // Drop each signed header in turn.
        for drop in full.keys() {
            let mut h = full.clone();
            h.remove(drop);
            assert!(
                matches!(
                    check(&s, &[key], &h, BODY, NOW),
                    Err(SignatureError::Missing(_))
                ),
                "{name} without {drop}"
            );
        }
    }
}

#[test]
fn repeated_headers_fail_for_every_scheme() {
    for (name, s, key) in all_schemes() {
        let full = signed(&s, key, BODY, NOW);
        for k in full.keys() {
            let mut h = full.clone();
            let v = h.get(k).unwrap().clone();
            h.append(k.clone(), v);
            assert!(
                matches!(
                    check(&s, &[key], &h, BODY, NOW),
                    Err(SignatureError::Repeated(_))
                ),
                "{name} {k}"
            );
        }
    }
}

#[test]
fn malformed_signature_values_fail() {
    type Case<'a> = (&'a str, Scheme, &'a [(&'a str, &'a str)]);
    let cases: &[Case] = &[
        (
            "hex not hex",
            github(),
            &[("x-hub-signature-256", "sha256=zzzz")],
        ),
        (
            "wrong prefix",
            github(),
            &[(
                "x-hub-signature-256",
                "sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
            )],
        ),
        (
            "prefix case",
            github(),
            &[(
                "x-hub-signature-256",
                "SHA256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
            )],
        ),
        (
            "odd hex",
            github(),
            &[("x-hub-signature-256", "sha256=757")],
        ),
        (
            "not base64",
            Scheme::Hmac(HmacScheme::new(
                "x-line-signature",
                Algorithm::Sha256,
                Encoding::Base64,
                None,
            )),
            &[("x-line-signature", "***")],
        ),
        (
            "stripe garbage",
            Scheme::Stripe {
                tolerance_secs: 300,
            },
            &[("stripe-signature", "garbage")],
        ),
        (
            "stripe two t",
            Scheme::Stripe {
                tolerance_secs: 300,
            },
            &[("stripe-signature", "t=1,t=2,v1=00")],
        ),
        (
            "slack no v0",
            Scheme::Slack {
                tolerance_secs: 300,
            },
            &[
                ("x-slack-request-timestamp", "1764000000"),
                ("x-slack-signature", "a2114d57"),
            ],
        ),
        (
            "slack ts not numeric",
            Scheme::Slack {
                tolerance_secs: 300,
            },
            &[
                ("x-slack-request-timestamp", "12ab"),
                ("x-slack-signature", "v0=00"),
            ],
        ),
        (
            "slack ts overflow",
            Scheme::Slack {
                tolerance_secs: 300,
            },
            &[
                ("x-slack-request-timestamp", "99999999999999999999999"),
                ("x-slack-signature", "v0=00"),
            ],
        ),
        (
            "slack ts negative",
            Scheme::Slack {
                tolerance_secs: 300,
            },
            &[
                ("x-slack-request-timestamp", "-5"),
                ("x-slack-signature", "v0=00"),
            ],
        ),
        (
            "standard ts float",
            Scheme::StandardWebhooks {
                tolerance_secs: 300,
            },
            &[
                ("webhook-id", "m"),
                ("webhook-timestamp", "1.5"),
                ("webhook-signature", "v1,AAAA"),
            ],
        ),
    ];
    for (what, s, pairs) in cases {
        let r = check(s, &["k"], &headers(pairs), BODY, NOW);
        assert!(
            matches!(
                r,
                Err(SignatureError::Malformed(_)) | Err(SignatureError::Repeated(_))
            ),
            "{what}: {r:?}"
        );
        assert_eq!(r.unwrap_err().code(), "invalid_signature", "{what}");
    }
}

#[test]
fn stale_and_future_timestamps() {
    let stripe = Scheme::Stripe {
        tolerance_secs: 300,
    };
    let slack = Scheme::Slack {
        tolerance_secs: 300,
    };
    let std = Scheme::StandardWebhooks {
        tolerance_secs: 300,
    };
    let std_key = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    for (name, s, key) in [
        ("stripe", &stripe, "whsec_x"),
        ("slack", &slack, "k"),
        ("standard", &std, std_key),
    ] {
        // Exactly at the edge passes; one second past fails.
        assert_eq!(
            check(s, &[key], &signed(s, key, BODY, NOW - 300), BODY, NOW),
            Ok(()),
            "{name} edge"
        );
        let stale = check(s, &[key], &signed(s, key, BODY, NOW - 301), BODY, NOW);
        assert_eq!(
            stale,
            Err(SignatureError::OutsideTolerance(300)),
            "{name} stale"
        );
        assert_eq!(stale.unwrap_err().code(), "stale_timestamp");
    }
    // Stripe, like its libraries, only rejects old timestamps; the others reject the future.
    assert_eq!(
        check(
            &stripe,
            &["whsec_x"],
            &signed(&stripe, "whsec_x", BODY, NOW + 3600),
            BODY,
            NOW
        ),
        Ok(())
    );
    assert_eq!(
        check(
            &slack,
            &["k"],
            &signed(&slack, "k", BODY, NOW + 301),
            BODY,
            NOW
        ),
        Err(SignatureError::OutsideTolerance(300))
    );
    assert_eq!(
        check(
            &std,
            &[std_key],
            &signed(&std, std_key, BODY, NOW + 301),
            BODY,
            NOW
        ),
        Err(SignatureError::OutsideTolerance(300))
    );
    // A stale timestamp with a bad signature is reported as a bad signature.
    let mut h = signed(&slack, "k", BODY, NOW - 1000);
    h.insert("x-slack-signature", HeaderValue::from_static("v0=00"));
    assert_eq!(
        check(&slack, &["k"], &h, BODY, NOW),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn stripe_accepts_any_of_several_v1_and_ignores_v0() {
    let s = Scheme::Stripe {
        tolerance_secs: 300,
    };
    let good = signed(&s, "whsec_x", BODY, NOW);
    let good_v = good.get("stripe-signature").unwrap().to_str().unwrap();
    let sig = good_v.split(",v1=").nth(1).unwrap();
    let h = headers(&[(
        "stripe-signature",
        &format!("t={NOW},v0=abcd,v1=00ff,v1={sig}"),
    )]);
    assert_eq!(check(&s, &["whsec_x"], &h, BODY, NOW), Ok(()));
    let h = headers(&[("stripe-signature", &format!("t={NOW},v0={sig}"))]);
    assert!(matches!(
        check(&s, &["whsec_x"], &h, BODY, NOW),
        Err(SignatureError::Missing(_))
    ));
}

#[test]
fn url_token_is_compared_in_constant_time_and_fails_closed() {
    let s = Scheme::UrlToken;
    let keys = secrets(&["tok-current", "tok-previous"]);
    let h = HeaderMap::new();
    let run = |t: Option<&str>| {
        s.verify(
            &keys,
            Unverified {
                headers: &h,
                body: BODY,
                url_token: t,
            },
            NOW,
        )
    };
    assert_eq!(run(Some("tok-current")), Ok(()));
    assert_eq!(run(Some("tok-previous")), Ok(()));
    assert_eq!(run(Some("tok-currentX")), Err(SignatureError::Mismatch));
    assert_eq!(run(Some("tok-curren")), Err(SignatureError::Mismatch));
    assert!(matches!(run(Some("")), Err(SignatureError::Missing(_))));
    assert!(matches!(run(None), Err(SignatureError::Missing(_))));
}

#[test]
fn no_secrets_never_passes() {
    for (name, s, key) in all_schemes() {
        let h = signed(&s, key, BODY, NOW);
        assert_eq!(
            check(&s, &[], &h, BODY, NOW),
            Err(SignatureError::Mismatch),
            "{name}"
        );
    }
}

#[test]
fn errors_never_contain_the_secret() {
    let key = "super-secret-key-value";
    for (_, s, _) in all_schemes() {
        let err = check(&s, &[key], &HeaderMap::new(), BODY, NOW).unwrap_err();
        assert!(!err.to_string().contains(key));
        assert!(!format!("{err:?}").contains(key));
    }
}

#[path = "chat_tests.rs"]
mod chat_tests;

/// The hex signature decoder refuses what `hex::decode` refused (odd length, a non-hex digit),
/// naming the header and only the header; a well-formed hex signature of the wrong length is a
/// mismatch, as before.
#[test]
fn hex_signatures_are_refused_as_before() {
    let run = |sig: &str| {
        check(
            &github(),
            &["It's a Secret to Everybody"],
            &headers(&[("x-hub-signature-256", sig)]),
            b"Hello, World!",
            0,
        )
    };
    let malformed = Err(SignatureError::Malformed(
        "header x-hub-signature-256".into(),
    ));
    assert_eq!(run("sha256=757"), malformed);
    assert_eq!(run("sha256=zz"), malformed);
    assert_eq!(
        run("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1g"),
        malformed
    );
    assert_eq!(run("sha256=7571"), Err(SignatureError::Mismatch));
    assert_eq!(
        run("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1700"),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        run("sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17"),
        Ok(())
    );
}
