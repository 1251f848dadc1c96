//! `hookwell console`: the delivery history as a web page served on loopback. It reads the
//! events table and the DLQ with the operator's own AWS credentials (or the local stack), so
//! nothing new is exposed in AWS. Pages are rendered here ([`render`]), with a little plain
//! JavaScript for the refresh and no asset from anywhere but this binary.
//!
//! Actions (replay from the DLQ, re-deliver, send test) go through a confirmation page and a
//! POST that [`guard`] checks: the console's own `Host` and `Origin`, and this process's
//! token in the form.

pub mod backend;
pub mod chart;
pub mod guard;
pub mod query;
pub mod render;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use backend::{ActionError, Backend};
use guard::{Guard, Refusal};
use hookwell::replay::ReplayFilter;
use hookwell::store::EventRecord;
use http::{header, HeaderValue, StatusCode, Uri};
use query::HistoryQuery;
use render::{Confirm, Ctx, DlqView, HistoryView, SendView};
use std::collections::BTreeSet;
use std::sync::Arc;
use time::OffsetDateTime;

/// The largest form the console reads (its forms hold a few short fields).
const MAX_FORM: usize = 16 * 1024;

/// Every response's security headers. `Referrer-Policy: same-origin` rather than
/// `no-referrer`: under `no-referrer` a browser sends `Origin: null` with a form POST (the
/// Fetch standard; seen with Chromium), which would defeat the Origin check. Nothing is ever
/// sent to another origin either way.
pub const SECURITY_HEADERS: [(&str, &str); 7] = [
    (
        "content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("cache-control", "no-store"),
];

/// "Send test": where signed samples go, and the secrets they are signed with.
#[derive(Debug)]
pub struct SendTest {
    pub sources: hookwell::Sources,
    /// Ingest's base URL (before `/webhooks/...`).
    pub url: String,
    pub http: reqwest::Client,
}

/// The console: what it reads from, its guard, and the page header.
pub struct Console {
    backend: Arc<dyn Backend>,
    guard: Guard,
    ctx: Ctx,
    send: Result<SendTest, String>,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("guard", &self.guard)
            .field("target", &self.ctx.target)
            .finish_non_exhaustive()
    }
}

impl Console {
    /// A console answering at `guard`'s address. `send` is "send test", or why it is off.
    pub fn new(
        backend: Arc<dyn Backend>,
        guard: Guard,
        send: Result<SendTest, String>,
        refresh_secs: u32,
    ) -> Self {
        let ctx = Ctx {
            target: backend.describe(),
            token: guard.token().to_owned(),
            refresh_secs: refresh_secs.max(1),
        };
        Self {
            backend,
            guard,
            ctx,
            send,
        }
    }
}

/// Serves the console on `listener` (bound to loopback) until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, console: Console) -> std::io::Result<()> {
    axum::serve(listener, router(Arc::new(console))).await
}

/// Every route, behind the guard.
pub fn router(c: Arc<Console>) -> axum::Router {
    axum::Router::new()
        .route("/", get(history))
        .route("/fragment/history", get(history_fragment))
        .route("/event", get(event))
        .route("/fragment/event", get(event_fragment))
        .route("/dlq", get(dlq))
        .route("/fragment/dlq", get(dlq_fragment))
        .route("/fragment/dlq-depth", get(dlq_depth))
        .route("/send", get(send_form))
        .route("/confirm/replay", get(confirm_replay))
        .route("/confirm/replay-all", get(confirm_replay_all))
        .route("/confirm/redeliver", get(confirm_redeliver))
        .route("/confirm/send", get(confirm_send))
        .route("/actions/replay", post(do_replay))
        .route("/actions/replay-all", post(do_replay_all))
        .route("/actions/redeliver", post(do_redeliver))
        .route("/actions/send", post(do_send))
        .route("/assets/console.css", get(css))
        .route("/assets/console.js", get(js))
        .route("/assets/favicon.svg", get(favicon))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(c.clone(), protect))
        .with_state(c)
}

type S = State<Arc<Console>>;

/// The guard in front of every route, and the security headers on every answer.
async fn protect(State(c): S, req: Request, next: Next) -> Response {
    let mut resp = match check(&c, req).await {
        Ok(req) => next.run(req).await,
        Err(r) => {
            tracing::warn!(reason = ?r, "console refused a request");
            page(
                StatusCode::FORBIDDEN,
                &render::message_page(&c.ctx, "Refused", r.message(), "/"),
            )
        }
    };
    let h = resp.headers_mut();
    for (k, v) in SECURITY_HEADERS {
        h.insert(k, HeaderValue::from_static(v));
    }
    resp
}

async fn check(c: &Console, req: Request) -> Result<Request, Refusal> {
    let text = |req: &Request, name| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    c.guard.check_host(text(&req, header::HOST).as_deref())?;
    if matches!(*req.method(), http::Method::GET | http::Method::HEAD) {
        return Ok(req);
    }
    let origin = text(&req, header::ORIGIN);
    let site = text(&req, header::HeaderName::from_static("sec-fetch-site"));
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, MAX_FORM)
        .await
        .map_err(|_| Refusal::Token)?;
    c.guard.check_post(
        origin.as_deref(),
        site.as_deref(),
        guard::form_token(&body).as_deref(),
    )?;
    Ok(Request::from_parts(parts, Body::from(body)))
}

fn page(status: StatusCode, html: &str) -> Response {
    (status, Html(html.to_owned())).into_response()
}

fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_owned())],
    )
        .into_response()
}

/// A query string read into `T`; anything unreadable counts as empty.
fn query<T: serde::de::DeserializeOwned + Default>(uri: &Uri) -> T {
    uri.query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default()
}

/// A POSTed form read into `T`.
fn form<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<T> {
    serde_urlencoded::from_bytes(body).ok()
}

/// `?source=..&id=..` (and `done`, the banner after an action).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct Key {
    source: String,
    id: String,
    done: String,
}

// ---- history ----

struct History {
    problems: Vec<String>,
    rows: Vec<EventRecord>,
    counts: [usize; 3],
    total: usize,
    window_full: bool,
    chart: chart::Chart,
    dlq_depth: Option<u64>,
    error: Option<String>,
    sources: Vec<String>,
    types: Vec<String>,
}

async fn load_history(c: &Console, q: &HistoryQuery) -> History {
    let now = OffsetDateTime::now_utc();
    let (filters, problems) = q.filters(now);
    let asked = filters.window();
    let (window, depth) = tokio::join!(c.backend.history(&asked), c.backend.dlq_depth());
    let (window, error) = match window {
        Ok(w) => (w, None),
        Err(e) => (
            Vec::new(),
            Some(format!("The events table could not be read: {e}")),
        ),
    };
    let mut counts = [0usize; 3];
    for r in &window {
        if let Some(i) = query::STATUSES.iter().position(|s| *s == r.status) {
            if let Some(n) = counts.get_mut(i) {
                *n += 1;
            }
        }
    }
    let distinct = |f: fn(&EventRecord) -> &str| -> Vec<String> {
        window
            .iter()
            .map(f)
            .filter(|s| !s.is_empty())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(str::to_owned)
            .collect()
    };
    let (sources, types) = (distinct(|r| &r.source), distinct(|r| &r.event_type));
    let chart = chart::Chart::build(
        &window,
        filters.since,
        filters.until.unwrap_or(now).min(now),
    );
    let rows: Vec<EventRecord> = window
        .iter()
        .filter(|r| filters.keeps(r))
        .take(filters.limit)
        .cloned()
        .collect();
    History {
        problems,
        rows,
        counts,
        total: window.len(),
        window_full: window.len() >= query::WINDOW,
        chart,
        dlq_depth: depth.ok(),
        error,
        sources,
        types,
    }
}

fn history_view<'a>(q: &'a HistoryQuery, h: &'a History) -> HistoryView<'a> {
    HistoryView {
        query: q,
        problems: &h.problems,
        rows: &h.rows,
        counts: h.counts,
        total: h.total,
        window_full: h.window_full,
        chart: &h.chart,
        dlq_depth: h.dlq_depth,
        error: h.error.as_deref(),
        sources: &h.sources,
        types: &h.types,
    }
}

async fn history(State(c): S, uri: Uri) -> Response {
    let q: HistoryQuery = query(&uri);
    let h = load_history(&c, &q).await;
    page(
        StatusCode::OK,
        &render::history_page(&c.ctx, &history_view(&q, &h)),
    )
}

async fn history_fragment(State(c): S, uri: Uri) -> Response {
    let q: HistoryQuery = query(&uri);
    let h = load_history(&c, &q).await;
    page(
        StatusCode::OK,
        &render::history_fragment(&history_view(&q, &h)),
    )
}

// ---- one event ----

async fn event(State(c): S, uri: Uri) -> Response {
    let k: Key = query(&uri);
    let done = Some(k.done.as_str()).filter(|d| !d.is_empty());
    match c.backend.event(&k.source, &k.id).await {
        Ok(Some(r)) => page(StatusCode::OK, &render::event_page(&c.ctx, &r, done)),
        Ok(None) => page(
            StatusCode::NOT_FOUND,
            &render::event_missing_page(&c.ctx, &k.source, &k.id, done),
        ),
        Err(e) => unavailable(&c, &e),
    }
}

async fn event_fragment(State(c): S, uri: Uri) -> Response {
    let k: Key = query(&uri);
    match c.backend.event(&k.source, &k.id).await {
        Ok(Some(r)) => page(StatusCode::OK, &render::event_fragment(&r)),
        Ok(None) => page(StatusCode::OK, &render::event_missing_fragment()),
        Err(e) => page(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!(
                "<p class=\"error\">The events table could not be read: {}</p>",
                render::esc(&e)
            ),
        ),
    }
}

fn unavailable(c: &Console, e: &str) -> Response {
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        &render::message_page(&c.ctx, "Unavailable", e, "/"),
    )
}

// ---- the DLQ ----

/// Reads the DLQ and renders it with `render`.
async fn with_dlq(c: &Console, render: impl FnOnce(&DlqView<'_>) -> String) -> Response {
    let (letters, depth) = tokio::join!(c.backend.dead_letters(), c.backend.dlq_depth());
    let (letters, error) = match letters {
        Ok(l) => (l, None),
        Err(e) => (Vec::new(), Some(format!("The DLQ could not be read: {e}"))),
    };
    let v = DlqView {
        letters: &letters,
        depth: depth.ok(),
        error: error.as_deref(),
        now: OffsetDateTime::now_utc(),
    };
    page(StatusCode::OK, &render(&v))
}

async fn dlq(State(c): S, uri: Uri) -> Response {
    let k: Key = query(&uri);
    let done = Some(k.done.as_str()).filter(|d| !d.is_empty());
    with_dlq(&c, |v| render::dlq_page(&c.ctx, v, done)).await
}

async fn dlq_fragment(State(c): S) -> Response {
    with_dlq(&c, render::dlq_fragment).await
}

async fn dlq_depth(State(c): S) -> Response {
    let d = c.backend.dlq_depth().await.ok();
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        render::dlq_depth_fragment(d),
    )
        .into_response()
}

// ---- confirmations ----

fn event_details(r: Option<&EventRecord>) -> Vec<(&'static str, String)> {
    let Some(r) = r else {
        return vec![("Record", "not in the events table".to_owned())];
    };
    vec![
        ("Type", r.event_type.clone()),
        ("Status", r.status.clone()),
        ("Attempts", r.attempts.to_string()),
        ("Last error", r.last_error.clone().unwrap_or_default()),
    ]
}

async fn confirm_replay(State(c): S, uri: Uri) -> Response {
    let k: Key = query(&uri);
    let record = c.backend.event(&k.source, &k.id).await.ok().flatten();
    let mut details = vec![("Source", k.source.clone()), ("Event id", k.id.clone())];
    details.extend(event_details(record.as_ref()));
    let cancel = "/dlq".to_owned();
    page(
        StatusCode::OK,
        &render::confirm_page(
            &c.ctx,
            &Confirm {
                title: "Replay from the DLQ",
                question: "Move this event from the dead-letter queue back to the queue? The processor runs it again \
                           (safe: an event that completed meanwhile is skipped as a duplicate).",
                details,
                preview: None,
                action: "/actions/replay",
                fields: vec![("source", k.source.clone()), ("id", k.id.clone())],
                button: "Replay",
                cancel,
            },
        ),
    )
}

async fn confirm_replay_all(State(c): S) -> Response {
    let depth = c
        .backend
        .dlq_depth()
        .await
        .map_or_else(|e| format!("unknown ({e})"), |d| d.to_string());
    page(
        StatusCode::OK,
        &render::confirm_page(
            &c.ctx,
            &Confirm {
                title: "Replay every dead letter",
                question: "Move every message of the dead-letter queue back to the queue?",
                details: vec![("Messages", depth)],
                preview: None,
                action: "/actions/replay-all",
                fields: vec![],
                button: "Replay all",
                cancel: "/dlq".to_owned(),
            },
        ),
    )
}

async fn confirm_redeliver(State(c): S, uri: Uri) -> Response {
    let k: Key = query(&uri);
    let back = render::event_href(&k.source, &k.id);
    let r = match c.backend.event(&k.source, &k.id).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return page(
                StatusCode::NOT_FOUND,
                &render::message_page(
                    &c.ctx,
                    "Re-deliver",
                    "No such event in the events table.",
                    &back,
                ),
            )
        }
        Err(e) => return unavailable(&c, &e),
    };
    if !render::can_redeliver(&r) {
        let why = if r.payload.is_none() && r.body_ref.is_none() {
            "Its payload was not retained, so there is nothing to deliver again: replay it from the DLQ, or have the provider resend it."
        } else {
            "It is being processed right now: try again once it completed or failed."
        };
        return page(
            StatusCode::CONFLICT,
            &render::message_page(&c.ctx, "Cannot re-deliver", why, &back),
        );
    }
    let mut details = vec![
        ("Source", r.source.clone()),
        ("Event id", r.event_id.clone()),
    ];
    details.extend(event_details(Some(&r)));
    details.push(("Re-deliveries so far", r.redeliveries.to_string()));
    page(
        StatusCode::OK,
        &render::confirm_page(
            &c.ctx,
            &Confirm {
                title: "Re-deliver this event",
                question: "Run this event's handlers again from its retained payload? This overrides the dedup on \
                           purpose, and the event's record counts the re-delivery.",
                details,
                preview: None,
                action: "/actions/redeliver",
                fields: vec![("source", r.source.clone()), ("id", r.event_id.clone())],
                button: "Re-deliver",
                cancel: back,
            },
        ),
    )
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct SendPick {
    /// `source/event`, as the send page's options carry them (a source name is a URL path
    /// segment: it has no `/`).
    sample: String,
}

/// A test delivery as the confirmation shows it and the POST sends it: same sample, seed and
/// time, freshly signed.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct SendForm {
    source: String,
    event: String,
    seed: u64,
    at: i64,
}

fn prepare(
    t: &SendTest,
    f: &SendForm,
    now: OffsetDateTime,
) -> Result<crate::send::Delivery, crate::send::SendError> {
    let rendered = OffsetDateTime::from_unix_timestamp(f.at).unwrap_or(now);
    crate::send::prepare_at(
        &t.sources,
        &f.source,
        Some(f.event.as_str()).filter(|e| !e.is_empty()),
        None,
        &t.url,
        (rendered, now),
        f.seed,
    )
}

/// "Send test", or the page that says why it is off.
fn send_test(c: &Console) -> Result<&SendTest, Box<Response>> {
    c.send.as_ref().map_err(|why| {
        Box::new(page(
            StatusCode::CONFLICT,
            &render::message_page(&c.ctx, "Send test is off", why, "/send"),
        ))
    })
}

async fn send_form(State(c): S) -> Response {
    let sources: Vec<(String, Vec<String>)> = match &c.send {
        Ok(t) => t
            .sources
            .names()
            .filter_map(|n| t.sources.get(n).map(|s| (n, s)))
            .map(|(n, s)| {
                let mut seen = BTreeSet::new();
                let events = hookwell::samples::for_source(n, s)
                    .map(|x| x.1.to_owned())
                    .filter(|e| seen.insert(e.clone()))
                    .collect();
                (n.to_owned(), events)
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    let target = match &c.send {
        Ok(t) => Ok(t.url.as_str()),
        Err(why) => Err(why.as_str()),
    };
    page(
        StatusCode::OK,
        &render::send_page(
            &c.ctx,
            &SendView {
                sources: &sources,
                target,
            },
        ),
    )
}

async fn confirm_send(State(c): S, uri: Uri) -> Response {
    let t = match send_test(&c) {
        Ok(t) => t,
        Err(off) => return *off,
    };
    let pick: SendPick = query(&uri);
    let (source, event) = pick.sample.split_once('/').unwrap_or((&pick.sample, ""));
    let now = OffsetDateTime::now_utc();
    let f = SendForm {
        source: source.to_owned(),
        event: event.to_owned(),
        seed: fastrand::u64(..),
        at: now.unix_timestamp(),
    };
    let d = match prepare(t, &f, now) {
        Ok(d) => d,
        Err(e) => {
            return page(
                StatusCode::BAD_REQUEST,
                &render::message_page(&c.ctx, "Send test", &e.to_string(), "/send"),
            )
        }
    };
    let body = String::from_utf8_lossy(&d.body).into_owned();
    // A URL-token source's URL holds its secret: show where, not the token.
    let url = d
        .url
        .split("/webhooks/")
        .next()
        .unwrap_or_default()
        .to_owned()
        + "/webhooks/"
        + source;
    page(
        StatusCode::OK,
        &render::confirm_page(
            &c.ctx,
            &Confirm {
                title: "Send a test event",
                question: "Sign this sample as the provider would and POST it to ingest?",
                details: vec![
                    ("Source", f.source.clone()),
                    ("Event type", d.event.clone()),
                    ("To", url),
                    ("Bytes", d.body.len().to_string()),
                ],
                preview: Some(&body),
                action: "/actions/send",
                fields: vec![
                    ("source", f.source.clone()),
                    ("event", d.event.clone()),
                    ("seed", f.seed.to_string()),
                    ("at", f.at.to_string()),
                ],
                button: "Send",
                cancel: "/send".to_owned(),
            },
        ),
    )
}

// ---- actions (POST; the guard checked Origin and token) ----

fn action_failed(c: &Console, title: &str, e: &ActionError, back: &str) -> Response {
    let status = match e {
        ActionError::NotFound(_) => StatusCode::NOT_FOUND,
        ActionError::Conflict(_) | ActionError::Unconfigured(_) => StatusCode::CONFLICT,
        ActionError::Unavailable(_) => StatusCode::BAD_GATEWAY,
    };
    page(
        status,
        &render::message_page(&c.ctx, title, &e.to_string(), back),
    )
}

fn bad_form(c: &Console) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        &render::message_page(&c.ctx, "Bad request", "the form is incomplete", "/"),
    )
}

async fn do_replay(State(c): S, body: axum::body::Bytes) -> Response {
    let Some(k) = form::<Key>(&body).filter(|k| !k.source.is_empty() && !k.id.is_empty()) else {
        return bad_form(&c);
    };
    let filter = ReplayFilter {
        source: Some(k.source.clone()),
        event_id: Some(k.id.clone()),
        ..ReplayFilter::default()
    };
    match c.backend.replay(&filter).await {
        Ok(r) if r.moved == 0 => see_other("/dlq?done=replay-none"),
        Ok(r) => {
            tracing::info!(source = %k.source, event_id = %k.id, moved = r.moved, "console: replayed from the DLQ");
            see_other(&format!(
                "{}&done=replayed",
                render::event_href(&k.source, &k.id)
            ))
        }
        Err(e) => action_failed(&c, "Replay failed", &e, "/dlq"),
    }
}

async fn do_replay_all(State(c): S) -> Response {
    match c.backend.replay(&ReplayFilter::default()).await {
        Ok(r) if r.moved == 0 => see_other("/dlq?done=replay-none"),
        Ok(r) => {
            tracing::info!(moved = r.moved, "console: replayed the whole DLQ");
            see_other("/dlq?done=replayed-all")
        }
        Err(e) => action_failed(&c, "Replay failed", &e, "/dlq"),
    }
}

async fn do_redeliver(State(c): S, body: axum::body::Bytes) -> Response {
    let Some(k) = form::<Key>(&body).filter(|k| !k.source.is_empty() && !k.id.is_empty()) else {
        return bad_form(&c);
    };
    let back = render::event_href(&k.source, &k.id);
    match c.backend.redeliver(&k.source, &k.id).await {
        Ok(r) => {
            tracing::info!(source = %k.source, event_id = %k.id, redeliveries = r.redeliveries, "console: re-delivered");
            see_other(&format!("{back}&done=redelivered"))
        }
        Err(e) => action_failed(&c, "Re-delivery failed", &e, &back),
    }
}

async fn do_send(State(c): S, body: axum::body::Bytes) -> Response {
    let t = match send_test(&c) {
        Ok(t) => t,
        Err(off) => return *off,
    };
    let Some(f) = form::<SendForm>(&body).filter(|f| !f.source.is_empty()) else {
        return bad_form(&c);
    };
    let failed = |msg: String| {
        page(
            StatusCode::BAD_GATEWAY,
            &render::message_page(&c.ctx, "Send test failed", &msg, "/send"),
        )
    };
    let d = match prepare(t, &f, OffsetDateTime::now_utc()) {
        Ok(d) => d,
        Err(e) => return failed(e.to_string()),
    };
    let (status, text) = match d.post(&t.http).await {
        Ok(x) => x,
        Err(e) => return failed(e.to_string()),
    };
    let id = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("event_id")
                .and_then(|i| i.as_str())
                .map(str::to_owned)
        });
    match (status, id) {
        (200..=299, Some(id)) => {
            tracing::info!(source = %f.source, event_id = %id, "console: sent a test event");
            see_other(&format!("{}&done=sent", render::event_href(&f.source, &id)))
        }
        (200..=299, None) => see_other("/"),
        (s, _) => failed(format!(
            "ingest answered {s}: {}",
            crate::send::describe_answer(&text)
        )),
    }
}

// ---- assets ----

fn asset(kind: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

async fn css() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("assets/console.css"),
    )
}

async fn js() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("assets/console.js"),
    )
}

async fn favicon() -> Response {
    asset("image/svg+xml", include_str!("assets/favicon.svg"))
}

async fn not_found(State(c): S) -> Response {
    page(
        StatusCode::NOT_FOUND,
        &render::message_page(&c.ctx, "Not found", "No such page.", "/"),
    )
}

#[cfg(test)]
mod tests;
