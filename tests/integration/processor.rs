//! The processor with the real DynamoDB store and SQS queues (moto).

use hookwell::handler::{Event, HandlerError, Router};
use hookwell::processor::Outcome;
use hookwell::queue::{SqsDeadLetterQueue, SqsRetryScheduler};
use hookwell::store::{
    ClaimOutcome, ClaimRequest, DynamoDbEventStore, EventStore, Kept, StoreError,
};
use hookwell::{Processor, ProcessorConfig};
use hookwell_tests::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub(crate) type Proc = Processor<DynamoDbEventStore, SqsDeadLetterQueue, SqsRetryScheduler>;

fn counting_router(count: Arc<AtomicUsize>) -> Router {
    let mut r = Router::new();
    r.fallback(move |_e: Event| {
        let c = count.clone();
        async move {
            c.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    r
}

fn test_config() -> ProcessorConfig {
    ProcessorConfig {
        lease: Duration::from_secs(30),
        backoff_base: Duration::from_secs(1),
        backoff_max: Duration::from_secs(2),
        ..ProcessorConfig::default()
    }
}

pub(crate) fn processor(p: &Pipeline, router: Router, cfg: ProcessorConfig) -> Proc {
    Processor::new(
        DynamoDbEventStore::new(p.ddb.clone(), &p.table),
        SqsDeadLetterQueue::new(p.sqs.clone(), &p.dlq_url),
        SqsRetryScheduler::new(p.sqs.clone(), &p.queue_url),
        router,
        cfg,
    )
    .with_metrics_sink(Arc::new(|_: &str| {}))
}

/// Receives and processes until the queue has nothing visible (bounded rounds).
pub(crate) async fn run_until_idle(p: &Pipeline, proc: &Proc, rounds: usize) -> Vec<Outcome> {
    let mut all = Vec::new();
    for _ in 0..rounds {
        let batch = p.receive(10).await;
        if batch.is_empty() {
            break;
        }
        let res = proc.process_batch(batch.clone()).await;
        p.ack(&batch, &res.failures).await;
        all.extend(res.outcomes.into_iter().map(|(_, o)| o));
    }
    all
}

#[tokio::test]
async fn same_event_twice_in_one_batch_and_in_two_batches_runs_once() {
    let p = pipeline(5).await;
    let count = Arc::new(AtomicUsize::new(0));
    let proc = processor(&p, counting_router(count.clone()), test_config());
    p.send_event("bubble", "MESSAGE_CREATE", "dup-1", "{}")
        .await;
    p.send_event("bubble", "MESSAGE_CREATE", "dup-1", "{}")
        .await;
    let batch = p.receive(10).await;
    assert_eq!(batch.len(), 2);
    let res = proc.process_batch(batch.clone()).await;
    assert_eq!(count.load(Ordering::SeqCst), 1, "one batch");
    // The loser either saw the live claim (retried later) or the completed record (deleted).
    assert!(res.outcomes.iter().any(|(_, o)| *o == Outcome::Completed));
    p.ack(&batch, &res.failures).await;

    // A provider retry arriving later, in another batch.
    p.send_event("bubble", "MESSAGE_CREATE", "dup-1", "{}")
        .await;
    let batch = p.receive(10).await;
    let res = proc.process_batch(batch.clone()).await;
    assert_eq!(res.outcomes[0].1, Outcome::Duplicate);
    assert!(
        res.failures.is_empty(),
        "a duplicate is deleted, not retried"
    );
    assert_eq!(count.load(Ordering::SeqCst), 1, "two batches");
    let rec = p.record("bubble", "dup-1").await.unwrap();
    assert_eq!(rec.status, "COMPLETED");
    assert_eq!(rec.attempts, 1);
    assert!(rec.completed_at.is_some() && rec.duration_ms.is_some());
}

#[tokio::test]
async fn fifty_concurrent_claims_one_winner() {
    let p = pipeline(5).await;
    let store = Arc::new(DynamoDbEventStore::new(p.ddb.clone(), &p.table));
    let wins = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let store = store.clone();
        let wins = wins.clone();
        tasks.push(tokio::spawn(async move {
            let now = time::OffsetDateTime::now_utc();
            let req = ClaimRequest {
                source: "groupgm".into(),
                event_id: "race-1".into(),
                event_type: "member.joined".into(),
                received_at: now,
                now,
                lease: Duration::from_secs(60),
                retention: Duration::from_secs(86_400),
            };
            if let ClaimOutcome::Claimed(c) = store.claim(&req).await.unwrap() {
                // The "handler": counted once per winning claim.
                wins.fetch_add(1, Ordering::SeqCst);
                store
                    .complete(&c, Duration::from_millis(1), &Kept::nothing())
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(wins.load(Ordering::SeqCst), 1);
    assert_eq!(
        p.record("groupgm", "race-1").await.unwrap().status,
        "COMPLETED"
    );
}

#[tokio::test]
async fn expired_lease_is_taken_over_and_the_dead_owner_cannot_complete() {
    let p = pipeline(5).await;
    let store = DynamoDbEventStore::new(p.ddb.clone(), &p.table);
    let t0 = time::OffsetDateTime::now_utc();
    let req = |now| ClaimRequest {
        source: "sendbird".into(),
        event_id: "lease-1".into(),
        event_type: "group_channel:message_send".into(),
        received_at: t0,
        now,
        lease: Duration::from_secs(30),
        retention: Duration::from_secs(86_400),
    };
    let ClaimOutcome::Claimed(dead) = store.claim(&req(t0)).await.unwrap() else {
        panic!()
    };
    // Within the lease: held.
    assert!(matches!(
        store
            .claim(&req(t0 + time::Duration::seconds(10)))
            .await
            .unwrap(),
        ClaimOutcome::Held { .. }
    ));
    // After the lease (the owner crashed): taken over, second attempt.
    let ClaimOutcome::Claimed(new) = store
        .claim(&req(t0 + time::Duration::seconds(31)))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(new.attempts, 2);
    // The dead owner wakes up late: its complete must not overwrite the new owner's record.
    assert!(matches!(
        store
            .complete(&dead, Duration::from_millis(5), &Kept::nothing())
            .await,
        Err(StoreError::LostClaim(_))
    ));
    assert!(matches!(
        store.release(&dead, "late", t0).await,
        Err(StoreError::LostClaim(_))
    ));
    assert_eq!(
        p.record("sendbird", "lease-1").await.unwrap().status,
        "IN_PROGRESS"
    );
    store
        .complete(&new, Duration::from_millis(5), &Kept::nothing())
        .await
        .unwrap();
    assert_eq!(
        p.record("sendbird", "lease-1").await.unwrap().status,
        "COMPLETED"
    );
}

#[tokio::test]
async fn logically_expired_record_is_claimable_even_if_ttl_has_not_deleted_it() {
    let p = pipeline(5).await;
    let store = DynamoDbEventStore::new(p.ddb.clone(), &p.table);
    let t0 = time::OffsetDateTime::now_utc();
    let req = |now, retention| ClaimRequest {
        source: "github".into(),
        event_id: "ttl-1".into(),
        event_type: "push".into(),
        received_at: t0,
        now,
        lease: Duration::from_secs(30),
        retention,
    };
    let ClaimOutcome::Claimed(c) = store
        .claim(&req(t0, Duration::from_secs(60)))
        .await
        .unwrap()
    else {
        panic!()
    };
    store
        .complete(&c, Duration::ZERO, &Kept::nothing())
        .await
        .unwrap();
    assert_eq!(
        store
            .claim(&req(t0, Duration::from_secs(60)))
            .await
            .unwrap(),
        ClaimOutcome::AlreadyCompleted
    );
    // Two minutes later the record has expired (moto never deletes it): a new event.
    let later = time::OffsetDateTime::now_utc() + time::Duration::seconds(120);
    assert!(matches!(
        store
            .claim(&req(later, Duration::from_secs(60)))
            .await
            .unwrap(),
        ClaimOutcome::Claimed(_)
    ));
}

#[tokio::test]
async fn retryable_failure_then_success() {
    let p = pipeline(5).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let mut r = Router::new();
    r.on("groupgm", "message.received", move |_e: Event| {
        let c = c.clone();
        async move {
            if c.fetch_add(1, Ordering::SeqCst) == 0 {
                Err(HandlerError::retryable("downstream answered 503"))
            } else {
                Ok(())
            }
        }
    });
    let proc = processor(&p, r, test_config());
    p.send_event("groupgm", "message.received", "retry-1", "{}")
        .await;
    let batch = p.receive(10).await;
    let res = proc.process_batch(batch.clone()).await;
    assert_eq!(res.failures, vec![batch[0].message_id.clone()]);
    let rec = p.record("groupgm", "retry-1").await.unwrap();
    assert_eq!((rec.status.as_str(), rec.attempts), ("FAILED", 1));
    assert_eq!(rec.last_error.as_deref(), Some("downstream answered 503"));
    assert_eq!(rec.failure.as_deref(), Some("retryable"));
    // Backoff (1-2 s here) made it invisible; it comes back, bounded wait.
    let mut done = false;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let out = run_until_idle(&p, &proc, 3).await;
        if out.contains(&Outcome::Completed) {
            done = true;
            break;
        }
    }
    assert!(done, "retried and completed");
    let rec = p.record("groupgm", "retry-1").await.unwrap();
    assert_eq!((rec.status.as_str(), rec.attempts), ("COMPLETED", 2));
    assert_eq!(rec.last_error, None);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn permanent_failure_and_malformed_envelope_go_straight_to_the_dlq() {
    let p = pipeline(5).await;
    let mut r = Router::new();
    r.on("stripe", "invoice.paid", |_e: Event| async {
        Err(HandlerError::permanent("downstream answered 422"))
    });
    let proc = processor(&p, r, test_config());
    p.send_event("stripe", "invoice.paid", "evt_perm", "{}")
        .await;
    p.send_raw("this is not an envelope").await;
    let batch = p.receive(10).await;
    assert_eq!(batch.len(), 2);
    let res = proc.process_batch(batch.clone()).await;
    assert!(
        res.failures.is_empty(),
        "reported as success: no retry loop"
    );
    p.ack(&batch, &res.failures).await;
    let dead = p.dlq_messages().await;
    assert_eq!(dead.len(), 2);
    let reasons: Vec<String> = dead
        .iter()
        .map(|m| {
            m.message_attributes().unwrap()["failure_reason"]
                .string_value()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(
        reasons.contains(&"downstream answered 422".to_owned()),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("undecodable envelope")),
        "{reasons:?}"
    );
    let rec = p.record("stripe", "evt_perm").await.unwrap();
    assert_eq!(
        (rec.status.as_str(), rec.failure.as_deref()),
        ("FAILED", Some("permanent"))
    );
    assert!(
        p.receive(10).await.is_empty(),
        "nothing left in the main queue"
    );
}

#[tokio::test]
async fn panic_in_one_handler_leaves_the_batch_processed() {
    let p = pipeline(5).await;
    let ok = Arc::new(AtomicUsize::new(0));
    let c = ok.clone();
    let mut r = Router::new();
    r.fallback(move |e: Event| {
        let c = c.clone();
        async move {
            if e.event_id() == "panics" {
                panic!("bug in handler");
            }
            c.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    let proc = processor(&p, r, test_config());
    for id in ["a", "panics", "b", "c"] {
        p.send_event("bubble", "MESSAGE_CREATE", id, "{}").await;
    }
    let batch = p.receive(10).await;
    let res = proc.process_batch(batch.clone()).await;
    assert_eq!(ok.load(Ordering::SeqCst), 3);
    assert_eq!(res.failures.len(), 1);
    assert_eq!(p.record("bubble", "panics").await.unwrap().status, "FAILED");
    assert_eq!(p.record("bubble", "a").await.unwrap().status, "COMPLETED");
}

#[tokio::test]
async fn table_unreachable_fails_every_record_and_marks_nothing() {
    let p = pipeline(5).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sdk = hookwell::aws::sdk_config(Duration::from_secs(2)).await;
    let dead_ddb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .endpoint_url(format!("http://127.0.0.1:{closed}"))
            .build(),
    );
    let count = Arc::new(AtomicUsize::new(0));
    let proc = Processor::new(
        DynamoDbEventStore::new(dead_ddb, &p.table),
        SqsDeadLetterQueue::new(p.sqs.clone(), &p.dlq_url),
        SqsRetryScheduler::new(p.sqs.clone(), &p.queue_url),
        counting_router(count.clone()),
        test_config(),
    )
    .with_metrics_sink(Arc::new(|_: &str| {}));
    for id in ["x1", "x2", "x3"] {
        p.send_event("line", "message", id, "{}").await;
    }
    let batch = p.receive(10).await;
    let res = proc.process_batch(batch.clone()).await;
    assert_eq!(res.failures.len(), 3);
    assert_eq!(
        count.load(Ordering::SeqCst),
        0,
        "no handler runs without a claim"
    );
    for id in ["x1", "x2", "x3"] {
        assert!(p.record("line", id).await.is_none());
    }
    // After recovery, the same messages are processed once each.
    let proc = processor(&p, counting_router(count.clone()), test_config());
    let mut outcomes = Vec::new();
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        outcomes.extend(run_until_idle(&p, &proc, 3).await);
        if outcomes
            .iter()
            .filter(|o| **o == Outcome::Completed)
            .count()
            == 3
        {
            break;
        }
    }
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn two_writes_per_fresh_event_one_per_duplicate() {
    let p = pipeline(5).await;
    let counter = CountRequests::default();
    let sdk = sdk().await;
    let ddb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&sdk)
            .interceptor(counter.clone())
            .build(),
    );
    let proc = Processor::new(
        DynamoDbEventStore::new(ddb, &p.table),
        SqsDeadLetterQueue::new(p.sqs.clone(), &p.dlq_url),
        SqsRetryScheduler::new(p.sqs.clone(), &p.queue_url),
        counting_router(Arc::new(AtomicUsize::new(0))),
        test_config(),
    )
    .with_metrics_sink(Arc::new(|_: &str| {}));
    for i in 0..5 {
        p.send_event("bubble", "MESSAGE_CREATE", &format!("w{i}"), "{}")
            .await;
    }
    run_until_idle(&p, &proc, 5).await;
    assert_eq!(
        counter.0.swap(0, Ordering::SeqCst),
        10,
        "claim + complete per fresh event"
    );
    for i in 0..5 {
        p.send_event("bubble", "MESSAGE_CREATE", &format!("w{i}"), "{}")
            .await;
    }
    run_until_idle(&p, &proc, 5).await;
    assert_eq!(
        counter.0.load(Ordering::SeqCst),
        5,
        "one failed conditional write per duplicate"
    );
}

/// A retryable failure records when the next attempt is due (an earlier claim waits); a
/// dead-lettered event, replayed, starts the retry schedule afresh.
#[tokio::test]
async fn next_attempt_is_honoured_and_a_replay_restarts_the_schedule() {
    let p = pipeline(5).await;
    let store = DynamoDbEventStore::new(p.ddb.clone(), &p.table);
    let t0 = time::OffsetDateTime::now_utc();
    let req = |now| ClaimRequest {
        source: "groupgm".into(),
        event_id: "sched-1".into(),
        event_type: "message.received".into(),
        received_at: t0,
        now,
        lease: Duration::from_secs(30),
        retention: Duration::from_secs(86_400),
    };
    let ClaimOutcome::Claimed(first) = store.claim(&req(t0)).await.unwrap() else {
        panic!()
    };
    assert_eq!((first.attempts, first.schedule_attempt()), (1, 1));
    let due = t0 + Duration::from_secs(300);
    store
        .release(&first, "downstream answered 503", due)
        .await
        .unwrap();
    let rec = p.record("groupgm", "sched-1").await.unwrap();
    assert_eq!(rec.status, "FAILED");
    assert!(rec.next_attempt_at.is_some());
    // Before it is due: not claimable, and the answer says when.
    match store
        .claim(&req(t0 + Duration::from_secs(10)))
        .await
        .unwrap()
    {
        ClaimOutcome::NotYet { next_attempt_at } => {
            assert_eq!(next_attempt_at.unix_timestamp(), due.unix_timestamp());
        }
        other => panic!("{other:?}"),
    }
    let ClaimOutcome::Claimed(second) = store.claim(&req(due)).await.unwrap() else {
        panic!()
    };
    assert_eq!((second.attempts, second.schedule_attempt()), (2, 2));
    store
        .fail(
            &second,
            "retries exhausted",
            hookwell::store::Failure::Exhausted,
            &Kept::nothing(),
        )
        .await
        .unwrap();
    let rec = p.record("groupgm", "sched-1").await.unwrap();
    assert_eq!(rec.failure.as_deref(), Some("exhausted"));
    assert!(rec.next_attempt_at.is_none());
    // Replayed: claimable at once, first step of the schedule again.
    let ClaimOutcome::Claimed(replayed) = store.claim(&req(due)).await.unwrap() else {
        panic!()
    };
    assert_eq!((replayed.attempts, replayed.schedule_attempt()), (3, 1));
}
