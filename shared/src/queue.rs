//! The queue ports: where ingest puts accepted events ([`EventQueue`], its only side
//! effect), and what the processor needs from the queue ([`DeadLetterQueue`],
//! [`RetryScheduler`]). The SQS implementations are in `crate::aws::sqs`; an in-memory
//! one for tests is [`MemoryQueue`].

use crate::delivery::AcceptedEvent;
use async_trait::async_trait;

#[cfg(feature = "aws")]
pub(crate) use crate::aws::sqs::string_attribute;
#[cfg(feature = "aws")]
pub use crate::aws::sqs::{
    queue_arn, string_attributes, warm_queue, SqsDeadLetterQueue, SqsEventQueue, SqsRetryScheduler,
};

/// Whether SQS accepts `c` in a message body or string attribute: `#x9 | #xA | #xD |
/// #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF` (Rust chars are never surrogates).
pub fn sqs_allows(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Whether `queue_url` names a FIFO queue (SQS requires the `.fifo` suffix on their names).
pub fn is_fifo(queue_url: &str) -> bool {
    queue_url.ends_with(".fifo")
}

/// The FIFO message group of an event: `{source}:{channel}` for an event whose source has
/// `order_by` and that names a channel, so that channel's events are handled in order; for any
/// other event a group of its own (`e:<sha256 of its key>`), which orders nothing and blocks
/// nothing. SQS allows 128 printable ASCII characters; a longer or non-ASCII channel is hashed.
pub fn fifo_group_id(source: &str, channel: Option<&str>, event_key: &str) -> String {
    let hash = |s: &str| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(s.as_bytes()));
    match channel {
        Some(c) => {
            let plain = format!("{source}:{c}");
            if plain.len() <= 128 && plain.chars().all(|ch| ch.is_ascii_graphic()) {
                plain
            } else {
                let hashed = format!("{source}:#{}", hash(c));
                if hashed.len() <= 128 && hashed.chars().all(|ch| ch.is_ascii_graphic()) {
                    hashed
                } else {
                    format!("#{}", hash(&plain))
                }
            }
        }
        None => format!("e:{}", hash(event_key)),
    }
}

/// The FIFO deduplication id of an event: the SHA-256 of `{source}#{event_id}`, so a provider's
/// retry within SQS's five-minute window is not even queued twice (the events table still
/// catches every later one).
pub fn fifo_dedup_id(event_key: &str) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(event_key.as_bytes()))
}

/// The queue could not take the message: the provider must retry (HTTP 503).
#[derive(Debug, thiserror::Error)]
#[error("queue unavailable: {0}")]
pub struct QueueError(pub String);

/// Where accepted events go. `enqueue` returns only once the message is durable.
#[async_trait]
pub trait EventQueue: Send + Sync {
    /// Sends the event's envelope; `Ok` only once the queue holds the message durably.
    async fn enqueue(&self, event: &AcceptedEvent) -> Result<(), QueueError>;

    /// Sends the events of one delivery (LINE's, Meta's batches) in their order; `Ok` only
    /// once the queue holds every one. On an error, [`PartlySent::sent`] events from the
    /// start are durable; of the rest some may be too (the provider's retry of the delivery
    /// is deduplicated by the processor). The default sends them one by one.
    async fn enqueue_all(&self, events: &[AcceptedEvent]) -> Result<(), PartlySent> {
        for (sent, event) in events.iter().enumerate() {
            self.enqueue(event)
                .await
                .map_err(|error| PartlySent { sent, error })?;
        }
        Ok(())
    }
}

/// How far [`EventQueue::enqueue_all`] got before the queue refused.
#[derive(Debug)]
pub struct PartlySent {
    /// How many events, from the first, are known to be in the queue.
    pub sent: usize,
    /// Why the next could not be sent.
    pub error: QueueError,
}

/// An in-memory queue: the message bodies ingest enqueued, in order, and a switch that makes
/// every send fail (the 503 path). For unit tests, the fuzz targets and anything that wants
/// ingest without SQS. Clones share the same queue.
#[derive(Debug, Clone, Default)]
pub struct MemoryQueue {
    sent: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    down: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl MemoryQueue {
    /// What was enqueued so far.
    pub fn sent(&self) -> Vec<String> {
        match self.sent.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
    /// While down, every send fails as an unreachable queue would.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
    }
}

#[async_trait]
impl EventQueue for MemoryQueue {
    async fn enqueue(&self, event: &AcceptedEvent) -> Result<(), QueueError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(QueueError("in-memory queue is down".into()));
        }
        match self.sent.lock() {
            Ok(mut g) => g.push(event.message_body().to_owned()),
            Err(p) => p.into_inner().push(event.message_body().to_owned()),
        }
        Ok(())
    }
}

/// A message as the processor received it from SQS.
#[derive(Debug, Clone, Default)]
pub struct InboundMessage {
    /// SQS's message id.
    pub message_id: String,
    /// The handle of this receive, to delete or postpone the message; None if the event had
    /// none.
    pub receipt_handle: Option<String>,
    /// The message body (normally an envelope's JSON); None if the event had none.
    pub body: Option<String>,
    /// SQS ApproximateReceiveCount (1 on first delivery).
    pub receive_count: u32,
    /// String message attributes (source, event_type, event_id, failure_reason, ...).
    pub attributes: std::collections::BTreeMap<String, String>,
    /// The FIFO message group (SQS's `MessageGroupId`); None on a standard queue.
    pub group_id: Option<String>,
}

/// Message attribute naming why a message was dead-lettered by the processor.
pub const ATTR_FAILURE_REASON: &str = "failure_reason";
/// Message attribute holding when the processor dead-lettered the message (RFC 3339).
pub const ATTR_FAILED_AT: &str = "failed_at";

/// Where permanently failed messages go, with their reason.
#[async_trait]
pub trait DeadLetterQueue: Send + Sync {
    /// Sends `msg` to the dead-letter queue, `reason` in its [`ATTR_FAILURE_REASON`] attribute.
    async fn dead_letter(&self, msg: &InboundMessage, reason: &str) -> Result<(), QueueError>;
}

/// Pushes a failed message's next delivery out (backoff), instead of the queue's full
/// visibility timeout or an immediate hammering retry.
#[async_trait]
pub trait RetryScheduler: Send + Sync {
    /// Keeps the received message hidden for `delay` before its next delivery (SQS caps one
    /// call at 12 h).
    async fn postpone(
        &self,
        receipt_handle: &str,
        delay: std::time::Duration,
    ) -> Result<(), QueueError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_groups_are_channels_within_sqs_limits() {
        assert_eq!(
            fifo_group_id("bubble", Some("1234567890"), "bubble#x"),
            "bubble:1234567890"
        );
        let long = "c".repeat(200);
        for channel in [Some("頻道"), Some(long.as_str()), Some("a b"), None] {
            let g = fifo_group_id("groupgm", channel, "groupgm#e1");
            assert!(
                g.len() <= 128 && g.chars().all(|c| c.is_ascii_graphic()),
                "{g}"
            );
        }
        // Distinct channels, distinct groups; no channel: one group per event.
        assert_ne!(
            fifo_group_id("s", Some("頻道一"), "k"),
            fifo_group_id("s", Some("頻道二"), "k")
        );
        assert_ne!(
            fifo_group_id("s", None, "s#1"),
            fifo_group_id("s", None, "s#2")
        );
        assert_eq!(fifo_dedup_id("s#1").len(), 64);
    }
}
