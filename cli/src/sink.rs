//! `hookwell sink`: a local downstream for the `forward` handler. It checks each delivery's
//! Standard Webhooks signature, counts deliveries per `webhook-id` (the event id), and answers
//! `status` on `path` (404 elsewhere: what a misconfigured URL gets).

use hookwell::scheme::Scheme;
use hookwell::Secret;
use hookwell::Unverified;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// One delivery the sink saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub webhook_id: String,
    pub source: String,
    pub event_type: String,
    pub verified: bool,
    pub status: u16,
}

#[derive(Debug, Clone)]
pub struct Sink {
    pub base: String,
    pub path: String,
    pub secret: Option<String>,
    pub status: Arc<AtomicU16>,
    /// Milliseconds to wait before answering (a slow downstream), after counting.
    pub delay_ms: Arc<AtomicU64>,
    hits: Arc<Mutex<BTreeMap<String, usize>>>,
    bad_signatures: Arc<AtomicUsize>,
}

impl Sink {
    /// Listens on `addr` (a loopback address; port 0 picks one) until the process ends.
    pub async fn start(
        addr: &str,
        path: &str,
        secret: Option<String>,
        status: u16,
        on_delivery: impl Fn(&Seen) + Send + Sync + 'static,
    ) -> std::io::Result<Sink> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let sink = Sink {
            base: format!("http://{}", listener.local_addr()?),
            path: path.to_owned(),
            secret,
            status: Arc::new(AtomicU16::new(status)),
            delay_ms: Default::default(),
            hits: Default::default(),
            bad_signatures: Default::default(),
        };
        let s = sink.clone();
        let on_delivery = Arc::new(on_delivery);
        let app = axum::Router::new().fallback(
            move |uri: http::Uri, headers: http::HeaderMap, body: axum::body::Bytes| {
                let s = s.clone();
                let on_delivery = on_delivery.clone();
                async move {
                    let h = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_owned()
                    };
                    let verified = match &s.secret {
                        None => true,
                        Some(key) => Scheme::StandardWebhooks {
                            tolerance_secs: 300,
                        }
                        .verify(
                            &[Secret::new(key.clone())],
                            Unverified {
                                headers: &headers,
                                body: &body,
                                url_token: None,
                            },
                            time::OffsetDateTime::now_utc().unix_timestamp(),
                        )
                        .is_ok(),
                    };
                    let status = if uri.path() != s.path {
                        404
                    } else if !verified {
                        s.bad_signatures.fetch_add(1, Ordering::SeqCst);
                        401
                    } else {
                        let st = s.status.load(Ordering::SeqCst);
                        if (200..300).contains(&st) {
                            if let Ok(mut hits) = s.hits.lock() {
                                *hits.entry(h("webhook-id")).or_insert(0) += 1;
                            }
                        }
                        st
                    };
                    on_delivery(&Seen {
                        path: uri.path().to_owned(),
                        webhook_id: h("webhook-id"),
                        source: h("hookwell-source"),
                        event_type: h("hookwell-event-type"),
                        verified,
                        status,
                    });
                    let delay = s.delay_ms.load(Ordering::SeqCst);
                    if delay > 0 {
                        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
                    }
                    http::StatusCode::from_u16(status)
                        .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
                }
            },
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(sink)
    }

    pub fn url(&self) -> String {
        format!("{}{}", self.base, self.path)
    }

    /// Accepted deliveries of one event (by `webhook-id`).
    pub fn count(&self, webhook_id: &str) -> usize {
        self.hits
            .lock()
            .map(|h| h.get(webhook_id).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// Events (distinct `webhook-id`s) accepted at least once.
    pub fn distinct(&self) -> usize {
        self.hits.lock().map(|h| h.len()).unwrap_or(0)
    }

    pub fn total(&self) -> usize {
        self.hits.lock().map(|h| h.values().sum()).unwrap_or(0)
    }

    pub fn bad_signatures(&self) -> usize {
        self.bad_signatures.load(Ordering::SeqCst)
    }
}
