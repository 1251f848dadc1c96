//! Shared pieces of the fuzz targets: the development sources, header maps built from fuzz
//! input, and an in-memory queue that records what ingest enqueued.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use arbitrary::Arbitrary;
use hookwell::{Envelope, Sources};
use http::{HeaderMap, HeaderName, HeaderValue};
use std::sync::OnceLock;

const SOURCES: &str = include_str!("../../infra/local/sources.json");

/// Every source of the development configuration, parsed once.
pub fn sources() -> &'static Sources {
    static S: OnceLock<Sources> = OnceLock::new();
    S.get_or_init(|| Sources::from_json(SOURCES).expect("development sources parse"))
}

/// The configured source names, in a stable order.
pub fn source_names() -> &'static [String] {
    static N: OnceLock<Vec<String>> = OnceLock::new();
    N.get_or_init(|| sources().names().map(str::to_owned).collect())
}

/// A header as the fuzzer proposes it: either a name the schemes look at, or any bytes.
#[derive(Debug, Arbitrary)]
pub enum FuzzHeaderName {
    Known(u8),
    Raw(Vec<u8>),
}

/// Header names the schemes and identity presets read, so mutations reach the parsers.
pub const KNOWN_HEADERS: &[&str] = &[
    "x-bubble-signature",
    "x-webhook-signature",
    "x-sendbird-signature",
    "x-hub-signature-256",
    "x-shopify-hmac-sha256",
    "x-line-signature",
    "stripe-signature",
    "x-slack-signature",
    "x-slack-request-timestamp",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "x-acme-signature",
    "x-acme-event",
    "x-acme-delivery",
    "x-github-event",
    "x-github-delivery",
    "x-shopify-topic",
    "x-shopify-webhook-id",
    "x-bubble-event",
    "x-telegram-bot-api-secret-token",
    "x-signature-ed25519",
    "x-signature-timestamp",
    "authorization",
    "x-zm-signature",
    "x-zm-request-timestamp",
    "content-type",
    "content-length",
];

impl FuzzHeaderName {
    pub fn name(&self) -> Option<HeaderName> {
        match self {
            Self::Known(i) => {
                let n = KNOWN_HEADERS[usize::from(*i) % KNOWN_HEADERS.len()];
                HeaderName::from_bytes(n.as_bytes()).ok()
            }
            Self::Raw(b) => HeaderName::from_bytes(b).ok(),
        }
    }
}

/// Appends fuzz-chosen headers; names or values `http` rejects are skipped, as a real
/// front end would never pass them on.
pub fn append_headers(map: &mut HeaderMap, headers: &[(FuzzHeaderName, Vec<u8>)]) {
    for (name, value) in headers {
        if let (Some(n), Ok(v)) = (name.name(), HeaderValue::from_bytes(value)) {
            map.append(n, v);
        }
    }
}

/// Adds the headers `source` would send for `body` signed at `now` with its first secret.
pub fn append_signature(map: &mut HeaderMap, source: &hookwell::Source, body: &[u8], now: i64) {
    // An Ed25519 source signs with its `signing_key`; its secrets are public keys.
    let secret = source.signing_secret().expect("a key to sign with");
    if let Ok(hs) = source.scheme().sign(secret, body, now, "msg_fuzz") {
        for (k, v) in hs {
            if let (Ok(k), Ok(v)) = (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(&v),
            ) {
                map.append(k, v);
            }
        }
    }
}

/// Checks an envelope survives its own JSON form unchanged.
pub fn assert_round_trip(env: &Envelope) {
    let json = env.to_json();
    let back = Envelope::from_json(&json).expect("an envelope we wrote must parse");
    assert!(back == *env, "envelope changed through JSON");
}
