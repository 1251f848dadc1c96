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
