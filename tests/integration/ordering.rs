//! Per-channel ordering on FIFO queues (`OrderedDelivery=true`), against the local AWS: ingest
//! puts each event in its channel's message group (`order_by`), the processor handles a
//! group's events one after another, and a failing event holds back its own channel only,
//! across its retries.
//!
//! The source is a custom one (HMAC, type and id read from the body), because the seed
//! providers document no bodies for message updates and deletes; its events carry the channel
//! at `/data/channelId`, where Bubble's and the group manager's documented bodies have it.

use hookwell::handler::{Event, HandlerError, Router};
use hookwell::queue::{SqsDeadLetterQueue, SqsRetryScheduler};
use hookwell::retry::RetrySchedule;
use hookwell::{
    DynamoDbEventStore, Ingest, IngestRequest, Processor, ProcessorConfig, Sources, SourcesCell,
    SqsEventQueue,
};
use hookwell_tests::*;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SOURCES: &str = r#"{"sources":{"chat":{
  "scheme":"hmac","hmac":{"header":"X-Chat-Signature","algorithm":"sha256","encoding":"hex"},
  "identity":{"event_type":[{"field":"/type"}],"event_id":[{"field":"/id"}]},
  "order_by":"/data/channelId",
  "secrets":["chat-ordering-test-secret"]}}}"#;

fn delivery(sources: &Sources, id: &str, kind: &str, channel: &str) -> IngestRequest {
    let body = serde_json::json!({"id": id, "type": kind, "data": {"channelId": channel, "messageId": "m1"}})
        .to_string();
    let mut req = http::Request::builder()
        .method("POST")
        .uri("/webhooks/chat")
        .body(())
        .unwrap();
    for (k, v) in sign(sources, "chat", body.as_bytes(), now()) {
        req.headers_mut().insert(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            http::HeaderValue::from_str(&v).unwrap(),
        );
    }
    IngestRequest::from_parts(req.into_parts().0, body.into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_channel_in_order_across_retries_without_blocking_others() {
    let p = pipeline_fifo(30, 100).await;
    let sources = Sources::from_json(SOURCES).unwrap();
    let ingest = Ingest::new(
        SourcesCell::new(Sources::from_json(SOURCES).unwrap()),
        SqsEventQueue::new(p.sqs.clone(), &p.queue_url),
    )
    .with_metrics_sink(Arc::new(|_: &str| {}));

    // Channel c1: create, update, delete of one message; channel c2 interleaved.
    let sent = [
        ("e1", "message.create", "c1"),
        ("e2", "message.create", "c2"),
        ("e3", "message.update", "c1"),
        ("e4", "message.delete", "c2"),
        ("e5", "message.delete", "c1"),
    ];
    for (id, kind, channel) in sent {
        let r = ingest.handle(delivery(&sources, id, kind, channel)).await;
        assert_eq!(r.status(), 200, "{}", r.body());
    }
    // A provider's retry of e3 within five minutes is not even queued twice.
    let r = ingest
        .handle(delivery(&sources, "e3", "message.update", "c1"))
        .await;
    assert_eq!(r.status(), 200);

    // The handler fails c1's create twice (retryable), then lets it through.
    let log: Arc<Mutex<Vec<(String, bool)>>> = Arc::default();
    let failures_left = Arc::new(Mutex::new(2u32));
    let mut router = Router::new();
    let (l2, f2) = (log.clone(), failures_left.clone());
    router.on_source("chat", move |e: Event| {
        let (log, left) = (l2.clone(), f2.clone());
        async move {
            let fail = e.event_id() == "e1" && {
                let mut n = left.lock().unwrap();
                let f = *n > 0;
                *n = n.saturating_sub(1);
                f
            };
            log.lock().unwrap().push((e.event_id().to_owned(), !fail));
            if fail {
                return Err(HandlerError::retryable("downstream busy"));
            }
            Ok(())
        }
    });
    let proc = Processor::new(
        DynamoDbEventStore::new(p.ddb.clone(), &p.table),
        SqsDeadLetterQueue::new(p.sqs.clone(), &p.dlq_url),
        SqsRetryScheduler::new(p.sqs.clone(), &p.queue_url),
        router,
        ProcessorConfig {
            lease: Duration::from_secs(30),
            schedule: RetrySchedule::parse("1s,1s,1s,1s").unwrap(),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(2),
            ..ProcessorConfig::default()
        },
    )
    .with_metrics_sink(Arc::new(|_: &str| {}));

    // The event source mapping's part: receive, process, delete what succeeded (bounded).
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut waited_behind = 0usize;
    while Instant::now() < deadline {
        let done = log.lock().unwrap().iter().filter(|(_, ok)| *ok).count();
        if done == 5 {
            break;
        }
        let batch = p.receive(10).await;
        if batch.is_empty() {
            tokio::time::sleep(Duration::from_millis(250)).await;
            continue;
        }
        for m in &batch {
            let env = hookwell::Envelope::from_json(m.body.as_deref().unwrap()).unwrap();
            let want = if ["e1", "e3", "e5"].contains(&env.event_id.as_str()) {
                "chat:c1"
            } else {
                "chat:c2"
            };
            assert_eq!(m.group_id.as_deref(), Some(want), "message group = channel");
        }
        let res = proc.process_batch(batch.clone()).await;
        waited_behind += res
            .outcomes
            .iter()
            .filter(|(_, o)| *o == hookwell::processor::Outcome::WaitingForGroup)
            .count();
        p.ack(&batch, &res.failures).await;
    }

    let log = log.lock().unwrap().clone();
    let ran = |id: &str| {
        log.iter()
            .position(|(e, ok)| e == id && *ok)
            .unwrap_or_else(|| panic!("{id} never completed: {log:?}"))
    };
    // c1 in order, across two failed attempts of its first event.
    assert_eq!(
        log.iter()
            .filter(|(e, _)| e == "e1")
            .map(|(_, ok)| *ok)
            .collect::<Vec<_>>(),
        vec![false, false, true]
    );
    assert!(ran("e1") < ran("e3") && ran("e3") < ran("e5"), "{log:?}");
    // c2 was not held back by c1's failures.
    assert!(ran("e2") < ran("e1") && ran("e4") < ran("e1"), "{log:?}");
    assert!(ran("e2") < ran("e4"));
    // Every event handled successfully exactly once; nothing dead-lettered.
    for id in ["e1", "e2", "e3", "e4", "e5"] {
        assert_eq!(
            log.iter().filter(|(e, ok)| e == id && *ok).count(),
            1,
            "{id}: {log:?}"
        );
    }
    assert!(
        waited_behind > 0,
        "later c1 events waited behind the failing one"
    );
    assert!(p.dlq_messages().await.is_empty());
    assert!(p.receive(10).await.is_empty(), "queue drained");
}

#[test]
fn order_by_must_be_a_json_pointer() {
    for (bad, hint) in [
        ("data.channelId", "write `/data/channelId`"),
        ("channel", "not a JSON pointer"),
        ("/data/~2x", "not a JSON pointer"),
    ] {
        let doc = SOURCES.replace("/data/channelId", bad);
        let e = Sources::from_json(&doc).unwrap_err().to_string();
        assert!(e.contains("order_by") && e.contains(hint), "{bad}: {e}");
    }
}
