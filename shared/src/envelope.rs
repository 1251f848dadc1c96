//! The queue envelope: what ingest puts in SQS and the processor reads back. Versioned JSON;
//! the body is kept exactly as received (a JSON string of the raw text, or base64 when the
//! bytes are not UTF-8).
//!
//! Version 1 carries the body itself. Version 2 is a claim check: the body was too large for
//! an SQS message and lies in the stack's bucket, named by `body_ref` (bucket, key, size and
//! SHA-256); the processor fetches it before any handler runs. A processor that predates
//! version 2 refuses such a message as undecodable (to the DLQ, replayable after the upgrade)
//! rather than running handlers on an empty body.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// The envelope format version of an envelope that carries its body (`v`).
pub const ENVELOPE_VERSION: u32 = 1;
/// The version of a claim-check envelope: the body is in the bucket, at `body_ref`.
pub const ENVELOPE_VERSION_BODY_REF: u32 = 2;

/// Where a body too large for the queue was stored, and how to know it is the right one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodyRef {
    /// The bucket (the stack's bodies bucket).
    pub bucket: String,
    /// The object key: `bodies/<sha256 hex>`.
    pub key: String,
    /// The body's length in bytes.
    pub size: u64,
    /// The body's SHA-256, lowercase hex; checked after every fetch.
    pub sha256: String,
}

/// How [`Envelope::body`] holds the payload bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyEncoding {
    /// The payload is UTF-8 and `body` is that text (the default; omitted from the JSON).
    #[default]
    Utf8,
    /// The payload is not UTF-8 and `body` is its standard base64 (`"body_encoding":"base64"`).
    Base64,
}

impl BodyEncoding {
    fn is_utf8(&self) -> bool {
        *self == BodyEncoding::Utf8
    }
}

/// One event as a queue message: who sent it, its type and id, when it arrived, and its
/// payload exactly as received.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Envelope format version: [`ENVELOPE_VERSION`], or [`ENVELOPE_VERSION_BODY_REF`] when
    /// the body is in the bucket.
    pub v: u32,
    /// The configured source name the delivery came in under (`/webhooks/{source}`).
    pub source: String,
    /// The event type, as the source's identity rules read it.
    pub event_type: String,
    /// The event id, unique within the source; with `source`, the deduplication key.
    pub event_id: String,
    /// When ingest accepted the delivery; RFC 3339 in the JSON.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// The event's payload as received (for a split delivery such as LINE's, that event's
    /// bytes): the text itself, or base64 when `body_encoding` says so.
    pub body: String,
    /// How `body` holds the payload; omitted from the JSON when UTF-8.
    #[serde(default, skip_serializing_if = "BodyEncoding::is_utf8")]
    pub body_encoding: BodyEncoding,
    /// Provider headers kept for handlers (the identity rules' `keep_headers`, lowercase
    /// names, trimmed values); omitted from the JSON when empty.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Version 2 only: where the body is stored (then `body` is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_ref: Option<BodyRef>,
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
            .field("body_ref", &self.body_ref)
            .finish_non_exhaustive()
    }
}

/// Why a queue message is not a usable envelope: permanent, never worth a retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Not JSON, or not the envelope's shape; holds serde's error category and column only.
    #[error("not an envelope: {0}")]
    Malformed(String),
    /// A version `v` other than [`ENVELOPE_VERSION`].
    #[error("unsupported envelope version {0}")]
    Version(u32),
    /// `source`, `event_type` or `event_id` (the one named) is empty.
    #[error("envelope field `{0}` is empty")]
    Empty(&'static str),
    /// `body_encoding` is base64 but `body` does not decode as base64.
    #[error("envelope body is not valid base64")]
    BadBase64,
    /// A version 2 envelope without `body_ref` or with a body of its own, or a version 1
    /// envelope with `body_ref`.
    #[error("envelope body_ref does not match its version")]
    BodyRef,
    /// The fetched body is not the one `body_ref` names (size or SHA-256 differ).
    #[error("stored body does not match body_ref (size or SHA-256)")]
    BodyMismatch,
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
            body_ref: None,
        }
    }

    /// The claim-check form of this envelope: version 2, the body replaced by `at`.
    pub fn with_body_stored(mut self, at: BodyRef) -> Self {
        self.v = ENVELOPE_VERSION_BODY_REF;
        self.body = String::new();
        self.body_encoding = BodyEncoding::Utf8;
        self.body_ref = Some(at);
        self
    }

    /// A version 2 envelope made whole with its fetched `body`, checked against `body_ref`:
    /// the version 1 envelope ingest would have sent had the body fitted in the queue.
    pub fn with_body_fetched(self, body: &[u8]) -> Result<Self, EnvelopeError> {
        let Some(at) = &self.body_ref else {
            return Err(EnvelopeError::BodyRef);
        };
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body));
        if u64::try_from(body.len()).ok() != Some(at.size) || sha != at.sha256 {
            return Err(EnvelopeError::BodyMismatch);
        }
        let mut whole = Envelope::new(
            &self.source,
            &self.event_type,
            &self.event_id,
            self.received_at,
            body,
            self.headers,
        );
        whole.body_ref = None;
        Ok(whole)
    }

    /// Parses and checks a queue message body.
    pub fn from_json(text: &str) -> Result<Self, EnvelopeError> {
        let env: Envelope = serde_json::from_str(text).map_err(|e| {
            EnvelopeError::Malformed(format!("{:?} at column {}", e.classify(), e.column()))
        })?;
        match (env.v, &env.body_ref) {
            (ENVELOPE_VERSION, None) => {}
            (ENVELOPE_VERSION_BODY_REF, Some(_)) if env.body.is_empty() => {}
            (ENVELOPE_VERSION | ENVELOPE_VERSION_BODY_REF, _) => {
                return Err(EnvelopeError::BodyRef)
            }
            (v, _) => return Err(EnvelopeError::Version(v)),
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

    /// The envelope as JSON. Written by hand rather than through serde: serde_json does not
    /// escape U+FFFE and U+FFFF, which SQS refuses, and runs of plain text are copied whole
    /// rather than byte by byte. `from_json` reads it back with serde, and tests check both
    /// agree.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.body.len() + self.body.len() / 8 + 256);
        out.push_str("{\"v\":");
        out.push_str(&self.v.to_string());
        for (k, v) in [
            ("source", self.source.as_str()),
            ("event_type", &self.event_type),
            ("event_id", &self.event_id),
        ] {
            push_field(&mut out, k, v);
        }
        let at = self
            .received_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        push_field(&mut out, "received_at", &at);
        push_field(&mut out, "body", &self.body);
        if self.body_encoding == BodyEncoding::Base64 {
            push_field(&mut out, "body_encoding", "base64");
        }
        if !self.headers.is_empty() {
            out.push_str(",\"headers\":{");
            for (i, (k, v)) in self.headers.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_str(&mut out, k);
                out.push(':');
                push_json_str(&mut out, v);
            }
            out.push('}');
        }
        if let Some(r) = &self.body_ref {
            out.push_str(",\"body_ref\":{");
            push_json_str(&mut out, "bucket");
            out.push(':');
            push_json_str(&mut out, &r.bucket);
            push_field(&mut out, "key", &r.key);
            out.push_str(",\"size\":");
            out.push_str(&r.size.to_string());
            push_field(&mut out, "sha256", &r.sha256);
            out.push('}');
        }
        out.push('}');
        out
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

fn push_field(out: &mut String, key: &str, value: &str) {
    out.push(',');
    push_json_str(out, key);
    out.push(':');
    push_json_str(out, value);
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Bytes of `w` that may need escaping (control, `"`, `\\`, or 0xEF, which starts U+FFFE and
/// U+FFFF); false positives are allowed.
fn suspicious(w: u64) -> u64 {
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
    control
        | zero(w ^ (ONES * u64::from(b'"')))
        | zero(w ^ (ONES * u64::from(b'\\')))
        | zero(w ^ (ONES * 0xEF))
}

/// Appends `s` as a JSON string literal, escaping what serde_json escapes and also U+FFFE and
/// U+FFFF: SQS refuses a message containing either (its allowed characters are `#x9 | #xA |
/// #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF`; JSON escapes every other one below
/// #x20 already), and `\ufffe` decodes back to the same character.
pub(crate) fn push_json_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0; // first byte not yet copied
    let mut i = 0;
    while let Some(at) = next_suspicious(bytes, i) {
        i = at;
        let b = bytes.get(i).copied().unwrap_or(0);
        // Quotes are nearly every hit in a JSON body: tested first, as a branch the CPU
        // predicts, rather than through the jump table a `match` on every case compiles to.
        let esc: &str = if b == b'"' {
            "\\\""
        } else if b == b'\\' {
            "\\\\"
        } else if b < 0x20 {
            match b {
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                _ => {
                    // Escapable bytes are ASCII, so these slice bounds are char boundaries.
                    out.push_str(s.get(start..i).unwrap_or(""));
                    push_control_escape(out, b);
                    i += 1;
                    start = i;
                    continue;
                }
            }
        } else {
            match (b, bytes.get(i + 1..i + 3)) {
                (0xEF, Some([0xBF, 0xBE])) => "\\ufffe",
                (0xEF, Some([0xBF, 0xBF])) => "\\uffff",
                // 0xEF starting another character: copied with the run around it.
                _ => {
                    i += 1;
                    continue;
                }
            }
        };
        out.push_str(s.get(start..i).unwrap_or(""));
        out.push_str(esc);
        // U+FFFE and U+FFFF are three bytes, the other escapes one.
        i += if b == 0xEF { 3 } else { 1 };
        start = i;
    }
    out.push_str(s.get(start..).unwrap_or(""));
    out.push('"');
}

/// `\u00XX` for a control character JSON has no short escape for: rare in a body, and kept
/// out of line so its formatting code does not weigh on the escaper's loop (inlined, it made
/// `make bench`'s ratios 0.05-0.25x worse).
#[cold]
#[inline(never)]
fn push_control_escape(out: &mut String, b: u8) {
    out.push_str(&format!("\\u{b:04x}"));
}

/// The index of the first byte at or after `from` that may need escaping, testing eight bytes
/// at a time: JSON bodies are mostly runs of plain text between quotes, and going byte by byte
/// through a whole word for every quote was a fifth of a 1 KiB delivery's library time.
fn next_suspicious(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    // Long plain runs (text fields, padding, base64) four words at a time: independent
    // tests the compiler can run side by side.
    while let Some(block) = bytes.get(i..i + 32) {
        let mut any = 0;
        for c in block.chunks_exact(8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            any |= suspicious(u64::from_le_bytes(w));
        }
        if any != 0 {
            break;
        }
        i += 32;
    }
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let m = suspicious(u64::from_le_bytes(w));
        if m != 0 {
            // The lowest flagged byte is exact (borrows only run upwards); the ones above it
            // may be false positives, so only it is used.
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    bytes
        .get(i..)?
        .iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\' || b == 0xEF)
        .map(|p| i + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_written_json_matches_serde() {
        let mut samples: Vec<String> = vec![
            String::new(),
            "plain ascii text that is long enough for several words".into(),
            "quote \" backslash \\ newline \n tab \t cr \r bell \u{7} nul \u{0} del \u{7f}".into(),
            "unicode é 漢字 🎉 and \u{2028} line sep".into(),
            "\u{1f}\u{8}\u{c}".repeat(9),
        ];
        // Every byte value at every offset within a word.
        for b in 0u8..=0x7f {
            for pad in 0..9 {
                samples.push(format!(
                    "{}{}{}",
                    "a".repeat(pad),
                    char::from(b),
                    "z".repeat(9 - pad)
                ));
            }
        }
        for s in samples {
            let mut ours = String::new();
            push_json_str(&mut ours, &s);
            assert_eq!(ours, serde_json::to_string(&s).unwrap(), "{s:?}");
        }
        let mut h = BTreeMap::new();
        h.insert("x-github-event".to_owned(), "push\"".to_owned());
        let e = Envelope::new("s", "t\n", "i", at(), "{\"a\":\"\u{1}\"}".as_bytes(), h);
        let ours: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
        let serde: serde_json::Value = serde_json::to_value(&e).unwrap();
        assert_eq!(ours, serde);
        assert_eq!(Envelope::from_json(&e.to_json()).unwrap(), e);
    }

    fn at() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_764_000_000).unwrap()
    }

    use proptest::strategy::Strategy as _;

    proptest::proptest! {
        /// Any mix of plain text, everything JSON escapes, the characters around U+FFFE and
        /// U+FFFF that share their lead byte 0xEF, at every length and offset: serde_json's
        /// output with those two escaped, and it reads back as the same string.
        #[test]
        fn escaping_matches_serde_json(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(vec![
                        "\"", "\\", "\n", "\r", "\t", "\u{8}", "\u{c}", "\u{0}", "\u{1f}",
                        "\u{7f}", "\u{fffe}", "\u{ffff}", "\u{feff}", "\u{fffd}", "\u{ef}",
                        "\u{e000}", "é", "漢", "🎉",
                    ]).prop_map(str::to_owned),
                    "[a-z ]{0,12}",
                ],
                0..40,
            )
        ) {
            let s: String = parts.concat();
            let mut ours = String::new();
            push_json_str(&mut ours, &s);
            let want = serde_json::to_string(&s)
                .unwrap()
                .replace('\u{fffe}', "\\ufffe")
                .replace('\u{ffff}', "\\uffff");
            proptest::prop_assert_eq!(&ours, &want);
            proptest::prop_assert_eq!(serde_json::from_str::<String>(&ours).unwrap(), s);
        }
    }

    /// Every character class of a valid UTF-8 body, checked against SQS's documented set (not
    /// the local emulator, which accepts more): the envelope carries only allowed characters
    /// and decodes to the exact body.
    #[test]
    fn any_utf8_body_makes_an_envelope_sqs_accepts() {
        let classes: &[(&str, Vec<char>)] = &[
            ("C0 controls", (0u8..0x20).map(char::from).collect()),
            ("DEL and C1", ('\u{7f}'..='\u{9f}').collect()),
            (
                "BMP below surrogates",
                vec!['\u{20}', 'é', '漢', '\u{D7FF}'],
            ),
            (
                "private use and specials",
                vec!['\u{E000}', '\u{FEFF}', '\u{FFFD}'],
            ),
            ("noncharacters U+FFFE, U+FFFF", vec!['\u{FFFE}', '\u{FFFF}']),
            ("astral", vec!['\u{10000}', '🎉', '\u{10FFFF}']),
        ];
        for (name, chars) in classes {
            for c in chars {
                for pad in 0..9 {
                    let body = format!("{{\"t\":\"{}{c}{}\"}}", "a".repeat(pad), "z".repeat(9));
                    let e = Envelope::new("s", "t", "i", at(), body.as_bytes(), BTreeMap::new());
                    let json = e.to_json();
                    assert!(
                        json.chars().all(crate::queue::sqs_allows),
                        "{name}: U+{:04X} reaches SQS raw",
                        u32::from(*c)
                    );
                    let back = Envelope::from_json(&json).unwrap();
                    assert_eq!(back.body_bytes().as_ref(), body.as_bytes(), "{name}");
                }
            }
        }
        // 0xEF starts other characters too: those stay as they are.
        let e = Envelope::new(
            "s",
            "t",
            "i",
            at(),
            "\u{FFFD}\u{F000}".as_bytes(),
            BTreeMap::new(),
        );
        assert!(e.to_json().contains('\u{FFFD}') && e.to_json().contains('\u{F000}'));
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
            (&good.replace("\"v\":1", "\"v\":3"), "Version"),
            (&good.replace("\"v\":1", "\"v\":2"), "BodyRef"),
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
    fn claim_check_round_trips_and_is_checked() {
        let body = "{\"big\":\"é\"}".as_bytes();
        let whole = Envelope::new("github", "push", "d1", at(), body, BTreeMap::new());
        let r = BodyRef {
            bucket: "b".into(),
            key: "bodies/k".into(),
            size: body.len() as u64,
            sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body)),
        };
        let ptr = whole.clone().with_body_stored(r.clone());
        let json = ptr.to_json();
        let serde: serde_json::Value = serde_json::to_value(&ptr).unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&json).unwrap(),
            serde
        );
        assert!(json.starts_with("{\"v\":2,") && json.contains("\"body\":\"\""));
        let back = Envelope::from_json(&json).unwrap();
        assert_eq!(back.body_ref.as_ref(), Some(&r));
        assert_eq!(back.clone().with_body_fetched(body).unwrap(), whole);
        assert_eq!(
            back.clone()
                .with_body_fetched(b"{\"big\":\"e\"}!")
                .unwrap_err(),
            EnvelopeError::BodyMismatch
        );
        let same_len = "{\"big\":\"e!\"}".as_bytes();
        assert_eq!(same_len.len(), body.len());
        assert_eq!(
            back.with_body_fetched(same_len).unwrap_err(),
            EnvelopeError::BodyMismatch
        );
        assert_eq!(
            whole.with_body_fetched(body).unwrap_err(),
            EnvelopeError::BodyRef
        );
        // A v2 without its reference, a v1 with one, a v2 with a body: refused.
        for bad in [
            format!("{}}}", &json[..json.find(",\"body_ref\"").unwrap()]),
            json.replace("\"v\":2", "\"v\":1"),
            json.replace("\"body\":\"\"", "\"body\":\"x\""),
        ] {
            assert_eq!(
                Envelope::from_json(&bad).unwrap_err(),
                EnvelopeError::BodyRef,
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_never_prints_the_payload() {
        let e = Envelope::new("s", "t", "i", at(), b"top-secret-payload", BTreeMap::new());
        assert!(!format!("{e:?}").contains("top-secret-payload"));
    }
}
