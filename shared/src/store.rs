//! The events table's port: idempotency claims and delivery history. The one AWS
//! implementation, on DynamoDB, is `crate::aws::dynamodb` (the table's layout lives there
//! alone).
//!
//! Key `pk` = `{source}#{event_id}`. A claim is ONE conditional write that succeeds when the
//! event is new, its record expired (TTL deletion may lag 48 h, so expiry is checked here),
//! its lease expired (the previous owner died), or it FAILED before. A losing claim learns why
//! from the old item returned with the failed condition (`ALL_OLD`), with no second read.
//! `complete`, `release` and `fail` are conditional on the claim token, so an owner whose lease
//! ran out cannot overwrite the record of the one that took over.

use async_trait::async_trait;
use std::time::Duration;
use time::OffsetDateTime;

#[cfg(feature = "aws")]
pub use crate::aws::dynamodb::DynamoDbEventStore;

/// Record status: an attempt holds the claim (until its lease ends) and runs the handlers.
pub const STATUS_IN_PROGRESS: &str = "IN_PROGRESS";
/// Record status: the handlers succeeded; any later delivery of the event is a duplicate.
pub const STATUS_COMPLETED: &str = "COMPLETED";
/// Record status: an attempt failed; claimable again from `next_attempt_at` on, or at once
/// when the event was dead-lettered.
pub const STATUS_FAILED: &str = "FAILED";

/// How long records are kept (and so how long a provider retry or a replay is recognised):
/// 16 days, longer than anything that can still be replayed. A message lives at most 14 days
/// in the queue or the dead-letter queue (SQS's maximum), and the record's expiry is renewed
/// when the event completes or is dead-lettered, so a replay never finds its record gone.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(16 * 24 * 3600);

/// What the processor asks for when it claims an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRequest {
    /// The source's name.
    pub source: String,
    /// The event id, unique within the source (the dedup key).
    pub event_id: String,
    /// The event type, kept for the history.
    pub event_type: String,
    /// When ingest received the delivery (the envelope's `received_at`).
    pub received_at: OffsetDateTime,
    /// The current time, against which leases, retry times and expiry are judged.
    pub now: OffsetDateTime,
    /// How long the claim is ours before another attempt may take it over.
    pub lease: Duration,
    /// How long the record is kept, counted from `now`.
    pub retention: Duration,
}

impl Claim {
    /// This attempt's place in the retry schedule: 1 for the first attempt, and again for
    /// the first attempt after a replay from the dead-letter queue.
    pub fn schedule_attempt(&self) -> u32 {
        self.attempts.saturating_sub(self.attempts_before).max(1)
    }
}

impl ClaimRequest {
    /// The record's key, `{source}#{event_id}`.
    pub fn key(&self) -> String {
        format!("{}#{}", self.source, self.event_id)
    }
}

/// A held claim: the token proves ownership to `complete`, `release` and `fail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The record's key, `{source}#{event_id}`.
    pub key: String,
    /// Random token naming this claim; the record's later writes are conditional on it.
    pub token: String,
    /// Attempts so far, this one included.
    pub attempts: u32,
    /// Attempts made before the event was last dead-lettered (0 if never): a replayed event
    /// follows the retry schedule afresh from there.
    pub attempts_before: u32,
    /// How long the record is kept; counted again from when the event completes or is
    /// dead-lettered.
    pub retention: Duration,
    /// Until when the claim is exclusive (whole seconds, as stored).
    pub lease_until: OffsetDateTime,
}

/// The answer to a claim: ours, a duplicate, or held back for now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// The event is ours: run its handlers, then `complete`, `release` or `fail` it.
    Claimed(Claim),
    /// Handled already: a duplicate delivery.
    AlreadyCompleted,
    /// Another attempt holds a live lease until this time.
    Held {
        /// When that lease ends.
        lease_until: OffsetDateTime,
    },
    /// The event failed and its next attempt is due at this time (a retry step longer than
    /// SQS's 12-hour visibility ceiling is served in parts).
    NotYet {
        /// When the next attempt is due.
        next_attempt_at: OffsetDateTime,
    },
}

/// Why an event went to the dead-letter queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// A handler said it will never succeed.
    Permanent,
    /// The retry schedule ran out.
    Exhausted,
}

impl Failure {
    /// The name written to the record's `failure`: `permanent` or `exhausted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Permanent => "permanent",
            Self::Exhausted => "exhausted",
        }
    }
}

/// Why an events table call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The table could not be reached or refused the call: retry later.
    #[error("events table unavailable: {0}")]
    Unavailable(String),
    /// The claim token no longer matches: our lease expired and someone else took over.
    #[error("claim on {0} was lost to a newer attempt")]
    LostClaim(String),
}

/// Retained payloads larger than this once compressed are not kept (their size is): a
/// DynamoDB write costs one unit per KB of item, and every later duplicate's refused claim is
/// charged by the item's size too.
pub const MAX_RETAINED_COMPRESSED: usize = 16 * 1024;

/// What the record keeps of an event when it completes or is dead-lettered, so it can be shown
/// and re-delivered: the payload (raw deflate, if it fits [`MAX_RETAINED_COMPRESSED`]), its
/// size, the provider headers the envelope kept, and where a claim-checked body lies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Kept {
    /// The payload, raw deflate; None when not retained (off, too large, or in the bucket).
    pub payload: Option<Vec<u8>>,
    /// The payload's size in bytes; None when retention is off.
    pub payload_size: Option<u64>,
    /// The provider headers the envelope kept.
    pub headers: std::collections::BTreeMap<String, String>,
    /// Where a body too large for a queue message lies (the bodies bucket).
    pub body_ref: Option<crate::envelope::BodyRef>,
}

impl Kept {
    /// Nothing kept (retention off).
    pub fn nothing() -> Self {
        Self::default()
    }

    /// What to keep of `env`: a claim-checked body by its reference, any other compressed
    /// when it fits.
    pub fn of(env: &crate::envelope::Envelope) -> Self {
        if let Some(at) = &env.body_ref {
            return Self {
                payload: None,
                payload_size: Some(at.size),
                headers: env.headers.clone(),
                body_ref: Some(at.clone()),
            };
        }
        let body = env.body_bytes();
        // JSON deflates about 2-10x: a body 16 times the cap would not fit, and compressing a
        // megabyte only to drop it would cost the processor tens of milliseconds.
        let packed = (body.len() <= 16 * MAX_RETAINED_COMPRESSED)
            .then(|| miniz_oxide::deflate::compress_to_vec(&body, 9))
            .filter(|p| p.len() <= MAX_RETAINED_COMPRESSED);
        Self {
            payload: packed,
            payload_size: Some(u64::try_from(body.len()).unwrap_or(u64::MAX)),
            headers: env.headers.clone(),
            body_ref: None,
        }
    }
}

/// Inflates a retained payload; None when it is not valid deflate or grows past the largest
/// body a source accepts.
pub fn unpack_payload(packed: &[u8]) -> Option<Vec<u8>> {
    miniz_oxide::inflate::decompress_to_vec_with_limit(packed, crate::config::MAX_BODY_BYTES).ok()
}

/// One row of delivery history.
#[derive(Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct EventRecord {
    /// The source's name (`_undecodable` for a message that was not an envelope).
    pub source: String,
    /// The event id (the SQS message id for a message that was not an envelope).
    pub event_id: String,
    /// The event type; empty when the record has none.
    pub event_type: String,
    /// `IN_PROGRESS`, `COMPLETED` or `FAILED` (the `STATUS_*` constants).
    pub status: String,
    /// Attempts (claims) so far; 0 when not recorded.
    pub attempts: u32,
    /// When ingest received the event, RFC 3339; `None` when not recorded.
    pub received_at: Option<String>,
    /// When the event completed, RFC 3339; `None` until it has.
    pub completed_at: Option<String>,
    /// How long the completing attempt's handlers ran, in milliseconds; `None` until then.
    pub duration_ms: Option<u64>,
    /// The last failure's error text (at most 1000 characters); `None` if none since the
    /// last success.
    pub last_error: Option<String>,
    /// Kind of the last failure: `retryable`, `permanent` or `exhausted`, or `redelivery`
    /// while an operator's redelivery waits; `None` if none.
    pub failure: Option<String>,
    /// When a retryable failure's next attempt is due.
    pub next_attempt_at: Option<String>,
    /// The payload's size in bytes, once the event completed or was dead-lettered with
    /// retention on.
    pub payload_size: Option<u64>,
    /// The retained payload, inflated; None when not kept (retention off, over
    /// [`MAX_RETAINED_COMPRESSED`], in the bodies bucket, or not yet completed).
    #[serde(skip)]
    pub payload: Option<Vec<u8>>,
    /// The provider headers the envelope kept.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub headers: std::collections::BTreeMap<String, String>,
    /// Where a body over the queue's limit lies (the bodies bucket).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_ref: Option<crate::envelope::BodyRef>,
    /// How often an operator asked for the event to be delivered again.
    pub redeliveries: u32,
    /// When the last redelivery was asked for (RFC 3339).
    pub redelivered_at: Option<String>,
}

/// The events table: claims that make each event's handlers run once in effect, and the
/// records they leave (see the module docs).
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Claims the event in one conditional write; a losing claim says why, with no second
    /// read. `Err` only when the table is unavailable.
    async fn claim(&self, req: &ClaimRequest) -> Result<ClaimOutcome, StoreError>;
    /// Marks the claimed event COMPLETED with the handlers' `duration`, keeps what `kept`
    /// holds and renews its retention; [`StoreError::LostClaim`] when another attempt took it
    /// over.
    async fn complete(
        &self,
        claim: &Claim,
        duration: Duration,
        kept: &Kept,
    ) -> Result<(), StoreError>;
    /// A retryable failure: the record becomes FAILED with the error, claimable again from
    /// `next_attempt_at` on.
    async fn release(
        &self,
        claim: &Claim,
        error: &str,
        next_attempt_at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// The event went to the dead-letter queue: FAILED with the reason and what `kept` holds,
    /// kept for the retention from now (so it outlives its DLQ copy), claimable by a replay at
    /// once.
    async fn fail(
        &self,
        claim: &Claim,
        error: &str,
        why: Failure,
        kept: &Kept,
    ) -> Result<(), StoreError>;
    /// Records a message that is not an envelope (it has no event key), so it shows in the
    /// history next to real events.
    async fn record_undecodable(
        &self,
        message_id: &str,
        reason: &str,
        retention: Duration,
    ) -> Result<(), StoreError>;
}

// The payload and header values are user data: `{:?}` shows their sizes and names only, as
// `Envelope`'s does.
impl std::fmt::Debug for EventRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventRecord")
            .field("source", &self.source)
            .field("event_id", &self.event_id)
            .field("event_type", &self.event_type)
            .field("status", &self.status)
            .field("attempts", &self.attempts)
            .field("received_at", &self.received_at)
            .field("completed_at", &self.completed_at)
            .field("failure", &self.failure)
            .field("payload_len", &self.payload.as_ref().map(Vec::len))
            .field("header_names", &self.headers.keys().collect::<Vec<_>>())
            .field("redeliveries", &self.redeliveries)
            .finish_non_exhaustive()
    }
}

/// Which history rows `DynamoDbEventStore::history` returns.
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    /// Only this source's events; `None` for every source.
    pub source: Option<String>,
    /// IN_PROGRESS, COMPLETED or FAILED (any case).
    pub status: Option<String>,
    /// Only events of this type.
    pub event_type: Option<String>,
    /// Received at or after.
    pub since: Option<OffsetDateTime>,
    /// Received before.
    pub until: Option<OffsetDateTime>,
    /// At most this many rows (at least 1).
    pub limit: usize,
}

/// RFC 3339, as the table and the envelope write times.
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A time as the table writes it, read back; `None` when it is not RFC 3339.
pub fn parse_rfc3339(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

// The table's times are RFC 3339 in UTC with as many fraction digits as the time needs
// ("…:05Z", "…:05.5Z", "…:05.123Z"), so as strings they do not sort as times within a second:
// '.' sorts before 'Z', and ".5Z" after ".123Z". A filter the table applies to strings can
// therefore only be coarse; the exact window is applied to parsed times after the scan.
impl HistoryFilter {
    /// Bounds on `received_at` as strings, for the table to apply: every time in the window
    /// passes them (a superset; `in_window` is exact). `since` becomes the prefix of its second,
    /// which every time in that second (a longer string) and after sorts at or above; `until`
    /// the prefix of the second after its own, which every time before it sorts below.
    pub fn received_bounds(&self) -> (Option<String>, Option<String>) {
        let prefix = |t: OffsetDateTime| {
            let whole = t
                .to_offset(time::UtcOffset::UTC)
                .replace_nanosecond(0)
                .unwrap_or(t);
            let mut s = rfc3339(whole);
            s.truncate(s.trim_end_matches('Z').len());
            s
        };
        // A time RFC 3339 cannot write (beyond year 9999) gives no bound rather than "".
        let nonempty = |s: String| Some(s).filter(|s| !s.is_empty());
        (
            self.since.map(prefix).and_then(nonempty),
            self.until
                .map(|t| prefix(t.saturating_add(time::Duration::SECOND)))
                .and_then(nonempty),
        )
    }

    /// Whether a record received at `received_at` is inside `since`..`until`, compared as
    /// times. A record without a readable time is inside only when no bound is set.
    pub fn in_window(&self, received_at: Option<&str>) -> bool {
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        let Some(t) = received_at.and_then(parse_rfc3339) else {
            return false;
        };
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }
}

/// Newest first by `received_at` read as a time; records without one last, in scan order.
pub fn sort_newest_first(records: &mut [EventRecord]) {
    records.sort_by_cached_key(|r| {
        std::cmp::Reverse(r.received_at.as_deref().and_then(parse_rfc3339))
    });
}

#[cfg(test)]
mod kept_tests {
    use super::*;
    use crate::envelope::Envelope;

    fn env(body: &[u8]) -> Envelope {
        let mut h = std::collections::BTreeMap::new();
        h.insert("x-github-event".to_owned(), "push".to_owned());
        Envelope::new("github", "push", "d1", OffsetDateTime::UNIX_EPOCH, body, h)
    }

    #[test]
    fn payloads_are_kept_compressed_when_they_fit_and_sized_when_not() {
        let body = br#"{"ref":"refs/heads/main","commits":[]}"#.repeat(20);
        let k = Kept::of(&env(&body));
        let packed = k.payload.clone().unwrap();
        assert!(packed.len() < body.len() / 4, "JSON deflates");
        assert_eq!(unpack_payload(&packed).unwrap(), body);
        assert_eq!(k.payload_size, Some(body.len() as u64));
        assert_eq!(
            k.headers.get("x-github-event").map(String::as_str),
            Some("push")
        );

        // Incompressible and over the cap: only its size is kept.
        let mut noise = vec![0u8; 40_000];
        fastrand::Rng::with_seed(7).fill(&mut noise);
        let k = Kept::of(&env(&noise));
        assert_eq!((k.payload, k.payload_size), (None, Some(40_000)));
        // Far over it: not even compressed.
        let huge = vec![b'a'; 16 * MAX_RETAINED_COMPRESSED + 1];
        assert_eq!(Kept::of(&env(&huge)).payload, None);

        // A claim-checked body is kept by reference.
        let at = crate::bodies::body_ref("bucket", &huge);
        let k = Kept::of(&env(b"").with_body_stored(at.clone()));
        assert_eq!(
            (k.payload, k.body_ref, k.payload_size),
            (None, Some(at), Some(huge.len() as u64))
        );
        assert_eq!(Kept::nothing(), Kept::default());
        let r = EventRecord {
            payload: Some(b"top-secret-payload".to_vec()),
            headers: [("x-h".to_owned(), "secret-header-value".to_owned())].into(),
            ..Default::default()
        };
        let shown = format!("{r:?}");
        assert!(!shown.contains("top-secret") && !shown.contains("secret-header-value"));
        assert!(shown.contains("payload_len: Some(18)") && shown.contains("x-h"));
        assert_eq!(unpack_payload(b"not deflate at all"), None);
    }
}

#[cfg(test)]
mod window_tests {
    use super::*;
    use time::macros::datetime;

    fn at(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    /// Times within one second, as the table writes them (fraction digits as needed), come
    /// back newest first; compared as strings they did not ('.' < 'Z', ".5Z" > ".123Z").
    #[test]
    fn history_sorts_by_time_not_by_string() {
        let t = datetime!(2026-11-26 10:00:05 UTC);
        let ms = |n: i64| at(&rfc3339(t + time::Duration::milliseconds(n)));
        assert_eq!(ms(0).as_deref(), Some("2026-11-26T10:00:05Z"));
        assert_eq!(ms(120).as_deref(), Some("2026-11-26T10:00:05.12Z"));
        let mut rows: Vec<EventRecord> =
            [ms(0), ms(500), None, ms(120), ms(123), ms(-900), ms(1000)]
                .into_iter()
                .enumerate()
                .map(|(i, received_at)| EventRecord {
                    event_id: i.to_string(),
                    received_at,
                    ..Default::default()
                })
                .collect();
        sort_newest_first(&mut rows);
        let order: Vec<&str> = rows.iter().map(|r| r.event_id.as_str()).collect();
        assert_eq!(order, ["6", "1", "4", "3", "0", "5", "2"]);
    }

    /// The table's coarse bounds let every time of the window through, the exact check keeps
    /// only the window; a bound given with an offset means the same instant in UTC.
    #[test]
    fn history_window_is_exact_and_its_table_bounds_a_superset() {
        let since = datetime!(2026-11-26 10:00:05.12 UTC);
        let until = datetime!(2026-11-26 11:00:05.5 +01:00);
        let f = HistoryFilter {
            since: Some(since),
            until: Some(until),
            ..Default::default()
        };
        let (lo, hi) = f.received_bounds();
        assert_eq!(lo.as_deref(), Some("2026-11-26T10:00:05"));
        assert_eq!(hi.as_deref(), Some("2026-11-26T10:00:06"));
        let cases = [
            ("2026-11-26T10:00:04.999Z", false),
            ("2026-11-26T10:00:05Z", false),
            ("2026-11-26T10:00:05.1Z", false),
            ("2026-11-26T10:00:05.12Z", true),
            ("2026-11-26T10:00:05.123Z", true),
            ("2026-11-26T10:00:05.499999999Z", true),
            ("2026-11-26T10:00:05.5Z", false),
            ("2026-11-26T10:00:06Z", false),
            ("not a time", false),
        ];
        for (s, inside) in cases {
            assert_eq!(f.in_window(Some(s)), inside, "{s}");
            if inside {
                let (lo, hi) = (lo.as_deref().unwrap(), hi.as_deref().unwrap());
                assert!(s >= lo && s < hi, "{s} must pass the table's bounds");
            }
        }
        assert!(!f.in_window(None));
        assert!(HistoryFilter::default().in_window(None));
        assert_eq!(HistoryFilter::default().received_bounds(), (None, None));
    }
}
