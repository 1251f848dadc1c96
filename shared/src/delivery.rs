//! Typed states of a delivery: an [`Unverified`] request can only become [`Verified`] through
//! its source's signature check, and only a verified delivery yields [`AcceptedEvent`]s, the
//! one type the queue accepts. An unsigned payload cannot be enqueued by construction.

use crate::config::{Source, SQS_MAX_MESSAGE_BYTES};
use crate::envelope::Envelope;
use crate::identity::{Found, IdBasis, IdentityError};
use crate::scheme::SignatureError;
use http::HeaderMap;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// A delivery as it arrived, not yet trusted: what a scheme looks at (headers, the raw
/// body, a token from the URL).
#[derive(Debug, Clone, Copy)]
pub struct Unverified<'a> {
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub url_token: Option<&'a str>,
}

/// A delivery whose signature (or URL token) checked out against its source.
#[derive(Debug)]
pub struct Verified<'a> {
    source: &'a Source,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

impl Source {
    /// The only way to obtain a [`Verified`] delivery. `now` is unix seconds.
    pub fn verify<'a>(
        &'a self,
        d: Unverified<'a>,
        now: i64,
    ) -> Result<Verified<'a>, SignatureError> {
        self.scheme().verify(self.secrets(), d, now)?;
        Ok(Verified {
            source: self,
            headers: d.headers,
            body: d.body,
        })
    }
}

/// A verified event, ready for the queue: its envelope and that envelope's JSON.
#[derive(Debug, Clone)]
pub struct AcceptedEvent {
    envelope: Envelope,
    json: String,
    id_basis: IdBasis,
}

impl AcceptedEvent {
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }
    /// Where the event id came from.
    pub fn id_basis(&self) -> IdBasis {
        self.id_basis
    }
    /// The SQS message body.
    pub fn message_body(&self) -> &str {
        &self.json
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
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error("event is {0} bytes once enveloped; the queue takes at most {SQS_MAX_MESSAGE_BYTES}")]
    TooLargeForQueue(usize),
}

/// Room SQS counts for the three message attributes (names, types and values).
const ATTRIBUTE_ALLOWANCE: usize = 1024;

impl Verified<'_> {
    pub fn source(&self) -> &Source {
        self.source
    }

    /// Identifies the events and wraps each in an envelope.
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
            Found::Handshake(answer) => return Ok(Accepted::Handshake(answer)),
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
                ev.payload,
                kept.clone(),
            );
            let json = envelope.to_json();
            let size = json.len() + ATTRIBUTE_ALLOWANCE;
            if size > SQS_MAX_MESSAGE_BYTES {
                return Err(AcceptError::TooLargeForQueue(size));
            }
            out.push(AcceptedEvent {
                envelope,
                json,
                id_basis: ev.id_basis,
            });
        }
        Ok(Accepted::Events(out))
    }
}
