//! The SQS implementations of the queue ports.

use crate::config::SQS_MAX_MESSAGE_BYTES;
use crate::delivery::AcceptedEvent;
use crate::queue::{
    fifo_dedup_id, fifo_group_id, is_fifo, sqs_allows, DeadLetterQueue, EventQueue, InboundMessage,
    PartlySent, QueueError, RetryScheduler, ATTR_FAILED_AT, ATTR_FAILURE_REASON,
};
use async_trait::async_trait;
use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};

/// The SQS queue, with source, event_type and event_id as message attributes so consumers
/// and operators can filter without parsing bodies.
#[derive(Debug, Clone)]
pub struct SqsEventQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
    fifo: bool,
}

/// `client` as ingest sends with it: stalled-stream protection off (see [`SqsEventQueue::new`]).
/// The rebuilt client shares the original's connection pool and credentials cache.
pub fn sending_client(client: &aws_sdk_sqs::Client) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::from_conf(
        client
            .config()
            .to_builder()
            .stalled_stream_protection(
                aws_sdk_sqs::config::StalledStreamProtectionConfig::disabled(),
            )
            .build(),
    )
}

impl SqsEventQueue {
    /// Sends to `queue_url` through `client`; nothing is called before the first send or `warm`.
    /// On a FIFO queue (a `.fifo` URL) each event goes to its channel's message group
    /// ([`crate::queue::fifo_group_id`]).
    ///
    /// The client's stalled-stream protection is turned off for these sends (issue #16: its
    /// throughput checks wrapped every request and response body, a few percent of a send's
    /// CPU). It never acts on them: it cuts a transfer stalled for its 20 s grace period, and
    /// every attempt here is bounded well below that by the operation attempt timeout
    /// ([`crate::aws::timeouts`]: half the call budget, 1.75 s in Lambda, 5 s for `serve`).
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        let queue_url = queue_url.into();
        Self {
            client: sending_client(&client),
            fifo: is_fifo(&queue_url),
            queue_url,
        }
    }

    /// One cheap call during a cold start: opens (and pools) the connection with its TLS
    /// handshake, so the first delivery does not pay for it, and fails fast on a wrong URL.
    pub async fn warm(&self) -> Result<(), QueueError> {
        warm_queue(&self.client, &self.queue_url).await
    }
}

/// `GetQueueAttributes(QueueArn)`: free of side effects, answered by the queue itself.
pub async fn warm_queue(client: &aws_sdk_sqs::Client, queue_url: &str) -> Result<(), QueueError> {
    queue_arn(client, queue_url).await.map(|_| ())
}

/// The queue's ARN (what redrive and event source mappings name it by).
pub async fn queue_arn(
    client: &aws_sdk_sqs::Client,
    queue_url: &str,
) -> Result<String, QueueError> {
    use aws_sdk_sqs::types::QueueAttributeName;
    client
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| QueueError(crate::aws::describe(&e)))?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| QueueError(format!("{queue_url} has no ARN")))
}

/// A string attribute value; characters SQS refuses become U+FFFD, so a provider's event
/// type or a downstream's error text can never make a send fail.
pub(crate) fn string_attribute(value: &str) -> Result<MessageAttributeValue, QueueError> {
    let value: std::borrow::Cow<'_, str> = if value.chars().all(sqs_allows) {
        value.into()
    } else {
        value
            .chars()
            .map(|c| if sqs_allows(c) { c } else { '\u{FFFD}' })
            .collect::<String>()
            .into()
    };
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| QueueError(e.to_string()))
}

/// At most this many entries in one `SendMessageBatch`.
const BATCH_ENTRIES: usize = 10;

/// The delivery's events cut, in order, into runs `SendMessageBatch` takes: at most ten
/// entries whose messages, attributes included ([`AcceptedEvent::queue_bytes`]), come to at
/// most SQS's message size together (its limit for a whole batch). An event that fits the
/// queue alone always fits a run of its own.
fn batch_runs<T>(events: &[T], queue_bytes: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let mut runs = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, ev) in events.iter().enumerate() {
        let size = queue_bytes(ev);
        if i > start && (i - start == BATCH_ENTRIES || bytes + size > SQS_MAX_MESSAGE_BYTES) {
            runs.push(events.get(start..i).unwrap_or_default());
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < events.len() {
        runs.push(events.get(start..).unwrap_or_default());
    }
    runs
}

impl SqsEventQueue {
    /// The message attributes every event carries: source, event_type, event_id.
    fn attributes(
        event: &AcceptedEvent,
    ) -> Result<[(&'static str, MessageAttributeValue); 3], QueueError> {
        let env = event.envelope();
        Ok([
            ("source", string_attribute(&env.source)?),
            ("event_type", string_attribute(&env.event_type)?),
            ("event_id", string_attribute(&env.event_id)?),
        ])
    }

    /// On a FIFO queue, the event's message group and deduplication id.
    fn fifo_ids(&self, event: &AcceptedEvent) -> Option<(String, String)> {
        self.fifo.then(|| {
            let env = event.envelope();
            let key = env.key();
            (
                fifo_group_id(&env.source, event.message_group(), &key),
                fifo_dedup_id(&key),
            )
        })
    }

    /// One run of [`batch_runs`] in one `SendMessageBatch`; `Err` if the call failed or any
    /// entry was refused.
    async fn send_batch(&self, run: &[AcceptedEvent]) -> Result<(), QueueError> {
        let mut entries = Vec::with_capacity(run.len());
        for (i, event) in run.iter().enumerate() {
            let mut entry = SendMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .message_body(event.message_body());
            for (name, value) in Self::attributes(event)? {
                entry = entry.message_attributes(name, value);
            }
            if let Some((group, dedup)) = self.fifo_ids(event) {
                entry = entry
                    .message_group_id(group)
                    .message_deduplication_id(dedup);
            }
            entries.push(entry.build().map_err(|e| QueueError(e.to_string()))?);
        }
        let out = self
            .client
            .send_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| QueueError(crate::aws::describe(&e)))?;
        match out.failed().first() {
            None => Ok(()),
            Some(f) => Err(QueueError(format!(
                "{} of {} messages refused, the first with {}{}",
                out.failed().len(),
                run.len(),
                f.code(),
                f.message().map(|m| format!(": {m}")).unwrap_or_default()
            ))),
        }
    }
}

#[async_trait]
impl EventQueue for SqsEventQueue {
    async fn enqueue(&self, event: &AcceptedEvent) -> Result<(), QueueError> {
        let mut req = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(event.message_body());
        for (name, value) in Self::attributes(event)? {
            req = req.message_attributes(name, value);
        }
        if let Some((group, dedup)) = self.fifo_ids(event) {
            req = req.message_group_id(group).message_deduplication_id(dedup);
        }
        req.send()
            .await
            .map_err(|e| QueueError(crate::aws::describe(&e)))?;
        Ok(())
    }

    /// In runs of up to ten per `SendMessageBatch` (one call instead of ten; SQS bills each
    /// 64 KiB of a batch as one request), one run after another, so a FIFO queue keeps the
    /// delivery's order.
    async fn enqueue_all(&self, events: &[AcceptedEvent]) -> Result<(), PartlySent> {
        let mut sent = 0;
        for run in batch_runs(events, AcceptedEvent::queue_bytes) {
            let result = match run {
                [one] => self.enqueue(one).await,
                _ => self.send_batch(run).await,
            };
            result.map_err(|error| PartlySent { sent, error })?;
            sent += run.len();
        }
        Ok(())
    }
}

/// The SQS dead-letter queue: a failed message's body and attributes are copied there, with
/// `failure_reason` (at most 1000 characters) and `failed_at` attributes added.
#[derive(Debug, Clone)]
pub struct SqsDeadLetterQueue {
    client: aws_sdk_sqs::Client,
    dlq_url: String,
}

impl SqsDeadLetterQueue {
    /// Sends dead letters to `dlq_url` through `client`.
    pub fn new(client: aws_sdk_sqs::Client, dlq_url: impl Into<String>) -> Self {
        Self {
            client,
            dlq_url: dlq_url.into(),
        }
    }
}

#[async_trait]
impl DeadLetterQueue for SqsDeadLetterQueue {
    async fn dead_letter(&self, msg: &InboundMessage, reason: &str) -> Result<(), QueueError> {
        let mut req = self
            .client
            .send_message()
            .queue_url(&self.dlq_url)
            .message_body(
                msg.body
                    .as_deref()
                    .filter(|b| !b.is_empty())
                    .unwrap_or("(empty)"),
            );
        for (k, v) in &msg.attributes {
            if k == ATTR_FAILURE_REASON || k == ATTR_FAILED_AT || v.is_empty() {
                continue;
            }
            req = req.message_attributes(k, string_attribute(v)?);
        }
        if is_fifo(&self.dlq_url) {
            // Its group keeps the channel's order in the DLQ; one copy per received message.
            req = req
                .message_group_id(
                    msg.group_id
                        .clone()
                        .unwrap_or_else(|| msg.message_id.clone()),
                )
                .message_deduplication_id(fifo_dedup_id(&msg.message_id));
        }
        let reason: String = reason.chars().take(1000).collect();
        let now = crate::store::rfc3339(time::OffsetDateTime::now_utc());
        req.message_attributes(ATTR_FAILURE_REASON, string_attribute(&reason)?)
            .message_attributes(ATTR_FAILED_AT, string_attribute(&now)?)
            .send()
            .await
            .map_err(|e| QueueError(crate::aws::describe(&e)))?;
        Ok(())
    }
}

/// Postpones a message's next receive with ChangeMessageVisibility, at most
/// [`crate::process::retry::MAX_VISIBILITY`] per call.
#[derive(Debug, Clone)]
pub struct SqsRetryScheduler {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsRetryScheduler {
    /// Changes visibility on `queue_url`, the queue the processor receives from (not the DLQ).
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// See [`SqsEventQueue::warm`].
    pub async fn warm(&self) -> Result<(), QueueError> {
        warm_queue(&self.client, &self.queue_url).await
    }
}

/// SQS's maximum visibility timeout.

#[async_trait]
impl RetryScheduler for SqsRetryScheduler {
    async fn postpone(
        &self,
        receipt_handle: &str,
        delay: std::time::Duration,
    ) -> Result<(), QueueError> {
        let secs = delay
            .as_secs()
            .min(crate::process::retry::MAX_VISIBILITY.as_secs());
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(i32::try_from(secs).unwrap_or(0))
            .send()
            .await
            .map_err(|e| QueueError(crate::aws::describe(&e)))?;
        Ok(())
    }
}

impl InboundMessage {
    /// From a message received with the SDK (`message_attribute_names("All")` and the
    /// `ApproximateReceiveCount` system attribute requested).
    pub fn from_sdk(m: &aws_sdk_sqs::types::Message) -> Self {
        let receive_count = m
            .attributes()
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount)
            })
            .and_then(|c| c.parse().ok())
            .unwrap_or(1);
        let group_id = m
            .attributes()
            .and_then(|a| a.get(&aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId))
            .cloned();
        Self {
            message_id: m.message_id().unwrap_or_default().to_owned(),
            receipt_handle: m.receipt_handle().map(str::to_owned),
            body: m.body().map(str::to_owned),
            receive_count,
            attributes: string_attributes(m),
            group_id,
        }
    }
}

/// A received message's string attributes.
pub fn string_attributes(
    m: &aws_sdk_sqs::types::Message,
) -> std::collections::BTreeMap<String, String> {
    m.message_attributes()
        .map(|a| {
            a.iter()
                .filter_map(|(k, v)| v.string_value().map(|s| (k.clone(), s.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_never_carry_characters_sqs_refuses() {
        let v = string_attribute("type\u{0}\u{b}\u{FFFE}\u{FFFF}\u{1F}ok\té\u{10FFFF}").unwrap();
        let got = v.string_value().unwrap();
        assert!(got.chars().all(sqs_allows), "{got:?}");
        assert_eq!(
            got,
            "type\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}ok\té\u{10FFFF}"
        );
        assert_eq!(
            string_attribute("plain").unwrap().string_value(),
            Some("plain")
        );
    }

    fn lens(runs: &[&[usize]]) -> Vec<usize> {
        runs.iter().map(|r| r.len()).collect()
    }

    /// Runs keep the order, hold at most ten, and stay within SQS's size for a whole batch;
    /// an event as large as a message can be goes alone.
    #[test]
    fn runs_of_ten_within_the_batch_size() {
        let id = |n: &usize| *n;
        assert!(batch_runs::<usize>(&[], id).is_empty());
        let small = vec![1024; 23];
        let runs = batch_runs(&small, id);
        assert_eq!(lens(&runs), [10, 10, 3]);
        let big = SQS_MAX_MESSAGE_BYTES / 3 + 1;
        let mixed = [big, big, big, 10, SQS_MAX_MESSAGE_BYTES, 10];
        let runs = batch_runs(&mixed, id);
        assert_eq!(lens(&runs), [2, 2, 1, 1]);
        assert_eq!(runs.concat(), mixed, "every event once, in order");
        for run in &runs {
            assert!(run.iter().sum::<usize>() <= SQS_MAX_MESSAGE_BYTES);
        }
    }
}
