//! The queue port (ingest's only side effect) and its SQS implementation.

use crate::delivery::AcceptedEvent;
use async_trait::async_trait;
use aws_sdk_sqs::types::MessageAttributeValue;

/// The queue could not take the message: the provider must retry (HTTP 503).
#[derive(Debug, thiserror::Error)]
#[error("queue unavailable: {0}")]
pub struct QueueError(pub String);

/// Where accepted events go. `enqueue` returns only once the message is durable.
#[async_trait]
pub trait EventQueue: Send + Sync {
    async fn enqueue(&self, event: &AcceptedEvent) -> Result<(), QueueError>;
}

/// The SQS queue, with source, event_type and event_id as message attributes so consumers
/// and operators can filter without parsing bodies.
#[derive(Debug, Clone)]
pub struct SqsEventQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsEventQueue {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }
}

pub(crate) fn string_attribute(value: &str) -> Result<MessageAttributeValue, QueueError> {
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
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(event.message_body())
            .message_attributes("source", string_attribute(&env.source)?)
            .message_attributes("event_type", string_attribute(&env.event_type)?)
            .message_attributes("event_id", string_attribute(&env.event_id)?)
            .send()
            .await
            .map_err(|e| QueueError(crate::aws::describe(&e)))?;
        Ok(())
    }
}
