//! `hookwell events`: delivery history from the events table, newest first.

use hookwell::store::EventRecord;
use time::OffsetDateTime;

pub use hookwell::store::HistoryFilter as Filter;

/// Parses `--since`: an RFC 3339 time, or a duration back from now (`90s`, `15m`, `1h30m`,
/// `7d`, `1w`; humantime's syntax).
pub fn parse_since(s: &str, now: OffsetDateTime) -> Result<OffsetDateTime, String> {
    if let Ok(t) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Ok(t);
    }
    let d = humantime::parse_duration(s).map_err(|_| {
        format!("`{s}`: use an RFC 3339 time or a duration like 15m, 1h30m, 7d or 1w")
    })?;
    let d = time::Duration::try_from(d).map_err(|_| format!("`{s}`: too long ago"))?;
    now.checked_sub(d)
        .ok_or_else(|| format!("`{s}`: too long ago"))
}

/// The history, newest first (the table's layout stays in `hookwell::store`).
pub async fn list(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
    f: &Filter,
) -> Result<Vec<EventRecord>, String> {
    hookwell::DynamoDbEventStore::new(ddb.clone(), table)
        .history(f)
        .await
        .map_err(|e| e.to_string())
}

/// Received-to-completed time, what an operator asks of a delivery ("how late was it
/// handled?"): `340 ms`, `2.5 s`, `3 min`; empty until completed.
pub fn latency(r: &EventRecord) -> String {
    let parse = |t: &Option<String>| {
        t.as_deref().and_then(|t| {
            OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        })
    };
    let (Some(rx), Some(done)) = (parse(&r.received_at), parse(&r.completed_at)) else {
        return String::new();
    };
    let ms = (done - rx).whole_milliseconds().max(0);
    match ms {
        0..=999 => format!("{ms} ms"),
        1000..=59_999 => format!("{:.1} s", ms as f64 / 1000.0),
        _ => format!("{} min", ms / 60_000),
    }
}

/// A table for a terminal.
pub fn table(rows: &[EventRecord]) -> String {
    use crate::table::{cut, render, time_cell};
    render(
        &[
            "RECEIVED",
            "SOURCE",
            "TYPE",
            "EVENT ID",
            "STATUS",
            "TRIES",
            "LATENCY",
            "NEXT ATTEMPT",
            "LAST ERROR",
        ],
        rows.iter().map(|r| {
            vec![
                time_cell(r.received_at.as_deref()),
                cut(&r.source, 14),
                cut(&r.event_type, 28),
                // Whole: `hookwell replay --event-id` needs it exactly.
                r.event_id.clone(),
                r.status.clone(),
                r.attempts.to_string(),
                latency(r),
                // Only a FAILED record waiting for its retry has one.
                r.next_attempt_at
                    .as_deref()
                    .filter(|_| r.status == "FAILED")
                    .map(|t| time_cell(Some(t)))
                    .unwrap_or_default(),
                cut(r.last_error.as_deref().unwrap_or(""), 48),
            ]
        }),
    )
}

/// How a payload is shown: indented JSON when it parses, the text when it is UTF-8, else a
/// hex dump (16 bytes a line, with printable ASCII beside).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadView {
    /// The payload parses as JSON: pretty-printed.
    Json(String),
    /// UTF-8 text that is not JSON.
    Text(String),
    /// Binary: a hex dump.
    Hex(String),
}

impl PayloadView {
    pub fn of(bytes: &[u8]) -> Self {
        match std::str::from_utf8(bytes) {
            // Keys in the provider's order, numbers as sent.
            Ok(t) => {
                crate::json::pretty_json(t).map_or_else(|| Self::Text(t.to_owned()), Self::Json)
            }
            Err(_) => {
                let mut out = String::new();
                for (i, chunk) in bytes.chunks(16).enumerate() {
                    let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
                    let ascii: String = chunk
                        .iter()
                        .map(|&b| {
                            if b.is_ascii_graphic() || b == b' ' {
                                char::from(b)
                            } else {
                                '.'
                            }
                        })
                        .collect();
                    out.push_str(&format!("{:08x}  {:<47}  {ascii}\n", i * 16, hex.join(" ")));
                }
                Self::Hex(out)
            }
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Json(_) => "JSON",
            Self::Text(_) => "text",
            Self::Hex(_) => "binary, hex",
        }
    }

    pub fn text(&self) -> &str {
        match self {
            Self::Json(t) | Self::Text(t) | Self::Hex(t) => t,
        }
    }
}

/// Why the record has no payload to show, in words; None when it has one.
pub fn payload_note(r: &EventRecord) -> Option<String> {
    if r.payload.is_some() {
        return None;
    }
    Some(match (&r.body_ref, r.payload_size) {
        (Some(at), _) => format!(
            "{} bytes, in the bodies bucket: s3://{}/{}",
            at.size, at.bucket, at.key
        ),
        (None, Some(size)) => format!(
            "{size} bytes, not kept: over {} KiB compressed",
            hookwell::store::MAX_RETAINED_COMPRESSED / 1024
        ),
        (None, None) => "not kept: payloads are kept once an event completes or is \
                         dead-lettered (RetainPayloads)"
            .to_owned(),
    })
}

/// One event, everything the record holds, for a terminal.
pub fn detail(r: &EventRecord) -> String {
    let mut out = String::new();
    let mut line = |k: &str, v: &str| {
        if !v.is_empty() {
            out.push_str(&format!("{k:<16}{v}\n"));
        }
    };
    line("source", &r.source);
    line("event type", &r.event_type);
    line("event id", &r.event_id);
    line("status", &r.status);
    line("received", r.received_at.as_deref().unwrap_or(""));
    line("completed", r.completed_at.as_deref().unwrap_or(""));
    line("latency", &latency(r));
    line("attempts", &r.attempts.to_string());
    line("failure", r.failure.as_deref().unwrap_or(""));
    line("last error", r.last_error.as_deref().unwrap_or(""));
    if r.status == "FAILED" {
        line("next attempt", r.next_attempt_at.as_deref().unwrap_or(""));
    }
    if r.redeliveries > 0 {
        line(
            "redeliveries",
            &format!(
                "{} (last {})",
                r.redeliveries,
                r.redelivered_at.as_deref().unwrap_or("?")
            ),
        );
    }
    for (k, v) in &r.headers {
        line(&format!("header {k}"), v);
    }
    match (&r.payload, payload_note(r)) {
        (Some(p), _) => {
            let view = PayloadView::of(p);
            out.push_str(&format!(
                "payload         {} bytes, {}\n",
                p.len(),
                view.kind()
            ));
            out.push_str(view.text());
            if !view.text().ends_with('\n') {
                out.push('\n');
            }
        }
        (None, Some(note)) => out.push_str(&format!("payload         {note}\n")),
        (None, None) => {}
    }
    out
}

/// Splits `source#event_id` (or `source/event_id`) into its parts.
pub fn split_key(key: &str) -> Option<(&str, &str)> {
    key.split_once('#')
        .or_else(|| key.split_once('/'))
        .filter(|(s, e)| !s.is_empty() && !e.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_durations_and_times() {
        let now = OffsetDateTime::from_unix_timestamp(1_764_046_800).unwrap();
        assert_eq!(
            parse_since("15m", now).unwrap(),
            now - time::Duration::minutes(15)
        );
        assert_eq!(
            parse_since("2d", now).unwrap(),
            now - time::Duration::days(2)
        );
        assert_eq!(
            parse_since("2026-11-25T05:00:00Z", now)
                .unwrap()
                .unix_timestamp(),
            1_795_582_800
        );
        assert_eq!(
            parse_since("1h30m", now).unwrap(),
            now - time::Duration::minutes(90)
        );
        assert_eq!(
            parse_since("1w", now).unwrap(),
            now - time::Duration::days(7)
        );
        assert!(parse_since("yesterday", now).is_err());
        assert!(parse_since("5", now).is_err());
        assert!(parse_since("", now).is_err());
        assert!(parse_since("99999999999y", now).is_err());
    }

    #[test]
    fn payloads_show_as_json_text_or_hex_and_details_list_the_record() {
        assert!(
            matches!(PayloadView::of(br#"{"a":[1,2]}"#), PayloadView::Json(t) if t.contains("\n  \"a\": ["))
        );
        assert_eq!(PayloadView::of(b"plain"), PayloadView::Text("plain".into()));
        let hex = PayloadView::of(&[0xff, 0x00, b'A']);
        assert_eq!(
            hex.text(),
            format!("00000000  ff 00 41{}  ..A\n", " ".repeat(39))
        );
        let r = EventRecord {
            source: "github".into(),
            event_id: "d1".into(),
            status: "COMPLETED".into(),
            payload: Some(br#"{"ref":"main"}"#.to_vec()),
            redeliveries: 1,
            redelivered_at: Some("2026-11-26T10:00:00Z".into()),
            headers: [("x-github-event".to_owned(), "push".to_owned())].into(),
            ..Default::default()
        };
        let d = detail(&r);
        assert!(
            d.contains("payload         14 bytes, JSON\n{\n  \"ref\": \"main\"\n}"),
            "{d}"
        );
        assert!(d.contains("redeliveries    1 (last 2026-11-26T10:00:00Z)"));
        assert!(d.contains("header x-github-event"));
        let not_kept = EventRecord {
            payload: None,
            payload_size: Some(90_000),
            ..r
        };
        assert!(detail(&not_kept).contains("90000 bytes, not kept"));
        assert_eq!(split_key("bubble#abc"), Some(("bubble", "abc")));
        assert_eq!(split_key("bubble/abc"), Some(("bubble", "abc")));
        assert_eq!(split_key("abc"), None);
    }

    #[test]
    fn table_aligns_and_truncates() {
        let r = EventRecord {
            source: "bubble".into(),
            event_id: "x".repeat(60),
            event_type: "MESSAGE_CREATE".into(),
            status: "COMPLETED".into(),
            attempts: 1,
            received_at: Some("2026-11-25T05:00:00.123Z".into()),
            completed_at: Some("2026-11-25T05:00:02.623Z".into()),
            duration_ms: Some(3),
            last_error: None,
            failure: None,
            next_attempt_at: None,
            ..Default::default()
        };
        let retrying = EventRecord {
            status: "FAILED".into(),
            attempts: 2,
            last_error: Some("downstream answered 503".into()),
            failure: Some("retryable".into()),
            next_attempt_at: Some("2026-11-25T05:05:07Z".into()),
            completed_at: None,
            ..r.clone()
        };
        let t = table(&[r, retrying]);
        assert!(t.contains("NEXT ATTEMPT"));
        let failed = t.lines().find(|l| l.contains("FAILED")).unwrap();
        assert!(
            failed.ends_with("2026-11-25 05:05:07  downstream answered 503"),
            "{t}"
        );
        let done = t.lines().find(|l| l.contains("COMPLETED")).unwrap();
        assert!(
            done.contains("  2.5 s"),
            "received-to-completed latency: {t}"
        );
        assert!(t.starts_with("RECEIVED"));
        assert!(t.contains("2026-11-25 05:00:00  bubble"));
        assert!(
            t.contains(&"x".repeat(60)),
            "whole event ids, to paste into replay"
        );
        assert!(t.contains("LATENCY"));
    }
}
