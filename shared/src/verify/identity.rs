//! Event identity: which event a delivery carries (`event_type`) and which occurrence it is
//! (`event_id`), so the processor can recognise a provider's retry as the same event.
//!
//! Rule, per source: the provider's own delivery/event id where it sends one; otherwise the
//! SHA-256 of the event's raw bytes, which byte-identical retries share and two different
//! events never do. Merging two events loses one; a duplicate that goes unrecognised costs one
//! extra handler run, which handlers tolerate by design. So no built-in preset derives an id
//! from a few fields: the seed providers' documented bodies have none that is unique (the
//! group manager's `timestamp` has one-second resolution). A custom source may still name
//! `id_fields`; when none of them is present the body hash is used, never a hash of nothing.

use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Where a value is read from: a request header or a JSON pointer into the body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Locator {
    /// The value of the request header with this name (any case).
    Header(String),
    /// A JSON pointer into the event, e.g. `/event/type`; a non-empty string or number counts.
    Field(String),
}

/// A provider handshake that ingest answers itself instead of enqueueing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Handshake {
    /// Slack Events API: `{"type":"url_verification","challenge":"..."}` -> echo the challenge.
    SlackUrlVerification,
}

/// How to identify the events in a delivery. Built-in providers have presets; a custom
/// source describes its own in the sources configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentitySpec {
    /// First locator that yields a value gives the event type.
    #[serde(default)]
    pub event_type: Vec<Locator>,
    /// Event type when no locator yields one.
    #[serde(default = "default_event_type")]
    pub default_event_type: String,
    /// The provider's own id for the event or delivery; first present wins.
    #[serde(default)]
    pub event_id: Vec<Locator>,
    /// JSON pointers that together tell distinct events apart when the provider sends no id.
    #[serde(default)]
    pub id_fields: Vec<String>,
    /// The body must be JSON (400 when it is not).
    #[serde(default)]
    pub requires_json: bool,
    /// JSON pointer of an array whose elements are separate events (LINE `/events`).
    #[serde(default)]
    pub split: Option<String>,
    /// Provider headers copied into the envelope for handlers.
    #[serde(default)]
    pub keep_headers: Vec<String>,
    /// A provider handshake that ingest answers itself instead of enqueueing; none when not set.
    #[serde(default)]
    pub handshake: Option<Handshake>,
    /// Some of the provider's documented deliveries carry no id (Slack's form posts), so a
    /// body hash there is the rule, not a fallback worth counting.
    #[serde(skip)]
    id_may_be_absent: bool,
    /// The field pointers, deduplicated, and their trie: built once, not per delivery.
    #[serde(skip)]
    prepared: std::sync::OnceLock<(Vec<String>, super::jsonpick::Picker)>,
}

fn default_event_type() -> String {
    "webhook".to_owned()
}

fn header(name: &str) -> Locator {
    Locator::Header(name.to_owned())
}
fn field(ptr: &str) -> Locator {
    Locator::Field(ptr.to_owned())
}
fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

impl IdentitySpec {
    /// No provider knowledge: event type "webhook", id = SHA-256 of the body.
    pub fn generic() -> Self {
        Self {
            event_type: Vec::new(),
            default_event_type: default_event_type(),
            event_id: Vec::new(),
            id_fields: Vec::new(),
            requires_json: false,
            split: None,
            keep_headers: Vec::new(),
            handshake: None,
            id_may_be_absent: false,
            prepared: std::sync::OnceLock::new(),
        }
    }

    /// The preset for a built-in provider name, if there is one.
    pub fn preset(name: &str) -> Option<Self> {
        let g = Self::generic();
        Some(match name {
            // Bubble, the group manager and Sendbird send no delivery or event id and do not
            // document retries as anything but resends: the body hash identifies the event.
            "bubble" => Self {
                event_type: vec![field("/type"), header("x-bubble-event")],
                requires_json: true,
                ..g
            },
            "groupgm" => Self {
                event_type: vec![field("/event")],
                requires_json: true,
                ..g
            },
            "sendbird" => Self {
                event_type: vec![field("/category")],
                requires_json: true,
                ..g
            },
            "github" => Self {
                event_type: vec![header("x-github-event")],
                event_id: vec![header("x-github-delivery")],
                keep_headers: strings(&["x-github-event", "x-github-hook-id", "x-github-delivery"]),
                ..g
            },
            "stripe" => Self {
                event_type: vec![field("/type")],
                event_id: vec![field("/id")],
                requires_json: true,
                ..g
            },
            // Slack Events API is JSON with event_id; slash commands and interactivity are
            // form posts without one (hashed body, type "form").
            "slack" => Self {
                event_type: vec![field("/event/type"), field("/type")],
                default_event_type: "form".to_owned(),
                event_id: vec![field("/event_id")],
                keep_headers: strings(&["x-slack-retry-num", "x-slack-retry-reason"]),
                handshake: Some(Handshake::SlackUrlVerification),
                id_may_be_absent: true,
                ..g
            },
            "shopify" => Self {
                event_type: vec![header("x-shopify-topic")],
                event_id: vec![header("x-shopify-webhook-id")],
                keep_headers: strings(&[
                    "x-shopify-topic",
                    "x-shopify-shop-domain",
                    "x-shopify-api-version",
                    "x-shopify-event-id",
                ]),
                ..g
            },
            "line" => Self {
                event_type: vec![field("/type")],
                event_id: vec![field("/webhookEventId")],
                requires_json: true,
                split: Some("/events".to_owned()),
                ..g
            },
            "standard" => Self {
                event_type: vec![field("/type")],
                event_id: vec![header("webhook-id")],
                requires_json: true,
                ..g
            },
            _ => return None,
        })
    }
}

/// Why the events of a verified delivery could not be identified. Maps to HTTP 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The spec needs JSON (or splits the body) and the body, or one split event, is not JSON.
    #[error("body is not valid JSON")]
    NotJson,
    /// The body has no array at the `split` pointer (the field names the pointer).
    #[error("body has no `{0}` array")]
    MissingSplit(String),
}

/// Where an event id came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdBasis {
    /// The provider's own delivery or event id.
    Provider,
    /// A hash of the configured `id_fields` (custom sources only).
    Fields,
    /// The SHA-256 of the event's bytes: the rule for providers that send no id.
    Body,
    /// The SHA-256 of the event's bytes because none of the configured id locators or
    /// fields was present: counted in a metric, since the configuration expected one.
    BodyFallback,
}

/// One event found in a delivery: its type, id and the exact bytes that are its payload.
#[derive(Clone, PartialEq, Eq)]
pub struct Identified<'a> {
    /// The event type, control characters removed, at most 128 characters.
    pub event_type: String,
    /// The dedup key: the provider's id (as `h-<sha256>` if long or unusual), else a SHA-256 hex.
    pub event_id: String,
    /// Where `event_id` came from.
    pub id_basis: IdBasis,
    /// The event's exact bytes: the whole body, or its element of the split array.
    pub payload: &'a [u8],
}

// The payload is user data: never printed, only its length.
impl std::fmt::Debug for Identified<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identified")
            .field("event_type", &self.event_type)
            .field("event_id", &self.event_id)
            .field("id_basis", &self.id_basis)
            .field("payload_len", &self.payload.len())
            .finish()
    }
}

/// What a verified delivery turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found<'a> {
    /// A handshake to answer with this JSON body; nothing is enqueued.
    Handshake(String),
    /// The events to enqueue, in the delivery's order: one, or one per element of the split array.
    Events(Vec<Identified<'a>>),
}

const MAX_TYPE_LEN: usize = 128;
const MAX_ID_LEN: usize = 128;

impl IdentitySpec {
    fn needs_json(&self) -> bool {
        self.requires_json
            || self.split.is_some()
            || self.handshake.is_some()
            || !self.id_fields.is_empty()
            || self
                .event_type
                .iter()
                .chain(&self.event_id)
                .any(|l| matches!(l, Locator::Field(_)))
    }

    fn prepared(&self) -> &(Vec<String>, super::jsonpick::Picker) {
        self.prepared.get_or_init(|| {
            let ptrs = self.pointers();
            let picker = super::jsonpick::Picker::new(&ptrs);
            (ptrs.into_iter().map(str::to_owned).collect(), picker)
        })
    }

    /// Every JSON pointer this spec reads from one event.
    fn pointers(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .event_type
            .iter()
            .chain(&self.event_id)
            .filter_map(|l| match l {
                Locator::Field(p) => Some(p.as_str()),
                Locator::Header(_) => None,
            })
            .chain(self.id_fields.iter().map(String::as_str))
            .collect();
        if self.handshake.is_some() {
            v.extend(["/type", "/challenge"]);
        }
        let mut seen = std::collections::HashSet::new();
        v.retain(|p| seen.insert(*p));
        v
    }

    /// Identifies the events of `body`; header lookups go through `header`.
    pub fn identify<'a>(
        &self,
        header: &dyn Fn(&str) -> Option<String>,
        body: &'a [u8],
    ) -> Result<Found<'a>, IdentityError> {
        if let Some(ptr) = &self.split {
            return self.identify_split(header, body, ptr);
        }
        let (pointers, picker) = self.prepared();
        let picked = if self.needs_json() {
            match picker.pick(body) {
                Ok(v) => Some(v),
                Err(_) if self.requires_json => return Err(IdentityError::NotJson),
                Err(_) => None,
            }
        } else {
            None
        };
        let field = |p: &str| -> Option<&Value> {
            let i = pointers.iter().position(|q| *q == p)?;
            picked.as_ref()?.get(i)?.as_ref()
        };
        if self.handshake == Some(Handshake::SlackUrlVerification)
            && field("/type").and_then(Value::as_str) == Some("url_verification")
        {
            let challenge = field("/challenge").and_then(Value::as_str).unwrap_or("");
            return Ok(Found::Handshake(
                serde_json::json!({ "challenge": challenge }).to_string(),
            ));
        }
        let json_ok = picked.is_some();
        Ok(Found::Events(vec![self.one(header, &field, json_ok, body)]))
    }

    fn identify_split<'a>(
        &self,
        header: &dyn Fn(&str) -> Option<String>,
        body: &'a [u8],
        ptr: &str,
    ) -> Result<Found<'a>, IdentityError> {
        // Borrowed raw slices keep each event's bytes exactly as the provider sent them.
        let raws = match raw_array(body, ptr) {
            Ok(Some(r)) => r,
            Ok(None) => return Err(IdentityError::MissingSplit(ptr.to_owned())),
            Err(()) => return Err(IdentityError::NotJson),
        };
        let mut out = Vec::with_capacity(raws.len());
        for raw in raws {
            let item: Value =
                serde_json::from_str(raw.get()).map_err(|_| IdentityError::NotJson)?;
            let field = |p: &str| item.pointer(p);
            out.push(self.one(header, &field, true, raw.get().as_bytes()));
        }
        Ok(Found::Events(out))
    }

    fn one<'a, 'v>(
        &self,
        header: &dyn Fn(&str) -> Option<String>,
        field: &dyn Fn(&str) -> Option<&'v Value>,
        json_ok: bool,
        payload: &'a [u8],
    ) -> Identified<'a> {
        let lookup = |l: &Locator| -> Option<String> {
            match l {
                Locator::Header(h) => header(h),
                Locator::Field(p) => field(p).and_then(scalar),
            }
        };
        let event_type = self
            .event_type
            .iter()
            .find_map(lookup)
            .map(|t| clean_type(&t))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| self.default_event_type.clone());
        let (event_id, id_basis) = match self.event_id.iter().find_map(lookup) {
            Some(id) => (clean_id(&id), IdBasis::Provider),
            None => self.derived_id(&event_type, field, json_ok, payload),
        };
        Identified {
            event_type,
            event_id,
            id_basis,
            payload,
        }
    }

    fn derived_id<'v>(
        &self,
        event_type: &str,
        field: &dyn Fn(&str) -> Option<&'v Value>,
        json_ok: bool,
        payload: &[u8],
    ) -> (String, IdBasis) {
        if json_ok && !self.id_fields.is_empty() {
            let mut h = HashWriter(Sha256::new());
            let mut any = false;
            h.0.update(event_type.as_bytes());
            for p in &self.id_fields {
                h.0.update([0u8]);
                h.0.update(p.as_bytes());
                h.0.update([0u8]);
                if let Some(f) = field(p).filter(|f| !f.is_null()) {
                    any = true;
                    // Compact JSON of the value: the same for a retry whatever its layout.
                    let _ = serde_json::to_writer(&mut h, f);
                }
            }
            if any {
                return (hex::encode(h.0.finalize()), IdBasis::Fields);
            }
        }
        let basis =
            if self.id_may_be_absent || (self.event_id.is_empty() && self.id_fields.is_empty()) {
                IdBasis::Body
            } else {
                IdBasis::BodyFallback
            };
        (hex::encode(Sha256::digest(payload)), basis)
    }
}

/// Feeds serialised JSON straight into the hash, with no intermediate string.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The raw JSON text of each element of the array at `ptr` (a top-level key pointer like
/// `/events`), borrowed from `body`. `Err` when the body is not JSON, `None` when there is no
/// such array.
#[allow(clippy::type_complexity)]
fn raw_array<'a>(
    body: &'a [u8],
    ptr: &str,
) -> Result<Option<Vec<&'a serde_json::value::RawValue>>, ()> {
    let key = ptr.strip_prefix('/').ok_or(())?;
    let map: std::collections::HashMap<std::borrow::Cow<'a, str>, &'a serde_json::value::RawValue> =
        serde_json::from_slice(body).map_err(|_| ())?;
    let Some(raw) = map.get(key) else {
        return Ok(None);
    };
    Ok(serde_json::from_str::<Vec<&'a serde_json::value::RawValue>>(raw.get()).ok())
}

/// Where a source's events name their channel (`order_by` in the sources document): an RFC 6901
/// JSON pointer whose value, a non-empty string or a number, is the event's message group on
/// a FIFO queue. Events of one group are handled in order.
#[derive(Debug, Clone)]
pub struct OrderBy {
    pointer: String,
    picker: super::jsonpick::Picker,
}

impl OrderBy {
    /// Checks `pointer` is a JSON pointer (`/data/channelId`, `~0` and `~1` escapes).
    pub fn parse(pointer: &str) -> Result<Self, String> {
        let escapes_ok = pointer
            .split('~')
            .skip(1)
            .all(|rest| rest.starts_with('0') || rest.starts_with('1'));
        if !pointer.starts_with('/') || !escapes_ok {
            let hint = if pointer.contains('.') && !pointer.starts_with('/') {
                format!("; write `/{}`", pointer.replace('.', "/"))
            } else {
                String::new()
            };
            return Err(format!(
                "order_by: `{pointer}` is not a JSON pointer (RFC 6901: `/` before each key, \
                 `~0` for `~`, `~1` for `/`){hint}"
            ));
        }
        Ok(Self {
            pointer: pointer.to_owned(),
            picker: super::jsonpick::Picker::new(&[pointer]),
        })
    }

    /// The pointer as configured.
    pub fn pointer(&self) -> &str {
        &self.pointer
    }

    /// The event's group: the value at the pointer, if it is a non-empty string or a number.
    pub fn group_of(&self, event: &[u8]) -> Option<String> {
        self.picker
            .pick(event)
            .ok()?
            .into_iter()
            .next()
            .flatten()
            .as_ref()
            .and_then(scalar)
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Event types travel as SQS attributes and DynamoDB values: printable, bounded.
fn clean_type(t: &str) -> String {
    t.chars()
        .filter(|c| !c.is_control())
        .take(MAX_TYPE_LEN)
        .collect()
}

/// Provider ids are kept as they are when short and plain; anything else is hashed, which is
/// still stable across retries and cannot break a table key or a message attribute.
fn clean_id(id: &str) -> String {
    let plain = id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-@+=/".contains(&b));
    if plain {
        id.to_owned()
    } else {
        format!("h-{}", hex::encode(Sha256::digest(id.as_bytes())))
    }
}

#[cfg(test)]
mod tests;
