//! Bodies over SQS's 1 MiB through the claim check, against the local AWS's SQS, S3 and
//! DynamoDB: a 5 MB GitHub push is stored in the bucket, a small envelope is queued, the
//! processor fetches and checks the body and the handler sees it byte for byte; after a
//! permanent failure the DLQ holds the small envelope and a replay runs it whole again.

use crate::processor::{processor, run_until_idle};
use hookwell::aws::S3BodyStore;
use hookwell::handler::{Event, HandlerError, Router};
use hookwell::{Envelope, Ingest, ProcessorConfig, SourcesCell, SqsEventQueue};
use hookwell_tests::*;
use std::sync::{Arc, Mutex};

async fn post(ingest: &Ingest<SqsEventQueue>, body: &[u8], delivery: &str) -> (u16, String) {
    let mut h = sign(&dev_sources(), "github", body, now());
    h.push(("x-github-event".into(), "push".into()));
    h.push(("x-github-delivery".into(), delivery.into()));
    let ev = lambda_event(
        "apigw-v2-request.json",
        "POST",
        "/webhooks/github",
        &h,
        body,
    );
    let req = lambda_http::request::from_str(&ev).expect("lambda event");
    let resp = hookwell::lambda::handle_ingest(ingest, req).await;
    let text = match resp.body() {
        lambda_http::Body::Text(t) => t.clone(),
        other => panic!("unexpected body {other:?}"),
    };
    (resp.status().as_u16(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_five_megabyte_github_push_is_handled_whole_and_replayable() {
    let sdk = sdk().await;
    let (s3, bucket) = create_bucket(&sdk).await;
    let store = Arc::new(S3BodyStore::new(s3.clone(), &bucket));
    let p = pipeline(5).await;
    let ingest = Ingest::new(
        SourcesCell::new(dev_sources()),
        SqsEventQueue::new(p.sqs.clone(), &p.queue_url),
    )
    .with_body_store(store.clone())
    .with_metrics_sink(Arc::new(|_: &str| {}));

    let body = github_push_of_size(5_000_000);
    assert!(
        (5_000_000..5_300_000).contains(&body.len()),
        "{}",
        body.len()
    );
    let (status, text) = post(&ingest, &body, "push-5mb").await;
    assert_eq!(status, 200, "{text}");

    // What SQS holds is a pointer; the bucket holds the exact bytes.
    let queued = p.receive(10).await;
    assert_eq!(queued.len(), 1);
    let msg = queued[0].body.clone().unwrap();
    assert!(msg.len() < 1024, "{} bytes queued", msg.len());
    let env = Envelope::from_json(&msg).unwrap();
    let at = env.body_ref.clone().expect("claim check");
    assert_eq!(
        (at.bucket.as_str(), at.size),
        (bucket.as_str(), body.len() as u64)
    );
    let object = s3
        .get_object()
        .bucket(&bucket)
        .key(&at.key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        object.body.collect().await.unwrap().into_bytes().as_ref(),
        body.as_slice()
    );

    // First run: the handler sees the whole body, then fails permanently -> the DLQ.
    let seen = Arc::new(Mutex::new(Vec::<Vec<u8>>::new()));
    let router = |fail: bool| {
        let seen = seen.clone();
        let mut r = Router::new();
        r.on("github", "push", move |e: Event| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(e.body().to_vec());
                if fail {
                    return Err(HandlerError::permanent("downstream refused the push"));
                }
                Ok(())
            }
        });
        r
    };
    let cfg = ProcessorConfig::default();
    let failing = processor(&p, router(true), cfg.clone()).with_body_store(store.clone());
    // The message received above comes back after its visibility timeout; make it visible now.
    p.sqs
        .change_message_visibility()
        .queue_url(&p.queue_url)
        .receipt_handle(queued[0].receipt_handle.clone().unwrap())
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    run_until_idle(&p, &failing, 5).await;
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert!(
        seen.lock().unwrap()[0] == body,
        "handler saw the exact bytes"
    );
    // A look at the DLQ that leaves the message visible for the replay.
    let dead = p
        .sqs
        .receive_message()
        .queue_url(&p.dlq_url)
        .max_number_of_messages(10)
        .visibility_timeout(0)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0].body().unwrap().len() < 1024,
        "the DLQ holds the pointer"
    );

    // Replay after the fix: the body is fetched again and the event completes.
    let r = p.replay_all().await;
    assert_eq!(r.moved, 1, "{r:?}");
    let fixed = processor(&p, router(false), cfg).with_body_store(store);
    run_until_idle(&p, &fixed, 5).await;
    assert_eq!(seen.lock().unwrap().len(), 2);
    assert!(seen.lock().unwrap()[1] == body);
    assert_eq!(
        p.record("github", "push-5mb").await.unwrap().status,
        hookwell::store::STATUS_COMPLETED
    );
}

#[tokio::test]
async fn without_a_reachable_bucket_a_large_body_is_refused_and_nothing_is_queued() {
    let sdk = sdk().await;
    let p = pipeline(5).await;
    let body = github_push_of_size(1_200_000);

    // No body store configured: 413, as before the claim check.
    let plain = Ingest::new(
        SourcesCell::new(dev_sources()),
        SqsEventQueue::new(p.sqs.clone(), &p.queue_url),
    )
    .with_metrics_sink(Arc::new(|_: &str| {}));
    let (status, text) = post(&plain, &body, "big-a").await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("payload_too_large"));

    // A bucket that does not exist (the store refuses): 503, the provider retries.
    let s3 = hookwell::aws::s3_client(&sdk);
    let missing = Ingest::new(
        SourcesCell::new(dev_sources()),
        SqsEventQueue::new(p.sqs.clone(), &p.queue_url),
    )
    .with_body_store(Arc::new(S3BodyStore::new(s3, unique("no-such-bucket"))))
    .with_metrics_sink(Arc::new(|_: &str| {}));
    let (status, text) = post(&missing, &body, "big-b").await;
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("storage_unavailable"));
    assert!(
        drain(&p.sqs, &p.queue_url, 10).await.is_empty(),
        "nothing half-accepted"
    );
}
