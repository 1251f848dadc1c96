//! Typed states of a delivery: an [`Unverified`] request can only become [`Verified`] through
//! its source's signature check, and only a verified delivery yields [`AcceptedEvent`]s, the
//! one type the queue accepts. An unsigned payload cannot be enqueued by construction.

use crate::config::{Source, SQS_MAX_MESSAGE_BYTES};
use crate::envelope::Envelope;
use crate::identity::{Found, HandshakeAnswer, IdBasis, IdentityError};
use crate::scheme::SignatureError;
use http::HeaderMap;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// A delivery as it arrived, not yet trusted: what a scheme looks at (headers, the raw
/// body, a token from the URL).
#[derive(Clone, Copy)]
pub struct Unverified<'a> {
    /// The request headers as received.
    pub headers: &'a HeaderMap,
    /// The raw body bytes, exactly as received: what signatures are computed over.
    pub body: &'a [u8],
    /// The percent-decoded token from the URL path or `?token=`, if any (for `UrlToken` sources).
    pub url_token: Option<&'a str>,
}

/// A delivery whose signature (or URL token) checked out against its source.
pub struct Verified<'a> {
    source: &'a Source,
    headers: &'a HeaderMap,
    body: &'a [u8],
    /// The secret that matched: a handshake answer (Zoom's) is keyed by it.
    secret: &'a crate::secret::Secret,
}

impl Source {
    /// The only way to obtain a [`Verified`] delivery. `now` is unix seconds.
    pub fn verify<'a>(
        &'a self,
        d: Unverified<'a>,
        now: i64,
    ) -> Result<Verified<'a>, SignatureError> {
        let matched = self.scheme().verify_key(self.secrets(), d, now)?;
        let secret = self
            .secrets()
            .get(matched)
            .ok_or(SignatureError::Mismatch)?;
        Ok(Verified {
            source: self,
            headers: d.headers,
            body: d.body,
            secret,
        })
    }
}

/// A verified event, ready for the queue: its envelope and that envelope's JSON.
#[derive(Clone)]
pub struct AcceptedEvent {
    envelope: Envelope,
    json: String,
    id_basis: IdBasis,
    message_group: Option<String>,
}

impl AcceptedEvent {
    /// The envelope: source, event type and id, receive time, payload and kept headers.
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }
    /// Where the event id came from.
    pub fn id_basis(&self) -> IdBasis {
        self.id_basis
    }
    /// The event's channel, read at its source's `order_by` pointer: its message group on a
    /// FIFO queue. None without `order_by`, or when the event has no such value.
    pub fn message_group(&self) -> Option<&str> {
        self.message_group.as_deref()
    }
    /// The SQS message body.
    pub fn message_body(&self) -> &str {
        &self.json
    }
    /// What SQS would count for this message: its body plus room for the attributes ingest
    /// and the dead-letter copy add.
    pub fn queue_bytes(&self) -> usize {
        self.json.len() + ATTRIBUTE_ALLOWANCE
    }
    /// Whether the message fits in SQS as it is; if not, its body goes to the body store.
    pub fn fits_queue(&self) -> bool {
        self.queue_bytes() <= SQS_MAX_MESSAGE_BYTES
    }
    /// The same event with its body stored at `at`: the claim-check envelope (version 2).
    pub fn with_body_stored(self, at: crate::envelope::BodyRef) -> Self {
        let envelope = self.envelope.with_body_stored(at);
        let json = envelope.to_json();
        Self {
            envelope,
            json,
            id_basis: self.id_basis,
            message_group: self.message_group,
        }
    }
}

/// What a verified delivery asks of ingest.
#[derive(Debug)]
pub enum Accepted {
    /// Answer the provider's handshake with this JSON; enqueue nothing.
    Handshake(String),
    /// Enqueue each of these (LINE may carry none, one or many).
    Events(Vec<AcceptedEvent>),
}

/// Why a verified delivery still cannot be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AcceptError {
    /// The events could not be identified (body not JSON, no split array): HTTP 400.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// The envelope plus attribute allowance, in bytes, exceeds SQS's message limit and no
    /// body store is configured: HTTP 413.
    #[error("event is {0} bytes once enveloped; the queue takes at most {SQS_MAX_MESSAGE_BYTES} and no body store is configured")]
    TooLargeForQueue(usize),
}

/// Room SQS counts for message attributes: ingest's three, and the DLQ copy's
/// `failure_reason` (at most 1 000 characters, up to 4 000 bytes) and `failed_at`, so an
/// event that fits the queue always fits the dead-letter queue too.
const ATTRIBUTE_ALLOWANCE: usize = 6 * 1024;

impl Verified<'_> {
    /// The source whose scheme and secrets verified this delivery.
    pub fn source(&self) -> &Source {
        self.source
    }

    /// Identifies the events and wraps each in an envelope. Whether each fits a queue message
    /// is ingest's to decide ([`AcceptedEvent::fits_queue`]).
    pub fn accept(&self, received_at: OffsetDateTime) -> Result<Accepted, AcceptError> {
        let header = |name: &str| -> Option<String> {
            self.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let spec = self.source.identity();
        let events = match spec.identify(&header, self.body)? {
            Found::Handshake(HandshakeAnswer::Json(answer)) => {
                return Ok(Accepted::Handshake(answer))
            }
            Found::Handshake(HandshakeAnswer::ZoomToken(plain)) => {
                let encrypted = crate::scheme::zoom_encrypted_token(self.secret, &plain);
                return Ok(Accepted::Handshake(
                    serde_json::json!({ "plainToken": plain, "encryptedToken": encrypted })
                        .to_string(),
                ));
            }
            Found::Events(events) => events,
        };
        let mut kept = BTreeMap::new();
        for name in &spec.keep_headers {
            if let Some(v) = header(name) {
                kept.insert(name.to_ascii_lowercase(), v);
            }
        }
        let mut out = Vec::with_capacity(events.len());
        for ev in events {
            let envelope = Envelope::new(
                self.source.name(),
                &ev.event_type,
                &ev.event_id,
                received_at,
                &ev.payload,
                kept.clone(),
            );
            let json = envelope.to_json();
            let message_group = self.source.order_by().and_then(|o| o.group_of(&ev.payload));
            out.push(AcceptedEvent {
                envelope,
                json,
                id_basis: ev.id_basis,
                message_group,
            });
        }
        Ok(Accepted::Events(out))
    }
}

// Payloads, header values and URL tokens are user data or secrets: `{:?}` shows their names
// and sizes only, like `Envelope`'s.
impl std::fmt::Debug for Unverified<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unverified")
            .field("header_names", &self.headers.keys().collect::<Vec<_>>())
            .field("body_len", &self.body.len())
            .field("url_token", &self.url_token.map(|_| "<redacted>"))
            .finish()
    }
}

impl std::fmt::Debug for Verified<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verified")
            .field("source", &self.source.name())
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for AcceptedEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcceptedEvent")
            .field("envelope", &self.envelope)
            .field("message_len", &self.json.len())
            .field("id_basis", &self.id_basis)
            .field("message_group", &self.message_group.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_payloads_headers_or_tokens() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-bubble-signature",
            http::HeaderValue::from_static("sha256=s3cr3t"),
        );
        let body = include_bytes!("../../fixtures/providers/bubble-MESSAGE_CREATE.json");
        let d = Unverified {
            headers: &headers,
            body,
            url_token: Some("t0ken-s3cr3t"),
        };
        let shown = format!("{d:?}");
        assert!(shown.contains("x-bubble-signature") && shown.contains("body_len"));
        for secret in ["s3cr3t", "Hello!", "t0ken"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let sources = crate::Sources::from_json(
            r#"{"sources":{"bubble":{"scheme":"bubble","secrets":["s"]}}}"#,
        )
        .unwrap();
        let src = sources.get("bubble").unwrap();
        let sig = src
            .scheme()
            .sign(&crate::Secret::new("s"), body, 0, "m")
            .unwrap();
        let mut signed = HeaderMap::new();
        for (k, v) in sig {
            signed.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                http::HeaderValue::from_str(&v).unwrap(),
            );
        }
        let v = src
            .verify(
                Unverified {
                    headers: &signed,
                    body,
                    url_token: None,
                },
                0,
            )
            .unwrap();
        assert!(!format!("{v:?}").contains("Hello!"));
        let Accepted::Events(evs) = v.accept(OffsetDateTime::UNIX_EPOCH).unwrap() else {
            panic!("events")
        };
        assert!(!format!("{:?}", evs[0]).contains("Hello!"), "{:?}", evs[0]);
    }
}
