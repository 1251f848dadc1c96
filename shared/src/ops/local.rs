//! Creating the pipeline's resources in a local AWS emulator (moto), with the same shapes and
//! settings as `template.yaml`: used by `hookwell local up` (`make dev`) and the tests.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;

/// Why creating a local resource failed (the step, and the SDK's description).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LocalError(pub String);

fn err<E: std::error::Error>(what: &str) -> impl FnOnce(E) -> LocalError + '_ {
    move |e| LocalError(format!("{what}: {}", crate::aws::describe(&e)))
}

/// The events table: key `pk` (string), on-demand, TTL on `expires_at`. Idempotent.
pub async fn create_events_table(
    ddb: &aws_sdk_dynamodb::Client,
    name: &str,
) -> Result<(), LocalError> {
    let exists = ddb.describe_table().table_name(name).send().await.is_ok();
    if !exists {
        ddb.create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("pk")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(|e| LocalError(e.to_string()))?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("pk")
                    .key_type(KeyType::Hash)
                    .build()
                    .map_err(|e| LocalError(e.to_string()))?,
            )
            .send()
            .await
            .map_err(err("create table"))?;
    }
    ddb.update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name("expires_at")
                .enabled(true)
                .build()
                .map_err(|e| LocalError(e.to_string()))?,
        )
        .send()
        .await
        .map_err(err("enable TTL"))?;
    Ok(())
}

/// The bucket for bodies too large for a queue message. Idempotent. (In AWS the template adds
/// encryption, a public access block and expiry; the local AWS needs none of them.)
pub async fn create_body_bucket(s3: &aws_sdk_s3::Client, name: &str) -> Result<(), LocalError> {
    if s3.head_bucket().bucket(name).send().await.is_ok() {
        return Ok(());
    }
    s3.create_bucket()
        .bucket(name)
        .send()
        .await
        .map_err(err("create body bucket"))?;
    Ok(())
}

/// Queue settings shared with the template.
#[derive(Debug, Clone)]
pub struct QueueSettings {
    /// The main queue's visibility timeout, in seconds.
    pub visibility_timeout_secs: u32,
    /// How long the main queue keeps a message, in seconds.
    pub retention_secs: u32,
    /// How long the dead-letter queue keeps a message, in seconds.
    pub dlq_retention_secs: u32,
    /// Receives after which SQS moves a message to the DLQ (redrive `maxReceiveCount`).
    pub max_receive_count: u32,
    /// FIFO queues (`OrderedDelivery`); the names must then end in `.fifo`.
    pub fifo: bool,
}

/// The attributes that make a queue FIFO as the template does: high-throughput mode,
/// deduplication ids set by the sender.
fn fifo_attributes(
    req: aws_sdk_sqs::operation::create_queue::builders::CreateQueueFluentBuilder,
    fifo: bool,
    main: bool,
) -> aws_sdk_sqs::operation::create_queue::builders::CreateQueueFluentBuilder {
    if !fifo {
        return req;
    }
    let req = req
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "false");
    if main {
        req.attributes(QueueAttributeName::DeduplicationScope, "messageGroup")
            .attributes(QueueAttributeName::FifoThroughputLimit, "perMessageGroupId")
    } else {
        req
    }
}

/// The queue and its dead-letter queue with the redrive policy; returns (queue, dlq) URLs.
pub async fn create_queues(
    sqs: &aws_sdk_sqs::Client,
    queue: &str,
    dlq: &str,
    s: &QueueSettings,
) -> Result<(String, String), LocalError> {
    let dlq_url = fifo_attributes(sqs.create_queue(), s.fifo, false)
        .queue_name(dlq)
        .attributes(
            QueueAttributeName::MessageRetentionPeriod,
            s.dlq_retention_secs.to_string(),
        )
        .attributes(QueueAttributeName::MaximumMessageSize, "1048576")
        .send()
        .await
        .map_err(err("create DLQ"))?
        .queue_url
        .ok_or_else(|| LocalError("DLQ has no URL".into()))?;
    let dlq_arn = crate::queue::queue_arn(sqs, &dlq_url)
        .await
        .map_err(err("DLQ ARN"))?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": s.max_receive_count,
    })
    .to_string();
    let queue_url = fifo_attributes(sqs.create_queue(), s.fifo, true)
        .queue_name(queue)
        .attributes(
            QueueAttributeName::VisibilityTimeout,
            s.visibility_timeout_secs.to_string(),
        )
        .attributes(
            QueueAttributeName::MessageRetentionPeriod,
            s.retention_secs.to_string(),
        )
        .attributes(QueueAttributeName::MaximumMessageSize, "1048576")
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .send()
        .await
        .map_err(err("create queue"))?
        .queue_url
        .ok_or_else(|| LocalError("queue has no URL".into()))?;
    Ok((queue_url, dlq_url))
}
