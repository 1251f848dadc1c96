//! The chat platforms' schemes, on published vectors where the platforms or the algorithms'
//! RFCs give them. Included from `tests.rs`.

use super::*;

fn telegram() -> Scheme {
    Scheme::HeaderToken {
        header: "x-telegram-bot-api-secret-token".into(),
    }
}

// core.telegram.org/bots/api#setwebhook: "the request will contain a header
// “X-Telegram-Bot-Api-Secret-Token” with the secret token as content".
#[test]
fn telegram_secret_token_header() {
    let tok = "dev_telegram-Secret_0123456789";
    let body = include_bytes!("../../../fixtures/platforms/telegram-message.json");
    let ok = headers(&[("X-Telegram-Bot-Api-Secret-Token", tok)]);
    assert_eq!(
        check(&telegram(), &["old-token", tok], &ok, body, 0),
        Ok(())
    );
    assert_eq!(
        telegram().verify_key(
            &secrets(&["old-token", tok]),
            Unverified {
                headers: &ok,
                body,
                url_token: None
            },
            0
        ),
        Ok(1)
    );
    let wrong = headers(&[(
        "X-Telegram-Bot-Api-Secret-Token",
        "dev_telegram-Secret_012345678",
    )]);
    assert_eq!(
        check(&telegram(), &[tok], &wrong, body, 0),
        Err(SignatureError::Mismatch)
    );
    assert!(matches!(
        check(&telegram(), &[tok], &headers(&[]), body, 0),
        Err(SignatureError::Missing(_))
    ));
    let twice = headers(&[
        ("X-Telegram-Bot-Api-Secret-Token", tok),
        ("X-Telegram-Bot-Api-Secret-Token", tok),
    ]);
    assert!(matches!(
        check(&telegram(), &[tok], &twice, body, 0),
        Err(SignatureError::Repeated(_))
    ));
    // The token is in the header, not derived from the body: any body with it verifies, and
    // `sign` writes exactly that header.
    assert_eq!(
        telegram().sign(&Secret::new(tok), b"{}", 0, "").unwrap(),
        vec![("x-telegram-bot-api-secret-token".to_owned(), tok.to_owned())]
    );
}

// RFC 8032 section 7.1, TEST 2 (one-byte message 0x72 = "r"): Discord signs timestamp + body,
// so a timestamp header of "r" and an empty body make exactly that message.
#[test]
fn discord_ed25519_rfc8032_vector() {
    let public = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
    let sig = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
               085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00";
    let h = headers(&[("X-Signature-Ed25519", sig), ("X-Signature-Timestamp", "r")]);
    assert_eq!(check(&Scheme::Ed25519, &[public], &h, b"", 0), Ok(()));
    // The same signature over another split of the same bytes is another message.
    let moved = headers(&[
        ("X-Signature-Ed25519", sig),
        ("X-Signature-Timestamp", "rr"),
    ]);
    assert_eq!(
        check(&Scheme::Ed25519, &[public], &moved, b"", 0),
        Err(SignatureError::Mismatch)
    );
    // The secret key of the same vector signs to the same signature.
    let seed = Secret::new("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
    assert_eq!(chat::public_key_hex(&seed).unwrap(), public);
    let pair = chat::key_pair(&seed).unwrap();
    assert_eq!(hex::encode(pair.sign(b"r").as_ref()), sig);
}

// Discord: "If the signature fails validation, your app should respond with a 401", and
// Discord sends invalid signatures on purpose to check that it does.
#[test]
fn discord_rejects_tampering_other_keys_and_malformed_signatures() {
    let seed = Secret::new("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    let public = chat::public_key_hex(&seed).unwrap();
    // RFC 8032 TEST 1's public key: the seed above is that vector's secret key.
    assert_eq!(
        public,
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    );
    let body = include_bytes!("../../../fixtures/platforms/discord-application-command.json");
    let signed = Scheme::Ed25519
        .sign(&seed, body, 1_700_000_000, "")
        .unwrap();
    let h = headers(&[(&signed[0].0, &signed[0].1), (&signed[1].0, &signed[1].1)]);
    assert_eq!(check(&Scheme::Ed25519, &[&public], &h, body, 0), Ok(()));
    let mut tampered = body.to_vec();
    tampered[40] ^= 1;
    assert_eq!(
        check(&Scheme::Ed25519, &[&public], &h, &tampered, 0),
        Err(SignatureError::Mismatch)
    );
    let other = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
    assert_eq!(
        check(&Scheme::Ed25519, &[other], &h, body, 0),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        check(&Scheme::Ed25519, &[other, &public], &h, body, 0),
        Ok(())
    );
    let short = headers(&[
        ("X-Signature-Ed25519", &signed[0].1[2..]),
        (&signed[1].0, &signed[1].1),
    ]);
    assert!(matches!(
        check(&Scheme::Ed25519, &[&public], &short, body, 0),
        Err(SignatureError::Malformed(_))
    ));
    let not_hex = headers(&[("X-Signature-Ed25519", "zz"), (&signed[1].0, &signed[1].1)]);
    assert!(matches!(
        check(&Scheme::Ed25519, &[&public], &not_hex, body, 0),
        Err(SignatureError::Malformed(_))
    ));
    let no_ts = headers(&[(&signed[0].0, &signed[0].1)]);
    assert!(matches!(
        check(&Scheme::Ed25519, &[&public], &no_ts, body, 0),
        Err(SignatureError::Missing(_))
    ));
    // A public key that is not 32 bytes of hex is refused at load.
    assert!(Scheme::Ed25519.check_secret(&Secret::new("abcd")).is_err());
    assert!(Scheme::Ed25519.check_secret(&Secret::new(&public)).is_ok());
}

fn teams() -> Scheme {
    let doc = r#"{"sources":{"t":{"scheme":"teams","secrets":["SmVmZQ=="]}}}"#;
    crate::Sources::from_json(doc)
        .unwrap()
        .get("t")
        .unwrap()
        .scheme()
        .clone()
}

// Teams signs `Authorization: HMAC <base64(HMAC-SHA256(base64decode(token), body))>`
// (Microsoft's outgoing-webhook samples, AuthProvider.cs / app.js). Microsoft publishes no
// body for its example header, so the vector is RFC 4231's test case 2 (key "Jefe", i.e. the
// token "SmVmZQ==", data "what do ya want for nothing?") in that encoding.
#[test]
fn teams_rfc4231_vector_through_base64_key_and_signature() {
    let h = headers(&[(
        "Authorization",
        "HMAC W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=",
    )]);
    let body = b"what do ya want for nothing?";
    assert_eq!(check(&teams(), &["SmVmZQ=="], &h, body, 0), Ok(()));
    // The token's text used as the key, as a receiver that forgets to decode it would: no.
    let raw_key = Scheme::Hmac(HmacScheme::new(
        "authorization",
        Algorithm::Sha256,
        Encoding::Base64,
        Some("HMAC "),
    ));
    assert_eq!(
        check(&raw_key, &["SmVmZQ=="], &h, body, 0),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        check(
            &teams(),
            &["SmVmZQ=="],
            &h,
            b"what do ya want for nothing!",
            0
        ),
        Err(SignatureError::Mismatch)
    );
    let bearer = headers(&[(
        "Authorization",
        "Bearer W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=",
    )]);
    assert!(matches!(
        check(&teams(), &["SmVmZQ=="], &bearer, body, 0),
        Err(SignatureError::Malformed(_))
    ));
    assert!(teams().check_secret(&Secret::new("not base64!")).is_err());
    let signed = teams().sign(&Secret::new("SmVmZQ=="), body, 0, "").unwrap();
    assert_eq!(
        signed,
        vec![(
            "authorization".to_owned(),
            "HMAC W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=".to_owned()
        )]
    );
}

fn zoom() -> Scheme {
    Scheme::Zoom {
        tolerance_secs: None,
    }
}

// Zoom: `v0=` + hex HMAC-SHA256 of `v0:{x-zm-request-timestamp}:{body}` (developers.zoom.us
// "Verify webhook events"), the construction Slack uses; Zoom's example signature is not a real
// digest, so Slack's SDK vector checks it under Zoom's headers.
#[test]
fn zoom_v0_signature_on_slacks_vector() {
    let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    let h = headers(&[
        ("x-zm-request-timestamp", "1531420618"),
        (
            "x-zm-signature",
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        ),
    ]);
    let key = "8f742231b10e8888abcd99yyyzzz85a5";
    // No window by default: Zoom documents none and retries up to 85 minutes later.
    assert_eq!(
        check(&zoom(), &[key], &h, body, 1_531_420_618 + 86_400),
        Ok(())
    );
    let windowed = Scheme::Zoom {
        tolerance_secs: Some(300),
    };
    assert_eq!(
        check(&windowed, &[key], &h, body, 1_531_420_618 + 301),
        Err(SignatureError::OutsideTolerance(300))
    );
    assert_eq!(check(&windowed, &[key], &h, body, 1_531_420_618), Ok(()));
    let mut tampered = body.to_vec();
    tampered[3] ^= 1;
    assert_eq!(
        check(&zoom(), &[key], &h, &tampered, 0),
        Err(SignatureError::Mismatch)
    );
    let slack_headers = headers(&[
        ("X-Slack-Request-Timestamp", "1531420618"),
        (
            "X-Slack-Signature",
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        ),
    ]);
    assert!(matches!(
        check(&zoom(), &[key], &slack_headers, body, 0),
        Err(SignatureError::Missing(_))
    ));
}

// Zoom's URL validation answer is hex HMAC-SHA256(secret token, plainToken); RFC 4231 test
// case 2 again (Zoom's example answer comes without its secret).
#[test]
fn zoom_encrypted_token_is_hex_hmac_of_the_plain_token() {
    assert_eq!(
        zoom_encrypted_token(&Secret::new("Jefe"), "what do ya want for nothing?"),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}
