//! The console's pages, as HTML text. Every value that comes from the events table, the DLQ,
//! a payload or the query string goes through [`Esc`]: payloads are hostile by nature.
//! No inline script or style (the Content-Security-Policy forbids both): behaviour comes
//! from `/assets/console.js`, looks from `/assets/console.css`.

use super::chart::Chart;
use super::guard::TOKEN_FIELD;
use super::query::{HistoryQuery, STATUSES};
use crate::events::{payload_note, PayloadView};
use crate::table::{cut, time_cell};
use hookwell::replay::DeadLetter;
use hookwell::store::EventRecord;
use std::fmt::Write as _;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Text escaped for HTML element content and quoted attribute values.
#[derive(Debug, Clone, Copy)]
pub struct Esc<'a>(pub &'a str);

impl std::fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
            let (plain, tail) = rest.split_at(i);
            f.write_str(plain)?;
            let mut chars = tail.chars();
            f.write_str(match chars.next() {
                Some('&') => "&amp;",
                Some('<') => "&lt;",
                Some('>') => "&gt;",
                Some('"') => "&quot;",
                _ => "&#39;",
            })?;
            rest = chars.as_str();
        }
        f.write_str(rest)
    }
}

/// `s` escaped (see [`Esc`]).
pub fn esc(s: &str) -> String {
    Esc(s).to_string()
}

/// A path with a query string built from `pairs` (each value percent-encoded).
pub fn link(path: &str, pairs: &[(&str, &str)]) -> String {
    let q = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    if q.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{q}")
    }
}

/// The link to one event's page.
pub fn event_href(source: &str, event_id: &str) -> String {
    link("/event", &[("source", source), ("id", event_id)])
}

/// What every page shows in its header.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Which stack the console reads (`local stack`, a stack name, or a table name).
    pub target: String,
    /// The form token (see `guard`).
    pub token: String,
    /// Seconds between two refreshes of a page's live part.
    pub refresh_secs: u32,
}

/// Which tab is lit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    History,
    Dlq,
    Send,
    None,
}

/// A whole page around `body`.
pub fn layout(ctx: &Ctx, title: &str, tab: Tab, body: &str) -> String {
    let mut s = String::with_capacity(body.len() + 1500);
    let cls = |t: Tab| if t == tab { " class=\"on\"" } else { "" };
    let _ = write!(
        s,
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{} · hookwell console</title>
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/console.js" defer></script>
</head>
<body>
<header class="top">
<a class="brand" href="/"><img src="/assets/favicon.svg" alt="" width="20" height="20"> hookwell console</a>
<nav><a href="/"{}>History</a><a href="/dlq"{}>Dead letters</a><a href="/send"{}>Send test</a></nav>
<span class="target" title="where the console reads and acts">{}</span>
</header>
<main>
{}
</main>
</body>
</html>
"#,
        Esc(title),
        cls(Tab::History),
        cls(Tab::Dlq),
        cls(Tab::Send),
        Esc(&ctx.target),
        body
    );
    s
}

/// A banner after an action (`?done=` on the page it leads to); unknown codes show nothing.
pub fn notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "replayed" => "Replayed: the event is back in the queue and the processor runs it again shortly.",
        "replayed-all" => "Replayed every dead letter: they are back in the queue.",
        "replay-none" => "Nothing in the DLQ matched (replayed already, or moved by someone else): nothing was sent.",
        "redelivered" => "Re-delivery queued: the processor runs this event's handlers again, and the record counts it.",
        "sent" => "Test event sent and accepted by ingest: it shows here once the processor has claimed it.",
        _ => return None,
    })
}

fn notice_html(done: Option<&str>) -> String {
    done.and_then(notice)
        .map(|n| format!("<p class=\"notice\" role=\"status\">{}</p>\n", Esc(n)))
        .unwrap_or_default()
}

fn error_html(error: Option<&str>) -> String {
    error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>\n", Esc(e)))
        .unwrap_or_default()
}

fn parse(t: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(t, &Rfc3339).ok()
}

/// `2026-11-26 06:27:23` in a `<time>` element (UTC), or a dash.
fn time_html(t: Option<&str>) -> String {
    match t {
        Some(t) => format!(
            "<time datetime=\"{}\">{}</time>",
            Esc(t),
            Esc(&time_cell(Some(t)))
        ),
        None => "<span class=\"none\">–</span>".to_owned(),
    }
}

/// `42 s`, `3 min`, `5 h`, `2 d` between two times (never negative).
pub fn age(from: OffsetDateTime, now: OffsetDateTime) -> String {
    let s = (now - from).whole_seconds().max(0);
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        7200..=172_799 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86_400),
    }
}

fn status_badge(status: &str) -> String {
    let class = match status {
        "COMPLETED" => "completed",
        "FAILED" => "failed",
        "IN_PROGRESS" => "progress",
        _ => "other",
    };
    format!("<span class=\"badge {class}\">{}</span>", Esc(status))
}

/// The history page's data.
#[derive(Debug)]
pub struct HistoryView<'a> {
    pub query: &'a HistoryQuery,
    /// Filters that could not be read (shown, then left out).
    pub problems: &'a [String],
    /// The table's rows, newest first.
    pub rows: &'a [EventRecord],
    /// Events of the window per status, in [`STATUSES`] order, and in all.
    pub counts: [usize; 3],
    pub total: usize,
    /// The window reached its size: counts cover only its newest events.
    pub window_full: bool,
    pub chart: &'a Chart,
    /// Messages in the DLQ (visible and in flight), when it could be read.
    pub dlq_depth: Option<u64>,
    /// The events table could not be read.
    pub error: Option<&'a str>,
    /// Sources and event types seen in the window, for the filter inputs' suggestions.
    pub sources: &'a [String],
    pub types: &'a [String],
}

/// The history page: filters, then the part that refreshes itself.
pub fn history_page(ctx: &Ctx, v: &HistoryView<'_>) -> String {
    let q = v.query;
    let mut s = String::new();
    s.push_str("<h1>Delivery history</h1>\n");
    let _ = write!(
        s,
        r#"<form class="filters" method="get" action="/" id="filters">
<label>Source <input id="f-source" name="source" value="{}" list="sources" autocomplete="off"></label>
<label>Event type <input id="f-type" name="type" value="{}" list="types" autocomplete="off"></label>
<label>Status <select id="f-status" name="status"><option value="">any</option>"#,
        Esc(&q.source),
        Esc(&q.event_type),
    );
    for st in STATUSES {
        let sel = if q.status.eq_ignore_ascii_case(st) {
            " selected"
        } else {
            ""
        };
        let _ = write!(s, "<option{sel}>{st}</option>");
    }
    let _ = write!(
        s,
        r#"</select></label>
<label>Since <input id="f-since" name="since" value="{}" placeholder="1h, 7d or 2026-11-26T06:00" size="16"></label>
<label>Until <input id="f-until" name="until" value="{}" placeholder="time or duration" size="16"></label>
<input type="hidden" name="limit" value="{}">
<button type="submit" id="f-apply">Apply</button>
<a class="button quiet" href="/" id="f-clear">Clear</a>
<span class="ranges">last"#,
        Esc(&q.since),
        Esc(&q.until),
        Esc(&q.limit),
    );
    for (label, since) in [
        ("15 min", "15m"),
        ("1 h", "1h"),
        ("24 h", "24h"),
        ("7 d", "7d"),
    ] {
        let _ = write!(
            s,
            " <a href=\"/{}\">{label}</a>",
            Esc(&q.href(&[("since", since), ("until", "")]))
        );
    }
    s.push_str("</span>\n");
    for (id, values) in [("sources", v.sources), ("types", v.types)] {
        let _ = write!(s, "<datalist id=\"{id}\">");
        for x in values {
            let _ = write!(s, "<option value=\"{}\">", Esc(x));
        }
        s.push_str("</datalist>");
    }
    s.push_str("\n</form>\n");
    for p in v.problems {
        let _ = writeln!(s, "<p class=\"error\">Filter left out: {}</p>", Esc(p));
    }
    s.push_str(&live(
        ctx,
        &format!("/fragment/history{}", q.href(&[])),
        None,
        &history_fragment(v),
    ));
    layout(ctx, "History", Tab::History, &s)
}

/// The auto-refresh switch and the live part's container (`src`: its fragment, `probe`: a
/// cheap fragment whose change triggers the reload instead of a timer alone).
fn live(ctx: &Ctx, src: &str, probe: Option<&str>, inner: &str) -> String {
    format!(
        "<p class=\"refresh\"><label><input type=\"checkbox\" id=\"auto\" checked> refresh every {} s</label> \
         <span id=\"stamp\" aria-live=\"polite\"></span></p>\n<div id=\"live\" data-src=\"{}\" data-every=\"{}\"{}>\n{}</div>\n",
        ctx.refresh_secs,
        Esc(src),
        u64::from(ctx.refresh_secs) * 1000,
        probe
            .map(|p| format!(" data-probe=\"{}\"", Esc(p)))
            .unwrap_or_default(),
        inner
    )
}

/// The part of the history page that refreshes itself: counts, chart, table.
pub fn history_fragment(v: &HistoryView<'_>) -> String {
    let q = v.query;
    let mut s = error_html(v.error);
    s.push_str("<ul class=\"counts\">");
    let on = |st: &str| q.status.eq_ignore_ascii_case(st);
    let _ = write!(
        s,
        "<li{}><a href=\"/{}\">all <b>{}</b></a></li>",
        if q.status.is_empty() {
            " class=\"on\""
        } else {
            ""
        },
        Esc(&q.href(&[("status", "")])),
        v.total
    );
    for (st, n) in STATUSES.iter().zip(v.counts) {
        let _ = write!(
            s,
            "<li class=\"{}{}\"><a href=\"/{}\" data-status=\"{st}\">{} <b>{n}</b></a></li>",
            st.to_ascii_lowercase(),
            if on(st) { " on" } else { "" },
            Esc(&q.href(&[("status", st)])),
            st.replace('_', " ").to_ascii_lowercase(),
        );
    }
    if let Some(d) = v.dlq_depth {
        let _ = write!(
            s,
            "<li class=\"dlq\"><a href=\"/dlq\">dead letters <b id=\"dlq-depth\">{d}</b></a></li>"
        );
    }
    s.push_str("</ul>\n");
    if v.window_full {
        let _ = writeln!(
            s,
            "<p class=\"hint\">Counts and chart cover the newest {} matching events; narrow the time range for more.</p>",
            v.total
        );
    }
    let _ = writeln!(
        s,
        "<figure class=\"chart\">{}<figcaption><span class=\"key completed\"></span>completed <span class=\"key failed\"></span>failed <span class=\"key progress\"></span>in progress · bar height: accepted</figcaption></figure>",
        v.chart.svg()
    );
    if v.rows.is_empty() {
        s.push_str("<p class=\"empty\" id=\"no-rows\">No events match.</p>\n");
        return s;
    }
    s.push_str(
        "<table class=\"events\" id=\"events\"><thead><tr><th>Received (UTC)</th><th>Source</th><th>Type</th>\
         <th>Event id</th><th>Status</th><th>Tries</th><th>Latency</th><th>Next retry</th><th>Last error</th></tr></thead><tbody>\n",
    );
    for r in v.rows {
        let next = r
            .next_attempt_at
            .as_deref()
            .filter(|_| r.status == "FAILED");
        let err = r.last_error.as_deref().unwrap_or("");
        let _ = writeln!(
            s,
            "<tr data-source=\"{}\" data-event-id=\"{}\" data-status=\"{}\"><td>{}</td><td>{}</td><td>{}</td>\
             <td class=\"id\"><a href=\"{}\" title=\"{}\">{}</a></td><td>{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td>{}</td><td class=\"err\" title=\"{}\">{}</td></tr>",
            Esc(&r.source),
            Esc(&r.event_id),
            Esc(&r.status),
            time_html(r.received_at.as_deref()),
            Esc(&r.source),
            Esc(&r.event_type),
            Esc(&event_href(&r.source, &r.event_id)),
            Esc(&r.event_id),
            Esc(&cut(&r.event_id, 24)),
            status_badge(&r.status),
            r.attempts,
            Esc(&crate::events::latency(r)),
            if next.is_some() {
                time_html(next)
            } else {
                String::new()
            },
            Esc(err),
            Esc(&cut(err, 60)),
        );
    }
    s.push_str("</tbody></table>\n");
    s
}

/// The console can deliver this event again: it finished (completed or failed) and its
/// payload was kept (in the record, or in the bodies bucket).
pub fn can_redeliver(r: &EventRecord) -> bool {
    matches!(r.status.as_str(), "COMPLETED" | "FAILED")
        && (r.payload.is_some() || r.body_ref.is_some())
}

/// One event's page.
pub fn event_page(ctx: &Ctx, r: &EventRecord, done: Option<&str>) -> String {
    let mut s = notice_html(done);
    let _ = writeln!(
        s,
        "<h1>{} <small>{}</small></h1>",
        Esc(if r.event_type.is_empty() {
            "(no type)"
        } else {
            &r.event_type
        }),
        Esc(&r.source)
    );
    s.push_str(&live(
        ctx,
        &link(
            "/fragment/event",
            &[("source", &r.source), ("id", &r.event_id)],
        ),
        None,
        &event_fragment(r),
    ));
    layout(
        ctx,
        &format!("{} {}", r.source, r.event_type),
        Tab::None,
        &s,
    )
}

/// The part of an event's page that refreshes itself (everything under the title).
pub fn event_fragment(r: &EventRecord) -> String {
    // Facts and actions on the left, payload and headers on the right (stacked when narrow).
    let mut s = String::from("<div class=\"event-grid\"><section>\n");
    let latency = crate::events::latency(r);
    let failure = r
        .failure
        .as_deref()
        .map(|f| format!(" <span class=\"hint\">({})</span>", Esc(f)))
        .unwrap_or_default();
    let next = r
        .next_attempt_at
        .as_deref()
        .filter(|_| r.status == "FAILED");
    let _ = writeln!(
        s,
        "<dl class=\"facts\" id=\"facts\" data-status=\"{}\">\
         <dt>Source</dt><dd>{}</dd>\
         <dt>Type</dt><dd>{}</dd>\
         <dt>Event id</dt><dd class=\"id\" id=\"event-id\">{}</dd>\
         <dt>Status</dt><dd id=\"status\">{}{}</dd>\
         <dt>Received</dt><dd>{}</dd>\
         <dt>Completed</dt><dd>{}</dd>\
         <dt>Latency</dt><dd>{}</dd>\
         <dt>Handlers ran</dt><dd>{}</dd>\
         <dt>Attempts</dt><dd id=\"attempts\">{}</dd>\
         <dt>Last error</dt><dd class=\"err\">{}</dd>\
         <dt>Next retry</dt><dd>{}</dd>\
         <dt>Re-deliveries</dt><dd id=\"redeliveries\">{}{}</dd>\
         </dl>",
        Esc(&r.status),
        Esc(&r.source),
        Esc(&r.event_type),
        Esc(&r.event_id),
        status_badge(&r.status),
        failure,
        time_html(r.received_at.as_deref()),
        time_html(r.completed_at.as_deref()),
        if latency.is_empty() {
            "<span class=\"none\">–</span>".to_owned()
        } else {
            format!(
                "{} <span class=\"hint\">received to completed</span>",
                Esc(&latency)
            )
        },
        r.duration_ms
            .map(|d| format!("{d} ms"))
            .unwrap_or_else(|| "–".to_owned()),
        r.attempts,
        r.last_error
            .as_deref()
            .map(|e| Esc(e).to_string())
            .unwrap_or_else(|| "<span class=\"none\">none</span>".to_owned()),
        if next.is_some() {
            time_html(next)
        } else {
            "<span class=\"none\">–</span>".to_owned()
        },
        r.redeliveries,
        r.redelivered_at
            .as_deref()
            .map(|t| format!(", last {}", time_html(Some(t))))
            .unwrap_or_default(),
    );
    s.push_str("<div class=\"actions\">");
    if can_redeliver(r) {
        let _ = write!(
            s,
            "<a class=\"button\" id=\"redeliver\" href=\"{}\">Re-deliver…</a>",
            Esc(&link(
                "/confirm/redeliver",
                &[("source", &r.source), ("id", &r.event_id)]
            ))
        );
    } else {
        let why = if r.payload.is_none() && r.body_ref.is_none() {
            "payload not retained"
        } else {
            "being processed right now"
        };
        let _ = write!(
            s,
            "<span class=\"button disabled\" title=\"{why}\">Re-deliver…</span>"
        );
    }
    let _ = writeln!(
        s,
        "<a class=\"button quiet\" href=\"/{}\">Same source in history</a></div>",
        Esc(&HistoryQuery {
            source: r.source.clone(),
            ..Default::default()
        }
        .href(&[]))
    );
    s.push_str("</section><section>\n");
    s.push_str(&payload_html(r));
    s.push_str("<h2>Headers</h2>\n");
    if r.headers.is_empty() {
        s.push_str("<p class=\"none\">No provider headers kept.</p>\n");
    } else {
        s.push_str("<table class=\"headers\" id=\"headers\"><tbody>");
        for (k, val) in &r.headers {
            let _ = write!(s, "<tr><th>{}</th><td>{}</td></tr>", Esc(k), Esc(val));
        }
        s.push_str("</tbody></table>\n");
    }
    s.push_str("</section></div>\n");
    s
}

/// The payload section: the payload as JSON, text or hex, or why it is not here.
pub fn payload_html(r: &EventRecord) -> String {
    match (&r.payload, payload_note(r)) {
        (Some(body), _) => {
            let view = PayloadView::of(body);
            format!(
                "<h2>Payload <small>{}, {} bytes</small></h2>\n<pre class=\"payload\" id=\"payload\" data-kind=\"{}\">{}</pre>\n",
                view.kind(),
                body.len(),
                view.kind(),
                Esc(view.text())
            )
        }
        (None, note) => format!(
            "<h2>Payload</h2>\n<p class=\"note\" id=\"payload-note\">{}</p>\n",
            Esc(note.as_deref().unwrap_or("not kept"))
        ),
    }
}

/// An event the table does not hold (yet: a test send before the processor claimed it).
pub fn event_missing_page(ctx: &Ctx, source: &str, id: &str, done: Option<&str>) -> String {
    let mut s = notice_html(done);
    let _ = writeln!(s, "<h1>{} <small>{}</small></h1>", Esc(id), Esc(source));
    s.push_str(&live(
        ctx,
        &link("/fragment/event", &[("source", source), ("id", id)]),
        None,
        &event_missing_fragment(),
    ));
    layout(ctx, "Event not found", Tab::None, &s)
}

/// See [`event_missing_page`].
pub fn event_missing_fragment() -> String {
    "<p class=\"empty\" id=\"missing\">No such event in the table (yet: an event shows here once the processor has \
     claimed it; records expire after the stack's retention).</p>\n"
        .to_owned()
}

/// The DLQ page's data.
#[derive(Debug)]
pub struct DlqView<'a> {
    pub letters: &'a [DeadLetter],
    /// Visible and in-flight messages.
    pub depth: Option<u64>,
    /// No DLQ URL configured, or the DLQ could not be read.
    pub error: Option<&'a str>,
    pub now: OffsetDateTime,
}

/// The dead letters page.
pub fn dlq_page(ctx: &Ctx, v: &DlqView<'_>, done: Option<&str>) -> String {
    let mut s = notice_html(done);
    s.push_str("<h1>Dead letters</h1>\n<p class=\"hint\">Events that failed for good (a permanent error or every retry used). \
        SQS has no peek: each look receives the messages and releases them at once, which adds one to their receive count.</p>\n");
    s.push_str(&live(
        ctx,
        "/fragment/dlq",
        Some("/fragment/dlq-depth"),
        &dlq_fragment(v),
    ));
    layout(ctx, "Dead letters", Tab::Dlq, &s)
}

/// The DLQ's depth as the page probes it (a change reloads the list).
pub fn dlq_depth_fragment(depth: Option<u64>) -> String {
    depth.map_or_else(|| "?".to_owned(), |d| d.to_string())
}

/// The part of the DLQ page that reloads when the depth changes.
pub fn dlq_fragment(v: &DlqView<'_>) -> String {
    let mut s = error_html(v.error);
    let _ = writeln!(
        s,
        "<p class=\"depth\">In the DLQ: <b id=\"depth\" data-depth=\"{}\">{}</b> messages</p>",
        dlq_depth_fragment(v.depth),
        dlq_depth_fragment(v.depth),
    );
    if v.letters.is_empty() {
        if v.error.is_none() {
            s.push_str("<p class=\"empty\" id=\"no-letters\">The DLQ is empty.</p>\n");
        }
        return s;
    }
    let _ = writeln!(
        s,
        "<p><a class=\"button\" id=\"replay-all\" href=\"/confirm/replay-all\">Replay all {}…</a></p>",
        v.letters.len()
    );
    s.push_str(
        "<table class=\"events\" id=\"letters\"><thead><tr><th>Received (UTC)</th><th>Age</th><th>Source</th><th>Type</th>\
         <th>Event id</th><th>Receives</th><th>Reason</th><th></th></tr></thead><tbody>\n",
    );
    for d in v.letters {
        let (source, id) = (d.source.as_deref(), d.event_id.as_deref());
        let id_cell = match (source, id) {
            (Some(src), Some(id)) => format!(
                "<a href=\"{}\" title=\"{}\">{}</a>",
                Esc(&event_href(src, id)),
                Esc(id),
                Esc(&cut(id, 24))
            ),
            _ => format!(
                "<span class=\"none\" title=\"not an envelope\">message {}</span>",
                Esc(&cut(&d.message_id, 12))
            ),
        };
        let replay = match (source, id) {
            (Some(src), Some(id)) => format!(
                "<a class=\"button small\" data-replay=\"{}\" href=\"{}\">Replay…</a>",
                Esc(id),
                Esc(&link("/confirm/replay", &[("source", src), ("id", id)]))
            ),
            _ => String::new(),
        };
        let _ = writeln!(
            s,
            "<tr data-source=\"{}\" data-event-id=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"id\">{}</td>\
             <td class=\"num\">{}</td><td class=\"err\">{}</td><td>{}</td></tr>",
            Esc(source.unwrap_or("")),
            Esc(id.unwrap_or("")),
            time_html(d.received_at.as_deref()),
            d.received_at
                .as_deref()
                .and_then(parse)
                .map(|t| age(t, v.now))
                .unwrap_or_else(|| "?".to_owned()),
            Esc(source.unwrap_or("?")),
            Esc(d.event_type.as_deref().unwrap_or("?")),
            id_cell,
            d.receive_count,
            Esc(&d.reason),
            replay,
        );
    }
    s.push_str("</tbody></table>\n");
    s
}

/// A confirmation step before an action: what will happen, then one POST button.
#[derive(Debug)]
pub struct Confirm<'a> {
    pub title: &'a str,
    /// One sentence: what the action does.
    pub question: &'a str,
    /// Facts to check first (label, value).
    pub details: Vec<(&'a str, String)>,
    /// A body to show (the test payload), if any.
    pub preview: Option<&'a str>,
    /// Where the form posts.
    pub action: &'a str,
    /// Hidden fields besides the token.
    pub fields: Vec<(&'a str, String)>,
    pub button: &'a str,
    /// Where "Cancel" leads.
    pub cancel: String,
}

/// The confirmation page.
pub fn confirm_page(ctx: &Ctx, c: &Confirm<'_>) -> String {
    let mut s = format!(
        "<h1>{}</h1>\n<p class=\"question\">{}</p>\n<dl class=\"facts\">",
        Esc(c.title),
        Esc(c.question)
    );
    for (k, v) in &c.details {
        let _ = write!(s, "<dt>{}</dt><dd>{}</dd>", Esc(k), Esc(v));
    }
    s.push_str("</dl>\n");
    if let Some(p) = c.preview {
        let text = crate::json::pretty_json(p).unwrap_or_else(|| p.to_owned());
        let _ = writeln!(s, "<pre class=\"payload\">{}</pre>", Esc(&text));
    }
    let _ = write!(
        s,
        "<form method=\"post\" action=\"{}\" class=\"confirm\" id=\"confirm-form\">\
         <input type=\"hidden\" name=\"{TOKEN_FIELD}\" value=\"{}\">",
        Esc(c.action),
        Esc(&ctx.token)
    );
    for (k, v) in &c.fields {
        let _ = write!(
            s,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            Esc(k),
            Esc(v)
        );
    }
    let _ = writeln!(
        s,
        "<button type=\"submit\" id=\"confirm\" class=\"danger\">{}</button> <a class=\"button quiet\" id=\"cancel\" href=\"{}\">Cancel</a></form>",
        Esc(c.button),
        Esc(&c.cancel)
    );
    layout(ctx, c.title, Tab::None, &s)
}

/// The send-test page: which source and sample.
#[derive(Debug)]
pub struct SendView<'a> {
    /// Configured sources and their sample event types (first: the default).
    pub sources: &'a [(String, Vec<String>)],
    /// The ingest URL test events go to, or why "send test" is off.
    pub target: Result<&'a str, &'a str>,
}

/// The "send test" page (a GET form leading to the confirmation).
pub fn send_page(ctx: &Ctx, v: &SendView<'_>) -> String {
    let mut s = String::from("<h1>Send a test event</h1>\n");
    match v.target {
        Err(why) => {
            let _ = writeln!(s, "<p class=\"note\">{}</p>", Esc(why));
        }
        Ok(url) => {
            let _ = write!(
                s,
                "<p>Signs a sample delivery with the source's development secret, exactly as the provider would, \
                 and posts it to <code>{}</code> (what <code>hookwell send</code> does).</p>\n\
                 <form method=\"get\" action=\"/confirm/send\" class=\"filters\" id=\"send-form\">\
                 <label>Source and sample <select name=\"sample\" id=\"s-sample\">",
                Esc(url)
            );
            for (src, events) in v.sources {
                if events.is_empty() {
                    let _ = write!(
                        s,
                        "<option value=\"{}\" disabled>{} (no sample: use hookwell send --body)</option>",
                        Esc(src),
                        Esc(src)
                    );
                }
                for e in events {
                    let _ = write!(
                        s,
                        "<option value=\"{}\">{} · {}</option>",
                        Esc(&format!("{src}/{e}")),
                        Esc(src),
                        Esc(e)
                    );
                }
            }
            s.push_str(
                "</select></label> <button type=\"submit\" id=\"s-next\">Next…</button></form>\n",
            );
        }
    }
    layout(ctx, "Send test", Tab::Send, &s)
}

/// A page that says one thing (an error, a refusal), with a way back.
pub fn message_page(ctx: &Ctx, title: &str, message: &str, back: &str) -> String {
    let body = format!(
        "<h1>{}</h1>\n<p class=\"error\" role=\"alert\" id=\"message\">{}</p>\n<p><a href=\"{}\">Back</a></p>\n",
        Esc(title),
        Esc(message),
        Esc(back)
    );
    layout(ctx, title, Tab::None, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>&amp;";

    fn ctx() -> Ctx {
        Ctx {
            target: HOSTILE.into(),
            token: "tok\"en".into(),
            refresh_secs: 5,
        }
    }

    fn hostile_record() -> EventRecord {
        EventRecord {
            source: HOSTILE.into(),
            event_id: HOSTILE.into(),
            event_type: HOSTILE.into(),
            status: "FAILED".into(),
            attempts: 2,
            received_at: Some(HOSTILE.into()),
            completed_at: Some(HOSTILE.into()),
            duration_ms: Some(3),
            last_error: Some(HOSTILE.into()),
            failure: Some(HOSTILE.into()),
            next_attempt_at: Some(HOSTILE.into()),
            payload_size: Some(HOSTILE.len() as u64),
            payload: Some(HOSTILE.as_bytes().to_vec()),
            headers: [(HOSTILE.to_owned(), HOSTILE.to_owned())].into(),
            body_ref: None,
            redeliveries: 1,
            redelivered_at: Some(HOSTILE.into()),
        }
    }

    /// Nothing hostile comes through as markup: no tag, no attribute break-out.
    fn assert_inert(html: &str) {
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(!html.contains("\"'>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        // The only scripts are the console's own file.
        assert_eq!(
            html.matches("<script").count(),
            html.matches("<script src=\"/assets/console.js\" defer></script>")
                .count()
        );
    }

    #[test]
    fn escapes_the_five_characters() {
        assert_eq!(esc("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
        assert_eq!(esc("plain 大家早安"), "plain 大家早安");
        assert_eq!(esc(""), "");
        assert_eq!(esc("&&"), "&amp;&amp;");
    }

    #[test]
    fn every_page_escapes_every_value() {
        let r = hostile_record();
        let q = HistoryQuery {
            source: HOSTILE.into(),
            event_type: HOSTILE.into(),
            status: HOSTILE.into(),
            since: HOSTILE.into(),
            until: HOSTILE.into(),
            limit: HOSTILE.into(),
        };
        let chart = Chart::build(
            &[],
            None,
            OffsetDateTime::UNIX_EPOCH + time::Duration::days(1),
        );
        let rows = [r.clone()];
        let names = [HOSTILE.to_owned()];
        let problems = [HOSTILE.to_owned()];
        let v = HistoryView {
            query: &q,
            problems: &problems,
            rows: &rows,
            counts: [0, 0, 1],
            total: 1,
            window_full: true,
            chart: &chart,
            dlq_depth: Some(1),
            error: Some(HOSTILE),
            sources: &names,
            types: &names,
        };
        assert_inert(&history_page(&ctx(), &v));

        let page = event_page(&ctx(), &r, Some("redelivered"));
        assert_inert(&page);
        assert!(page.contains("Re-delivery queued"));
        let in_bucket = EventRecord {
            payload: None,
            body_ref: Some(hookwell::envelope::BodyRef {
                bucket: HOSTILE.into(),
                key: HOSTILE.into(),
                size: 1,
                sha256: HOSTILE.into(),
            }),
            ..r.clone()
        };
        assert!(!payload_html(&in_bucket).contains("<script>alert"));
        let binary = EventRecord {
            payload: Some(vec![0xff, b'<', b's']),
            ..r.clone()
        };
        assert!(payload_html(&binary).contains("ff 3c 73"));
        assert!(!payload_html(&binary).contains(".<s"));
        assert_inert(&event_missing_page(&ctx(), HOSTILE, HOSTILE, Some(HOSTILE)));

        let attr = || {
            aws_sdk_sqs::types::MessageAttributeValue::builder()
                .data_type("String")
                .string_value(HOSTILE)
                .build()
                .unwrap()
        };
        let msg = aws_sdk_sqs::types::Message::builder()
            .message_id(HOSTILE)
            .body("{}")
            .message_attributes("source", attr())
            .message_attributes("event_id", attr())
            .message_attributes("failure_reason", attr())
            .build();
        let letters = [DeadLetter::from_message(&msg)];
        let dlq = dlq_page(
            &ctx(),
            &DlqView {
                letters: &letters,
                depth: Some(1),
                error: Some(HOSTILE),
                now: OffsetDateTime::UNIX_EPOCH,
            },
            None,
        );
        assert_inert(&dlq);
        assert!(dlq.contains("Replay…"));

        let confirm = confirm_page(
            &ctx(),
            &Confirm {
                title: "Replay",
                question: HOSTILE,
                details: vec![("Event", HOSTILE.into())],
                preview: Some(HOSTILE),
                action: "/actions/replay",
                fields: vec![("id", HOSTILE.into())],
                button: "Replay",
                cancel: HOSTILE.into(),
            },
        );
        assert_inert(&confirm);
        assert!(confirm.contains("name=\"token\" value=\"tok&quot;en\""));
        let sources = [(HOSTILE.to_owned(), vec![HOSTILE.to_owned()])];
        assert_inert(&send_page(
            &ctx(),
            &SendView {
                sources: &sources,
                target: Ok(HOSTILE),
            },
        ));
        assert_inert(&message_page(&ctx(), HOSTILE, HOSTILE, HOSTILE));
    }

    fn with_payload(p: Option<&[u8]>) -> EventRecord {
        EventRecord {
            status: "COMPLETED".into(),
            payload: p.map(<[u8]>::to_vec),
            payload_size: p.map(|p| p.len() as u64),
            ..Default::default()
        }
    }

    #[test]
    fn payloads_are_shown_by_kind() {
        let json = payload_html(&with_payload(Some(br#"{"b":"<script>x</script>","a":1}"#)));
        assert!(json.contains("data-kind=\"JSON\""));
        assert!(
            json.contains("{\n  &quot;b&quot;: &quot;&lt;script&gt;x&lt;/script&gt;&quot;,\n  &quot;a&quot;: 1\n}"),
            "keys in their order, escaped: {json}"
        );
        let text = payload_html(&with_payload(Some(b"a=1&b=<2>")));
        assert!(text.contains("data-kind=\"text\"") && text.contains("a=1&amp;b=&lt;2&gt;"));
        let bin = payload_html(&with_payload(Some(&[0, 159, 146, 150])));
        assert!(
            bin.contains("binary, hex") && bin.contains("00 9f 92 96"),
            "{bin}"
        );
        assert!(payload_html(&with_payload(None)).contains("not kept"));
        let big = EventRecord {
            payload_size: Some(90_000),
            ..with_payload(None)
        };
        assert!(payload_html(&big).contains("90000 bytes, not kept"));
        let s3 = EventRecord {
            body_ref: Some(hookwell::envelope::BodyRef {
                bucket: "b".into(),
                key: "bodies/ab".into(),
                size: 5_000_000,
                sha256: "00".into(),
            }),
            ..with_payload(None)
        };
        assert!(payload_html(&s3).contains("s3://b/bodies/ab"));
    }

    #[test]
    fn redeliver_needs_a_finished_event_with_its_payload() {
        let mut r = with_payload(Some(b"{}"));
        assert!(can_redeliver(&r));
        r.status = "FAILED".into();
        assert!(can_redeliver(&r));
        r.status = "IN_PROGRESS".into();
        assert!(!can_redeliver(&r));
        assert!(!can_redeliver(&with_payload(None)));
        let in_bucket = EventRecord {
            body_ref: Some(hookwell::envelope::BodyRef {
                bucket: "b".into(),
                key: "k".into(),
                size: 1,
                sha256: "00".into(),
            }),
            ..with_payload(None)
        };
        assert!(can_redeliver(&in_bucket));
    }

    #[test]
    fn ages_and_links() {
        let t = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(age(t, t + time::Duration::seconds(59)), "59 s");
        assert_eq!(age(t, t + time::Duration::minutes(5)), "5 min");
        assert_eq!(age(t, t + time::Duration::hours(3)), "3 h");
        assert_eq!(age(t, t + time::Duration::days(3)), "3 d");
        assert_eq!(age(t + time::Duration::days(1), t), "0 s");
        assert_eq!(event_href("a b", "x/y&z"), "/event?source=a+b&id=x%2Fy%26z");
        assert_eq!(link("/dlq", &[]), "/dlq");
        assert_eq!(notice("nope"), None);
    }
}
