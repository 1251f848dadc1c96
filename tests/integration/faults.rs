//! Fault injection: the AWS endpoint cut while deliveries arrive or while the processor runs,
//! a processor process killed mid-batch, a handler failing N times, and 100 concurrent
//! deliveries of one event. The ingest and processor are the library components the Lambda
//! functions wire up, with the real SDK against moto; faults come from a loopback proxy that
//! can be cut ([`FaultProxy`]) and from SIGKILL. The handler is the built-in `forward` route,
//! its effect counted at `hookwell sink`.
//!
//! Settings are the deployed ones, read from `template.yaml`: the queue's visibility timeout
//! and maxReceiveCount, the processor's lease and retry schedule. Only the schedule's time is
//! compressed ([`SCALE`]: an hour of it passes in 30 s), and the SIGKILL test shortens the
//! lease, the one wait it has to sit out.

use crate::processor::{processor, run_until_idle};
use hookwell::processor::Outcome;
use hookwell::queue::{SqsDeadLetterQueue, SqsRetryScheduler};
use hookwell::{
    DynamoDbEventStore, Ingest, Processor, ProcessorConfig, SourcesCell, SqsEventQueue,
};
use hookwell_tests::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const SOURCES: [&str; 3] = ["groupgm", "sendbird", "github"];

/// The retry schedule runs this much faster than deployed: one hour in 30 s.
const SCALE: f64 = 1.0 / 120.0;

fn deployed() -> hookwell_cli::stack::Stack {
    hookwell_cli::stack::Stack::from_template(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml"),
        "hookwell-faults",
    )
    .unwrap()
}

/// Queue and DLQ as deployed (visibility timeout, maxReceiveCount).
async fn production_pipeline() -> Pipeline {
    let s = deployed();
    pipeline_with(s.queue_visibility_timeout_secs, s.max_receive_count).await
}

/// The processor as deployed, its retry schedule scaled by [`SCALE`].
fn production_config() -> ProcessorConfig {
    let s = deployed();
    ProcessorConfig {
        lease: Duration::from_secs(s.lease_secs.into()),
        retention: Duration::from_secs(u64::from(s.retention_hours) * 3600),
        schedule: hookwell::retry::RetrySchedule::parse(&s.retry_schedule)
            .unwrap()
            .scaled(SCALE),
        ..ProcessorConfig::default()
    }
}

fn ingest(sqs: aws_sdk_sqs::Client, queue_url: &str) -> Ingest<SqsEventQueue> {
    Ingest::new(
        SourcesCell::new(dev_sources()),
        SqsEventQueue::new(sqs, queue_url),
    )
    .with_metrics_sink(Arc::new(|_: &str| {}))
}

/// Delivers one sample event per seed, all at once: (status, source, event id) per delivery,
/// the id read from ingest's JSON answer (empty when refused).
async fn deliver(
    ingest: &Ingest<SqsEventQueue>,
    seeds: std::ops::Range<u64>,
) -> Vec<(u16, &'static str, String)> {
    let calls = seeds.map(|seed| {
        let source = SOURCES[(seed % 3) as usize];
        let req = signed_request(source, seed);
        async move {
            let resp = ingest.handle(req).await;
            let body: serde_json::Value = serde_json::from_str(resp.body()).unwrap();
            let id = body["event_id"].as_str().unwrap_or("").to_owned();
            (resp.status().as_u16(), source, id)
        }
    });
    futures::future::join_all(calls).await
}

/// Runs the processor until the sink has seen `want` distinct events (bounded in rounds).
async fn process_until(
    p: &Pipeline,
    proc: &crate::processor::Proc,
    sink: &hookwell_cli::sink::Sink,
    want: usize,
) {
    for _ in 0..60 {
        run_until_idle(p, proc, 20).await;
        if sink.distinct() >= want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn queue_unreachable_while_deliveries_arrive_is_503_and_nothing_is_lost() {
    let p = production_pipeline().await;
    let proxy = FaultProxy::start().await;
    let (sqs_via_proxy, _) = proxy.clients().await;
    let ingest = ingest(sqs_via_proxy, &p.queue_url);

    let before = deliver(&ingest, 0..10).await;
    proxy.set_down(true);
    let during = deliver(&ingest, 10..20).await;
    proxy.set_down(false);
    let after = deliver(&ingest, 20..30).await;
    // The provider retries what was refused.
    let retried = deliver(&ingest, 10..20).await;

    assert!(before
        .iter()
        .chain(&after)
        .chain(&retried)
        .all(|(s, _, _)| *s == 200));
    assert!(
        during.iter().all(|(s, _, id)| *s == 503 && id.is_empty()),
        "{during:?}"
    );
    assert!(proxy.refused.load(Ordering::SeqCst) >= 10);
    // Nothing half-accepted: exactly the 30 answered 200 are in the queue.
    assert_eq!(queue_depth(&p.sqs, &p.queue_url).await, (30, 0));

    let sink = start_sink().await;
    let proc = processor(&p, forward_router(&sink), production_config());
    process_until(&p, &proc, &sink, 30).await;
    for (_, _, id) in before.iter().chain(&after).chain(&retried) {
        assert_eq!(sink.count(id), 1, "event {id} handled once");
    }
    assert_eq!(sink.total(), 30);
    assert!(p.dlq_messages().await.is_empty());
}

#[tokio::test]
async fn table_unreachable_while_processing_is_retried_then_processed_once() {
    let p = production_pipeline().await;
    let proxy = FaultProxy::start().await;
    let (_, ddb_via_proxy) = proxy.clients().await;
    let sink = start_sink().await;
    let proc = Processor::new(
        DynamoDbEventStore::new(ddb_via_proxy, &p.table),
        SqsDeadLetterQueue::new(p.sqs.clone(), &p.dlq_url),
        SqsRetryScheduler::new(p.sqs.clone(), &p.queue_url),
        forward_router(&sink),
        production_config(),
    )
    .with_metrics_sink(Arc::new(|_: &str| {}));
    let ingest = ingest(p.sqs.clone(), &p.queue_url);

    let first = deliver(&ingest, 100..105).await;
    process_until(&p, &proc, &sink, 5).await;
    assert_eq!(sink.total(), 5);

    let second = deliver(&ingest, 105..115).await;
    proxy.set_down(true);
    let batch = p.receive(10).await;
    assert_eq!(batch.len(), 10);
    let res = proc.process_batch(batch.clone()).await;
    p.ack(&batch, &res.failures).await;
    assert_eq!(res.failures.len(), 10, "every record reported failed");
    assert!(res
        .outcomes
        .iter()
        .all(|(_, o)| matches!(o, Outcome::Unavailable(_))));
    assert_eq!(sink.total(), 5, "no handler ran without a claim");
    for (_, source, id) in &second {
        assert!(
            p.record(source, id).await.is_none(),
            "nothing marked for {id}"
        );
    }

    proxy.set_down(false);
    process_until(&p, &proc, &sink, 15).await;
    for (_, _, id) in first.iter().chain(&second) {
        assert_eq!(sink.count(id), 1, "event {id} handled once");
    }
    assert_eq!(sink.total(), 15);
    assert_eq!(queue_depth(&p.sqs, &p.queue_url).await, (0, 0));
    assert!(p.dlq_messages().await.is_empty());
}

/// A downstream that answers 503 (until its `status` is changed) and counts every call.
async fn failing_sink() -> (hookwell_cli::sink::Sink, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let sink = hookwell_cli::sink::Sink::start(
        "127.0.0.1:0",
        "/hooks",
        Some(SINK_SECRET.to_owned()),
        503,
        move |_| {
            c.fetch_add(1, Ordering::SeqCst);
        },
    )
    .await
    .unwrap();
    (sink, calls)
}

#[tokio::test]
async fn handler_failing_three_times_then_succeeding_runs_to_completion_once() {
    let p = production_pipeline().await;
    let (sink, attempts) = failing_sink().await;
    let status = sink.status.clone();
    let proc = processor(&p, forward_router(&sink), production_config());
    let ingest = ingest(p.sqs.clone(), &p.queue_url);
    let delivered = deliver(&ingest, 200..201).await;
    let (_, source, id) = &delivered[0];
    for _ in 0..240 {
        if attempts.load(Ordering::SeqCst) >= 3 {
            status.store(200, Ordering::SeqCst);
        }
        run_until_idle(&p, &proc, 3).await;
        if sink.count(id) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        4,
        "three 503s, then the 200"
    );
    assert_eq!(sink.count(id), 1);
    let rec = p.record(source, id).await.unwrap();
    assert_eq!((rec.status.as_str(), rec.attempts), ("COMPLETED", 4));
    assert!(p.dlq_messages().await.is_empty());
}

#[tokio::test]
async fn hundred_concurrent_deliveries_of_one_event_have_one_effect() {
    let p = production_pipeline().await;
    let sink = start_sink().await;
    let ingest = ingest(p.sqs.clone(), &p.queue_url);
    // One provider event delivered 100 times at once (same bytes, same signature).
    let req = signed_request("sendbird", 300);
    let answers = futures::future::join_all((0..100).map(|_| ingest.handle(req.clone()))).await;
    assert!(answers.iter().all(|r| r.status() == 200));
    let id: serde_json::Value = serde_json::from_str(answers[0].body()).unwrap();
    let id = id["event_id"].as_str().unwrap().to_owned();

    // Four processors at once, as Lambda scales out over the batches.
    let workers = (0..4).map(|_| {
        let proc = processor(&p, forward_router(&sink), production_config());
        let p = &p;
        async move {
            let mut outcomes = Vec::new();
            for _ in 0..80 {
                outcomes.extend(run_until_idle(p, &proc, 20).await);
                if queue_depth(&p.sqs, &p.queue_url).await == (0, 0) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            outcomes
        }
    });
    let outcomes: Vec<Outcome> = futures::future::join_all(workers)
        .await
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(sink.count(&id), 1, "one handler effect");
    assert_eq!(sink.total(), 1);
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == Outcome::Completed)
            .count(),
        1
    );
    // SQS delivers at least once: on a loaded machine a message can come back before its
    // delete, and is then a duplicate again. Every copy ends as a duplicate, none as an effect.
    assert!(
        outcomes
            .iter()
            .filter(|o| **o == Outcome::Duplicate)
            .count()
            >= 99,
        "{outcomes:?}"
    );
    assert!(p.dlq_messages().await.is_empty());
    assert_eq!(queue_depth(&p.sqs, &p.queue_url).await, (0, 0));
}

#[tokio::test]
async fn processor_killed_mid_batch_is_reprocessed_after_the_lease() {
    // Messages come back 3 s after a receive; claims lapse after 3 s (deployed: 180 s and
    // 60 s, the waits this test would otherwise sit out). maxReceiveCount as deployed: a held
    // claim is looked at again at most until just past the lease.
    let p = pipeline_with(3, deployed().max_receive_count).await;
    let in_flight = Arc::new(AtomicUsize::new(0));
    let f = in_flight.clone();
    let sink = hookwell_cli::sink::Sink::start(
        "127.0.0.1:0",
        "/hooks",
        Some(SINK_SECRET.to_owned()),
        200,
        move |_| {
            f.fetch_add(1, Ordering::SeqCst);
        },
    )
    .await
    .unwrap();
    // The downstream hangs, so the worker is killed with every handler call in flight.
    sink.delay_ms.store(60_000, Ordering::SeqCst);
    let ingest = ingest(p.sqs.clone(), &p.queue_url);
    let delivered = deliver(&ingest, 400..405).await;

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_process_once"))
        .env("HOOKWELL_QUEUE_URL", &p.queue_url)
        .env("HOOKWELL_DLQ_URL", &p.dlq_url)
        .env("HOOKWELL_TABLE", &p.table)
        .env("HOOKWELL_SINK_URL", sink.url())
        .env("HOOKWELL_LEASE_SECS", "3")
        .env(
            "HOOKWELL_SOURCES_FILE",
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/local/sources.json"),
        )
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..200 {
        if in_flight.load(Ordering::SeqCst) >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        in_flight.load(Ordering::SeqCst),
        5,
        "all five handler calls in flight"
    );
    child.kill().unwrap(); // SIGKILL: no cleanup, claims left IN_PROGRESS
    child.wait().unwrap();
    for (_, source, id) in &delivered {
        let rec = p.record(source, id).await.unwrap();
        assert_eq!(
            rec.status.as_str(),
            "IN_PROGRESS",
            "the dead worker's claim is left"
        );
    }
    sink.delay_ms.store(0, Ordering::SeqCst);

    let proc = processor(
        &p,
        forward_router(&sink),
        ProcessorConfig {
            lease: Duration::from_secs(3),
            ..production_config()
        },
    );
    let mut completed = 0;
    for _ in 0..60 {
        completed += run_until_idle(&p, &proc, 5)
            .await
            .iter()
            .filter(|o| **o == Outcome::Completed)
            .count();
        if completed >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(completed, 5, "every event reprocessed after the lease");
    for (_, _, id) in &delivered {
        // The killed attempt reached the downstream and the rerun did again, with the same
        // webhook-id: a receiver that keys on it applies the effect once.
        assert_eq!(sink.count(id), 2, "event {id}");
    }
    assert_eq!(sink.distinct(), 5);
    assert_eq!(queue_depth(&p.sqs, &p.queue_url).await, (0, 0));
    assert!(p.dlq_messages().await.is_empty());
}

/// A downstream outage of an hour (30 s at [`SCALE`]): every event fails, waits the
/// schedule's steps, and completes once after the recovery; nothing reaches the DLQ.
#[tokio::test]
async fn an_hour_long_downstream_outage_heals_by_itself() {
    let p = production_pipeline().await;
    let (sink, attempts) = failing_sink().await;
    let proc = processor(&p, forward_router(&sink), production_config());
    let ingest = ingest(p.sqs.clone(), &p.queue_url);
    let delivered = deliver(&ingest, 500..505).await;
    let outage = Duration::from_secs_f64(3600.0 * SCALE);
    let started = std::time::Instant::now();
    let mut recovered = false;
    // Bounded: the schedule's fifth attempt lands 62-78 s in at this scale.
    while started.elapsed() < Duration::from_secs(150) {
        if !recovered && started.elapsed() >= outage {
            sink.status.store(200, Ordering::SeqCst);
            recovered = true;
        }
        run_until_idle(&p, &proc, 5).await;
        if sink.distinct() == delivered.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(recovered);
    for (_, source, id) in &delivered {
        assert_eq!(
            sink.count(id),
            1,
            "event {id} delivered once after the outage"
        );
        let rec = p.record(source, id).await.unwrap();
        assert_eq!(rec.status, "COMPLETED");
        assert!(
            (4..=5).contains(&rec.attempts),
            "the outage spanned four steps: {rec:?}"
        );
    }
    assert!(
        attempts.load(Ordering::SeqCst) >= 15,
        "failed attempts reached the downstream"
    );
    eprintln!(
        "outage drill at scale 1/{:.0}: {} events, {} downstream calls, all completed {:.1} s after the first delivery (outage {:.0} s)",
        1.0 / SCALE,
        delivered.len(),
        attempts.load(Ordering::SeqCst),
        started.elapsed().as_secs_f64(),
        outage.as_secs_f64()
    );
    assert!(p.dlq_messages().await.is_empty(), "nothing dead-lettered");
    assert_eq!(queue_depth(&p.sqs, &p.queue_url).await, (0, 0));
}

/// Delivers one event whose handler, on its first run, cuts the table right after its side
/// effect (so the COMPLETED write fails) and restores it `restore_after` later; processes
/// until the event completes (bounded). Returns the pipeline, the handler's run count and the
/// event's source and id.
async fn cut_table_after_handlers(
    restore_after: Duration,
) -> (Pipeline, Arc<AtomicUsize>, String, String) {
    let p = production_pipeline().await;
    let proxy = FaultProxy::start().await;
    let (_, ddb_via_proxy) = proxy.clients().await;
    let runs = Arc::new(AtomicUsize::new(0));
    let (r, cut) = (runs.clone(), proxy.clone());
    let mut router = hookwell::Router::new();
    router.fallback(move |_e: hookwell::Event| {
        let (r, cut) = (r.clone(), cut.clone());
        async move {
            // The first run's side effect happens, then the table goes away before the
            // COMPLETED write, and comes back `restore_after` later.
            if r.fetch_add(1, Ordering::SeqCst) == 0 {
                cut.set_down(true);
                tokio::spawn(async move {
                    tokio::time::sleep(restore_after).await;
                    cut.set_down(false);
                });
            }
            Ok(())
        }
    });
    let proc = Processor::new(
        DynamoDbEventStore::new(ddb_via_proxy, &p.table),
        SqsDeadLetterQueue::new(p.sqs.clone(), &p.dlq_url),
        SqsRetryScheduler::new(p.sqs.clone(), &p.queue_url),
        router,
        production_config(),
    )
    .with_metrics_sink(Arc::new(|_: &str| {}));
    let ingest = ingest(p.sqs.clone(), &p.queue_url);
    let (_, source, id) = deliver(&ingest, 600..601).await.remove(0);
    let started = std::time::Instant::now();
    // Bounded: the lease (60 s deployed) plus room.
    while started.elapsed() < Duration::from_secs(120) {
        let outcomes = run_until_idle(&p, &proc, 3).await;
        if outcomes.contains(&Outcome::Completed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    (p, runs, source.to_owned(), id)
}

/// The handlers ran and the COMPLETED write failed for a moment: retried in place, the
/// handlers do not run again.
#[tokio::test]
async fn a_completed_write_failing_briefly_is_retried_in_place() {
    let (p, runs, source, id) = cut_table_after_handlers(Duration::from_millis(800)).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1, "handlers ran once");
    let rec = p.record(&source, &id).await.unwrap();
    assert_eq!((rec.status.as_str(), rec.attempts), ("COMPLETED", 1));
    assert!(p.dlq_messages().await.is_empty());
    assert_eq!(queue_depth(&p.sqs, &p.queue_url).await, (0, 0));
}

/// The handlers ran and the table stayed away past the in-place retries: the claim is held
/// until its lease, the message waits just past it (receives cost no step), the next attempt
/// completes the event. Nothing reaches the DLQ.
#[tokio::test]
async fn a_completed_write_failing_for_longer_never_reaches_the_dlq() {
    let (p, runs, source, id) = cut_table_after_handlers(Duration::from_secs(40)).await;
    let rec = p.record(&source, &id).await.unwrap();
    assert_eq!(rec.status, "COMPLETED");
    assert_eq!(
        runs.load(Ordering::SeqCst),
        2,
        "one more run after the lease (handlers tolerate a repeat)"
    );
    assert_eq!(rec.attempts, 2);
    assert!(p.dlq_messages().await.is_empty());
    assert_eq!(queue_depth(&p.sqs, &p.queue_url).await, (0, 0));
}
