//! `hookwell events`: delivery history from the events table, newest first.

use aws_sdk_dynamodb::types::AttributeValue;
use hookwell::store::EventRecord;
use time::OffsetDateTime;

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub source: Option<String>,
    pub status: Option<String>,
    pub since: Option<OffsetDateTime>,
    pub limit: usize,
}

/// Parses `--since`: an RFC 3339 time, or a duration back from now (`90s`, `15m`, `2h`, `7d`).
pub fn parse_since(s: &str, now: OffsetDateTime) -> Result<OffsetDateTime, String> {
    if let Ok(t) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Ok(t);
    }
    let (num, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = num
        .parse()
        .map_err(|_| format!("`{s}`: use an RFC 3339 time or a duration like 15m, 2h, 7d"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("`{s}`: unit must be s, m, h or d")),
    };
    Ok(now - time::Duration::seconds(secs))
}

/// Scans the table (bounded: at most 100 pages), filtering on the server where it can.
/// Fine for an operator's look at history; a very large table wants a narrower `--since`.
pub async fn list(
    ddb: &aws_sdk_dynamodb::Client,
    table: &str,
    f: &Filter,
) -> Result<Vec<EventRecord>, String> {
    let mut conds = Vec::new();
    let mut values = std::collections::HashMap::new();
    let mut names = std::collections::HashMap::new();
    if let Some(s) = &f.source {
        conds.push("#source = :source");
        names.insert("#source".to_owned(), "source".to_owned());
        values.insert(":source".to_owned(), AttributeValue::S(s.clone()));
    }
    if let Some(s) = &f.status {
        conds.push("#status = :status");
        names.insert("#status".to_owned(), "status".to_owned());
        values.insert(
            ":status".to_owned(),
            AttributeValue::S(s.to_ascii_uppercase()),
        );
    }
    if let Some(t) = f.since {
        conds.push("received_at >= :since");
        values.insert(
            ":since".to_owned(),
            AttributeValue::S(
                t.format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            ),
        );
    }
    let mut out = Vec::new();
    let mut start = None;
    for _ in 0..100 {
        let mut req = ddb
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start.take());
        if !conds.is_empty() {
            req = req
                .filter_expression(conds.join(" AND "))
                .set_expression_attribute_values(Some(values.clone()));
            if !names.is_empty() {
                req = req.set_expression_attribute_names(Some(names.clone()));
            }
        }
        let page = req.send().await.map_err(|e| hookwell::aws::describe(&e))?;
        out.extend(page.items().iter().filter_map(EventRecord::from_item));
        match page.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => break,
        }
    }
    out.sort_by(|a, b| b.received_at.cmp(&a.received_at));
    out.truncate(f.limit.max(1));
    Ok(out)
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A fixed-width table for a terminal.
pub fn table(rows: &[EventRecord]) -> String {
    let header = [
        "RECEIVED",
        "SOURCE",
        "TYPE",
        "EVENT ID",
        "STATUS",
        "TRIES",
        "DURATION",
        "NEXT ATTEMPT",
        "LAST ERROR",
    ];
    let mut lines: Vec<[String; 9]> = vec![header.map(str::to_owned)];
    for r in rows {
        lines.push([
            r.received_at
                .clone()
                .unwrap_or_default()
                .chars()
                .take(19)
                .collect::<String>()
                .replace('T', " "),
            cut(&r.source, 14),
            cut(&r.event_type, 28),
            cut(&r.event_id, 24),
            r.status.clone(),
            r.attempts.to_string(),
            r.duration_ms.map(|d| format!("{d} ms")).unwrap_or_default(),
            // Only a FAILED record waiting for its retry has one.
            r.next_attempt_at
                .as_deref()
                .filter(|_| r.status == "FAILED")
                .map(|t| t.chars().take(19).collect::<String>().replace('T', " "))
                .unwrap_or_default(),
            cut(r.last_error.as_deref().unwrap_or(""), 48),
        ]);
    }
    let mut widths = [0usize; 9];
    for l in &lines {
        for (w, c) in widths.iter_mut().zip(l) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for l in &lines {
        let mut line = String::new();
        for (i, (c, w)) in l.iter().zip(widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(c);
            line.push_str(&" ".repeat(w - c.chars().count()));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
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
        assert!(parse_since("yesterday", now).is_err());
        assert!(parse_since("5w", now).is_err());
        assert!(parse_since("", now).is_err());
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
            completed_at: None,
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
            ..r.clone()
        };
        let t = table(&[r, retrying]);
        assert!(t.contains("NEXT ATTEMPT"));
        assert!(
            t.contains("FAILED     2      3 ms      2026-11-25 05:05:07  downstream answered 503"),
            "{t}"
        );
        assert!(t.starts_with("RECEIVED"));
        assert!(t.contains("2026-11-25 05:00:00  bubble"));
        assert!(t.contains('…'));
        assert!(t.contains("3 ms"));
    }
}
