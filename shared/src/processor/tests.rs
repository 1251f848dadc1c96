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
            _ => {
                row.0 = STATUS_IN_PROGRESS.into();
                row.1 = format!("t{}", row.2);
                row.2 += 1;
                Ok(ClaimOutcome::Claimed(Claim {
                    key: req.key(),
                    token: row.1.clone(),
                    attempts: row.2,
                    retention: req.retention,
                }))
            }
        }
    }
    async fn complete(&self, c: &Claim, _: Duration) -> Result<(), StoreError> {
        self.set(c, STATUS_COMPLETED)
    }
    async fn release(&self, c: &Claim, _: &str) -> Result<(), StoreError> {
        self.set(c, STATUS_FAILED)
    }
    async fn fail(&self, c: &Claim, _: &str) -> Result<(), StoreError> {
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
        "retry pushed out with backoff"
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
