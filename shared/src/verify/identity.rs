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
use serde_json::value::RawValue;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Where a value is read from: a request header or a JSON pointer into the body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Locator {
    /// The value of the request header with this name (any case).
    Header(String),
    /// A JSON pointer into the event, e.g. `/event/type`; a non-empty string or number counts.
    Field(String),
    /// The name of the event object's first member not in this list (in name order): the
    /// kind of a Telegram update (`message`, `callback_query`, ...) beside its `update_id`.
    KeyExcept(Vec<String>),
    /// The first of `names` that is a member of the object at pointer `at`: WhatsApp's
    /// `statuses` beside `messages` in a change's `value`.
    KeyOf {
        /// A JSON pointer to an object (`""` for the event itself).
        at: String,
        /// Member names, in order of preference.
        names: Vec<String>,
    },
}

/// A provider handshake that ingest answers itself instead of enqueueing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Handshake {
    /// Slack Events API: `{"type":"url_verification","challenge":"..."}` -> echo the challenge.
    SlackUrlVerification,
    /// Zoom: `{"event":"endpoint.url_validation","payload":{"plainToken":"..."}}` -> the
    /// plain token and its HMAC-SHA256 under the secret token that verified the request.
    ZoomUrlValidation,
    /// Discord interactions: a `PING` (`{"type":1}`) -> `{"type":1}`.
    DiscordPing,
}

/// The answer to a provider's handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeAnswer {
    /// Answer 200 with this JSON.
    Json(String),
    /// Zoom's URL validation: answer with this plain token and its HMAC under the secret that
    /// verified the request (only the verified delivery knows which one it was).
    ZoomToken(String),
}

/// Where a delivery's events are (`split` in the sources document): one JSON pointer or a
/// list of them, each naming an array whose elements are events. A `*` segment stands for
/// every element of the array at that point: Meta's `/entry/*/changes`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Split {
    /// One pointer, e.g. LINE's `/events`.
    One(String),
    /// Several, e.g. Meta's `/entry/*/changes` and `/entry/*/messaging`; their events come
    /// path by path.
    Many(Vec<String>),
}

impl Split {
    fn paths(&self) -> &[String] {
        match self {
            Self::One(p) => std::slice::from_ref(p),
            Self::Many(v) => v,
        }
    }
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
    /// Where a delivery's separate events are: JSON pointers of arrays (LINE `/events`, Meta
    /// `/entry/*/changes`).
    #[serde(default)]
    pub split: Option<Split>,
    /// With `split`: each event is the delivery narrowed to that one element (the enclosing
    /// objects' other members kept, other split arrays left out), not the element alone. Meta
    /// needs it: `object` and `entry[].id` say which app, page or account an event is for.
    #[serde(default)]
    pub split_context: bool,
    /// Names for event types as located (Discord's `"2"` is `APPLICATION_COMMAND`).
    #[serde(default)]
    pub event_type_names: BTreeMap<String, String>,
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
            split_context: false,
            event_type_names: BTreeMap::new(),
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
                split: Some(Split::One("/events".to_owned())),
                ..g
            },
            // Meta (WhatsApp Cloud API, Messenger, Instagram) sends no event id; one POST
            // batches entries, each with `changes[]` or `messaging[]`. Each event keeps its
            // `object` and entry (`id`, `time`), so its hash is its own.
            "meta" => Self {
                // A change's subscription `field` (`messages`), except WhatsApp's status
                // updates, which arrive under the same field; a messaging event's kind.
                event_type: vec![
                    Locator::KeyOf {
                        at: "/value".into(),
                        names: strings(&["statuses"]),
                    },
                    field("/field"),
                    Locator::KeyExcept(strings(&["sender", "recipient", "timestamp"])),
                ],
                requires_json: true,
                split: Some(Split::Many(strings(&[
                    "/entry/*/changes",
                    "/entry/*/messaging",
                ]))),
                split_context: true,
                ..g
            },
            // Telegram: `update_id` is the update's unique identifier (per bot: one source
            // per bot); the update's one optional member names its kind.
            "telegram" => Self {
                event_type: vec![Locator::KeyExcept(strings(&["update_id"]))],
                event_id: vec![field("/update_id")],
                requires_json: true,
                ..g
            },
            "discord" => Self {
                event_type: vec![field("/type")],
                event_type_names: [
                    ("1", "PING"),
                    ("2", "APPLICATION_COMMAND"),
                    ("3", "MESSAGE_COMPONENT"),
                    ("4", "APPLICATION_COMMAND_AUTOCOMPLETE"),
                    ("5", "MODAL_SUBMIT"),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
                event_id: vec![field("/id")],
                requires_json: true,
                handshake: Some(Handshake::DiscordPing),
                ..g
            },
            // Teams documents no unique id for outgoing webhooks (the activity's `id` is not
            // promised), and no retries: the body hash identifies the event.
            "teams" => Self {
                event_type: vec![field("/type")],
                requires_json: true,
                ..g
            },
            // Zoom sends no event id: the body hash identifies the event.
            "zoom" => Self {
                event_type: vec![field("/event")],
                requires_json: true,
                handshake: Some(Handshake::ZoomUrlValidation),
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
    /// With `split_context`, the events with their context would be far larger than the body
    /// (a large member beside many events): refused rather than multiplied in memory.
    #[error("the body's events with their context exceed {0} bytes")]
    ContextTooLarge(usize),
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
    /// The event's bytes: the whole body, or its element of the split array (exactly as
    /// sent), or with `split_context` the delivery narrowed to that element.
    pub payload: Cow<'a, [u8]>,
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
    /// A handshake to answer; nothing is enqueued.
    Handshake(HandshakeAnswer),
    /// The events to enqueue, in the delivery's order: one, or one per element of the split array.
    Events(Vec<Identified<'a>>),
}

const MAX_TYPE_LEN: usize = 128;
/// What the events of a `split_context` delivery may add to its size, all together.
const MAX_CONTEXT_BYTES: usize = 256 * 1024;
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
                .any(|l| !matches!(l, Locator::Header(_)))
    }

    fn needs_whole_value(&self) -> bool {
        self.event_type
            .iter()
            .chain(&self.event_id)
            .any(|l| matches!(l, Locator::KeyExcept(_) | Locator::KeyOf { .. }))
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
                Locator::Header(_) | Locator::KeyExcept(_) | Locator::KeyOf { .. } => None,
            })
            .chain(self.id_fields.iter().map(String::as_str))
            .collect();
        match self.handshake {
            Some(Handshake::SlackUrlVerification) => v.extend(["/type", "/challenge"]),
            Some(Handshake::ZoomUrlValidation) => v.extend(["/event", "/payload/plainToken"]),
            Some(Handshake::DiscordPing) => v.push("/type"),
            None => {}
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
        if let Some(split) = &self.split {
            return self.identify_split(header, body, split);
        }
        let fields = if self.needs_json() {
            match std::str::from_utf8(body).map(|text| self.read_fields(text)) {
                Ok(Ok(f)) => Some(f),
                _ if self.requires_json => return Err(IdentityError::NotJson),
                _ => None,
            }
        } else {
            None
        };
        let field = |p: &str| fields.as_ref()?.get(p);
        if let Some(answer) = self.handshake_answer(&field) {
            return Ok(Found::Handshake(answer));
        }
        let json_ok = fields.is_some();
        Ok(Found::Events(vec![self.one(
            header,
            &field,
            json_ok,
            Cow::Borrowed(body),
        )]))
    }

    /// What identity reads from one JSON document: the whole value when a locator needs it
    /// (`key_except`, `key_of`), else only the pointers it reads, picked in one pass.
    fn read_fields(&self, json: &str) -> Result<Fields<'_>, serde_json::Error> {
        if self.needs_whole_value() {
            return Ok(Fields::Whole(serde_json::from_str(json)?));
        }
        let (pointers, picker) = self.prepared();
        Ok(Fields::Picked {
            pointers,
            values: picker.pick_str(json)?,
        })
    }

    fn handshake_answer<'v>(
        &self,
        field: &dyn Fn(&str) -> Option<&'v Value>,
    ) -> Option<HandshakeAnswer> {
        let text = |p: &str| field(p).and_then(Value::as_str);
        match self.handshake? {
            Handshake::SlackUrlVerification if text("/type") == Some("url_verification") => {
                let challenge = text("/challenge").unwrap_or("");
                Some(HandshakeAnswer::Json(
                    serde_json::json!({ "challenge": challenge }).to_string(),
                ))
            }
            Handshake::ZoomUrlValidation if text("/event") == Some("endpoint.url_validation") => {
                Some(HandshakeAnswer::ZoomToken(
                    text("/payload/plainToken").unwrap_or("").to_owned(),
                ))
            }
            Handshake::DiscordPing if field("/type").and_then(Value::as_u64) == Some(1) => {
                Some(HandshakeAnswer::Json(r#"{"type":1}"#.to_owned()))
            }
            _ => None,
        }
    }

    fn identify_split<'a>(
        &self,
        header: &dyn Fn(&str) -> Option<String>,
        body: &'a [u8],
        split: &Split,
    ) -> Result<Found<'a>, IdentityError> {
        let text = std::str::from_utf8(body).map_err(|_| IdentityError::NotJson)?;
        let root: &RawValue = serde_json::from_str(text).map_err(|_| IdentityError::NotJson)?;
        let paths = split.paths();
        let parsed: Vec<Vec<Seg>> = paths.iter().map(|p| segments(p)).collect();
        let mut found_any = false;
        let mut out = Vec::new();
        // Each event repeats its context (Meta: `object`, the entry's `id` and `time`, a few
        // dozen bytes); a body whose context would multiply it is not one the platforms send.
        let budget = body
            .len()
            .saturating_mul(2)
            .saturating_add(MAX_CONTEXT_BYTES);
        let mut total = 0usize;
        for (i, segs) in parsed.iter().enumerate() {
            // Other paths' keys at the same depth: an event narrowed to one array leaves the
            // others out (a Meta entry's `messaging` does not travel with its `changes`).
            let others: Vec<(usize, &str)> = parsed
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .flat_map(|(_, o)| {
                    o.iter().enumerate().filter_map(|(d, s)| match s {
                        Seg::Key(k) => Some((d, k.as_str())),
                        Seg::Each => None,
                    })
                })
                .filter(|(d, k)| !matches!(segs.get(*d), Some(Seg::Key(own)) if own == k))
                .collect();
            let Some(events) = walk(root, segs, 0, &others, self.split_context)? else {
                continue;
            };
            found_any = true;
            for (element, narrowed) in events {
                let fields = self
                    .read_fields(element.get())
                    .map_err(|_| IdentityError::NotJson)?;
                let field = |p: &str| fields.get(p);
                let payload = match narrowed {
                    Some(narrowed) => {
                        total = total.saturating_add(narrowed.len());
                        if total > budget {
                            return Err(IdentityError::ContextTooLarge(budget));
                        }
                        Cow::Owned(narrowed.into_bytes())
                    }
                    None => Cow::Borrowed(element.get().as_bytes()),
                };
                out.push(self.one(header, &field, true, payload));
            }
        }
        if !found_any {
            return Err(IdentityError::MissingSplit(
                paths.first().cloned().unwrap_or_default(),
            ));
        }
        Ok(Found::Events(out))
    }

    fn one<'a, 'v>(
        &self,
        header: &dyn Fn(&str) -> Option<String>,
        field: &dyn Fn(&str) -> Option<&'v Value>,
        json_ok: bool,
        payload: Cow<'a, [u8]>,
    ) -> Identified<'a> {
        let lookup = |l: &Locator| -> Option<String> {
            match l {
                Locator::Header(h) => header(h),
                Locator::Field(p) => field(p).and_then(scalar),
                Locator::KeyExcept(skip) => field("")
                    .and_then(Value::as_object)?
                    .keys()
                    .find(|k| !skip.contains(k))
                    .cloned(),
                Locator::KeyOf { at, names } => {
                    let obj = field(at).and_then(Value::as_object)?;
                    names.iter().find(|n| obj.contains_key(n.as_str())).cloned()
                }
            }
        };
        let event_type = self
            .event_type
            .iter()
            .find_map(lookup)
            .map(|t| match self.event_type_names.get(&t) {
                Some(name) => name.clone(),
                None => t,
            })
            .map(|t| clean_type(&t))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| self.default_event_type.clone());
        let (event_id, id_basis) = match self.event_id.iter().find_map(lookup) {
            Some(id) => (clean_id(&id), IdBasis::Provider),
            None => self.derived_id(&event_type, field, json_ok, &payload),
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
                return (hex_digest(h.0.finalize()), IdBasis::Fields);
            }
        }
        let basis =
            if self.id_may_be_absent || (self.event_id.is_empty() && self.id_fields.is_empty()) {
                IdBasis::Body
            } else {
                IdBasis::BodyFallback
            };
        (hex_digest(Sha256::digest(payload)), basis)
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

/// One step of a split path: a member of an object, or every element of an array.
#[derive(Debug, PartialEq, Eq)]
enum Seg {
    Key(String),
    Each,
}

/// `/entry/*/changes` as steps (`~1` and `~0` unescaped in keys).
fn segments(path: &str) -> Vec<Seg> {
    path.split('/')
        .skip(1)
        .map(|s| match s {
            "*" => Seg::Each,
            k => Seg::Key(k.replace("~1", "/").replace("~0", "~")),
        })
        .collect()
}

/// The fields of one JSON document identity reads ([`IdentitySpec::read_fields`]).
enum Fields<'s> {
    Whole(Value),
    /// The value at each of `pointers`, where present.
    Picked {
        pointers: &'s [String],
        values: Vec<Option<Value>>,
    },
}

impl Fields<'_> {
    fn get(&self, pointer: &str) -> Option<&Value> {
        match self {
            Fields::Whole(v) => v.pointer(pointer),
            Fields::Picked { pointers, values } => {
                let i = pointers.iter().position(|q| q == pointer)?;
                values.get(i)?.as_ref()
            }
        }
    }
}

/// An event found by a split path: its element, and, when its source's events keep their
/// context, the value it was found in narrowed to that element.
type Narrowed<'a> = (&'a RawValue, Option<String>);

/// The elements of the array `segs` leads to from `v`, each with `v` narrowed to it when
/// `narrow` (a source whose events keep their context): every array on the way holds only the
/// element on the path, every object keeps its other members (in name order) except the keys
/// `others` names at that depth. Without `narrow` nothing is built: it copied the whole body
/// per event. `Ok(None)` when the path does not lead to an array; `Err` when a value on the
/// way is not JSON.
fn walk<'a>(
    v: &'a RawValue,
    segs: &[Seg],
    depth: usize,
    others: &[(usize, &str)],
    narrow: bool,
) -> Result<Option<Vec<Narrowed<'a>>>, IdentityError> {
    let items = |v: &'a RawValue| serde_json::from_str::<Vec<&'a RawValue>>(v.get()).ok();
    let Some((seg, rest)) = segs.split_first() else {
        let Some(elements) = items(v) else {
            return Ok(None);
        };
        return Ok(Some(
            elements
                .into_iter()
                .map(|e| (e, narrow.then(|| format!("[{}]", e.get()))))
                .collect(),
        ));
    };
    match seg {
        Seg::Each => {
            let Some(elements) = items(v) else {
                return Ok(None);
            };
            let mut out = Vec::new();
            let mut any = false;
            for e in elements {
                if let Some(found) = walk(e, rest, depth + 1, others, narrow)? {
                    any = true;
                    out.extend(
                        found
                            .into_iter()
                            .map(|(ev, n)| (ev, n.map(|n| format!("[{n}]")))),
                    );
                }
            }
            Ok(any.then_some(out))
        }
        Seg::Key(key) => {
            let Ok(members) = serde_json::from_str::<BTreeMap<Cow<'a, str>, &'a RawValue>>(v.get())
            else {
                return Ok(None);
            };
            let Some(child) = members.get(key.as_str()) else {
                return Ok(None);
            };
            let Some(found) = walk(child, rest, depth + 1, others, narrow)? else {
                return Ok(None);
            };
            let mut out = Vec::with_capacity(found.len());
            for (ev, narrowed_child) in found {
                let Some(narrowed_child) = narrowed_child else {
                    out.push((ev, None));
                    continue;
                };
                let mut s = String::from("{");
                for (k, raw) in &members {
                    if others.iter().any(|(d, o)| *d == depth && *o == k.as_ref()) {
                        continue;
                    }
                    if s.len() > 1 {
                        s.push(',');
                    }
                    s.push_str(&serde_json::to_string(k).map_err(|_| IdentityError::NotJson)?);
                    s.push(':');
                    if k.as_ref() == key.as_str() {
                        s.push_str(&narrowed_child);
                    } else {
                        s.push_str(raw.get());
                    }
                }
                s.push('}');
                out.push((ev, Some(s)));
            }
            Ok(Some(out))
        }
    }
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
    if t.len() <= MAX_TYPE_LEN && !t.chars().any(char::is_control) {
        return t.to_owned();
    }
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
        format!("h-{}", hex_digest(Sha256::digest(id.as_bytes())))
    }
}

/// Lower-case hex of a digest. `hex::encode` builds its string a `char` at a time, which
/// showed in the per-delivery profile; `encode_to_slice` writes bytes.
fn hex_digest(digest: impl AsRef<[u8]>) -> String {
    let digest = digest.as_ref();
    let mut buf = vec![0u8; digest.len() * 2];
    // Fails only when the lengths disagree, which they cannot.
    let _ = hex::encode_to_slice(digest, &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

#[cfg(test)]
mod tests;
