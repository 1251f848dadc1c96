//! Processor logic with in-memory fakes of our own ports; the DynamoDB and SQS
//! implementations are exercised against moto in tests/integration/processor.rs.

use super::*;
use crate::queue::QueueError;
use crate::store::{Claim, STATUS_COMPLETED, STATUS_FAILED, STATUS_IN_PROGRESS};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

#[derive(Default)]
struct MemStore {
    rows: Mutex<HashMap<String, (String, String, u32)>>, // status, token, attempts
    down: bool,
    /// Due times of released events.
    next: Mutex<HashMap<String, OffsetDateTime>>,
    /// Fail this many COMPLETED writes (table unavailable) before letting them through.
    complete_failures: AtomicUsize,
    /// Failure kinds recorded by `fail`.
    failures: Mutex<Vec<(String, crate::store::Failure)>>,
    /// Attempts when each event was last dead-lettered.
    dead_lettered_after: Mutex<HashMap<String, u32>>,
}

#[async_trait]
impl EventStore for Arc<MemStore> {
    async fn claim(&self, req: &ClaimRequest) -> Result<ClaimOutcome, StoreError> {
        if self.down {
            return Err(StoreError::Unavailable("down".into()));
        }
        let mut rows = self.rows.lock().unwrap();
        let row = rows
            .entry(req.key())
            .or_insert((String::new(), String::new(), 0));
        match row.0.as_str() {
            STATUS_COMPLETED => Ok(ClaimOutcome::AlreadyCompleted),
            STATUS_IN_PROGRESS => Ok(ClaimOutcome::Held {
                lease_until: req.now + req.lease,
            }),
            STATUS_FAILED
                if self
                    .next
                    .lock()
                    .unwrap()
                    .get(&req.key())
                    .is_some_and(|t| *t > req.now) =>
            {
                Ok(ClaimOutcome::NotYet {
                    next_attempt_at: self.next.lock().unwrap()[&req.key()],
                })
            }
            _ => {
                row.0 = STATUS_IN_PROGRESS.into();
                row.1 = format!("t{}", row.2);
                row.2 += 1;
                Ok(ClaimOutcome::Claimed(Claim {
                    key: req.key(),
                    token: row.1.clone(),
                    attempts: row.2,
                    attempts_before: self
                        .dead_lettered_after
                        .lock()
                        .unwrap()
                        .get(&req.key())
                        .copied()
                        .unwrap_or(0),
                    retention: req.retention,
                    lease_until: req.now + req.lease,
                }))
            }
        }
    }
    async fn complete(
        &self,
        c: &Claim,
        _: Duration,
        _: &crate::store::Kept,
    ) -> Result<(), StoreError> {
        let left = self.complete_failures.load(Ordering::SeqCst);
        if left > 0 {
            self.complete_failures.store(left - 1, Ordering::SeqCst);
            return Err(StoreError::Unavailable("throttled".into()));
        }
        self.set(c, STATUS_COMPLETED)
    }
    async fn release(&self, c: &Claim, _: &str, next: OffsetDateTime) -> Result<(), StoreError> {
        self.next.lock().unwrap().insert(c.key.clone(), next);
        self.set(c, STATUS_FAILED)
    }
    async fn fail(
        &self,
        c: &Claim,
        _: &str,
        why: crate::store::Failure,
        _: &crate::store::Kept,
    ) -> Result<(), StoreError> {
        self.next.lock().unwrap().remove(&c.key);
        self.failures.lock().unwrap().push((c.key.clone(), why));
        self.dead_lettered_after
            .lock()
            .unwrap()
            .insert(c.key.clone(), c.attempts);
        self.set(c, STATUS_FAILED)
    }
    async fn record_undecodable(&self, id: &str, _: &str, _: Duration) -> Result<(), StoreError> {
        self.rows.lock().unwrap().insert(
            format!("_undecodable#{id}"),
            (STATUS_FAILED.into(), String::new(), 1),
        );
        Ok(())
    }
}

impl MemStore {
    fn set(&self, c: &Claim, status: &str) -> Result<(), StoreError> {
        let mut rows = self.rows.lock().unwrap();
        let row = rows.get_mut(&c.key).unwrap();
        if row.1 != c.token {
            return Err(StoreError::LostClaim(c.key.clone()));
        }
        row.0 = status.into();
        Ok(())
    }
    fn status(&self, key: &str) -> Option<String> {
        self.rows.lock().unwrap().get(key).map(|r| r.0.clone())
    }
}

#[derive(Default)]
struct MemQueues {
    dead: Mutex<Vec<(String, String)>>,
    postponed: Mutex<Vec<Duration>>,
}

#[async_trait]
impl DeadLetterQueue for Arc<MemQueues> {
    async fn dead_letter(&self, m: &InboundMessage, reason: &str) -> Result<(), QueueError> {
        self.dead
            .lock()
            .unwrap()
            .push((m.message_id.clone(), reason.to_owned()));
        Ok(())
    }
}

#[async_trait]
impl RetryScheduler for Arc<MemQueues> {
    async fn postpone(&self, _: &str, d: Duration) -> Result<(), QueueError> {
        self.postponed.lock().unwrap().push(d);
        Ok(())
    }
}

fn msg(id: &str, source: &str, event_type: &str, event_id: &str) -> InboundMessage {
    let env = Envelope::new(
        source,
        event_type,
        event_id,
        OffsetDateTime::UNIX_EPOCH,
        b"{}",
        Default::default(),
    );
    InboundMessage {
        message_id: id.into(),
        receipt_handle: Some(format!("rh-{id}")),
        body: Some(env.to_json()),
        receive_count: 1,
        attributes: Default::default(),
        group_id: None,
    }
}

fn processor(
    store: Arc<MemStore>,
    q: Arc<MemQueues>,
    router: Router,
) -> Processor<Arc<MemStore>, Arc<MemQueues>, Arc<MemQueues>> {
    Processor::new(store, q.clone(), q, router, ProcessorConfig::default())
        .with_metrics_sink(Arc::new(|_: &str| {}))
}

#[tokio::test]
async fn panic_in_one_handler_leaves_the_others_processed() {
    let ran = Arc::new(AtomicUsize::new(0));
    let mut r = Router::new();
    let c = ran.clone();
    r.fallback(move |e: Event| {
        let c = c.clone();
        async move {
            if e.event_id() == "boom" {
                panic!("handler bug");
            }
            c.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    let store = Arc::new(MemStore::default());
    let q = Arc::new(MemQueues::default());
    let p = processor(store.clone(), q.clone(), r);
    let res = p
        .process_batch(vec![
            msg("1", "s", "t", "a"),
            msg("2", "s", "t", "boom"),
            msg("3", "s", "t", "c"),
        ])
        .await;
    assert_eq!(ran.load(Ordering::SeqCst), 2);
    assert_eq!(res.failures, vec!["2".to_owned()]);
    assert_eq!(store.status("s#a").as_deref(), Some(STATUS_COMPLETED));
    assert_eq!(
        store.status("s#boom").as_deref(),
        Some(STATUS_FAILED),
        "released for retry"
    );
    assert_eq!(
        q.postponed.lock().unwrap().len(),
        1,
        "retry pushed out by the schedule's first step"
    );
    let outcome = &res.outcomes.iter().find(|(id, _)| id == "2").unwrap().1;
    assert!(matches!(outcome, Outcome::Retrying(r) if r.contains("handler bug")));
}

#[tokio::test]
async fn permanent_failure_and_undecodable_go_to_the_dlq_and_report_success() {
    let mut r = Router::new();
    r.fallback(|_e: Event| async { Err(HandlerError::permanent("bad payload")) });
    let store = Arc::new(MemStore::default());
    let q = Arc::new(MemQueues::default());
    let p = processor(store.clone(), q.clone(), r);
    let mut junk = msg("2", "s", "t", "x");
    junk.body = Some("{not an envelope".into());
    let mut empty = msg("3", "s", "t", "y");
    empty.body = None;
    let res = p
        .process_batch(vec![msg("1", "s", "t", "a"), junk, empty])
        .await;
    assert!(res.failures.is_empty());
    let dead = q.dead.lock().unwrap();
    assert_eq!(dead.len(), 3);
    assert!(dead.iter().any(|(id, r)| id == "1" && r == "bad payload"));
    assert!(dead
        .iter()
        .any(|(id, r)| id == "2" && r.starts_with("undecodable envelope")));
    assert_eq!(
        store.status("_undecodable#2").as_deref(),
        Some(STATUS_FAILED)
    );
}

#[tokio::test]
async fn store_down_fails_every_record_and_runs_nothing() {
    let ran = Arc::new(AtomicUsize::new(0));
    let mut r = Router::new();
    let c = ran.clone();
    r.fallback(move |_e: Event| {
        let c = c.clone();
        async move {
            c.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    let store = Arc::new(MemStore {
        down: true,
        ..Default::default()
    });
    let p = processor(store, Arc::new(MemQueues::default()), r);
    let res = p
        .process_batch(vec![msg("1", "s", "t", "a"), msg("2", "s", "t", "b")])
        .await;
    assert_eq!(res.failures.len(), 2);
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn emits_one_emf_line_per_source_counting_outcomes() {
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let l2 = lines.clone();
    let mut r = Router::new();
    r.on("a", "ok", |_e: Event| async { Ok(()) });
    r.on("a", "bad", |_e: Event| async {
        Err(HandlerError::retryable("later"))
    });
    let p = Processor::new(
        Arc::new(MemStore::default()),
        Arc::new(MemQueues::default()),
        Arc::new(MemQueues::default()),
        r,
        ProcessorConfig::default(),
    )
    .with_metrics_sink(Arc::new(move |l: &str| {
        l2.lock().unwrap().push(l.to_owned())
    }));
    p.process_batch(vec![
        msg("1", "a", "ok", "1"),
        msg("2", "a", "ok", "1"),
        msg("3", "a", "bad", "2"),
        msg("4", "b", "x", "3"),
    ])
    .await;
    let lines = lines.lock().unwrap();
    assert_eq!(lines.len(), 2);
    let a = crate::metrics::validate_emf(&lines[0]).unwrap();
    crate::metrics::validate_emf(&lines[1]).unwrap();
    assert_eq!(a["Source"], "a");
    assert_eq!(
        a["Processed"].as_f64().unwrap()
            + a["HeldByOther"].as_f64().unwrap_or(0.0)
            + a["Duplicates"].as_f64().unwrap_or(0.0),
        2.0
    );
    assert_eq!(a["Retried"], 1.0);
    assert_eq!(a["HandlerDuration"].as_array().unwrap().len(), 2);
    assert_eq!(a["_aws"]["CloudWatchMetrics"][0]["Namespace"], "hookwell");
}

fn failing_router(ran: Arc<AtomicUsize>) -> Router {
    let mut r = Router::new();
    r.fallback(move |_e: Event| {
        let ran = ran.clone();
        async move {
            ran.fetch_add(1, Ordering::SeqCst);
            Err(HandlerError::retryable("downstream answered 503"))
        }
    });
    r
}

/// Each retryable failure waits the schedule's next step (jittered within [0.8 d, d]) and
/// records when the next attempt is due; the last attempt goes to the DLQ as exhausted.
#[tokio::test]
async fn retries_follow_the_schedule_then_the_dlq() {
    let ran = Arc::new(AtomicUsize::new(0));
    let store = Arc::new(MemStore::default());
    let q = Arc::new(MemQueues::default());
    let p = processor(store.clone(), q.clone(), failing_router(ran.clone()));
    let schedule = RetrySchedule::default();
    for attempt in 1..=schedule.attempts() {
        // The due time has come: let the next receive claim it.
        store.next.lock().unwrap().clear();
        let mut m = msg("1", "s", "t", "a");
        m.receive_count = attempt * 3; // receives beyond attempts cost no step
        let res = p.process_batch(vec![m]).await;
        let outcome = &res.outcomes[0].1;
        if attempt < schedule.attempts() {
            assert!(
                matches!(outcome, Outcome::Retrying(_)),
                "{attempt}: {outcome:?}"
            );
            let step = schedule.delay_after(attempt).unwrap();
            let waited = *q.postponed.lock().unwrap().last().unwrap();
            assert!(
                waited >= step.mul_f64(0.8) && waited <= step.min(MAX_VISIBILITY),
                "attempt {attempt}: waited {waited:?} for a step of {step:?}"
            );
            let due = store.next.lock().unwrap()["s#a"];
            let ahead = due - OffsetDateTime::now_utc();
            assert!(
                ahead >= step.mul_f64(0.8) - Duration::from_secs(1),
                "{attempt}"
            );
        } else {
            assert!(
                matches!(outcome, Outcome::DeadLettered(r) if r.starts_with("retries exhausted after 8 attempts")),
                "{outcome:?}"
            );
            assert!(
                res.failures.is_empty(),
                "the DLQ has it: delete the original"
            );
        }
    }
    assert_eq!(ran.load(Ordering::SeqCst), 8);
    assert_eq!(q.dead.lock().unwrap().len(), 1);
    assert_eq!(
        store.failures.lock().unwrap().as_slice(),
        &[("s#a".to_owned(), crate::store::Failure::Exhausted)]
    );

    // Replayed from the DLQ, the event follows the schedule afresh: a failure now waits
    // the first step again instead of going straight back to the DLQ.
    let res = p.process_batch(vec![msg("9", "s", "t", "a")]).await;
    assert!(
        matches!(res.outcomes[0].1, Outcome::Retrying(_)),
        "{:?}",
        res.outcomes
    );
    let waited = *q.postponed.lock().unwrap().last().unwrap();
    assert!(waited <= schedule.delay_after(1).unwrap(), "{waited:?}");
    assert_eq!(q.dead.lock().unwrap().len(), 1);
}

/// A message received before its event's next attempt is due (a step longer than SQS's
/// 12-hour visibility ceiling, or a provider's retry of a failing event) waits for it.
#[tokio::test]
async fn an_early_receive_waits_for_the_due_time_without_an_attempt() {
    let ran = Arc::new(AtomicUsize::new(0));
    let store = Arc::new(MemStore::default());
    let q = Arc::new(MemQueues::default());
    let p = processor(store.clone(), q.clone(), failing_router(ran.clone()));
    p.process_batch(vec![msg("1", "s", "t", "a")]).await;
    let due = OffsetDateTime::now_utc() + Duration::from_secs(20 * 3600);
    store.next.lock().unwrap().insert("s#a".into(), due);
    let res = p.process_batch(vec![msg("2", "s", "t", "a")]).await;
    assert_eq!(res.outcomes[0].1, Outcome::Held);
    assert_eq!(res.failures, ["2"]);
    assert_eq!(ran.load(Ordering::SeqCst), 1, "no attempt before it is due");
    assert_eq!(
        *q.postponed.lock().unwrap().last().unwrap(),
        MAX_VISIBILITY,
        "at most 12 h at a time"
    );
}

/// A held claim is looked at again soon (the owner usually finishes in milliseconds), and at
/// the latest in whole seconds just past its lease, when a dead owner's claim lapses.
#[tokio::test]
async fn a_held_claim_waits_at_most_until_just_after_the_lease() {
    let store = Arc::new(MemStore::default());
    store
        .rows
        .lock()
        .unwrap()
        .insert("s#a".into(), (STATUS_IN_PROGRESS.into(), "other".into(), 1));
    let q = Arc::new(MemQueues::default());
    let mut r = Router::new();
    r.fallback(|_e: Event| async { Ok(()) });
    let p = processor(store, q.clone(), r);
    let res = p.process_batch(vec![msg("1", "s", "t", "a")]).await;
    assert_eq!(res.outcomes[0].1, Outcome::Held);
    let waited = q.postponed.lock().unwrap()[0];
    assert!(
        waited <= Duration::from_secs(5),
        "first look soon: {waited:?}"
    );
    // The tenth receive would back off for far longer than the lease: capped just past it.
    let mut late = msg("2", "s", "t", "a");
    late.receive_count = 10;
    p.process_batch(vec![late]).await;
    let lease = ProcessorConfig::default().lease;
    let waited = q.postponed.lock().unwrap()[1];
    assert!(
        waited >= lease + Duration::from_secs(1) && waited <= lease + Duration::from_secs(2),
        "{waited:?}"
    );
    assert_eq!(waited.subsec_nanos(), 0, "whole seconds");
    assert_eq!(
        past(OffsetDateTime::UNIX_EPOCH, OffsetDateTime::UNIX_EPOCH),
        Duration::from_secs(1)
    );
}

/// The handlers ran; the COMPLETED write failed twice and then went through: retried in
/// place, the handlers are not run again and nothing is retried.
#[tokio::test]
async fn a_failed_completed_write_is_retried_without_running_handlers_again() {
    let ran = Arc::new(AtomicUsize::new(0));
    let c = ran.clone();
    let mut r = Router::new();
    r.fallback(move |_e: Event| {
        let c = c.clone();
        async move {
            c.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    let store = Arc::new(MemStore::default());
    store.complete_failures.store(2, Ordering::SeqCst);
    let q = Arc::new(MemQueues::default());
    let p = processor(store.clone(), q.clone(), r);
    let res = p.process_batch(vec![msg("1", "s", "t", "a")]).await;
    assert_eq!(res.outcomes[0].1, Outcome::Completed);
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    assert_eq!(store.status("s#a").as_deref(), Some(STATUS_COMPLETED));

    // Down for longer: the message waits just past the lease, never reaches the DLQ.
    store.complete_failures.store(10, Ordering::SeqCst);
    let res = p.process_batch(vec![msg("2", "s", "t", "b")]).await;
    assert!(matches!(res.outcomes[0].1, Outcome::Unavailable(_)));
    assert_eq!(res.failures, ["2"]);
    assert!(q.dead.lock().unwrap().is_empty());
    // Just past the lease taken before the handlers ran and the write was retried.
    let waited = *q.postponed.lock().unwrap().last().unwrap();
    let lease = ProcessorConfig::default().lease;
    assert!(
        waited > lease - Duration::from_secs(10) && waited <= lease + Duration::from_secs(2),
        "{waited:?}"
    );
}

#[test]
fn backoff_grows_with_jitter_and_is_capped() {
    let c = ProcessorConfig::default();
    for attempt in 1..=30 {
        let d = c.backoff(attempt);
        let full = (c.backoff_base * (1u32 << (attempt - 1).min(20))).min(c.backoff_max);
        assert!(
            d >= full / 2 && d <= full,
            "attempt {attempt}: {d:?} vs {full:?}"
        );
    }
    assert!(c.backoff(30) <= Duration::from_secs(900));
}

#[test]
fn emf_validator_rejects_broken_documents() {
    use crate::metrics::validate_emf;
    assert!(validate_emf("not json").is_err());
    assert!(validate_emf(r#"{"a":1}"#).is_err());
    let ok = r#"{"_aws":{"Timestamp":1764046800000,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[["F"]],"Metrics":[{"Name":"M"}]}]},"F":"x","M":1}"#;
    assert!(validate_emf(ok).is_ok());
    assert!(
        validate_emf(&ok.replace(r#""M":1}"#, r#""M":"1"}"#)).is_err(),
        "metric must be numeric"
    );
    assert!(
        validate_emf(&ok.replace(r#""F":"x","#, "")).is_err(),
        "dimension must be present"
    );
    assert!(
        validate_emf(&ok.replace("1764046800000", "1764046800")).is_err(),
        "milliseconds"
    );
}

/// A claim-check message: the body of `body` stored in `bodies`.
async fn stored_msg(
    bodies: &crate::bodies::MemoryBodyStore,
    id: &str,
    event_id: &str,
    body: &[u8],
) -> InboundMessage {
    use crate::bodies::BodyWriter;
    let at = bodies.put(body).await.unwrap();
    let env = Envelope::new(
        "github",
        "push",
        event_id,
        OffsetDateTime::UNIX_EPOCH,
        body,
        Default::default(),
    )
    .with_body_stored(at);
    InboundMessage {
        body: Some(env.to_json()),
        ..msg(id, "github", "push", event_id)
    }
}

#[tokio::test]
async fn claim_checked_bodies_reach_handlers_whole_or_fail_by_cause() {
    let seen = Arc::new(Mutex::new(Vec::<Vec<u8>>::new()));
    let mut r = Router::new();
    let s2 = seen.clone();
    r.fallback(move |e: Event| {
        let s2 = s2.clone();
        async move {
            s2.lock().unwrap().push(e.body().to_vec());
            Ok(())
        }
    });
    let store = Arc::new(MemStore::default());
    let q = Arc::new(MemQueues::default());
    let bodies = crate::bodies::MemoryBodyStore::default();
    let p = processor(store.clone(), q.clone(), r).with_body_store(Arc::new(bodies.clone()));
    let big = vec![b'x'; 2 * 1024 * 1024];

    // Fetched, checked and handed over as if it had come in the message.
    let res = p
        .process_batch(vec![stored_msg(&bodies, "1", "d1", &big).await])
        .await;
    assert!(res.failures.is_empty(), "{:?}", res.outcomes);
    assert_eq!(seen.lock().unwrap().as_slice(), std::slice::from_ref(&big));
    assert_eq!(store.status("github#d1").as_deref(), Some(STATUS_COMPLETED));

    // The store unreachable: a retryable attempt, the message kept.
    let m2 = stored_msg(&bodies, "2", "d2", b"second").await;
    bodies.set_down(true);
    let res = p.process_batch(vec![m2]).await;
    assert_eq!(res.failures, vec!["2".to_owned()]);
    assert!(matches!(&res.outcomes[0].1, Outcome::Retrying(r) if r.contains("unavailable")));
    bodies.set_down(false);

    // Gone (expired) or not the body named: permanent, to the DLQ.
    let m3 = stored_msg(&bodies, "3", "d3", b"third").await;
    bodies.remove(&crate::bodies::body_key(b"third").0);
    let mut m4 = stored_msg(&bodies, "4", "d4", b"fourth").await;
    m4.body = m4.body.map(|b| b.replace("\"size\":6", "\"size\":7"));
    let res = p.process_batch(vec![m3, m4]).await;
    assert!(res.failures.is_empty());
    let dead = q.dead.lock().unwrap();
    assert!(dead
        .iter()
        .any(|(id, r)| id == "3" && r.contains("not found")));
    assert!(dead
        .iter()
        .any(|(id, r)| id == "4" && r.contains("does not match")));
    assert_eq!(seen.lock().unwrap().len(), 1, "no handler saw a wrong body");
}

#[tokio::test]
async fn a_claim_check_without_a_body_store_is_dead_lettered_with_the_reason() {
    let mut r = Router::new();
    r.fallback(|_e: Event| async { Ok(()) });
    let store = Arc::new(MemStore::default());
    let q = Arc::new(MemQueues::default());
    let bodies = crate::bodies::MemoryBodyStore::default();
    let p = processor(store, q.clone(), r);
    let res = p
        .process_batch(vec![stored_msg(&bodies, "1", "d1", b"body").await])
        .await;
    assert!(res.failures.is_empty());
    assert!(q.dead.lock().unwrap()[0].1.contains("HOOKWELL_BODY_BUCKET"));
}

#[tokio::test]
async fn a_fifo_group_stops_at_its_first_unfinished_record_and_others_go_on() {
    let ran = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut r = Router::new();
    let r2 = ran.clone();
    r.fallback(move |e: Event| {
        let r2 = r2.clone();
        async move {
            r2.lock().unwrap().push(e.event_id().to_owned());
            if e.event_id() == "a1" {
                return Err(HandlerError::retryable("busy"));
            }
            Ok(())
        }
    });
    let store = Arc::new(MemStore::default());
    let q = Arc::new(MemQueues::default());
    let p = processor(store, q.clone(), r);
    let in_group = |id: &str, group: &str| InboundMessage {
        group_id: Some(group.into()),
        ..msg(id, "s", "t", id)
    };
    let res = p
        .process_batch(vec![
            in_group("a1", "ga"),
            in_group("b1", "gb"),
            in_group("a2", "ga"),
            in_group("a3", "ga"),
            in_group("b2", "gb"),
        ])
        .await;
    let mut ran = ran.lock().unwrap().clone();
    ran.sort();
    assert_eq!(ran, vec!["a1", "b1", "b2"], "a2 and a3 wait behind a1");
    let mut failed = res.failures.clone();
    failed.sort();
    assert_eq!(failed, vec!["a1", "a2", "a3"]);
    let waiting = res
        .outcomes
        .iter()
        .filter(|(_, o)| *o == Outcome::WaitingForGroup)
        .count();
    assert_eq!(waiting, 2);
    // Both made visible again at once, behind a1's retry.
    let postponed = q.postponed.lock().unwrap().clone();
    assert_eq!(postponed.iter().filter(|d| d.is_zero()).count(), 2);
}
