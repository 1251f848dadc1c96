//! The ingest HTTP contract, independent of Lambda: `POST /webhooks/{source}[/{token}]`, and
//! `GET /webhooks/{source}` for a source whose platform has a subscription handshake (Meta).
//!
//! Order of checks: route, method, source, size, empty body, signature, identity, enqueue.
//! 200 is answered only after the queue accepted every event of the delivery. A handshake
//! (Meta's `GET`, Slack's and Zoom's URL checks, Discord's `PING`) is answered at once and
//! enqueues nothing.

use crate::bodies::{BodyStoreError, BodyWriter};
use crate::config::Sources;
use crate::delivery::{AcceptError, Accepted, AcceptedEvent, Unverified};
use crate::identity::{IdBasis, IdentityError};
use crate::metrics::{stdout_sink, IngestMetrics, MetricsSink, Rejection};
use crate::platform::HandshakeError;
use crate::queue::{EventQueue, PartlySent, QueueError};
use crate::scheme::SignatureError;
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use std::sync::Arc;
use time::OffsetDateTime;
use tracing::{info, info_span, warn, Instrument};

/// An HTTP request as ingest sees it, whatever front end delivered it.
#[derive(Debug, Clone)]
pub struct IngestRequest {
    /// The HTTP method; anything but POST is refused with 405.
    pub method: Method,
    /// The URL path without the query: `[/stage]/webhooks/{source}[/{token}]`.
    pub path: String,
    /// The raw query string, without `?` (may carry `token=`); None when the URL has none.
    pub query: Option<String>,
    /// The request headers as received.
    pub headers: HeaderMap,
    /// The whole raw body: the bytes the signature is checked against.
    pub body: Bytes,
    /// The connection's address as the front end reports it (API Gateway's and the Function
    /// URL's `requestContext.http.sourceIp`), never a client-set header such as
    /// `X-Forwarded-For`. `None` when the front end gives none.
    pub source_ip: Option<std::net::IpAddr>,
}

impl IngestRequest {
    /// From any `http` request's parts and its whole body (Lambda's, or a plain server's).
    pub fn from_parts(parts: http::request::Parts, body: Bytes) -> Self {
        Self {
            method: parts.method,
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts.headers,
            body,
            source_ip: None,
        }
    }

    /// The same request, with the address the front end reported for the connection.
    pub fn with_source_ip(mut self, ip: Option<std::net::IpAddr>) -> Self {
        self.source_ip = ip;
        self
    }
}

/// Every way a delivery can be refused, each mapped once to a status and a stable code.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The path is not `/webhooks/{source}[/{token}]`: 404 `not_found`.
    #[error("no route: POST /webhooks/{{source}}")]
    NoRoute,
    /// Anything but POST, or GET to a source without a subscription handshake: 405
    /// `method_not_allowed`, with `Allow` naming what the source answers.
    #[error("method not allowed: use {0}")]
    MethodNotAllowed(&'static str),
    /// A subscription handshake (`GET`) that cannot be answered: 400 `bad_handshake`, or 403
    /// `invalid_verify_token` when the verify token does not match.
    #[error("{0}")]
    Handshake(#[from] HandshakeError),
    /// No source is configured under the path's name: 404 `unknown_source`.
    #[error("no source is configured under this name")]
    UnknownSource,
    /// The source has an IP allowlist and the connection's address is not on it (or the
    /// front end reported none): 403 `ip_not_allowed`.
    #[error("this source does not accept deliveries from this address")]
    IpNotAllowed,
    /// The body is over the source's `max_body_bytes`: 413 `payload_too_large`.
    #[error("body is {size} bytes; this source accepts at most {limit}")]
    TooLarge {
        /// The body's length, in bytes.
        size: usize,
        /// The source's `max_body_bytes`.
        limit: usize,
    },
    /// The body is empty: 400 `empty_body`.
    #[error("body is empty")]
    EmptyBody,
    /// No valid signature, timestamp or URL token: 401 `missing_signature`,
    /// `invalid_signature` or `stale_timestamp`.
    #[error("{0}")]
    Signature(#[from] SignatureError),
    /// Verified but not acceptable: 400 `malformed_body` (the events cannot be identified), or
    /// 413 `payload_too_large` (an envelope would not fit in an SQS message and there is no
    /// body store).
    #[error("{0}")]
    Accept(#[from] AcceptError),
    /// A body too large for the queue could not be stored: 503 `storage_unavailable`, with
    /// `Retry-After: 5`. Nothing was enqueued.
    #[error("the body store is unavailable; retry later")]
    BodyStore(#[from] BodyStoreError),
    /// The queue did not take an event: 503 `queue_unavailable`, with `Retry-After: 5`.
    #[error("the queue is unavailable; retry later")]
    Queue(#[from] QueueError),
}

impl IngestError {
    /// The HTTP status this refusal is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NoRoute | Self::UnknownSource => StatusCode::NOT_FOUND,
            Self::IpNotAllowed => StatusCode::FORBIDDEN,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Handshake(HandshakeError::Mismatch) => StatusCode::FORBIDDEN,
            Self::Handshake(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge { .. }
            | Self::Accept(AcceptError::TooLargeForQueue(_))
            | Self::Accept(AcceptError::Identity(IdentityError::ContextTooLarge(_))) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Self::EmptyBody | Self::Accept(AcceptError::Identity(_)) => StatusCode::BAD_REQUEST,
            Self::Signature(_) => StatusCode::UNAUTHORIZED,
            Self::Queue(_) | Self::BodyStore(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The stable machine-readable code, the `error` field of the JSON answer.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoRoute => "not_found",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::Handshake(HandshakeError::Mismatch) => "invalid_verify_token",
            Self::Handshake(_) => "bad_handshake",
            Self::UnknownSource => "unknown_source",
            Self::IpNotAllowed => "ip_not_allowed",
            Self::TooLarge { .. } | Self::Accept(AcceptError::TooLargeForQueue(_)) => {
                "payload_too_large"
            }
            Self::EmptyBody => "empty_body",
            Self::Accept(AcceptError::Identity(IdentityError::NotJson)) => "malformed_body",
            Self::Accept(AcceptError::Identity(IdentityError::MissingSplit(_))) => "malformed_body",
            Self::Accept(AcceptError::Identity(IdentityError::ContextTooLarge(_))) => {
                "payload_too_large"
            }
            Self::Signature(e) => e.code(),
            Self::Queue(_) => "queue_unavailable",
            Self::BodyStore(_) => "storage_unavailable",
        }
    }

    pub(crate) fn rejection(&self) -> Rejection {
        match self {
            Self::NoRoute | Self::UnknownSource => Rejection::UnknownSource,
            Self::IpNotAllowed => Rejection::Ip,
            Self::MethodNotAllowed(_) => Rejection::Method,
            Self::Handshake(_) => Rejection::Signature,
            Self::TooLarge { .. } | Self::Accept(AcceptError::TooLargeForQueue(_)) => {
                Rejection::Size
            }
            Self::EmptyBody | Self::Accept(AcceptError::Identity(_)) => Rejection::Body,
            Self::Signature(SignatureError::OutsideTolerance(_)) => Rejection::Timestamp,
            Self::Signature(_) => Rejection::Signature,
            // Counted with the queue: either way the event could not be made durable.
            Self::Queue(_) | Self::BodyStore(_) => Rejection::Queue,
        }
    }
}

/// The current sources; replaced whole when the configuration is refreshed. Cloning the cell
/// shares it.
#[derive(Debug, Clone)]
pub struct SourcesCell(Arc<crate::swap::Swap<Sources>>);

impl SourcesCell {
    /// A cell holding `sources`.
    pub fn new(sources: Sources) -> Self {
        Self(Arc::new(crate::swap::Swap::new(sources)))
    }
    /// The sources as of now (a handle, not a copy).
    pub fn current(&self) -> Arc<Sources> {
        self.0.current()
    }
    /// Swaps in a new configuration; requests that already took the old one finish with it.
    pub fn replace(&self, sources: Sources) {
        self.0.replace(sources);
    }
}

type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// The ingest service: sources, a queue, a clock, and optionally a store for bodies too large
/// for the queue.
pub struct Ingest<Q> {
    sources: SourcesCell,
    queue: Q,
    clock: Clock,
    metrics: MetricsSink,
    bodies: Option<Arc<dyn BodyWriter>>,
}

impl<Q> std::fmt::Debug for Ingest<Q> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ingest").finish_non_exhaustive()
    }
}

/// The parts of `/…/webhooks/{source}[/{token}]`; a stage prefix before `webhooks` is fine.
fn route(path: &str) -> Option<(&str, Option<&str>)> {
    let mut segs = path.split('/').filter(|s| !s.is_empty());
    segs.find(|s| *s == "webhooks")?;
    let source = segs.next()?;
    let token = segs.next();
    if segs.next().is_some() {
        return None;
    }
    Some((source, token))
}

fn query_token(query: Option<&str>) -> Option<&str> {
    query?
        .split('&')
        .find_map(|kv| kv.strip_prefix("token="))
        .filter(|t| !t.is_empty())
}

impl<Q: EventQueue> Ingest<Q> {
    /// Ingest over `sources` and `queue`, with the system clock and metric lines on stdout.
    pub fn new(sources: SourcesCell, queue: Q) -> Self {
        Self {
            sources,
            queue,
            clock: Arc::new(OffsetDateTime::now_utc),
            metrics: stdout_sink(),
            bodies: None,
        }
    }

    /// Stores bodies too large for a queue message in `store` and enqueues a claim-check
    /// envelope instead (without a store, such deliveries are answered 413).
    pub fn with_body_store(mut self, store: Arc<dyn BodyWriter>) -> Self {
        self.bodies = Some(store);
        self
    }

    /// Replaces the clock (tests use fixed times for timestamped schemes).
    pub fn with_clock(
        mut self,
        clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static,
    ) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Replaces where EMF metric lines go (stdout by default).
    pub fn with_metrics_sink(mut self, sink: MetricsSink) -> Self {
        self.metrics = sink;
        self
    }

    /// The sources cell, through which a configuration refresh replaces the sources.
    pub fn sources(&self) -> &SourcesCell {
        &self.sources
    }

    /// Handles one request; never panics, always answers JSON.
    pub async fn handle(&self, req: IngestRequest) -> Response<String> {
        let mut metrics = IngestMetrics::default();
        let response = self.handle_counted(req, &mut metrics).await;
        (self.metrics)(&metrics.line());
        response
    }

    async fn handle_counted(&self, req: IngestRequest, m: &mut IngestMetrics) -> Response<String> {
        let source_name = route(&req.path).map(|(s, _)| s.to_owned());
        m.source = source_name.clone();
        match self.process(&req, m).await {
            Ok(resp) => resp,
            Err(e) => {
                m.rejected(e.rejection());
                match &e {
                    IngestError::Queue(q) => warn!(
                        source = source_name.as_deref().unwrap_or(""),
                        error = %q,
                        "enqueue failed; answering 503 so the provider retries"
                    ),
                    IngestError::BodyStore(b) => warn!(
                        source = source_name.as_deref().unwrap_or(""),
                        error = %b,
                        "storing a large body failed; answering 503 so the provider retries"
                    ),
                    _ => warn!(
                        source = source_name.as_deref().unwrap_or(""),
                        status = e.status().as_u16(),
                        code = e.code(),
                        reason = %e,
                        "delivery rejected"
                    ),
                }
                error_response(&e)
            }
        }
    }

    async fn process(
        &self,
        req: &IngestRequest,
        m: &mut IngestMetrics,
    ) -> Result<Response<String>, IngestError> {
        let (name, path_token) = route(&req.path).ok_or(IngestError::NoRoute)?;
        if req.method != Method::POST && req.method != Method::GET {
            return Err(IngestError::MethodNotAllowed("POST"));
        }
        let sources = self.sources.current();
        let source = sources.get(name).ok_or(IngestError::UnknownSource)?;
        m.received();
        if !source.allows_ip(req.source_ip) {
            return Err(IngestError::IpNotAllowed);
        }
        if req.method == Method::GET {
            if !source.platform().accepts_get() || path_token.is_some() {
                return Err(IngestError::MethodNotAllowed(source.platform().allow()));
            }
            let challenge = source.platform().subscribe(req.query.as_deref())?;
            info!(source = name, "answered the subscription handshake");
            return Ok(text_response(challenge));
        }
        let limit = source.max_body_bytes();
        if req.body.len() > limit {
            return Err(IngestError::TooLarge {
                size: req.body.len(),
                limit,
            });
        }
        if req.body.is_empty() {
            return Err(IngestError::EmptyBody);
        }
        let now = (self.clock)();
        // Percent-decoded, as any URL component: `tok%2Dx` is the token `tok-x`. A token that
        // does not decode to UTF-8 matches no secret.
        let token = path_token
            .or_else(|| query_token(req.query.as_deref()))
            .map(|t| percent_encoding::percent_decode_str(t).decode_utf8_lossy());
        let verified = source.verify(
            Unverified {
                headers: &req.headers,
                body: &req.body,
                url_token: token.as_deref(),
            },
            now.unix_timestamp(),
        )?;
        let events = match verified.accept(now)? {
            Accepted::Handshake(answer) => {
                info!(source = name, "answered provider handshake");
                return Ok(json_response(StatusCode::OK, answer));
            }
            Accepted::Events(events) => events,
        };
        // Verified, then filtered: an unwanted type is answered 200 and never enqueued.
        let (events, filtered): (Vec<_>, Vec<_>) = events
            .into_iter()
            .partition(|ev| source.wants(&ev.envelope().event_type));
        for ev in &filtered {
            m.filtered();
            info!(event_type = %ev.envelope().event_type, "filtered by the source's event types");
        }
        if events.is_empty() {
            if let Some(first) = filtered.first() {
                let event_type = &first.envelope().event_type;
                let body = match source.platform().accepted_answer(event_type) {
                    Some(answer) => answer,
                    None => serde_json::json!({
                        "status": "filtered",
                        "event_type": event_type,
                        "filtered": filtered.len(),
                    })
                    .to_string(),
                };
                return Ok(json_response(StatusCode::OK, body));
            }
        }
        // Bodies too large for a message are stored first: nothing is enqueued unless every
        // event of the delivery can be.
        let mut ready = Vec::with_capacity(events.len());
        for ev in events {
            if ev.fits_queue() {
                ready.push(ev);
                continue;
            }
            let Some(store) = &self.bodies else {
                return Err(AcceptError::TooLargeForQueue(ev.queue_bytes()).into());
            };
            let at = store
                .put(&ev.envelope().body_bytes())
                .await
                .inspect_err(|_| m.enqueue_failed())?;
            m.body_stored();
            info!(bytes = at.size, "body stored; enqueueing a claim check");
            ready.push(ev.with_body_stored(at));
        }
        // One event is sent inside its span; several (LINE, Meta) in as few calls as the queue
        // takes, each event's lines logged in its span after.
        let spans: Vec<tracing::Span> = ready.iter().map(event_span).collect();
        let sent = match (ready.as_slice(), spans.as_slice()) {
            ([one], [span]) => self
                .queue
                .enqueue(one)
                .instrument(span.clone())
                .await
                .map_err(|error| PartlySent { sent: 0, error }),
            (all, _) => self.queue.enqueue_all(all).await,
        };
        let (count, failed) = match sent {
            Ok(()) => (ready.len(), None),
            Err(PartlySent { sent, error }) => (sent, Some(error)),
        };
        let mut ids = Vec::with_capacity(ready.len());
        for (ev, span) in ready.iter().zip(&spans).take(count) {
            let _in_event = span.enter();
            m.enqueued(&ev.envelope().event_type);
            if ev.id_basis() == IdBasis::BodyFallback {
                m.id_fallback();
                warn!("none of the configured id fields is present; event id is the body hash");
            }
            info!(bytes = ev.message_body().len(), "enqueued");
            ids.push(ev.envelope().event_id.clone());
        }
        if let Some(error) = failed {
            m.enqueue_failed();
            return Err(error.into());
        }
        // Discord and Teams wait for an answer of their own shape; the event is queued already.
        if let Some(answer) = ready
            .first()
            .and_then(|ev| source.platform().accepted_answer(&ev.envelope().event_type))
        {
            return Ok(json_response(StatusCode::OK, answer));
        }
        let body = AcceptedBody {
            event_id: ids.first().map(String::as_str),
            event_ids: (ids.len() != 1).then_some(ids.as_slice()),
            filtered: (!filtered.is_empty()).then_some(filtered.len()),
            status: "accepted",
        };
        Ok(json_response(StatusCode::OK, to_json(&body)))
    }
}

/// The span of one event's enqueueing: source, type and id on every line logged in it.
fn event_span(ev: &AcceptedEvent) -> tracing::Span {
    let env = ev.envelope();
    info_span!(
        "event",
        source = %env.source,
        event_type = %env.event_type,
        event_id = %env.event_id
    )
}

/// The 200 answer to a delivery whose events were enqueued. Members in key order, as the
/// `serde_json::Value` this replaced printed them (same bytes, without building the tree):
/// `{"event_id":..,"status":"accepted"}` for one event; with `event_ids` (and `event_id` the
/// first, or null) otherwise; `filtered` when some events were filtered out.
#[derive(serde::Serialize)]
struct AcceptedBody<'a> {
    event_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_ids: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    filtered: Option<usize>,
    status: &'static str,
}

/// `{"error":..,"message":..}` (key order, as above).
#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: String,
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Strings, numbers and options of them always serialise.
    serde_json::to_string(v).unwrap_or_default()
}

/// A handshake's challenge, as text that no browser will treat as a page.
fn text_response(body: String) -> Response<String> {
    let mut resp = Response::new(body);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

fn json_response(status: StatusCode, body: String) -> Response<String> {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// `{"error": code, "message": ...}`; messages name headers and limits, never values.
pub fn error_response(e: &IngestError) -> Response<String> {
    let body = to_json(&ErrorBody {
        error: e.code(),
        message: e.to_string(),
    });
    let mut resp = json_response(e.status(), body);
    match e {
        IngestError::MethodNotAllowed(allow) => {
            resp.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        IngestError::Queue(_) | IngestError::BodyStore(_) => {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        _ => {}
    }
    resp
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod answer_bytes {
    use super::*;
    use serde_json::json;

    /// The answers are byte for byte what the `serde_json::Value` trees printed before #16.
    #[test]
    fn answers_match_the_value_trees() {
        let ids: Vec<String> = vec!["E1".into(), "E\"2".into()];
        for n in 0..=2 {
            let ids = ids.get(..n).unwrap_or_default();
            for filtered in [0usize, 3] {
                let mut want = match ids {
                    [one] => json!({ "status": "accepted", "event_id": one }),
                    _ => json!({ "status": "accepted", "event_id": ids.first(), "event_ids": ids }),
                };
                if let (false, Some(obj)) = (filtered == 0, want.as_object_mut()) {
                    obj.insert("filtered".into(), json!(filtered));
                }
                let body = AcceptedBody {
                    event_id: ids.first().map(String::as_str),
                    event_ids: (ids.len() != 1).then_some(ids),
                    filtered: (filtered != 0).then_some(filtered),
                    status: "accepted",
                };
                assert_eq!(to_json(&body), want.to_string());
            }
        }
        let e = IngestError::TooLarge { size: 9, limit: 8 };
        let want = json!({ "error": e.code(), "message": e.to_string() }).to_string();
        assert_eq!(error_response(&e).into_body(), want);
    }
}
