//! The sample Lambda events in `infra/events/` (for `cargo lambda invoke --data-file`, which
//! cannot download examples offline) are generated here and must keep working: run with
//! `HOOKWELL_REGENERATE=1` to rewrite them after changing the samples or the dev secrets.

use hookwell::{Envelope, Ingest, SourcesCell, SqsEventQueue};
use hookwell_tests::*;

const EVENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/events");
const SEEDS: &[(&str, &str)] = &[
    ("bubble", "MESSAGE_CREATE"),
    ("groupgm", "message.received"),
    ("groupgm", "member.joined"),
    ("groupgm", "member.left"),
    ("groupgm", "file.uploaded"),
    ("sendbird", "group_channel:message_send"),
];

fn at() -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(1_764_046_800).unwrap()
}

fn file_name(source: &str, event: &str) -> String {
    format!(
        "ingest-{source}-{}.json",
        event.replace([':', '.', '_'], "-").to_ascii_lowercase()
    )
}

/// Compares `content` with the committed file (or rewrites it when asked).
fn golden(name: &str, content: &str) {
    let path = format!("{EVENTS}/{name}");
    if std::env::var_os("HOOKWELL_REGENERATE").is_some() {
        std::fs::write(&path, content).unwrap();
    }
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{path} is missing: run with HOOKWELL_REGENERATE=1"));
    assert_eq!(
        committed, content,
        "{path} is stale: run with HOOKWELL_REGENERATE=1"
    );
}

fn pretty(json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    serde_json::to_string_pretty(&v).unwrap() + "\n"
}

#[tokio::test]
async fn ingest_sample_events_are_current_and_accepted() {
    let sources = dev_sources();
    let sdk = sdk().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let url = create_queue(&sqs, &unique("samples")).await;
    let ingest = Ingest::new(
        SourcesCell::new(dev_sources()),
        SqsEventQueue::new(sqs.clone(), url.clone()),
    )
    .with_metrics_sink(std::sync::Arc::new(|_: &str| {}));
    for (source, event) in SEEDS {
        let d =
            hookwell_cli::send::prepare(&sources, source, Some(event), None, "http://x", at(), 1)
                .unwrap();
        let ev = pretty(&lambda_event(
            "apigw-v2-request.json",
            "POST",
            &format!("/webhooks/{source}"),
            &d.headers,
            &d.body,
        ));
        golden(&file_name(source, event), &ev);
        let req = lambda_http::request::from_str(&ev).unwrap();
        let resp = hookwell::lambda::handle_ingest(&ingest, req).await;
        assert_eq!(resp.status(), 200, "{source} {event}");
    }
    assert_eq!(drain(&sqs, &url, 20).await.len(), SEEDS.len());
}

#[tokio::test]
async fn processor_sample_batch_is_current_and_processed() {
    let sources = dev_sources();
    let records: Vec<serde_json::Value> = SEEDS
        .iter()
        .enumerate()
        .map(|(i, (source, event))| {
            let d = hookwell_cli::send::prepare(&sources, source, Some(event), None, "http://x", at(), 1).unwrap();
            let spec = sources.get(source).unwrap().identity();
            let get = |n: &str| d.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.clone());
            let hookwell::identity::Found::Events(evs) = spec.identify(&get, &d.body).unwrap() else { panic!() };
            let env = Envelope::new(source, &evs[0].event_type, &evs[0].event_id, at(), &d.body, Default::default());
            serde_json::json!({
                "messageId": format!("00000000-0000-4000-8000-00000000000{i}"),
                "receiptHandle": format!("sample-receipt-handle-{i}"),
                "body": env.to_json(),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764046800000",
                               "SenderId": "AIDAIENQZJOLO23YVJ4VO", "ApproximateFirstReceiveTimestamp": "1764046800001"},
                "messageAttributes": {
                    "source": {"stringValue": source, "stringListValues": [], "binaryListValues": [], "dataType": "String"},
                    "event_type": {"stringValue": env.event_type, "stringListValues": [], "binaryListValues": [], "dataType": "String"},
                    "event_id": {"stringValue": env.event_id, "stringListValues": [], "binaryListValues": [], "dataType": "String"}
                },
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:hookwell-local-events",
                "awsRegion": "us-east-1"
            })
        })
        .collect();
    let batch = pretty(&serde_json::json!({ "Records": records }).to_string());
    golden("processor-sqs-batch.json", &batch);

    let p = pipeline(5).await;
    let proc = hookwell::Processor::new(
        hookwell::DynamoDbEventStore::new(p.ddb.clone(), &p.table),
        hookwell::queue::SqsDeadLetterQueue::new(p.sqs.clone(), &p.dlq_url),
        hookwell::queue::SqsRetryScheduler::new(p.sqs.clone(), &p.queue_url),
        hookwell::Router::new(),
        hookwell::ProcessorConfig::default(),
    )
    .with_metrics_sink(std::sync::Arc::new(|_: &str| {}));
    let ev: hookwell::lambda::SqsEvent = serde_json::from_str(&batch).unwrap();
    let resp = hookwell::lambda::handle_sqs(&proc, ev).await;
    assert!(resp.batch_item_failures.is_empty());
    let resp2 = hookwell::lambda::handle_sqs(&proc, serde_json::from_str(&batch).unwrap()).await;
    assert!(
        resp2.batch_item_failures.is_empty(),
        "the same batch again: all duplicates"
    );
}
