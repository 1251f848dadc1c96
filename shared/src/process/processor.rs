//! The processor: per SQS record, decode -> claim -> handlers -> complete, with partial batch
//! failures. Each record is handled by itself (one bad message never fails the batch) and
//! records run concurrently up to a bound.
//!
//! | what happened | table | message | reported to SQS |
//! |---|---|---|---|
//! | handlers succeeded | COMPLETED | deleted | success |
//! | duplicate of a COMPLETED event | unchanged | deleted | success |
//! | claim held by a live attempt | unchanged | looked at again with backoff, at the latest just after the lease | failure |
//! | retryable error or panic, schedule not exhausted | FAILED (retryable), attempts, last_error, next_attempt_at | retried at the schedule's next step | failure |
//! | retryable error on the schedule's last attempt | FAILED (exhausted) | sent to the DLQ with its reason | success |
//! | permanent error | FAILED (permanent) | sent to the DLQ with its reason | success |
//! | received before its next attempt is due | unchanged | waits for it | failure |
//! | not an envelope | `_undecodable#<message id>` FAILED | sent to the DLQ | success |
//! | body in the body store, store unreachable | FAILED (retryable) | retried on the schedule | failure |
//! | body in the body store, gone or not the one named | FAILED (permanent) | sent to the DLQ | success |
//! | table unreachable | unchanged | retried with backoff | failure |
//! | handlers succeeded, COMPLETED write failed 3 times | IN_PROGRESS | retried just after the lease | failure |
//!
//! The retry schedule ([`crate::retry`]) counts attempts, not SQS receives, so the queue's
//! `maxReceiveCount` is only a backstop for messages that crash the function itself.

use crate::bodies::{BodyReader, BodyStoreError};
use crate::envelope::Envelope;
use crate::handler::{Event, HandlerError, Router};
use crate::metrics::{emf_line, now_ms, stdout_sink, MetricsSink};
use crate::queue::{DeadLetterQueue, InboundMessage, RetryScheduler};
use crate::retry::{RetrySchedule, MAX_VISIBILITY};
use crate::store::{
    Claim, ClaimOutcome, ClaimRequest, EventStore, Failure, Kept, StoreError, DEFAULT_RETENTION,
};
use futures::{FutureExt, StreamExt};
use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tracing::{error, info, info_span, warn, Instrument};

/// How the processor treats records; read from the environment by
/// [`crate::settings::ProcessorSettings`].
#[derive(Debug, Clone)]
pub struct ProcessorConfig {
    /// How long a claim is exclusive. Longer than the function timeout, so a live attempt is
    /// never taken over; a crashed one is retried after it.
    pub lease: Duration,
    /// How long records are kept (duplicates recognised).
    pub retention: Duration,
    /// Records of one batch handled at once.
    pub concurrency: usize,
    /// Waits between attempts after retryable handler failures; exhausted -> the DLQ.
    pub schedule: RetrySchedule,
    /// When the table or the DLQ is unreachable (no attempt was made): first wait, doubling
    /// per receive up to `backoff_max`, with jitter.
    pub backoff_base: Duration,
    /// The longest such wait.
    pub backoff_max: Duration,
    /// Keep each event's payload (compressed) and kept headers on its record when it
    /// completes or is dead-lettered, so it can be shown and re-delivered.
    pub retain_payloads: bool,
}

impl Default for ProcessorConfig {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            retention: DEFAULT_RETENTION,
            concurrency: 10,
            schedule: RetrySchedule::default(),
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(900),
            retain_payloads: true,
        }
    }
}

impl ProcessorConfig {
    /// Exponential backoff with jitter in [d/2, d]: retries spread out instead of arriving
    /// together at a struggling downstream.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        let d = self
            .backoff_base
            .saturating_mul(1u32 << exp)
            .min(self.backoff_max);
        let half = d / 2;
        half + Duration::from_millis(fastrand::u64(
            0..=u64::try_from(half.as_millis()).unwrap_or(0),
        ))
    }
}

/// What happened to one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Handlers succeeded and the record is COMPLETED; the message is deleted.
    Completed,
    /// The event was already COMPLETED, or a newer attempt took over our claim; the message is
    /// deleted.
    Duplicate,
    /// Another live attempt holds the claim.
    Held,
    /// A retryable failure or a panic (the reason); the message is kept for the next attempt.
    Retrying(String),
    /// Sent to the DLQ with this reason (permanent, exhausted or undecodable); the message is
    /// deleted from the queue.
    DeadLettered(String),
    /// Table or DLQ unreachable: retried.
    Unavailable(String),
    /// FIFO: not run, because an earlier event of its message group is not done yet.
    WaitingForGroup,
}

impl Outcome {
    /// Reported in `batchItemFailures` (SQS keeps the message for a later try).
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Self::Held | Self::Retrying(_) | Self::Unavailable(_) | Self::WaitingForGroup
        )
    }
}

/// What a batch came to: the records SQS should keep, and each record's outcome.
#[derive(Debug, Default)]
pub struct BatchResult {
    /// Message ids to report as `batchItemFailures`.
    pub failures: Vec<String>,
    /// Each record's message id and outcome, in completion order (not the batch's order).
    pub outcomes: Vec<(String, Outcome)>,
}

/// Handles SQS batches: claims each event in the store `S`, runs the routed handlers, then
/// completes the event, retries it through `R` or dead-letters it through `D`.
pub struct Processor<S, D, R> {
    store: S,
    dlq: D,
    retry: R,
    router: crate::swap::Swap<Router>,
    cfg: ProcessorConfig,
    metrics: MetricsSink,
    bodies: Option<Arc<dyn BodyReader>>,
}

impl<S, D, R> std::fmt::Debug for Processor<S, D, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Processor")
            .field("router", &self.router)
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct SourceCounts {
    counts: BTreeMap<&'static str, f64>,
    durations_ms: Vec<f64>,
}

impl<S: EventStore, D: DeadLetterQueue, R: RetryScheduler> Processor<S, D, R> {
    /// A processor over these ports, routes and settings; metrics go to stdout as EMF lines.
    pub fn new(store: S, dlq: D, retry: R, router: Router, cfg: ProcessorConfig) -> Self {
        Self {
            store,
            dlq,
            retry,
            router: crate::swap::Swap::new(router),
            cfg,
            metrics: stdout_sink(),
            bodies: None,
        }
    }

    /// Fetches the bodies of claim-check envelopes (version 2) from `store`.
    pub fn with_body_store(mut self, store: Arc<dyn BodyReader>) -> Self {
        self.bodies = Some(store);
        self
    }

    /// Sends the EMF metric lines to `sink` instead of stdout.
    pub fn with_metrics_sink(mut self, sink: MetricsSink) -> Self {
        self.metrics = sink;
        self
    }

    /// The settings this processor runs with.
    pub fn config(&self) -> &ProcessorConfig {
        &self.cfg
    }

    /// Replaces the routes (after a configuration reload); batches in flight keep the old.
    pub fn set_router(&self, router: Router) {
        self.router.replace(router);
    }

    fn current_router(&self) -> Arc<Router> {
        self.router.current()
    }

    /// Handles a batch; the result lists exactly the records SQS should keep.
    ///
    /// From a FIFO queue (records carry a message group), each group's records run one after
    /// another in the batch's order, and once one of them is not done (retrying, held, table
    /// unreachable) the group's later records are not run: they are reported failed and made
    /// visible again at once, so they follow it, in order, when its retry comes. Other groups
    /// go on. Without groups (a standard queue) every record runs by itself.
    pub async fn process_batch(&self, messages: Vec<InboundMessage>) -> BatchResult {
        let mut groups: Vec<Vec<InboundMessage>> = Vec::new();
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        for m in messages {
            match m.group_id.clone() {
                Some(g) => match index.get(&g) {
                    Some(&i) => {
                        if let Some(v) = groups.get_mut(i) {
                            v.push(m);
                        }
                    }
                    None => {
                        index.insert(g, groups.len());
                        groups.push(vec![m]);
                    }
                },
                None => groups.push(vec![m]),
            }
        }
        let results: Vec<(String, String, Outcome, Option<Duration>)> =
            futures::stream::iter(groups)
                .map(|group| async move {
                    let mut out = Vec::with_capacity(group.len());
                    let mut blocked = false;
                    for m in &group {
                        let r = if blocked {
                            self.behind_group(m).await
                        } else {
                            self.process_isolated(m).await
                        };
                        blocked |= r.2.is_failure();
                        out.push(r);
                    }
                    out
                })
                .buffer_unordered(self.cfg.concurrency.max(1))
                .flat_map(futures::stream::iter)
                .collect()
                .await;

        let mut per_source: BTreeMap<String, SourceCounts> = BTreeMap::new();
        let mut out = BatchResult::default();
        for (id, source, outcome, took) in results {
            let c = per_source.entry(source).or_default();
            let name = match &outcome {
                Outcome::Completed => "Processed",
                Outcome::Duplicate => "Duplicates",
                Outcome::Held => "HeldByOther",
                Outcome::Retrying(_) => "Retried",
                Outcome::DeadLettered(_) => "FailedPermanently",
                Outcome::Unavailable(_) => "StoreUnavailable",
                Outcome::WaitingForGroup => "WaitingForGroup",
            };
            *c.counts.entry(name).or_insert(0.0) += 1.0;
            if let Some(d) = took {
                c.durations_ms.push(d.as_secs_f64() * 1000.0);
            }
            if outcome.is_failure() {
                out.failures.push(id.clone());
            }
            out.outcomes.push((id, outcome));
        }
        for (source, c) in per_source {
            (self.metrics)(&processor_emf(&source, &c));
        }
        out
    }

    /// One record, with a panic anywhere in its path caught: it must not take the batch down.
    async fn process_isolated(
        &self,
        m: &InboundMessage,
    ) -> (String, String, Outcome, Option<Duration>) {
        let id = m.message_id.clone();
        match AssertUnwindSafe(self.process_one(m)).catch_unwind().await {
            Ok((source, outcome, took)) => (id, source, outcome, took),
            Err(_) => {
                error!(message_id = %id, "record processing panicked; will retry");
                (
                    id,
                    "_unknown".into(),
                    Outcome::Retrying("panic".into()),
                    None,
                )
            }
        }
    }

    /// A FIFO record behind one of its group that is not done: not run, visible again at once
    /// (the group stays blocked by the earlier record until that one's retry).
    async fn behind_group(
        &self,
        m: &InboundMessage,
    ) -> (String, String, Outcome, Option<Duration>) {
        info!(message_id = %m.message_id, "waits behind an earlier event of its message group");
        self.postpone(m, Duration::ZERO).await;
        let source = m
            .attributes
            .get("source")
            .cloned()
            .unwrap_or_else(|| "_unknown".into());
        (m.message_id.clone(), source, Outcome::WaitingForGroup, None)
    }

    async fn process_one(&self, m: &InboundMessage) -> (String, Outcome, Option<Duration>) {
        let env = match m.body.as_deref().map(Envelope::from_json) {
            Some(Ok(env)) => env,
            Some(Err(e)) => {
                return (
                    "_undecodable".into(),
                    self.undecodable(m, &e.to_string()).await,
                    None,
                )
            }
            None => {
                return (
                    "_undecodable".into(),
                    self.undecodable(m, "message has no body").await,
                    None,
                )
            }
        };
        let span = info_span!(
            "event",
            source = %env.source,
            event_type = %env.event_type,
            event_id = %env.event_id,
            message_id = %m.message_id,
        );
        let source = env.source.clone();
        let (outcome, took) = self.process_envelope(m, env).instrument(span).await;
        (source, outcome, took)
    }

    async fn undecodable(&self, m: &InboundMessage, reason: &str) -> Outcome {
        let reason = format!("undecodable envelope: {reason}");
        warn!(message_id = %m.message_id, %reason, "sending to the dead-letter queue");
        if let Err(e) = self.dlq.dead_letter(m, &reason).await {
            // Not in the DLQ yet: keep it in the queue; the redrive policy is the backstop.
            error!(error = %e, "dead-letter queue unreachable");
            return Outcome::Unavailable(e.to_string());
        }
        if let Err(e) = self
            .store
            .record_undecodable(&m.message_id, &reason, self.cfg.retention)
            .await
        {
            warn!(error = %e, "could not record the undecodable message in the history");
        }
        Outcome::DeadLettered(reason)
    }

    async fn postpone(&self, m: &InboundMessage, delay: Duration) {
        if let Some(h) = &m.receipt_handle {
            if let Err(e) = self.retry.postpone(h, delay).await {
                warn!(error = %e, "could not postpone the retry; the queue's visibility timeout applies");
            }
        }
    }

    async fn process_envelope(
        &self,
        m: &InboundMessage,
        env: Envelope,
    ) -> (Outcome, Option<Duration>) {
        let now = OffsetDateTime::now_utc();
        let req = ClaimRequest {
            source: env.source.clone(),
            event_id: env.event_id.clone(),
            event_type: env.event_type.clone(),
            received_at: env.received_at,
            now,
            lease: self.cfg.lease,
            retention: self.cfg.retention,
        };
        let claim = match self.store.claim(&req).await {
            Ok(ClaimOutcome::Claimed(c)) => c,
            Ok(ClaimOutcome::AlreadyCompleted) => {
                info!("duplicate of a completed event; skipped");
                return (Outcome::Duplicate, None);
            }
            Ok(ClaimOutcome::Held { lease_until }) => {
                // Usually the owner finishes in milliseconds (a duplicate in the same batch):
                // look again soon, backing off, and at the latest just past the lease (whole
                // seconds), when a crashed owner's claim is taken over. Never a step of the
                // schedule: held receives cost no attempt.
                let wait = self
                    .cfg
                    .backoff(m.receive_count)
                    .min(past(lease_until, now));
                info!(retry_in_s = wait.as_secs(), "claim held by another attempt");
                self.postpone(m, wait).await;
                return (Outcome::Held, None);
            }
            Ok(ClaimOutcome::NotYet { next_attempt_at }) => {
                let wait = past(next_attempt_at, now).min(MAX_VISIBILITY);
                info!(retry_in_s = wait.as_secs(), "next attempt not due yet");
                self.postpone(m, wait).await;
                return (Outcome::Held, None);
            }
            Err(e) => {
                warn!(error = %e, "events table unavailable; will retry");
                self.postpone(m, self.cfg.backoff(m.receive_count)).await;
                return (Outcome::Unavailable(e.to_string()), None);
            }
        };

        // Kept on the record when the event completes or is dead-lettered (issue: show and
        // re-deliver any event).
        let kept = if self.cfg.retain_payloads {
            Kept::of(&env)
        } else {
            Kept::nothing()
        };
        let started = Instant::now();
        let result = match self.whole(env).await {
            Ok(env) => {
                self.run_handlers(Event::new(Arc::new(env), claim.attempts))
                    .await
            }
            Err(e) => Err(e),
        };
        let took = started.elapsed();

        match result {
            Ok(n) => match self.complete(&claim, took, &kept).await {
                Ok(()) => {
                    info!(
                        handlers = n,
                        duration_ms = took.as_millis() as u64,
                        "completed"
                    );
                    (Outcome::Completed, Some(took))
                }
                Err(StoreError::LostClaim(_)) => {
                    // Our lease ran out and a newer attempt owns the event now; it decides.
                    warn!("lease expired before completion; the newer attempt owns the event");
                    (Outcome::Duplicate, Some(took))
                }
                Err(e) => {
                    // The claim stays IN_PROGRESS; the next receive, just after the lease,
                    // takes it over and runs the handlers again (they tolerate a repeat).
                    warn!(error = %e, "handlers ran but completion was not recorded; will retry after the lease");
                    self.postpone(m, past(claim.lease_until, OffsetDateTime::now_utc()))
                        .await;
                    (Outcome::Unavailable(e.to_string()), Some(took))
                }
            },
            Err(HandlerError::Retryable(reason)) => {
                let attempt = claim.schedule_attempt();
                let Some(step) = self.cfg.schedule.delay_after(attempt) else {
                    let reason = format!("retries exhausted after {attempt} attempts: {reason}");
                    warn!(%reason, "retry schedule exhausted; sending to the dead-letter queue");
                    return (
                        self.dead_letter(m, &claim, &reason, Failure::Exhausted, &kept)
                            .await,
                        Some(took),
                    );
                };
                let delay = RetrySchedule::jittered(step);
                let next = OffsetDateTime::now_utc() + delay;
                warn!(%reason, attempt, delay_s = delay.as_secs(), "retryable failure");
                if let Err(e) = self.store.release(&claim, &reason, next).await {
                    warn!(error = %e, "could not release the claim; it frees itself after the lease");
                }
                self.postpone(m, delay.min(MAX_VISIBILITY)).await;
                (Outcome::Retrying(reason), Some(took))
            }
            Err(HandlerError::Permanent(reason)) => {
                warn!(%reason, "permanent failure; sending to the dead-letter queue");
                (
                    self.dead_letter(m, &claim, &reason, Failure::Permanent, &kept)
                        .await,
                    Some(took),
                )
            }
        }
    }

    /// The COMPLETED write, retried briefly in place: a table hiccup right after the handlers
    /// ran should not cost a second run of them.
    async fn complete(&self, claim: &Claim, took: Duration, kept: &Kept) -> Result<(), StoreError> {
        let mut waits = [100u64, 500, 2000].into_iter();
        loop {
            match self.store.complete(claim, took, kept).await {
                Err(StoreError::Unavailable(e)) => match waits.next() {
                    Some(ms) => {
                        warn!(error = %e, retry_in_ms = ms, "COMPLETED write failed; retrying");
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                    }
                    None => return Err(StoreError::Unavailable(e)),
                },
                other => return other,
            }
        }
    }

    async fn dead_letter(
        &self,
        m: &InboundMessage,
        claim: &Claim,
        reason: &str,
        why: Failure,
        kept: &Kept,
    ) -> Outcome {
        if let Err(e) = self.dlq.dead_letter(m, reason).await {
            error!(error = %e, "dead-letter queue unreachable; will retry");
            // Claimable again at once: the next receive makes one more attempt.
            let now = OffsetDateTime::now_utc();
            let _ = self.store.release(claim, reason, now).await;
            self.postpone(m, self.cfg.backoff(m.receive_count)).await;
            return Outcome::Unavailable(e.to_string());
        }
        if let Err(e) = self.store.fail(claim, reason, why, kept).await {
            warn!(error = %e, "could not record the failure; the DLQ has the message");
        }
        Outcome::DeadLettered(reason.to_owned())
    }

    /// The envelope with its body: as it came, or fetched from the body store and checked.
    /// Handlers never see the difference.
    async fn whole(&self, env: Envelope) -> Result<Envelope, HandlerError> {
        let Some(at) = env.body_ref.clone() else {
            return Ok(env);
        };
        let Some(store) = &self.bodies else {
            return Err(HandlerError::Permanent(
                "the body is in the body store, and this processor has none configured \
                 (HOOKWELL_BODY_BUCKET)"
                    .into(),
            ));
        };
        let body = store.get(&at).await.map_err(|e| match e {
            BodyStoreError::Unavailable(_) => HandlerError::Retryable(e.to_string()),
            BodyStoreError::Missing(_) => HandlerError::Permanent(e.to_string()),
        })?;
        info!(bytes = body.len(), "body fetched from the body store");
        env.with_body_fetched(&body)
            .map_err(|e| HandlerError::Permanent(e.to_string()))
    }

    /// Runs the routed handlers in order; a panic is a retryable failure.
    async fn run_handlers(&self, event: Event) -> Result<usize, HandlerError> {
        let router = self.current_router();
        let handlers = router.route(event.source(), event.event_type());
        for h in handlers {
            match AssertUnwindSafe(h.handle(event.clone()))
                .catch_unwind()
                .await
            {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e),
                Err(panic) => {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown panic".into());
                    error!("handler panicked");
                    return Err(HandlerError::Retryable(format!("handler panicked: {what}")));
                }
            }
        }
        if handlers.is_empty() {
            info!("no handler routed for this event");
        }
        Ok(handlers.len())
    }
}

/// Whole seconds until just after `t` (at least 1 s): lease and due times are stored in whole
/// seconds and compared with `<`, so landing exactly on `t` would still find it in force.
fn past(t: OffsetDateTime, now: OffsetDateTime) -> Duration {
    let remaining = (t - now).max(time::Duration::ZERO);
    let secs = u64::try_from(remaining.whole_seconds()).unwrap_or(0)
        + u64::from(remaining.subsec_nanoseconds() > 0);
    Duration::from_secs(secs + 1)
}

fn processor_emf(source: &str, c: &SourceCounts) -> String {
    let mut millis = BTreeMap::new();
    if !c.durations_ms.is_empty() {
        millis.insert("HandlerDuration", c.durations_ms.clone());
    }
    emf_line(
        "processor",
        &[("Source", source)],
        &c.counts,
        &millis,
        now_ms(),
    )
}

#[cfg(test)]
mod tests;
