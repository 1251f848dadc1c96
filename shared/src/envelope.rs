//! The queue envelope: what ingest puts in SQS and the processor reads back. Versioned JSON;
//! the body is kept exactly as received (a JSON string of the raw text, or base64 when the
//! bytes are not UTF-8).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use time::OffsetDateTime;

pub const ENVELOPE_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyEncoding {
    #[default]
    Utf8,
    Base64,
}

impl BodyEncoding {
    fn is_utf8(&self) -> bool {
        *self == BodyEncoding::Utf8
    }
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub v: u32,
    pub source: String,
    pub event_type: String,
    pub event_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    pub body: String,
    #[serde(default, skip_serializing_if = "BodyEncoding::is_utf8")]
    pub body_encoding: BodyEncoding,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

// The payload is user data: never print it.
impl std::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Envelope")
            .field("v", &self.v)
            .field("source", &self.source)
            .field("event_type", &self.event_type)
            .field("event_id", &self.event_id)
            .field("received_at", &self.received_at)
            .field("body_len", &self.body.len())
            .field("body_encoding", &self.body_encoding)
            .finish_non_exhaustive()
    }
}

/// Why a queue message is not a usable envelope: permanent, never worth a retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("not an envelope: {0}")]
    Malformed(String),
    #[error("unsupported envelope version {0}")]
    Version(u32),
    #[error("envelope field `{0}` is empty")]
    Empty(&'static str),
    #[error("envelope body is not valid base64")]
    BadBase64,
}

impl Envelope {
    /// Builds an envelope around `payload`, choosing the body encoding from the bytes.
    pub fn new(
        source: &str,
        event_type: &str,
        event_id: &str,
        received_at: OffsetDateTime,
        payload: &[u8],
        headers: BTreeMap<String, String>,
    ) -> Self {
        let (body, body_encoding) = match std::str::from_utf8(payload) {
            Ok(s) => (s.to_owned(), BodyEncoding::Utf8),
            Err(_) => (B64.encode(payload), BodyEncoding::Base64),
        };
        Self {
            v: ENVELOPE_VERSION,
            source: source.to_owned(),
            event_type: event_type.to_owned(),
            event_id: event_id.to_owned(),
            received_at,
            body,
            body_encoding,
            headers,
        }
    }

    /// Parses and checks a queue message body.
    pub fn from_json(text: &str) -> Result<Self, EnvelopeError> {
        let env: Envelope = serde_json::from_str(text).map_err(|e| {
            EnvelopeError::Malformed(format!("{:?} at column {}", e.classify(), e.column()))
        })?;
        if env.v != ENVELOPE_VERSION {
            return Err(EnvelopeError::Version(env.v));
        }
        for (name, value) in [
            ("source", &env.source),
            ("event_type", &env.event_type),
            ("event_id", &env.event_id),
        ] {
            if value.is_empty() {
                return Err(EnvelopeError::Empty(name));
            }
        }
        if env.body_encoding == BodyEncoding::Base64 && B64.decode(&env.body).is_err() {
            return Err(EnvelopeError::BadBase64);
        }
        Ok(env)
    }

    pub fn to_json(&self) -> String {
        // Serialising plain strings, a number and a map of strings cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The payload bytes exactly as the provider sent them.
    pub fn body_bytes(&self) -> Cow<'_, [u8]> {
        match self.body_encoding {
            BodyEncoding::Utf8 => Cow::Borrowed(self.body.as_bytes()),
            // Checked in from_json; an envelope built by `new` is valid by construction.
            BodyEncoding::Base64 => Cow::Owned(B64.decode(&self.body).unwrap_or_default()),
        }
    }

    /// The events-table key: `{source}#{event_id}`.
    pub fn key(&self) -> String {
        format!("{}#{}", self.source, self.event_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_764_000_000).unwrap()
    }

    #[test]
    fn utf8_body_round_trips_byte_for_byte() {
        let body = "{\"a\": \"é\\u0000\",  \"b\":[1,2]}\n";
        let e = Envelope::new("bubble", "T", "id1", at(), body.as_bytes(), BTreeMap::new());
        let back = Envelope::from_json(&e.to_json()).unwrap();
        assert_eq!(back.body_bytes().as_ref(), body.as_bytes());
        assert!(!e.to_json().contains("body_encoding"));
        assert_eq!(back, e);
        assert_eq!(back.key(), "bubble#id1");
    }

    #[test]
    fn non_utf8_body_is_base64() {
        let body = [0xff, 0xfe, 0x00, b'a'];
        let e = Envelope::new("github", "push", "id", at(), &body, BTreeMap::new());
        assert_eq!(e.body_encoding, BodyEncoding::Base64);
        let json = e.to_json();
        assert!(json.contains("\"body_encoding\":\"base64\""));
        assert_eq!(
            Envelope::from_json(&json).unwrap().body_bytes().as_ref(),
            &body
        );
    }

    #[test]
    fn rejects_bad_envelopes() {
        let good = Envelope::new("s", "t", "i", at(), b"x", BTreeMap::new()).to_json();
        assert!(Envelope::from_json(&good).is_ok());
        let cases = [
            ("", "Malformed"),
            ("{", "Malformed"),
            ("[]", "Malformed"),
            (&good.replace("\"v\":1", "\"v\":2"), "Version"),
            (
                &good.replace("\"event_id\":\"i\"", "\"event_id\":\"\""),
                "Empty",
            ),
            (
                &good.replace("\"received_at\":\"", "\"received_at\":\"x"),
                "Malformed",
            ),
            (
                &good.replace(
                    "\"body\":\"x\"",
                    "\"body\":\"!!\",\"body_encoding\":\"base64\"",
                ),
                "BadBase64",
            ),
        ];
        for (text, want) in cases {
            let err = Envelope::from_json(text).unwrap_err();
            assert!(format!("{err:?}").starts_with(want), "{text}: {err:?}");
        }
    }

    #[test]
    fn debug_never_prints_the_payload() {
        let e = Envelope::new("s", "t", "i", at(), b"top-secret-payload", BTreeMap::new());
        assert!(!format!("{e:?}").contains("top-secret-payload"));
    }
}
