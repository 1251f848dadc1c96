//! The SQS implementations of the queue ports.

use crate::delivery::AcceptedEvent;
use crate::queue::{
    fifo_dedup_id, fifo_group_id, is_fifo, sqs_allows, DeadLetterQueue, EventQueue, InboundMessage,
    QueueError, RetryScheduler, ATTR_FAILED_AT, ATTR_FAILURE_REASON,
};
use async_trait::async_trait;
use aws_sdk_sqs::types::MessageAttributeValue;

/// The SQS queue, with source, event_type and event_id as message attributes so consumers
/// and operators can filter without parsing bodies.
#[derive(Debug, Clone)]
pub struct SqsEventQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
    fifo: bool,
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
    /// ([`crate::aws::timeouts`]: half the call budget, 1.75 s in Lambda, 5 s for `serve`). The
    /// rebuilt client shares the original's connection pool and credentials cache.
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        let queue_url = queue_url.into();
        let client = aws_sdk_sqs::Client::from_conf(
            client
                .config()
                .to_builder()
                .stalled_stream_protection(
                    aws_sdk_sqs::config::StalledStreamProtectionConfig::disabled(),
                )
                .build(),
        );
        Self {
            client,
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

#[async_trait]
impl EventQueue for SqsEventQueue {
    async fn enqueue(&self, event: &AcceptedEvent) -> Result<(), QueueError> {
        let env = event.envelope();
        let mut req = self
            .client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(event.message_body())
            .message_attributes("source", string_attribute(&env.source)?)
            .message_attributes("event_type", string_attribute(&env.event_type)?)
            .message_attributes("event_id", string_attribute(&env.event_id)?);
        if self.fifo {
            let key = env.key();
            req = req
                .message_group_id(fifo_group_id(&env.source, event.message_group(), &key))
                .message_deduplication_id(fifo_dedup_id(&key));
        }
        req.send()
            .await
            .map_err(|e| QueueError(crate::aws::describe(&e)))?;
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
}
