//! Processor throughput on batches of 10 against the local AWS (moto), and DynamoDB writes per
//! fresh event and per duplicate. Run: `make bench-processor` (starts moto itself).
//! moto is one Python process: these figures measure hookwell's call pattern against it, not
//! DynamoDB's latency.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::print_stdout)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hookwell::queue::{InboundMessage, SqsDeadLetterQueue, SqsRetryScheduler};
use hookwell::{DynamoDbEventStore, Processor, ProcessorConfig, Router};
use hookwell_tests::{pipeline, CountRequests, Pipeline};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

type Proc = Processor<DynamoDbEventStore, SqsDeadLetterQueue, SqsRetryScheduler>;

async fn batch_of(p: &Pipeline, ids: &[String]) -> Vec<InboundMessage> {
    for id in ids {
        p.send_event(
            "bubble",
            "MESSAGE_CREATE",
            id,
            r#"{"type":"MESSAGE_CREATE"}"#,
        )
        .await;
    }
    let mut got = Vec::new();
    for _ in 0..20 {
        got.extend(p.receive(10 - got.len() as i32).await);
        if got.len() >= ids.len() {
            break;
        }
    }
    got
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (p, proc, writes) = rt.block_on(async {
        let p = pipeline(5).await;
        let writes = CountRequests::default();
        let sdk = hookwell_tests::sdk().await;
        let ddb = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk)
                .interceptor(writes.clone())
                .build(),
        );
        let mut router = Router::new();
        router.fallback(|_e: hookwell::Event| async { Ok(()) });
        let proc: Proc = Processor::new(
            DynamoDbEventStore::new(ddb, &p.table),
            SqsDeadLetterQueue::new(p.sqs.clone(), &p.dlq_url),
            SqsRetryScheduler::new(p.sqs.clone(), &p.queue_url),
            router,
            ProcessorConfig::default(),
        )
        .with_metrics_sink(Arc::new(|_: &str| {}));
        (p, proc, writes)
    });
    let n = AtomicUsize::new(0);
    let fresh_ids = || -> Vec<String> {
        (0..10)
            .map(|_| format!("ev-{}", n.fetch_add(1, Ordering::Relaxed)))
            .collect()
    };

    // Writes per event, counted once outside the timing loop.
    let (fresh_w, dup_w) = rt.block_on(async {
        let ids = fresh_ids();
        let b = batch_of(&p, &ids).await;
        writes.0.store(0, Ordering::Relaxed);
        let r = proc.process_batch(b.clone()).await;
        p.ack(&b, &r.failures).await;
        let fresh = writes.0.swap(0, Ordering::Relaxed);
        let b = batch_of(&p, &ids).await;
        let r = proc.process_batch(b.clone()).await;
        p.ack(&b, &r.failures).await;
        (fresh, writes.0.swap(0, Ordering::Relaxed))
    });
    println!(
        "DynamoDB writes: {:.1} per fresh event, {:.1} per duplicate",
        fresh_w as f64 / 10.0,
        dup_w as f64 / 10.0
    );

    let (p, proc) = (&p, &proc);
    let mut g = c.benchmark_group("processor_batch_of_10");
    g.sample_size(20);
    g.throughput(Throughput::Elements(10));
    // Only `process_batch` and the deletes are timed; sending and receiving the batch is set-up.
    g.bench_function("fresh", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let batch = batch_of(p, &fresh_ids()).await;
                    let t = Instant::now();
                    let r = proc.process_batch(batch.clone()).await;
                    p.ack(&batch, &r.failures).await;
                    total += t.elapsed();
                    assert!(r.failures.is_empty());
                }
                total
            })
        })
    });
    let dup_ids = fresh_ids();
    rt.block_on(async {
        let b = batch_of(p, &dup_ids).await;
        let r = proc.process_batch(b.clone()).await;
        p.ack(&b, &r.failures).await;
    });
    g.bench_function("duplicates", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let batch = batch_of(p, &dup_ids).await;
                    let t = Instant::now();
                    let r = proc.process_batch(batch.clone()).await;
                    p.ack(&batch, &r.failures).await;
                    total += t.elapsed();
                    assert!(r.failures.is_empty());
                }
                total
            })
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
