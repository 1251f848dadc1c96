//! Delivering an event again on an operator's request: one that completed wrongly (a handler
//! bug, fixed since) or that failed. The dedup override is explicit and recorded on the event:
//! its record turns FAILED and due now, counts `redeliveries` and sets `redelivered_at`, and
//! the envelope rebuilt from what the record kept goes back into the queue, so the processor
//! claims it and runs its handlers again, once.

use crate::aws::dynamodb::RedeliveryRefused;
use crate::envelope::Envelope;
use crate::queue::{fifo_dedup_id, fifo_group_id, is_fifo, QueueError};
use crate::store::{EventRecord, StoreError, STATUS_IN_PROGRESS};
use crate::DynamoDbEventStore;

/// Why an event could not be delivered again.
#[derive(Debug, thiserror::Error)]
pub enum RedeliverError {
    /// No record: never received, or past its retention.
    #[error("no event {0} in the events table (never received, or past its retention)")]
    NotFound(String),
    /// An attempt holds the event right now.
    #[error("event {0} is being processed right now; try again once it completed or failed")]
    InProgress(String),
    /// The record kept no payload to send again.
    #[error("event {0} has no retained payload ({1}); replay it from the DLQ or have the provider resend it")]
    NotRetained(String, String),
    /// The events table could not be reached.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The record was marked but the queue did not take the event: run the command again.
    #[error("event marked for redelivery, but the queue did not take it ({0}); run it again")]
    Queue(#[from] QueueError),
}

/// The envelope ingest sent for this record, rebuilt from what it kept: its payload, or the
/// reference to a body in the bodies bucket. Fails when it kept neither.
pub fn envelope_of(r: &EventRecord) -> Result<Envelope, String> {
    let received_at = r
        .received_at
        .as_deref()
        .and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        })
        .unwrap_or_else(time::OffsetDateTime::now_utc);
    let build = |body: &[u8]| {
        Envelope::new(
            &r.source,
            &r.event_type,
            &r.event_id,
            received_at,
            body,
            r.headers.clone(),
        )
    };
    if let Some(at) = &r.body_ref {
        return Ok(build(b"").with_body_stored(at.clone()));
    }
    match (&r.payload, r.payload_size) {
        (Some(p), _) => Ok(build(p)),
        (None, Some(size)) => Err(format!(
            "{size} bytes, over what the table keeps ({} KiB compressed)",
            crate::store::MAX_RETAINED_COMPRESSED / 1024
        )),
        (None, None) => Err(format!(
            "status {}: payloads are kept once an event completes or is dead-lettered, with \
             payload retention on",
            r.status
        )),
    }
}

/// Marks the event for redelivery and puts it back into `queue_url`; returns its record as
/// it is now.
pub async fn redeliver(
    store: &DynamoDbEventStore,
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    source: &str,
    event_id: &str,
) -> Result<EventRecord, RedeliverError> {
    let key = format!("{source}#{event_id}");
    let record = store
        .get(source, event_id)
        .await?
        .ok_or_else(|| RedeliverError::NotFound(key.clone()))?;
    if record.status == STATUS_IN_PROGRESS {
        return Err(RedeliverError::InProgress(key));
    }
    let env = envelope_of(&record).map_err(|why| RedeliverError::NotRetained(key.clone(), why))?;
    let before = store
        .mark_for_redelivery(source, event_id, time::OffsetDateTime::now_utc())
        .await?
        .map_err(|refused| match refused {
            RedeliveryRefused::NotFound => RedeliverError::NotFound(key.clone()),
            RedeliveryRefused::InProgress => RedeliverError::InProgress(key.clone()),
        })?;
    let mut req = sqs
        .send_message()
        .queue_url(queue_url)
        .message_body(env.to_json())
        .message_attributes("source", crate::queue::string_attribute(&env.source)?)
        .message_attributes(
            "event_type",
            crate::queue::string_attribute(&env.event_type)?,
        )
        .message_attributes("event_id", crate::queue::string_attribute(&env.event_id)?);
    if is_fifo(queue_url) {
        // Its own group (the channel is not kept), and a dedup id per redelivery.
        let nth = format!("{key}#redelivery{}", before.redeliveries + 1);
        req = req
            .message_group_id(fifo_group_id(source, None, &nth))
            .message_deduplication_id(fifo_dedup_id(&nth));
    }
    req.send()
        .await
        .map_err(|e| QueueError(crate::aws::describe(&e)))?;
    tracing::info!(source, event_id, "event marked and sent for redelivery");
    Ok(store.get(source, event_id).await?.unwrap_or(before))
}
