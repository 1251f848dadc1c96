//! Selective replay from the dead-letter queue, with no loss: a message is deleted from the
//! DLQ only after the main queue accepted its copy, so a crash at any point leaves every event
//! in at least one queue (a copy in both is harmless: the processor deduplicates). Messages
//! that do not match are released back to the DLQ when the scan ends, not hidden for a whole
//! visibility timeout.
//!
//! One run sends each event at most once, keyed on the event (`source#event_id`), not on the
//! SQS message: an event that fails again while the run goes on is dead-lettered anew as a
//! different message, and is left in the DLQ for the next run instead of looping.

use crate::envelope::Envelope;
use crate::queue::{string_attribute, ATTR_FAILED_AT, ATTR_FAILURE_REASON};
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, Message, MessageSystemAttributeName,
};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// Reason shown for messages SQS moved after `maxReceiveCount` (they carry no reason of ours).
pub const REASON_MAX_RECEIVES: &str = "exhausted retries (maxReceiveCount)";

/// Which DLQ messages to replay: every field that is set must match; None matches all.
#[derive(Debug, Clone, Default)]
pub struct ReplayFilter {
    /// Exactly this source name.
    pub source: Option<String>,
    /// Exactly this event type.
    pub event_type: Option<String>,
    /// Exactly this event id.
    pub event_id: Option<String>,
    /// Received by ingest at or after this time (a message that is not an envelope never
    /// matches).
    pub since: Option<OffsetDateTime>,
    /// Received by ingest at or before this time (a message that is not an envelope never
    /// matches).
    pub until: Option<OffsetDateTime>,
    /// Substring of the failure reason.
    pub reason: Option<String>,
}

/// One DLQ message as the operator sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeadLetter {
    /// SQS's id of this DLQ message.
    pub message_id: String,
    /// From the envelope, else the `source` attribute; None when neither is there.
    pub source: Option<String>,
    /// From the envelope, else the `event_type` attribute; None when neither is there.
    pub event_type: Option<String>,
    /// From the envelope, else the `event_id` attribute; None when neither is there.
    pub event_id: Option<String>,
    /// When ingest accepted the event (RFC 3339); None when the body is not an envelope.
    pub received_at: Option<String>,
    /// The `failure_reason` attribute, or [`REASON_MAX_RECEIVES`] when the message has none.
    pub reason: String,
    /// SQS's ApproximateReceiveCount of this message (0 when SQS did not report it).
    pub receive_count: u32,
    #[serde(skip)]
    received_at_time: Option<OffsetDateTime>,
}

impl DeadLetter {
    /// Reads a message received from the DLQ (with its message and system attributes).
    pub fn from_message(m: &Message) -> Self {
        let env = m.body().and_then(|b| Envelope::from_json(b).ok());
        let attr = |k: &str| {
            m.message_attributes()
                .and_then(|a| a.get(k))
                .and_then(|v| v.string_value())
                .map(str::to_owned)
        };
        let receive_count = m
            .attributes()
            .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        Self {
            message_id: m.message_id().unwrap_or_default().to_owned(),
            source: env
                .as_ref()
                .map(|e| e.source.clone())
                .or_else(|| attr("source")),
            event_type: env
                .as_ref()
                .map(|e| e.event_type.clone())
                .or_else(|| attr("event_type")),
            event_id: env
                .as_ref()
                .map(|e| e.event_id.clone())
                .or_else(|| attr("event_id")),
            received_at: env.as_ref().map(|e| crate::store::rfc3339(e.received_at)),
            received_at_time: env.as_ref().map(|e| e.received_at),
            reason: attr(ATTR_FAILURE_REASON).unwrap_or_else(|| REASON_MAX_RECEIVES.to_owned()),
            receive_count,
        }
    }
}

impl ReplayFilter {
    /// Whether `d` passes every filter that is set.
    pub fn matches(&self, d: &DeadLetter) -> bool {
        let eq = |want: &Option<String>, got: &Option<String>| {
            want.as_ref()
                .is_none_or(|w| got.as_deref() == Some(w.as_str()))
        };
        eq(&self.source, &d.source)
            && eq(&self.event_type, &d.event_type)
            && eq(&self.event_id, &d.event_id)
            && self
                .reason
                .as_ref()
                .is_none_or(|r| d.reason.contains(r.as_str()))
            && self
                .since
                .is_none_or(|s| d.received_at_time.is_some_and(|t| t >= s))
            && self
                .until
                .is_none_or(|u| d.received_at_time.is_some_and(|t| t <= u))
    }
}

/// How [`replay`] runs: dry run, limit, pace and time bounds.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// List what matches without moving anything.
    pub dry_run: bool,
    /// At most this many moves (None: all that match).
    pub limit: Option<usize>,
    /// Moves per second at most.
    pub rate: Option<f64>,
    /// How long scanned messages stay hidden while the scan runs; released at the end.
    pub hold: Duration,
    /// The whole run is bounded.
    pub deadline: Duration,
    /// Fault injection for tests: stop dead right after this many sends, before deleting
    /// (what a crash between send and delete leaves behind).
    pub crash_after_sends: Option<usize>,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        Self {
            dry_run: false,
            limit: None,
            rate: None,
            hold: Duration::from_secs(120),
            deadline: Duration::from_secs(3600),
            crash_after_sends: None,
        }
    }
}

/// What a replay run did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReplayReport {
    /// Messages the main queue accepted (then deleted from the DLQ, or left in both if the
    /// delete failed).
    pub moved: usize,
    /// Messages that did not match the filter, or matched beyond the limit; left in the DLQ.
    pub skipped: usize,
    /// Matching messages the main queue did not accept; left in the DLQ.
    pub failed: usize,
    /// DLQ copies of events this run had replayed already (they failed again): left in the
    /// DLQ for a later run.
    pub replayed_already: usize,
    /// What matched (and moved, or would move in a dry run).
    pub matched: Vec<DeadLetter>,
    /// Whether this was a dry run (nothing moved).
    pub dry_run: bool,
}

/// The replay could not go on (the DLQ could not be read, or the simulated crash).
#[derive(Debug, thiserror::Error)]
#[error("replay: {0}")]
pub struct ReplayError(pub String);

/// Moves matching messages from `dlq_url` to `queue_url`. `progress` is called after each
/// batch received from the DLQ with the running report.
pub async fn replay(
    sqs: &aws_sdk_sqs::Client,
    dlq_url: &str,
    queue_url: &str,
    filter: &ReplayFilter,
    opts: &ReplayOptions,
    mut progress: impl FnMut(&ReplayReport),
) -> Result<ReplayReport, ReplayError> {
    let mut report = ReplayReport {
        dry_run: opts.dry_run,
        ..Default::default()
    };
    let started = Instant::now();
    let mut seen: HashSet<String> = HashSet::new();
    // Events sent in this run, by `source#event_id` (the message id for an undecodable one).
    let mut sent_events: HashSet<String> = HashSet::new();
    let mut held: Vec<(String, String)> = Vec::new(); // (id, receipt) to release at the end
    let mut sends = 0usize;
    let mut empty_rounds = 0;
    let hold_secs = i32::try_from(opts.hold.as_secs().clamp(1, 43_200)).unwrap_or(120);
    while started.elapsed() < opts.deadline && empty_rounds < 2 {
        // A dry run moves nothing: its limit counts what it listed.
        let done = if opts.dry_run {
            report.matched.len()
        } else {
            report.moved + report.failed
        };
        if opts.limit.is_some_and(|l| done >= l) {
            break;
        }
        let msgs = sqs
            .receive_message()
            .queue_url(dlq_url)
            .max_number_of_messages(10)
            .visibility_timeout(hold_secs)
            .wait_time_seconds(1)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(|e| ReplayError(crate::aws::describe(&e)))?
            .messages
            .unwrap_or_default();
        let fresh: Vec<&Message> = msgs
            .iter()
            .filter(|m| seen.insert(m.message_id().unwrap_or_default().to_owned()))
            .collect();
        if fresh.is_empty() {
            // Only messages we have seen (held ones reappearing after a long scan): release.
            release(sqs, dlq_url, msgs.iter().filter_map(receipt).collect()).await;
            empty_rounds += 1;
            continue;
        }
        empty_rounds = 0;
        for m in fresh {
            let d = DeadLetter::from_message(m);
            let Some((id, handle)) = receipt(m) else {
                continue;
            };
            let wanted = filter.matches(&d) && opts.limit.is_none_or(|l| report.matched.len() < l);
            if !wanted {
                report.skipped += 1;
                held.push((id, handle));
                continue;
            }
            let event_key = match (&d.source, &d.event_id) {
                (Some(s), Some(e)) => format!("{s}#{e}"),
                _ => format!("_message#{id}"),
            };
            if sent_events.contains(&event_key) {
                report.replayed_already += 1;
                held.push((id, handle));
                continue;
            }
            report.matched.push(d);
            if opts.dry_run {
                sent_events.insert(event_key);
                held.push((id, handle));
                continue;
            }
            if let Some(r) = opts.rate.filter(|r| *r > 0.0) {
                let due = started + Duration::from_secs_f64(sends as f64 / r);
                tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
            }
            sends += 1;
            match copy_to(sqs, queue_url, m).await {
                Ok(()) => {
                    sent_events.insert(event_key);
                    if opts.crash_after_sends.is_some_and(|c| sends >= c) {
                        return Err(ReplayError("simulated crash after send".into()));
                    }
                    // Only now may the DLQ copy go.
                    match sqs
                        .delete_message()
                        .queue_url(dlq_url)
                        .receipt_handle(&handle)
                        .send()
                        .await
                    {
                        Ok(_) => report.moved += 1,
                        Err(e) => {
                            // In both queues now: harmless, the processor deduplicates.
                            tracing::warn!(error = %crate::aws::describe(&e), "copied but not deleted from the DLQ");
                            report.moved += 1;
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e.0, "send to the queue failed; left in the DLQ");
                    report.failed += 1;
                    held.push((id, handle));
                }
            }
        }
        progress(&report);
    }
    release(sqs, dlq_url, held).await;
    Ok(report)
}

fn receipt(m: &Message) -> Option<(String, String)> {
    Some((m.message_id()?.to_owned(), m.receipt_handle()?.to_owned()))
}

/// Makes held messages visible again at once (batches of 10).
async fn release(sqs: &aws_sdk_sqs::Client, dlq_url: &str, held: Vec<(String, String)>) {
    for chunk in held.chunks(10) {
        let entries: Vec<_> = chunk
            .iter()
            .enumerate()
            .filter_map(|(i, (_, h))| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(format!("m{i}"))
                    .receipt_handle(h)
                    .visibility_timeout(0)
                    .build()
                    .ok()
            })
            .collect();
        if let Err(e) = sqs
            .change_message_visibility_batch()
            .queue_url(dlq_url)
            .set_entries(Some(entries))
            .send()
            .await
        {
            tracing::warn!(error = %crate::aws::describe(&e), "could not release held messages; they reappear after the hold");
        }
    }
}

/// Sends the message's body and event attributes to the main queue (not the failure
/// reason: a replayed event starts afresh).
async fn copy_to(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    m: &Message,
) -> Result<(), crate::queue::QueueError> {
    let mut req = sqs
        .send_message()
        .queue_url(queue_url)
        .message_body(m.body().unwrap_or_default());
    for (k, v) in crate::queue::string_attributes(m) {
        if k == ATTR_FAILURE_REASON || k == ATTR_FAILED_AT {
            continue;
        }
        req = req.message_attributes(k, string_attribute(&v)?);
    }
    if crate::queue::is_fifo(queue_url) {
        // Back into its channel's group; the dead letter's own id keeps two replays of the
        // same event (after it failed again) from being taken for one.
        let inbound = crate::queue::InboundMessage::from_sdk(m);
        let id = inbound.message_id;
        req = req
            .message_group_id(inbound.group_id.unwrap_or_else(|| id.clone()))
            .message_deduplication_id(crate::queue::fifo_dedup_id(&id));
    }
    req.send()
        .await
        .map_err(|e| crate::queue::QueueError(crate::aws::describe(&e)))?;
    Ok(())
}

/// `hookwell redrive`: SQS's native move task for the whole DLQ (back to the queues its
/// messages came from).
pub fn redrive_request(
    sqs: &aws_sdk_sqs::Client,
    dlq_arn: &str,
    destination_arn: Option<&str>,
    rate: Option<i32>,
) -> aws_sdk_sqs::operation::start_message_move_task::builders::StartMessageMoveTaskFluentBuilder {
    // With a destination: the processor's own dead letters (sent, not redriven by SQS) carry
    // no source queue for SQS to return them to.
    sqs.start_message_move_task()
        .source_arn(dlq_arn)
        .set_destination_arn(destination_arn.map(str::to_owned))
        .set_max_number_of_messages_per_second(rate)
}

/// Why `hookwell redrive` could not start SQS's message move task.
#[derive(Debug, thiserror::Error)]
pub enum RedriveError {
    /// The endpoint does not implement message move tasks (the local emulator does not).
    #[error("this endpoint does not support SQS message move tasks (StartMessageMoveTask); against the local stack use `hookwell replay`, which also filters")]
    Unsupported,
    /// Any other failure, with the SDK's description.
    #[error("redrive failed: {0}")]
    Failed(String),
}

/// Classifies a StartMessageMoveTask / ListMessageMoveTasks failure.
pub fn classify_redrive_error<E, R>(e: &aws_sdk_sqs::error::SdkError<E, R>) -> RedriveError
where
    E: std::error::Error + aws_sdk_sqs::error::ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    use aws_sdk_sqs::error::SdkError;
    let unsupported = match e {
        SdkError::ServiceError(s) => {
            let code = s.err().code().unwrap_or_default();
            code.is_empty()
                || code.contains("NotImplemented")
                || code.contains("UnknownOperation")
                || code.contains("InvalidAction")
        }
        SdkError::ResponseError(_) => true,
        _ => false,
    };
    if unsupported {
        RedriveError::Unsupported
    } else {
        RedriveError::Failed(crate::aws::describe(e))
    }
}
