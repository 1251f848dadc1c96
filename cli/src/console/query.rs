//! The history page's filters, as they travel in the query string (so a filtered view has a
//! URL to share or bookmark), and what they mean for the events table.

use hookwell::store::{EventRecord, HistoryFilter};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// Rows on one page unless `limit` says otherwise, and the most it may say.
pub const DEFAULT_LIMIT: usize = 100;
/// The most rows one page shows.
pub const MAX_LIMIT: usize = 1000;
/// How many of the newest matching events the counts and the chart cover.
pub const WINDOW: usize = 5000;

/// The statuses a record can have, in the order the page lists them.
pub const STATUSES: [&str; 3] = ["IN_PROGRESS", "COMPLETED", "FAILED"];

/// The query string of the history page. Every field is text as typed; empty means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct HistoryQuery {
    pub source: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub status: String,
    /// RFC 3339, `2026-11-26T06:00` (UTC), `2026-11-26`, or a duration back from now (`1h`).
    pub since: String,
    /// As `since`.
    pub until: String,
    pub limit: String,
}

/// The filters read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filters {
    pub source: Option<String>,
    pub event_type: Option<String>,
    /// Upper case, one of [`STATUSES`].
    pub status: Option<String>,
    pub since: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    pub limit: usize,
}

fn given(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// A point in time as the page accepts it (times without a zone are UTC, as the page shows).
pub fn parse_time(s: &str, now: OffsetDateTime) -> Result<OffsetDateTime, String> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let minutes = format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let seconds = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let spaced = format_description!("[year]-[month]-[day] [hour]:[minute]");
    for f in [minutes, seconds, spaced] {
        if let Ok(t) = PrimitiveDateTime::parse(s, f) {
            return Ok(t.assume_utc());
        }
    }
    if let Ok(d) = time::Date::parse(s, format_description!("[year]-[month]-[day]")) {
        return Ok(d.midnight().assume_utc());
    }
    crate::events::parse_since(s, now).map_err(|_| {
        format!(
            "`{s}`: use a time (2026-11-26T06:00, UTC) or a duration back from now (15m, 1h, 7d)"
        )
    })
}

impl HistoryQuery {
    /// Reads the filters; a bad one is reported (the page shows it) and left out.
    pub fn filters(&self, now: OffsetDateTime) -> (Filters, Vec<String>) {
        let mut problems = Vec::new();
        let status = given(&self.status).map(|s| s.to_ascii_uppercase());
        let status = match status {
            Some(s) if !STATUSES.contains(&s.as_str()) => {
                problems.push(format!("status `{s}`: one of {}", STATUSES.join(", ")));
                None
            }
            s => s,
        };
        let mut time = |label: &str, v: &str| match given(v).map(|v| parse_time(&v, now)) {
            Some(Ok(t)) => Some(t),
            Some(Err(e)) => {
                problems.push(format!("{label}: {e}"));
                None
            }
            None => None,
        };
        let since = time("since", &self.since);
        let until = time("until", &self.until);
        if let (Some(s), Some(u)) = (since, until) {
            if s > u {
                problems.push("since is after until: nothing can match".to_owned());
            }
        }
        let limit = match given(&self.limit).map(|l| l.parse::<usize>()) {
            Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
            Some(_) => {
                problems.push(format!("limit: a number from 1 to {MAX_LIMIT}"));
                DEFAULT_LIMIT
            }
            None => DEFAULT_LIMIT,
        };
        (
            Filters {
                source: given(&self.source),
                event_type: given(&self.event_type),
                status,
                since,
                until,
                limit,
            },
            problems,
        )
    }

    /// This query as a query string (`?source=a&status=FAILED`; empty fields left out, `""`
    /// when none is set), with `changes` applied (an empty value removes the field).
    pub fn href(&self, changes: &[(&str, &str)]) -> String {
        let fields = [
            ("source", &self.source),
            ("type", &self.event_type),
            ("status", &self.status),
            ("since", &self.since),
            ("until", &self.until),
            ("limit", &self.limit),
        ];
        let mut ser = form_urlencoded::Serializer::new(String::new());
        let mut any = false;
        for (k, v) in fields {
            let v = changes
                .iter()
                .find(|(ck, _)| *ck == k)
                .map_or(v.as_str(), |(_, cv)| cv);
            if !v.trim().is_empty() {
                ser.append_pair(k, v.trim());
                any = true;
            }
        }
        if any {
            format!("?{}", ser.finish())
        } else {
            String::new()
        }
    }
}

impl Filters {
    /// What the events table is asked for: everything but the status, over the counting
    /// window (the counts and the chart show every status; the table then keeps the
    /// requested one, see [`Filters::keeps`]).
    pub fn window(&self) -> HistoryFilter {
        HistoryFilter {
            status: None,
            limit: WINDOW,
            ..self.history_filter()
        }
    }

    /// Every filter as the events table takes it, with the page's limit.
    pub fn history_filter(&self) -> HistoryFilter {
        HistoryFilter {
            source: self.source.clone(),
            status: self.status.clone(),
            event_type: self.event_type.clone(),
            since: self.since,
            until: self.until,
            limit: self.limit,
        }
    }

    /// Whether a record of the window belongs in the table.
    pub fn keeps(&self, r: &EventRecord) -> bool {
        self.status.as_ref().is_none_or(|s| &r.status == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        OffsetDateTime::parse("2026-11-26T12:00:00Z", &Rfc3339).unwrap()
    }

    fn q(pairs: &[(&str, &str)]) -> HistoryQuery {
        let s = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        serde_urlencoded::from_str(&s).unwrap()
    }

    #[test]
    fn query_string_becomes_the_tables_filter() {
        let query = q(&[
            ("source", " stripe "),
            ("type", "invoice.paid"),
            ("status", "failed"),
            ("since", "1h"),
            ("until", "2026-11-26T11:30"),
            ("limit", "20"),
            ("unknown", "ignored"),
        ]);
        let (f, problems) = query.filters(now());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(f.status.as_deref(), Some("FAILED"));
        let h = f.history_filter();
        assert_eq!(h.source.as_deref(), Some("stripe"));
        assert_eq!(h.status.as_deref(), Some("FAILED"));
        assert_eq!(h.since, Some(now() - time::Duration::hours(1)));
        assert_eq!(h.limit, 20);
        assert_eq!(h.event_type.as_deref(), Some("invoice.paid"));
        assert_eq!(
            h.until,
            Some(OffsetDateTime::parse("2026-11-26T11:30:00Z", &Rfc3339).unwrap())
        );
        // The counting window keeps every status, over more rows.
        let w = f.window();
        assert_eq!(w.status, None);
        assert_eq!(w.limit, WINDOW);
        assert_eq!(w.source.as_deref(), Some("stripe"));
        assert_eq!(w.event_type.as_deref(), Some("invoice.paid"));
        assert!(w.until.is_some() && w.since.is_some());
    }

    #[test]
    fn empty_query_is_everything() {
        let (f, problems) = HistoryQuery::default().filters(now());
        assert!(problems.is_empty());
        assert_eq!(
            f,
            Filters {
                source: None,
                event_type: None,
                status: None,
                since: None,
                until: None,
                limit: DEFAULT_LIMIT
            }
        );
        assert_eq!(HistoryQuery::default().href(&[]), "");
    }

    #[test]
    fn bad_filters_are_reported_and_left_out() {
        let query = q(&[
            ("status", "DONE"),
            ("since", "yesterday"),
            ("until", "2026-11-26T10:00:00Z"),
            ("limit", "0"),
        ]);
        let (f, problems) = query.filters(now());
        assert_eq!(f.status, None);
        assert_eq!(f.since, None);
        assert!(f.until.is_some());
        assert_eq!(f.limit, DEFAULT_LIMIT);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("IN_PROGRESS, COMPLETED, FAILED"));
        let (_, p) = q(&[("since", "1h"), ("until", "2h")]).filters(now());
        assert_eq!(p, ["since is after until: nothing can match"]);
        let (_, p) = q(&[("limit", "5000")]).filters(now());
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn times_in_the_forms_the_page_offers() {
        let t = |s| parse_time(s, now()).unwrap().to_string();
        assert_eq!(
            t("2026-11-25T05:00:00+02:00"),
            "2026-11-25 5:00:00.0 +02:00:00"
        );
        assert_eq!(t("2026-11-25T05:00"), "2026-11-25 5:00:00.0 +00:00:00");
        assert_eq!(t("2026-11-25 05:00"), "2026-11-25 5:00:00.0 +00:00:00");
        assert_eq!(t("2026-11-25"), "2026-11-25 0:00:00.0 +00:00:00");
        assert_eq!(t("15m"), "2026-11-26 11:45:00.0 +00:00:00");
        assert!(parse_time("soon", now()).is_err());
    }

    #[test]
    fn hrefs_keep_the_other_filters() {
        let query = q(&[("source", "a&b"), ("status", "FAILED"), ("since", "1h")]);
        assert_eq!(query.href(&[]), "?source=a%26b&status=FAILED&since=1h");
        assert_eq!(
            query.href(&[("status", "COMPLETED")]),
            "?source=a%26b&status=COMPLETED&since=1h"
        );
        assert_eq!(query.href(&[("status", "")]), "?source=a%26b&since=1h");
    }

    #[test]
    fn the_table_keeps_the_requested_status() {
        let r = EventRecord {
            status: "FAILED".into(),
            ..Default::default()
        };
        let (f, _) = q(&[("status", "failed")]).filters(now());
        assert!(f.keeps(&r));
        let (f, _) = q(&[("status", "COMPLETED")]).filters(now());
        assert!(!f.keeps(&r));
        let (f, _) = q(&[]).filters(now());
        assert!(f.keeps(&r));
    }
}
