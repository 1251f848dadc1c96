//! `hookwell replay` / `redrive` against moto SQS (and DynamoDB for the reprocessing checks).

use hookwell::handler::{Event, HandlerError, Router};
use hookwell::processor::Outcome;
use hookwell::queue::{SqsDeadLetterQueue, SqsRetryScheduler};
use hookwell::replay::{replay, ReplayFilter, ReplayOptions, REASON_MAX_RECEIVES};
use hookwell::{DynamoDbEventStore, Envelope, Processor, ProcessorConfig};
use hookwell_tests::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn string_attr(v: &str) -> aws_sdk_sqs::types::MessageAttributeValue {
    aws_sdk_sqs::types::MessageAttributeValue::builder()
        .data_type("String")
        .string_value(v)
        .build()
        .unwrap()
}

/// Puts an envelope straight into the DLQ, as the processor (with a reason) or SQS's redrive
/// policy (without one) would leave it.
async fn dead_letter(
    p: &Pipeline,
    source: &str,
    event_type: &str,
    id: &str,
    received_at: time::OffsetDateTime,
    reason: Option<&str>,
) {
    let env = Envelope::new(
        source,
        event_type,
        id,
        received_at,
        b"{}",
        Default::default(),
    );
    let mut req = p
        .sqs
        .send_message()
        .queue_url(&p.dlq_url)
        .message_body(env.to_json())
        .message_attributes("source", string_attr(source))
        .message_attributes("event_type", string_attr(event_type))
        .message_attributes("event_id", string_attr(id));
    if let Some(r) = reason {
        req = req.message_attributes("failure_reason", string_attr(r));
    }
    req.send().await.unwrap();
}

fn ids(r: &hookwell::replay::ReplayReport) -> Vec<String> {
    let mut v: Vec<String> = r
        .matched
        .iter()
        .filter_map(|d| d.event_id.clone())
        .collect();
    v.sort();
    v
}

/// Messages in a queue: all of them, or only the visible ones.
async fn queue_len(p: &Pipeline, url: &str, include_hidden: bool) -> usize {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let mut req = p
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(A::ApproximateNumberOfMessages);
    if include_hidden {
        req = req.attribute_names(A::ApproximateNumberOfMessagesNotVisible);
    }
    let attrs = req.send().await.unwrap().attributes.unwrap();
    attrs.values().map(|v| v.parse::<usize>().unwrap()).sum()
}

async fn count(p: &Pipeline, url: &str) -> usize {
    queue_len(p, url, true).await
}

async fn visible(p: &Pipeline, url: &str) -> usize {
    queue_len(p, url, false).await
}

#[tokio::test]
async fn each_filter_selects_exactly_its_messages_and_dry_run_moves_nothing() {
    let p = pipeline(5).await;
    let t0 = time::OffsetDateTime::now_utc() - time::Duration::hours(3);
    let hour = time::Duration::hours(1);
    dead_letter(
        &p,
        "bubble",
        "MESSAGE_CREATE",
        "b1",
        t0,
        Some("downstream answered 422"),
    )
    .await;
    dead_letter(
        &p,
        "bubble",
        "GUILD_MEMBER_ADD",
        "b2",
        t0 + hour,
        Some("payload does not match"),
    )
    .await;
    dead_letter(&p, "groupgm", "member.joined", "g1", t0 + hour * 2, None).await;
    dead_letter(
        &p,
        "sendbird",
        "group_channel:message_send",
        "s1",
        t0 + hour * 2,
        Some("downstream answered 422"),
    )
    .await;
    let dry = ReplayOptions {
        dry_run: true,
        ..Default::default()
    };
    let cases: Vec<(&str, ReplayFilter, Vec<&str>)> = vec![
        ("all", ReplayFilter::default(), vec!["b1", "b2", "g1", "s1"]),
        (
            "source",
            ReplayFilter {
                source: Some("bubble".into()),
                ..Default::default()
            },
            vec!["b1", "b2"],
        ),
        (
            "event type",
            ReplayFilter {
                event_type: Some("member.joined".into()),
                ..Default::default()
            },
            vec!["g1"],
        ),
        (
            "event id",
            ReplayFilter {
                event_id: Some("s1".into()),
                ..Default::default()
            },
            vec!["s1"],
        ),
        (
            "since",
            ReplayFilter {
                since: Some(t0 + hour),
                ..Default::default()
            },
            vec!["b2", "g1", "s1"],
        ),
        (
            "until",
            ReplayFilter {
                until: Some(t0 + hour),
                ..Default::default()
            },
            vec!["b1", "b2"],
        ),
        (
            "reason",
            ReplayFilter {
                reason: Some("422".into()),
                ..Default::default()
            },
            vec!["b1", "s1"],
        ),
        (
            "exhausted retries",
            ReplayFilter {
                reason: Some(REASON_MAX_RECEIVES.into()),
                ..Default::default()
            },
            vec!["g1"],
        ),
        (
            "combined",
            ReplayFilter {
                source: Some("bubble".into()),
                reason: Some("422".into()),
                ..Default::default()
            },
            vec!["b1"],
        ),
        (
            "no match",
            ReplayFilter {
                source: Some("nope".into()),
                ..Default::default()
            },
            vec![],
        ),
    ];
    for (what, f, want) in cases {
        let r = replay(&p.sqs, &p.dlq_url, &p.queue_url, &f, &dry, |_| {})
            .await
            .unwrap();
        assert_eq!(ids(&r), want, "{what}");
        assert_eq!(r.moved, 0, "{what}: dry run");
        assert_eq!(r.skipped, 4 - want.len(), "{what}");
        // Everything is back and visible at once (released, not hidden for the hold).
        assert_eq!(
            visible(&p, &p.dlq_url).await,
            4,
            "{what}: released promptly"
        );
    }
    assert_eq!(count(&p, &p.queue_url).await, 0, "dry runs moved nothing");

    // --limit: at most N.
    let r = replay(
        &p.sqs,
        &p.dlq_url,
        &p.queue_url,
        &ReplayFilter::default(),
        &ReplayOptions {
            limit: Some(1),
            ..Default::default()
        },
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(r.moved, 1);
    // A real run by source moves exactly those and leaves the rest visible.
    let r = replay(
        &p.sqs,
        &p.dlq_url,
        &p.queue_url,
        &ReplayFilter {
            source: Some("groupgm".into()),
            ..Default::default()
        },
        &ReplayOptions::default(),
        |_| {},
    )
    .await
    .unwrap();
    let moved_g1 = r.moved;
    let moved: Vec<_> = drain(&p.sqs, &p.queue_url, 10).await;
    assert_eq!(moved.len(), 1 + moved_g1);
    let bodies: Vec<String> = moved
        .iter()
        .map(|m| Envelope::from_json(m.body().unwrap()).unwrap().event_id)
        .collect();
    if moved_g1 == 1 {
        assert!(bodies.contains(&"g1".to_owned()));
    }
    // The copy carries the event attributes but not the old failure reason.
    for m in &moved {
        let a = m.message_attributes().unwrap();
        assert!(a.contains_key("source") && a.contains_key("event_id"));
        assert!(!a.contains_key("failure_reason"));
    }
    assert_eq!(visible(&p, &p.dlq_url).await, 4 - moved.len());
}

#[tokio::test]
async fn a_crash_between_send_and_delete_loses_nothing_and_a_rerun_converges() {
    let p = pipeline(5).await;
    let t = time::OffsetDateTime::now_utc();
    for i in 0..20 {
        dead_letter(
            &p,
            "bubble",
            "MESSAGE_CREATE",
            &format!("c{i}"),
            t,
            Some("downstream answered 422"),
        )
        .await;
    }
    let opts = ReplayOptions {
        hold: Duration::from_secs(2),
        crash_after_sends: Some(5),
        ..Default::default()
    };
    let err = replay(
        &p.sqs,
        &p.dlq_url,
        &p.queue_url,
        &ReplayFilter::default(),
        &opts,
        |_| {},
    )
    .await;
    assert!(err.is_err(), "the simulated crash");
    // Every event is in at least one queue: 4 moved completely, the 5th copied but not yet
    // deleted (in both), 15 untouched.
    assert_eq!(count(&p, &p.dlq_url).await, 16);
    assert_eq!(count(&p, &p.queue_url).await, 5);
    // The crashed run's holds expire; the re-run moves everything.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let r = replay(
        &p.sqs,
        &p.dlq_url,
        &p.queue_url,
        &ReplayFilter::default(),
        &ReplayOptions::default(),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(r.moved, 16);
    assert_eq!(count(&p, &p.dlq_url).await, 0);
    assert_eq!(count(&p, &p.queue_url).await, 21, "one event twice");
    // The processor turns 21 messages into 20 handled events.
    let handled = Arc::new(AtomicUsize::new(0));
    let h = handled.clone();
    let mut router = Router::new();
    router.fallback(move |_e: Event| {
        let h = h.clone();
        async move {
            h.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    let proc = processor(&p, router);
    let mut outcomes = Vec::new();
    for _ in 0..40 {
        let batch = p.receive(10).await;
        if batch.is_empty() {
            if count(&p, &p.queue_url).await == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        let res = proc.process_batch(batch.clone()).await;
        p.ack(&batch, &res.failures).await;
        outcomes.extend(res.outcomes.into_iter().map(|(_, o)| o));
    }
    assert_eq!(handled.load(Ordering::SeqCst), 20);
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == Outcome::Completed)
            .count(),
        20
    );
}

fn processor(
    p: &Pipeline,
    router: Router,
) -> Processor<DynamoDbEventStore, SqsDeadLetterQueue, SqsRetryScheduler> {
    Processor::new(
        DynamoDbEventStore::new(p.ddb.clone(), &p.table),
        SqsDeadLetterQueue::new(p.sqs.clone(), &p.dlq_url),
        SqsRetryScheduler::new(p.sqs.clone(), &p.queue_url),
        router,
        ProcessorConfig {
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(1),
            ..Default::default()
        },
    )
    .with_metrics_sink(Arc::new(|_: &str| {}))
}

#[tokio::test]
async fn replayed_failed_event_runs_again_and_a_completed_one_is_skipped() {
    let p = pipeline(5).await;
    let broken = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let runs = Arc::new(AtomicUsize::new(0));
    let (b, r) = (broken.clone(), runs.clone());
    let mut router = Router::new();
    router.fallback(move |_e: Event| {
        let (b, r) = (b.clone(), r.clone());
        async move {
            if b.load(Ordering::SeqCst) {
                return Err(HandlerError::permanent("downstream answered 422"));
            }
            r.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    let proc = processor(&p, router);
    p.send_event("stripe", "invoice.paid", "evt_A", "{}").await;
    p.send_event("stripe", "invoice.paid", "evt_B", "{}").await;
    let batch = p.receive(10).await;
    let res = proc.process_batch(batch.clone()).await;
    p.ack(&batch, &res.failures).await;
    assert_eq!(p.record("stripe", "evt_A").await.unwrap().status, "FAILED");
    assert_eq!(count(&p, &p.dlq_url).await, 2);

    // The cause is fixed; evt_B is also delivered again by the provider and completes first.
    broken.store(false, Ordering::SeqCst);
    p.send_event("stripe", "invoice.paid", "evt_B", "{}").await;
    let batch = p.receive(10).await;
    let res = proc.process_batch(batch.clone()).await;
    p.ack(&batch, &res.failures).await;
    assert_eq!(
        p.record("stripe", "evt_B").await.unwrap().status,
        "COMPLETED"
    );

    let r = p.replay_all().await;
    assert_eq!(r.moved, 2);
    let batch = p.receive(10).await;
    let res = proc.process_batch(batch.clone()).await;
    p.ack(&batch, &res.failures).await;
    let mut outs: Vec<_> = res.outcomes.into_iter().map(|(_, o)| o).collect();
    outs.sort_by_key(|o| format!("{o:?}"));
    assert_eq!(outs, vec![Outcome::Completed, Outcome::Duplicate]);
    assert_eq!(
        p.record("stripe", "evt_A").await.unwrap().status,
        "COMPLETED"
    );
    assert_eq!(p.record("stripe", "evt_A").await.unwrap().attempts, 2);
    assert_eq!(
        runs.load(Ordering::SeqCst),
        2,
        "evt_B once (before replay), evt_A once"
    );
}

/// An event that still fails is dead-lettered again (a new message) while the replay runs:
/// the run sends it once and leaves the new copy in the DLQ; it does not loop.
#[tokio::test]
async fn replay_of_an_event_that_still_fails_sends_it_once_per_run() {
    let p = pipeline(5).await;
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let mut router = Router::new();
    router.fallback(move |_e: Event| {
        let r = r.clone();
        async move {
            r.fetch_add(1, Ordering::SeqCst);
            Err(HandlerError::permanent("downstream answered 404"))
        }
    });
    let proc = processor(&p, router);
    dead_letter(
        &p,
        "groupgm",
        "member.left",
        "still-failing",
        time::OffsetDateTime::now_utc(),
        Some("downstream answered 404"),
    )
    .await;
    // The processor runs alongside, as Lambda would, for a bounded time.
    let worker = async {
        for _ in 0..60 {
            let batch = p.receive(10).await;
            if !batch.is_empty() {
                let res = proc.process_batch(batch.clone()).await;
                p.ack(&batch, &res.failures).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let (filter, opts) = (
        ReplayFilter::default(),
        ReplayOptions {
            deadline: Duration::from_secs(30),
            ..Default::default()
        },
    );
    let (report, ()) = tokio::join!(
        replay(&p.sqs, &p.dlq_url, &p.queue_url, &filter, &opts, |_| {}),
        worker
    );
    let report = report.unwrap();
    assert_eq!(report.moved, 1, "sent once in this run: {report:?}");
    assert_eq!(
        report.replayed_already, 1,
        "the new DLQ copy was seen and left"
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1, "handled once");
    let left = p.dlq_messages().await;
    assert_eq!(
        left.len(),
        1,
        "the new copy waits in the DLQ for the next run"
    );
    let rec = p.record("groupgm", "still-failing").await.unwrap();
    assert_eq!(
        (rec.status.as_str(), rec.failure.as_deref()),
        ("FAILED", Some("permanent"))
    );
}

#[tokio::test]
async fn a_thousand_messages_at_a_set_rate_report_correct_counts() {
    let p = pipeline(5).await;
    let t = time::OffsetDateTime::now_utc();
    // 1000 dead letters, half from each of two sources, sent in batches of 10.
    for chunk in 0..100 {
        let entries: Vec<_> = (0..10)
            .map(|j| {
                let i = chunk * 10 + j;
                let source = if i % 2 == 0 { "bubble" } else { "groupgm" };
                let env =
                    Envelope::new(source, "t", &format!("k{i}"), t, b"{}", Default::default());
                aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                    .id(format!("e{j}"))
                    .message_body(env.to_json())
                    .message_attributes("source", string_attr(source))
                    .build()
                    .unwrap()
            })
            .collect();
        p.sqs
            .send_message_batch()
            .queue_url(&p.dlq_url)
            .set_entries(Some(entries))
            .send()
            .await
            .unwrap();
    }
    let mut last = hookwell::replay::ReplayReport::default();
    let opts = ReplayOptions {
        rate: Some(400.0),
        ..Default::default()
    };
    let r = replay(
        &p.sqs,
        &p.dlq_url,
        &p.queue_url,
        &ReplayFilter {
            source: Some("bubble".into()),
            ..Default::default()
        },
        &opts,
        |x| last = x.clone(),
    )
    .await
    .unwrap();
    assert_eq!((r.moved, r.skipped, r.failed), (500, 500, 0));
    assert_eq!(last.moved, 500, "progress saw the final count");
    assert_eq!(count(&p, &p.queue_url).await, 500);
    assert_eq!(count(&p, &p.dlq_url).await, 500);
    // Keep moto's queues small for the rest of the suite.
    p.sqs
        .purge_queue()
        .queue_url(&p.queue_url)
        .send()
        .await
        .unwrap();
    p.sqs
        .purge_queue()
        .queue_url(&p.dlq_url)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn redrive_builds_the_move_task_and_says_when_the_endpoint_lacks_it() {
    let p = pipeline(5).await;
    let req = hookwell::replay::redrive_request(
        &p.sqs,
        "arn:aws:sqs:us-east-1:123456789012:x-dlq",
        Some("arn:aws:sqs:us-east-1:123456789012:x-events"),
        Some(50),
    );
    assert_eq!(
        req.get_source_arn().as_deref(),
        Some("arn:aws:sqs:us-east-1:123456789012:x-dlq")
    );
    assert_eq!(req.get_max_number_of_messages_per_second(), &Some(50));
    // The processor's own dead letters carry no source queue: the events queue is named.
    assert_eq!(
        req.get_destination_arn().as_deref(),
        Some("arn:aws:sqs:us-east-1:123456789012:x-events")
    );
    // moto does not implement StartMessageMoveTask: the error says so plainly.
    let arn = hookwell::queue::queue_arn(&p.sqs, &p.dlq_url)
        .await
        .unwrap();
    let err = hookwell::replay::redrive_request(&p.sqs, &arn, None, None)
        .send()
        .await
        .unwrap_err();
    let classified = hookwell::replay::classify_redrive_error(&err);
    assert!(
        matches!(classified, hookwell::replay::RedriveError::Unsupported),
        "{classified}"
    );
    assert!(classified.to_string().contains("hookwell replay"));
}
