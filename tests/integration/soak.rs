//! The soak (`make soak`; ignored by `make test`): HOOKWELL_SOAK_EVENTS (default 10 000)
//! signed deliveries from every built-in provider through the local stack (`infra/dev.sh`:
//! ingest and processor under cargo lambda watch, the queue poller, moto), 10 % of them
//! provider retries of an earlier delivery and 1 % poison (a route whose downstream path does
//! not exist: permanent failure). At the end: every accepted event was handled exactly once or
//! is in the DLQ, nothing lost. Prints the totals and rates, and writes them to
//! `target/soak-report.json`.

use crate::e2e::{stack_clients, start_dev};
use hookwell_cli::send;
use hookwell_tests::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

// Poison: the generic `acme` sample, routed to a path the downstream does not have.
const POISON: (&str, &str) = ("acme", "order.shipped");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long: run with `make soak`"]
async fn soak_through_the_local_stack() {
    let total: usize = std::env::var("HOOKWELL_SOAK_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
        .clamp(100, 200_000);
    let sink = start_sink().await;
    let config = sources_with_routes(serde_json::json!([
        {"sources": [POISON.0], "event_types": [POISON.1], "handler": "forward",
         "url": format!("{}/no-such-path", sink.base), "secret": SINK_SECRET, "timeout_ms": 5000},
        {"handler": "forward", "url": sink.url(), "secret": SINK_SECRET, "timeout_ms": 5000}
    ]));
    let (moto_port, lambda_port) = (free_port(), free_port());
    let dev = start_dev(moto_port, lambda_port, &config, 1);
    let sources = Arc::new(hookwell::Sources::from_json(&config).unwrap());
    let base = format!("http://127.0.0.1:{lambda_port}/lambda-url/ingest");
    let http = hookwell::handlers::client(Duration::from_secs(60)).unwrap();

    // Every sample except the poison event, round robin; LINE deliveries carry several events.
    let mix: Vec<(&str, &str)> = hookwell::samples::SAMPLES
        .iter()
        .map(|s| (s.0, s.1))
        .filter(|e| *e != POISON && sources.get(e.0).is_some())
        .collect();
    // The plan: seed i is a fresh delivery, poison every 100th; every 10th is a retry of an
    // earlier fresh, non-poison delivery (same bytes).
    let mut plan: Vec<(usize, bool)> = Vec::with_capacity(total); // (seed, poison)
    let mut fresh: Vec<usize> = Vec::new();
    for i in 0..total {
        if i % 10 == 9 && !fresh.is_empty() {
            plan.push((fresh[(i * 7919) % fresh.len()], false));
        } else if i % 100 == 50 {
            plan.push((i, true));
        } else {
            plan.push((i, false));
            fresh.push(i);
        }
    }
    let started = Instant::now();
    let rendered_at = time::OffsetDateTime::now_utc();
    let mix = Arc::new(
        mix.into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect::<Vec<_>>(),
    );
    // Eight senders, as concurrent provider connections; each delivery retried (bounded) on a
    // transport error or 503, as a provider would. Each delivery is signed when it is sent,
    // as providers do: a retry of an earlier delivery is the same event (same seed, same id)
    // with a fresh timestamp where the scheme signs one.
    let plan = Arc::new(plan);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    // Flow control: moto is one Python process and slows down as a queue grows (each receive
    // scans it), until the processor's calls time out. Senders wait while more than
    // BACKLOG fresh events are accepted but not yet handled, so the run measures the
    // sustained rate of the pipeline rather than how fast moto degrades.
    const BACKLOG: usize = 200;
    let fresh_accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let senders = (0..8).map(|_| {
        let (plan, next, http) = (plan.clone(), next.clone(), http.clone());
        let (mix, sources, base) = (mix.clone(), sources.clone(), base.clone());
        let (sink, fresh_accepted) = (sink.clone(), fresh_accepted.clone());
        tokio::spawn(async move {
            let mut accepted: Vec<(usize, bool, Vec<String>)> = Vec::new();
            let mut retries = 0usize;
            let mut gave_up = 0usize;
            loop {
                // Bounded: at most 10 minutes of waiting per delivery.
                for _ in 0..6000 {
                    let fresh = fresh_accepted.load(std::sync::atomic::Ordering::SeqCst);
                    if fresh.saturating_sub(sink.distinct()) < BACKLOG {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(&(seed, poison)) = plan.get(i) else {
                    break;
                };
                let (source, event) = if poison {
                    POISON
                } else {
                    let (s, e) = &mix[seed % mix.len()];
                    (s.as_str(), e.as_str())
                };
                // Rendered at the soak's start (every event of the run shares that second,
                // as a busy channel's do), signed now.
                let d = send::prepare_at(
                    &sources,
                    source,
                    Some(event),
                    None,
                    &base,
                    (rendered_at, time::OffsetDateTime::now_utc()),
                    50_000 + seed as u64,
                )
                .unwrap();
                // Providers retry for minutes to hours; here up to 40 tries with backoff
                // (250 ms doubling to 5 s: about 3 minutes), then the delivery counts as
                // given up (never accepted, so not lost: the provider still holds it).
                let mut ok = None;
                for attempt in 0..40u32 {
                    match d.post(&http).await {
                        Ok((200, text)) => {
                            ok = Some(text);
                            break;
                        }
                        Ok((status, text)) => {
                            assert_eq!(status, 503, "delivery {seed}: {text}");
                            retries += 1;
                        }
                        Err(_) => retries += 1,
                    }
                    let backoff = 250u64.saturating_mul(1 << attempt.min(5)).min(5000);
                    tokio::time::sleep(Duration::from_millis(backoff)).await;
                }
                let Some(text) = ok else {
                    gave_up += 1;
                    continue;
                };
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                let ids = match v["event_ids"].as_array() {
                    Some(a) => a
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect(),
                    None => vec![v["event_id"].as_str().unwrap().to_owned()],
                };
                if seed == i && !poison {
                    fresh_accepted.fetch_add(ids.len(), std::sync::atomic::Ordering::SeqCst);
                }
                accepted.push((seed, poison, ids));
            }
            (accepted, retries, gave_up)
        })
    });
    let mut accepted = Vec::new();
    let (mut send_retries, mut gave_up) = (0, 0);
    for s in futures::future::join_all(senders).await {
        let (a, r, g) = s.unwrap();
        accepted.extend(a);
        send_retries += r;
        gave_up += g;
    }
    let send_secs = started.elapsed().as_secs_f64();
    let deliveries = accepted.len();
    let mut events: BTreeSet<String> = BTreeSet::new();
    let mut poison_events: BTreeSet<String> = BTreeSet::new();
    let mut event_deliveries = 0usize;
    for (_, poison, ids) in &accepted {
        event_deliveries += ids.len();
        for id in ids {
            if *poison {
                poison_events.insert(id.clone());
            } else {
                events.insert(id.clone());
            }
        }
    }
    eprintln!(
        "soak: {deliveries} deliveries accepted in {send_secs:.1} s ({:.0}/s), {} distinct events, {} poison",
        deliveries as f64 / send_secs,
        events.len(),
        poison_events.len()
    );

    // Wait (bounded) until every event is handled and every poison event is in the DLQ.
    let (sdk, stack) = stack_clients(moto_port).await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dlq_url = sqs
        .get_queue_url()
        .queue_name(&stack.dlq_name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let mut in_dlq: BTreeMap<String, usize> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(3600);
    while Instant::now() < deadline {
        for m in drain(&sqs, &dlq_url, 1000).await {
            let id = m
                .message_attributes
                .as_ref()
                .and_then(|a| a.get("event_id"))
                .and_then(|v| v.string_value.clone())
                .unwrap_or_default();
            *in_dlq.entry(id).or_insert(0) += 1;
        }
        if sink.distinct() >= events.len() && in_dlq.len() >= poison_events.len() {
            break;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    // Late duplicates still in the queue must have no effect: let the poller finish them.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let done_secs = started.elapsed().as_secs_f64();

    let twice: Vec<&String> = events.iter().filter(|id| sink.count(id) > 1).collect();
    let missing: Vec<&String> = events.iter().filter(|id| sink.count(id) == 0).collect();
    let dlq_ids: BTreeSet<String> = in_dlq.keys().cloned().collect();
    let report = serde_json::json!({
        "deliveries_accepted": deliveries,
        "event_deliveries_accepted": event_deliveries,
        "distinct_events": events.len(),
        "poison_events": poison_events.len(),
        "provider_retries_in_stream": plan.iter().enumerate().filter(|(i, (seed, _))| i != seed).count(),
        "send_retries_after_503_or_error": send_retries,
        "deliveries_given_up_by_the_sender": gave_up,
        "handled_exactly_once": events.iter().filter(|id| sink.count(id) == 1).count(),
        "handled_more_than_once": twice.len(),
        "lost": missing.len(),
        "poison_in_dlq": dlq_ids.len(),
        "sink_deliveries": sink.total(),
        "send_seconds": send_secs,
        "send_rate_per_s": deliveries as f64 / send_secs,
        "end_to_end_seconds": done_secs,
        "end_to_end_events_per_s": (events.len() + poison_events.len()) as f64 / done_secs,
    });
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/soak-report.json");
    let _ = std::fs::write(&out, serde_json::to_string_pretty(&report).unwrap());
    eprintln!(
        "soak report: {}",
        serde_json::to_string_pretty(&report).unwrap()
    );
    drop(dev);

    assert!(
        missing.is_empty(),
        "lost: {} events, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    assert!(twice.is_empty(), "handled twice: {:?}", twice.first());
    assert_eq!(
        dlq_ids, poison_events,
        "exactly the poison events are in the DLQ"
    );
    assert_eq!(sink.total(), events.len(), "one forward per distinct event");
}
