//! `hookwell load`: an open-loop load generator for a webhook receiver on loopback. Requests
//! are signed up front (one distinct event each, padded to a body size) and sent on a fixed
//! schedule whatever the answers take, so a slow receiver shows as latency, not as a lower
//! rate (no coordinated omission: latency counts from the scheduled send time). With `pid`,
//! the receiver's process tree is read from /proc: CPU time over the run and peak RSS.

use hookwell::{samples, Sources};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Ingest base URL (`.../webhooks/{source}` is appended).
    pub base: String,
    pub source: String,
    pub rate: u32,
    pub secs: u32,
    pub body_bytes: usize,
    /// Requests allowed in flight; beyond that a scheduled request is counted as dropped.
    pub max_in_flight: usize,
    pub pid: Option<u32>,
    /// A queue to keep drained during the run (moto slows down as a queue grows).
    pub drain_queue_url: Option<String>,
    pub label: String,
    /// Flip one body byte after signing: every request should be refused 401 (the rejected
    /// path: signature check, no queue call). `ok` then counts the 401 answers.
    pub tamper: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub label: String,
    /// `accepted` (valid signatures, `ok` = 200 answers) or `rejected` (tampered bodies,
    /// `ok` = 401 answers).
    pub mode: &'static str,
    pub rate: u32,
    pub secs: u32,
    pub body_bytes: usize,
    pub scheduled: usize,
    pub ok: usize,
    pub errors: BTreeMap<String, usize>,
    pub dropped: usize,
    pub achieved_per_s: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub cpu_ms: Option<f64>,
    pub cpu_us_per_request: Option<f64>,
    pub peak_rss_kib: Option<u64>,
    pub drained: usize,
}

/// One signed delivery: headers and body, ready to send.
#[derive(Debug, Clone)]
struct Prepared {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A sample of `source` padded (inside a JSON string field placed first, so identity fields
/// stay intact) to about `size` bytes, signed now.
fn prepare(
    sources: &Sources,
    source: &str,
    size: usize,
    seed: u64,
    tamper: bool,
) -> Result<Prepared, String> {
    let src = sources
        .get(source)
        .ok_or_else(|| format!("no source `{source}` in the configuration"))?;
    let (_, _, tpl, hdrs) = samples::for_source(source, src)
        .next()
        .ok_or_else(|| format!("no sample for `{source}`"))?;
    let now = time::OffsetDateTime::now_utc();
    let base = samples::render(tpl, now, seed);
    let pad = size.saturating_sub(base.len() + 16);
    let body = match base.strip_prefix('{') {
        Some(rest) if pad > 0 => format!("{{\"padding\":\"{}\",{rest}", "p".repeat(pad)),
        _ => base,
    }
    .into_bytes();
    let mut headers: Vec<(String, String)> = hdrs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), samples::render(v, now, seed)))
        .collect();
    let secret = src.secrets().first().ok_or("source has no secret")?;
    headers.extend(
        src.scheme()
            .sign(
                secret,
                &body,
                now.unix_timestamp(),
                &format!("msg_{seed:016x}"),
            )
            .map_err(|e| e.to_string())?,
    );
    headers.push(("content-type".into(), "application/json".into()));
    let mut body = body;
    if tamper {
        // The last byte (`}`) becomes a space: still JSON, no longer what was signed.
        if let Some(b) = body.last_mut() {
            *b = b' ';
        }
    }
    Ok(Prepared { headers, body })
}

/// CPU time (user + system, ms) and summed peak RSS (KiB) of `pid` and its descendants.
pub fn process_tree_usage(pid: u32) -> Option<(f64, u64)> {
    let mut parent: Vec<(u32, u32)> = Vec::new();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(p) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some((_, ppid)) = stat_fields(p) {
            parent.push((p, ppid));
        }
    }
    let mut tree = vec![pid];
    let mut i = 0;
    // Bounded: each pid is added once, and /proc lists finitely many.
    while let Some(&p) = tree.get(i) {
        for &(child, ppid) in &parent {
            if ppid == p && !tree.contains(&child) {
                tree.push(child);
            }
        }
        i += 1;
    }
    let mut ticks = 0u64;
    let mut hwm = 0u64;
    for p in &tree {
        if let Some((t, _)) = stat_fields(*p) {
            ticks += t;
        }
        hwm += vm_hwm_kib(*p).unwrap_or(0);
    }
    // USER_HZ is 100 on Linux (the /proc clock tick): 10 ms per tick.
    Some((ticks as f64 * 10.0, hwm))
}

/// (utime + stime in ticks, ppid) from /proc/PID/stat.
fn stat_fields(pid: u32) -> Option<(u64, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces: fields start after the last ')'.
    let rest = text.get(text.rfind(')')? + 2..)?;
    let f: Vec<&str> = rest.split(' ').collect();
    let ppid = f.get(1)?.parse().ok()?;
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some((utime + stime, ppid))
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(idx).copied().unwrap_or(f64::NAN)
}

/// Keeps `queue_url` drained until `stop` (bounded by `max_rounds`); returns messages deleted.
async fn drain(
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    stop: Arc<AtomicBool>,
    max_rounds: usize,
) -> usize {
    let mut deleted = 0;
    for _ in 0..max_rounds {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(out) = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
        else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let entries: Vec<_> = out
            .messages
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .filter_map(|(i, m)| {
                aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .set_receipt_handle(m.receipt_handle)
                    .build()
                    .ok()
            })
            .collect();
        if entries.is_empty() {
            continue;
        }
        let n = entries.len();
        if sqs
            .delete_message_batch()
            .queue_url(&queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .is_ok()
        {
            deleted += n;
        }
    }
    deleted
}

pub async fn run(opts: &LoadOptions, sources: &Sources) -> Result<LoadReport, String> {
    if !(opts.base.starts_with("http://127.0.0.1:") || opts.base.starts_with("http://localhost:")) {
        return Err("load runs against loopback receivers only (http://127.0.0.1:PORT)".into());
    }
    let total = usize::try_from(u64::from(opts.rate) * u64::from(opts.secs)).unwrap_or(0);
    if total == 0 || total > 1_000_000 {
        return Err("rate x secs must be between 1 and 1,000,000 requests".into());
    }
    let salt = u64::from(fastrand::u32(..)) << 24;
    let prepared: Vec<Prepared> = (0..total)
        .map(|i| {
            prepare(
                sources,
                &opts.source,
                opts.body_bytes,
                salt + i as u64,
                opts.tamper,
            )
        })
        .collect::<Result<_, _>>()?;
    let url = format!(
        "{}/webhooks/{}",
        opts.base.trim_end_matches('/'),
        opts.source
    );
    // Keeps idle connections without limit: each in-flight request reuses one.
    let client = hookwell::handlers::client(Duration::from_secs(30))?;
    let expect: u16 = if opts.tamper { 401 } else { 200 };

    let stop = Arc::new(AtomicBool::new(false));
    let drainer = match &opts.drain_queue_url {
        Some(q) => {
            let sdk = hookwell::aws::sdk_config(Duration::from_secs(10)).await;
            let sqs = aws_sdk_sqs::Client::new(&sdk);
            let rounds = usize::try_from(opts.secs).unwrap_or(60) * 20 + 200;
            Some(tokio::spawn(drain(sqs, q.clone(), stop.clone(), rounds)))
        }
        None => None,
    };

    let latencies = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let errors = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let mut dropped = 0usize;
    let usage_before = opts.pid.and_then(process_tree_usage);
    let interval = Duration::from_secs_f64(1.0 / f64::from(opts.rate));
    let start = tokio::time::Instant::now() + Duration::from_millis(100);
    let wall = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    for (i, p) in prepared.into_iter().enumerate() {
        let due = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(due).await;
        if in_flight.load(Ordering::SeqCst) >= opts.max_in_flight {
            dropped += 1;
            continue;
        }
        in_flight.fetch_add(1, Ordering::SeqCst);
        let (client, url, latencies, errors, in_flight) = (
            client.clone(),
            url.clone(),
            latencies.clone(),
            errors.clone(),
            in_flight.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut req = client.post(&url).body(p.body);
            for (k, v) in &p.headers {
                req = req.header(k, v);
            }
            let outcome = match req.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let _ = resp.bytes().await;
                    if status == expect {
                        None
                    } else {
                        Some(status.to_string())
                    }
                }
                Err(e) => Some(if e.is_timeout() {
                    "timeout".into()
                } else {
                    "transport".into()
                }),
            };
            let ms = due.elapsed().as_secs_f64() * 1000.0;
            match outcome {
                None => latencies.lock().map(|mut l| l.push(ms)).unwrap_or(()),
                Some(k) => errors
                    .lock()
                    .map(|mut e| *e.entry(k).or_insert(0) += 1)
                    .unwrap_or(()),
            }
            in_flight.fetch_sub(1, Ordering::SeqCst);
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = wall.elapsed().as_secs_f64();
    let usage_after = opts.pid.and_then(process_tree_usage);
    stop.store(true, Ordering::SeqCst);
    let drained = match drainer {
        Some(d) => d.await.unwrap_or(0),
        None => 0,
    };
    let mut lat = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    lat.sort_by(f64::total_cmp);
    let errors = errors.lock().map(|e| e.clone()).unwrap_or_default();
    let ok = lat.len();
    let cpu_ms = match (usage_before, usage_after) {
        (Some((a, _)), Some((b, _))) => Some(b - a),
        _ => None,
    };
    Ok(LoadReport {
        label: opts.label.clone(),
        mode: if opts.tamper { "rejected" } else { "accepted" },
        rate: opts.rate,
        secs: opts.secs,
        body_bytes: opts.body_bytes,
        scheduled: total,
        ok,
        errors,
        dropped,
        achieved_per_s: ok as f64 / elapsed,
        p50_ms: percentile(&lat, 0.50),
        p90_ms: percentile(&lat, 0.90),
        p99_ms: percentile(&lat, 0.99),
        max_ms: lat.last().copied().unwrap_or(f64::NAN),
        cpu_us_per_request: cpu_ms.filter(|_| ok > 0).map(|c| c * 1000.0 / ok as f64),
        cpu_ms,
        peak_rss_kib: usage_after.map(|(_, h)| h),
        drained,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_proc_reading() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 51.0);
        assert_eq!(percentile(&v, 0.99), 99.0);
        assert!(percentile(&[], 0.5).is_nan());
        let (cpu, rss) = process_tree_usage(std::process::id()).expect("own process");
        assert!(cpu >= 0.0);
        assert!(rss > 0, "a running process has a peak RSS");
    }

    #[tokio::test]
    async fn refuses_anything_but_loopback() {
        let sources = Sources::from_json(include_str!("../../infra/local/sources.json")).unwrap();
        let opts = LoadOptions {
            base: "http://example.com".into(),
            source: "github".into(),
            rate: 1,
            secs: 1,
            body_bytes: 1024,
            max_in_flight: 1,
            pid: None,
            drain_queue_url: None,
            label: "x".into(),
            tamper: false,
        };
        let err = run(&opts, &sources).await.unwrap_err();
        assert!(err.contains("loopback"), "{err}");
    }

    #[test]
    fn prepared_bodies_are_padded_and_verify() {
        let sources = Sources::from_json(include_str!("../../infra/local/sources.json")).unwrap();
        let p = prepare(&sources, "github", 1024, 7, false).unwrap();
        assert!((1000..=1100).contains(&p.body.len()), "{}", p.body.len());
        let mut map = http::HeaderMap::new();
        for (k, v) in &p.headers {
            map.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        let src = sources.get("github").unwrap();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let unverified = hookwell::Unverified {
            headers: &map,
            body: &p.body,
            url_token: None,
        };
        assert!(src.verify(unverified, now).is_ok());
        // Tampered: the same length, signed headers, and a body that no longer verifies.
        let t = prepare(&sources, "github", 1024, 7, true).unwrap();
        assert_eq!(t.body.len(), p.body.len());
        let unverified = hookwell::Unverified {
            headers: &map,
            body: &t.body,
            url_token: None,
        };
        assert!(src.verify(unverified, now).is_err());
    }
}
