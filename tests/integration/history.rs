//! What the events table keeps of an event (issue: show and re-deliver any event), against
//! the local AWS: the payload, compressed, on the COMPLETED or dead-lettered record, the kept
//! headers, and how big that makes the item (a DynamoDB write costs a unit per KB); then
//! `hookwell::redeliver`: a completed event runs again, once, recorded on the event.

use crate::processor::{processor, run_until_idle};
use hookwell::handler::{Event, HandlerError, Router};
use hookwell::ops::redeliver::RedeliverError;
use hookwell::{DynamoDbEventStore, Envelope, ProcessorConfig};
use hookwell_tests::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// DynamoDB's item size: attribute names plus values (strings and binaries by length,
/// numbers about one byte per two digits plus one).
fn item_size(item: &HashMap<String, aws_sdk_dynamodb::types::AttributeValue>) -> usize {
    use aws_sdk_dynamodb::types::AttributeValue as A;
    item.iter()
        .map(|(k, v)| {
            k.len()
                + match v {
                    A::S(s) => s.len(),
                    A::N(n) => n.trim_start_matches('-').len().div_ceil(2) + 1,
                    A::B(b) => b.as_ref().len(),
                    _ => 8,
                }
        })
        .sum()
}

/// (event id, body) of each handler run.
type Runs = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

fn recording_router(seen: Runs, fail_type: &'static str) -> Router {
    let mut r = Router::new();
    r.fallback(move |e: Event| {
        let seen = seen.clone();
        async move {
            seen.lock()
                .unwrap()
                .push((e.event_id().to_owned(), e.body().to_vec()));
            if e.event_type() == fail_type {
                return Err(HandlerError::permanent("downstream refused it"));
            }
            Ok(())
        }
    });
    r
}

/// The seed providers' documented bodies: each kept whole, each record within one write unit.
#[tokio::test]
async fn completed_and_dead_lettered_events_keep_their_payload_within_one_write_unit() {
    let p = pipeline(5).await;
    let seen = Arc::default();
    let proc = processor(
        &p,
        recording_router(seen, "member.left"),
        ProcessorConfig::default(),
    );
    let now = time::OffsetDateTime::now_utc();
    let mut sent = Vec::new();
    for (i, (provider, event, body)) in hookwell::samples::DOCUMENTED.iter().enumerate() {
        let body = hookwell::samples::render(body, now, i as u64);
        let mut headers = std::collections::BTreeMap::new();
        headers.insert("x-example".to_owned(), format!("kept-{i}"));
        let id = format!("doc-{i}");
        let env = Envelope::new(provider, event, &id, now, body.as_bytes(), headers);
        p.send_raw(&env.to_json()).await;
        sent.push((provider.to_string(), id, body));
    }
    // A 1 KiB webhook: Sendbird's sample, rendered.
    let (_, _, tpl, _) = hookwell::samples::find("sendbird", None).unwrap();
    let sendbird = hookwell::samples::render(tpl, now, 7);
    p.send_event("sendbird", "group_channel:message_send", "sb-1", &sendbird)
        .await;
    sent.push(("sendbird".into(), "sb-1".into(), sendbird));
    run_until_idle(&p, &proc, 10).await;

    let store = DynamoDbEventStore::new(p.ddb.clone(), &p.table);
    for (source, id, body) in &sent {
        let r = store.get(source, id).await.unwrap().unwrap();
        assert_eq!(r.payload.as_deref(), Some(body.as_bytes()), "{source}#{id}");
        assert_eq!(r.payload_size, Some(body.len() as u64));
        let item = table_item(&p.ddb, &p.table, source, id).await.unwrap();
        let size = item_size(&item);
        eprintln!(
            "{source}#{id}: {} byte body, {} bytes kept, item {size} bytes, status {}",
            body.len(),
            item.get("payload")
                .and_then(|v| v.as_b().ok())
                .map_or(0, |b| b.as_ref().len()),
            r.status
        );
        assert!(
            size <= 1024,
            "{source}#{id}: item of {size} bytes takes two write units"
        );
    }
    // The dead-lettered one kept its payload and headers too.
    let left = sent
        .iter()
        .position(|(_, _, b)| b.contains("member.left"))
        .unwrap();
    let r = store
        .get("groupgm", &format!("doc-{left}"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.status, hookwell::store::STATUS_FAILED);
    assert_eq!(
        r.headers.get("x-example").map(String::as_str),
        Some(format!("kept-{left}").as_str())
    );
    // The history list leaves payloads out; `get` has them.
    let listed = store
        .history(&hookwell::store::HistoryFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(listed.len() >= sent.len() && listed.iter().all(|r| r.payload.is_none()));
}

#[tokio::test]
async fn a_completed_event_is_redelivered_once_and_the_record_says_so() {
    let p = pipeline(5).await;
    let seen: Runs = Arc::default();
    let proc = processor(
        &p,
        recording_router(seen.clone(), "-"),
        ProcessorConfig::default(),
    );
    let body = r#"{"event":"message.received","data":{"channelId":"C1","content":"hi"}}"#;
    p.send_event("groupgm", "message.received", "r-1", body)
        .await;
    run_until_idle(&p, &proc, 5).await;
    assert_eq!(seen.lock().unwrap().len(), 1);
    let store = DynamoDbEventStore::new(p.ddb.clone(), &p.table);

    let r = hookwell::redeliver(&store, &p.sqs, &p.queue_url, "groupgm", "r-1")
        .await
        .unwrap();
    assert_eq!((r.redeliveries, r.status.as_str()), (1, "FAILED"));
    assert!(r.redelivered_at.is_some());
    // A provider's retry of the same event, queued meanwhile: the two run the handlers once.
    p.send_event("groupgm", "message.received", "r-1", body)
        .await;
    run_until_idle(&p, &proc, 5).await;
    let runs = seen.lock().unwrap().clone();
    assert_eq!(runs.len(), 2, "original + one redelivery: {runs:?}");
    assert_eq!(runs[1].1, body.as_bytes(), "the same payload again");
    let r = store.get("groupgm", "r-1").await.unwrap().unwrap();
    assert_eq!((r.status.as_str(), r.redeliveries), ("COMPLETED", 1));
    assert!(r.last_error.is_none());

    // Refusals, each saying why.
    assert!(matches!(
        hookwell::redeliver(&store, &p.sqs, &p.queue_url, "groupgm", "nope").await,
        Err(RedeliverError::NotFound(_))
    ));
    let quiet = processor(
        &p,
        recording_router(seen.clone(), "-"),
        ProcessorConfig {
            retain_payloads: false,
            ..ProcessorConfig::default()
        },
    );
    p.send_event("groupgm", "message.received", "r-2", body)
        .await;
    run_until_idle(&p, &quiet, 5).await;
    let e = hookwell::redeliver(&store, &p.sqs, &p.queue_url, "groupgm", "r-2")
        .await
        .unwrap_err();
    assert!(matches!(e, RedeliverError::NotRetained(..)), "{e}");
    assert!(e.to_string().contains("replay it from the DLQ"));
    // Nothing was marked for it.
    assert_eq!(
        store
            .get("groupgm", "r-2")
            .await
            .unwrap()
            .unwrap()
            .redeliveries,
        0
    );
}

/// The history window and order are by time: events received within one second, whose times
/// the table holds with different numbers of fraction digits, are all found by a `since` at
/// the start of that second, cut exactly by `until`, and listed newest first.
#[tokio::test]
async fn history_windows_and_orders_events_within_one_second_by_time() {
    let p = pipeline(5).await;
    let proc = processor(
        &p,
        recording_router(Arc::default(), "-"),
        ProcessorConfig::default(),
    );
    let t = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap();
    let offsets_ms = [-900_i64, 0, 120, 123, 500, 1000];
    for ms in offsets_ms {
        let body = format!(r#"{{"event":"message.received","data":{{"n":{ms}}}}}"#);
        let env = Envelope::new(
            "window",
            "message.received",
            &format!("w{ms}"),
            t + time::Duration::milliseconds(ms),
            body.as_bytes(),
            Default::default(),
        );
        p.send_raw(&env.to_json()).await;
    }
    run_until_idle(&p, &proc, 10).await;
    let store = DynamoDbEventStore::new(p.ddb.clone(), &p.table);
    let list = |since: Option<time::OffsetDateTime>, until: Option<time::OffsetDateTime>| {
        let store = &store;
        async move {
            let rows = store
                .history(&hookwell::store::HistoryFilter {
                    source: Some("window".into()),
                    since,
                    until,
                    limit: 100,
                    ..Default::default()
                })
                .await
                .unwrap();
            rows.into_iter().map(|r| r.event_id).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list(None, None).await,
        ["w1000", "w500", "w123", "w120", "w0", "w-900"]
    );
    assert_eq!(
        list(Some(t), None).await,
        ["w1000", "w500", "w123", "w120", "w0"]
    );
    let ms = |n| t + time::Duration::milliseconds(n);
    assert_eq!(list(Some(ms(120)), Some(ms(500))).await, ["w123", "w120"]);
    // The same instants written with another offset.
    let plus_one = time::UtcOffset::from_hms(1, 0, 0).unwrap();
    assert_eq!(
        list(
            Some(ms(120).to_offset(plus_one)),
            Some(ms(500).to_offset(plus_one))
        )
        .await,
        ["w123", "w120"]
    );
}
