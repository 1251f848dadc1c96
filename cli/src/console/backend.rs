//! What the console reads and does, behind one trait: the AWS implementation reads the events
//! table and the DLQ with the operator's credentials (or the local stack's); the console's
//! own tests use an in-memory one.

use async_trait::async_trait;
use aws_sdk_sqs::types::QueueAttributeName;
use hookwell::replay::{DeadLetter, ReplayFilter, ReplayOptions, ReplayReport};
use hookwell::store::{EventRecord, HistoryFilter};
use hookwell::DynamoDbEventStore;
use std::sync::Arc;
use std::time::Duration;

/// Why an action was not carried out; the page shows the message.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// No such event, or nothing matched.
    #[error("{0}")]
    NotFound(String),
    /// The event's state does not allow it (in progress, payload not kept).
    #[error("{0}")]
    Conflict(String),
    /// The console was started without what the action needs (no queue, no DLQ).
    #[error("{0}")]
    Unconfigured(String),
    /// AWS could not be reached or refused.
    #[error("{0}")]
    Unavailable(String),
}

/// What the console needs from the stack.
#[async_trait]
pub trait Backend: Send + Sync {
    /// One line: which stack and table.
    fn describe(&self) -> String;
    /// The delivery history, newest first.
    async fn history(&self, f: &HistoryFilter) -> Result<Vec<EventRecord>, String>;
    /// One event with its payload.
    async fn event(&self, source: &str, event_id: &str) -> Result<Option<EventRecord>, String>;
    /// Messages in the DLQ (visible and in flight).
    async fn dlq_depth(&self) -> Result<u64, String>;
    /// Every message in the DLQ, as `hookwell replay --dry-run` lists them.
    async fn dead_letters(&self) -> Result<Vec<DeadLetter>, String>;
    /// Moves what matches `filter` from the DLQ back to the queue.
    async fn replay(&self, filter: &ReplayFilter) -> Result<ReplayReport, ActionError>;
    /// Runs a finished event's handlers again (recorded on the event).
    async fn redeliver(&self, source: &str, event_id: &str) -> Result<EventRecord, ActionError>;
}

/// The stack's events table, queue and DLQ.
#[derive(Debug)]
pub struct AwsBackend {
    pub store: DynamoDbEventStore,
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: Option<String>,
    pub dlq_url: Option<String>,
    /// `local stack`, or the selected stack's name.
    pub label: String,
    /// One DLQ scan or replay at a time: a look holds the messages it received until it
    /// releases them, and a replay running meanwhile would not see them.
    dlq: Arc<tokio::sync::Mutex<()>>,
}

/// A queue's messages: (visible, in flight), each `None` when SQS did not say.
pub async fn queue_depth(
    sqs: &aws_sdk_sqs::Client,
    url: &str,
) -> Result<(Option<u64>, Option<u64>), String> {
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .map_err(|e| hookwell::aws::describe(&e))?
        .attributes
        .unwrap_or_default();
    let n = |a: QueueAttributeName| attrs.get(&a).and_then(|v| v.parse().ok());
    Ok((
        n(QueueAttributeName::ApproximateNumberOfMessages),
        n(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
    ))
}

/// Runs a DLQ scan or replay to its end in its own task: a browser that goes away mid-way
/// must not leave messages held (hidden) until their hold expires, or copied and not deleted.
async fn detached<T: Send + 'static>(
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> Result<T, String> {
    tokio::spawn(work)
        .await
        .map_err(|e| format!("stopped: {e}"))
}

impl AwsBackend {
    pub fn new(
        store: DynamoDbEventStore,
        sqs: aws_sdk_sqs::Client,
        queue_url: Option<String>,
        dlq_url: Option<String>,
        label: String,
    ) -> Self {
        Self {
            store,
            sqs,
            queue_url,
            dlq_url,
            label,
            dlq: Arc::default(),
        }
    }

    fn dlq_url(&self) -> Result<&str, ActionError> {
        self.dlq_url.as_deref().ok_or_else(|| {
            ActionError::Unconfigured(
                "no DLQ: start the console with --dlq-url, HOOKWELL_DLQ_URL, `hookwell stack use`, or the local stack".into(),
            )
        })
    }

    fn queue_url(&self) -> Result<&str, ActionError> {
        self.queue_url.as_deref().ok_or_else(|| {
            ActionError::Unconfigured(
                "no queue: start the console with --queue-url, HOOKWELL_QUEUE_URL, `hookwell stack use`, or the local stack".into(),
            )
        })
    }
}

#[async_trait]
impl Backend for AwsBackend {
    fn describe(&self) -> String {
        format!("{} · table {}", self.label, self.store.table())
    }

    async fn history(&self, f: &HistoryFilter) -> Result<Vec<EventRecord>, String> {
        self.store.history(f).await.map_err(|e| e.to_string())
    }

    async fn event(&self, source: &str, event_id: &str) -> Result<Option<EventRecord>, String> {
        self.store
            .get(source, event_id)
            .await
            .map_err(|e| e.to_string())
    }

    async fn dlq_depth(&self) -> Result<u64, String> {
        let url = self.dlq_url().map_err(|e| e.to_string())?;
        let (visible, in_flight) = queue_depth(&self.sqs, url).await?;
        Ok(visible.unwrap_or(0) + in_flight.unwrap_or(0))
    }

    async fn dead_letters(&self) -> Result<Vec<DeadLetter>, String> {
        let dlq = self.dlq_url().map_err(|e| e.to_string())?.to_owned();
        // Never sent to in a dry run.
        let queue = self.queue_url.clone().unwrap_or_else(|| dlq.clone());
        let (sqs, one) = (self.sqs.clone(), self.dlq.clone());
        // A dry run receives every message, moves nothing and releases them at the end.
        let opts = ReplayOptions {
            dry_run: true,
            hold: Duration::from_secs(30),
            deadline: Duration::from_secs(20),
            ..ReplayOptions::default()
        };
        detached(async move {
            let _one = one.lock_owned().await;
            hookwell::replay::replay(&sqs, &dlq, &queue, &ReplayFilter::default(), &opts, |_| {})
                .await
                .map(|r| r.matched)
                .map_err(|e| e.to_string())
        })
        .await?
    }

    async fn replay(&self, filter: &ReplayFilter) -> Result<ReplayReport, ActionError> {
        let (dlq, queue) = (self.dlq_url()?.to_owned(), self.queue_url()?.to_owned());
        let (sqs, one, filter) = (self.sqs.clone(), self.dlq.clone(), filter.clone());
        let opts = ReplayOptions {
            deadline: Duration::from_secs(60),
            ..ReplayOptions::default()
        };
        let report = detached(async move {
            let _one = one.lock_owned().await;
            hookwell::replay::replay(&sqs, &dlq, &queue, &filter, &opts, |_| {}).await
        })
        .await
        .map_err(ActionError::Unavailable)?
        .map_err(|e| ActionError::Unavailable(e.to_string()))?;
        if report.failed > 0 {
            return Err(ActionError::Unavailable(format!(
                "the queue did not take {} of them (they stay in the DLQ); {} moved",
                report.failed, report.moved
            )));
        }
        Ok(report)
    }

    async fn redeliver(&self, source: &str, event_id: &str) -> Result<EventRecord, ActionError> {
        use hookwell::ops::redeliver::RedeliverError as E;
        let queue = self.queue_url()?;
        hookwell::redeliver(&self.store, &self.sqs, queue, source, event_id)
            .await
            .map_err(|e| match e {
                E::NotFound(_) => ActionError::NotFound(e.to_string()),
                E::InProgress(_) | E::NotRetained(..) => ActionError::Conflict(e.to_string()),
                E::Store(_) | E::Queue(_) => ActionError::Unavailable(e.to_string()),
            })
    }
}
