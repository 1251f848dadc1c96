//! The history's chart: events over time, one bar per time bucket, split by what became of
//! them (completed, failed, still in progress); the bar's height is what was accepted. Drawn
//! on the server as inline SVG (classes only: the stylesheet colours it).

use super::render::Esc;
use hookwell::store::EventRecord;
use std::fmt::Write as _;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// At most this many bars.
pub const MAX_BUCKETS: i64 = 60;

/// One bucket's events by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bucket {
    pub completed: u32,
    pub failed: u32,
    pub in_progress: u32,
}

impl Bucket {
    /// Everything accepted in the bucket.
    pub fn total(&self) -> u32 {
        self.completed + self.failed + self.in_progress
    }
}

/// Buckets of `step` from `from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    pub from: OffsetDateTime,
    pub step: Duration,
    pub buckets: Vec<Bucket>,
}

const STEPS: [i64; 11] = [
    60,
    5 * 60,
    15 * 60,
    30 * 60,
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86_400,
    7 * 86_400,
    30 * 86_400,
];

impl Chart {
    /// Buckets `rows` (by received time) over `from..to`; `from` defaults to an hour back, or
    /// the oldest row when it is older.
    pub fn build(rows: &[EventRecord], from: Option<OffsetDateTime>, to: OffsetDateTime) -> Self {
        let received = |r: &EventRecord| {
            r.received_at
                .as_deref()
                .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
        };
        // Without `since`: the last hour, or back to the oldest row when it is older.
        let hour = to - Duration::hours(1);
        let oldest = rows.iter().filter_map(received).min();
        let from = from
            .unwrap_or_else(|| oldest.map_or(hour, |o| o.min(hour)))
            .min(to - Duration::minutes(1));
        let span = (to - from).whole_seconds().max(60);
        let step = STEPS
            .iter()
            .copied()
            .find(|s| span / s <= MAX_BUCKETS)
            .unwrap_or(span / MAX_BUCKETS + 1);
        // Bucket edges on whole steps (whole minutes, hours, days, in UTC).
        let start = from.unix_timestamp().div_euclid(step) * step;
        let from = OffsetDateTime::from_unix_timestamp(start).unwrap_or(from);
        let n = ((to.unix_timestamp() - start) / step + 1).clamp(1, MAX_BUCKETS + 1);
        let mut buckets = vec![Bucket::default(); usize::try_from(n).unwrap_or(1)];
        for r in rows {
            let Some(t) = received(r) else { continue };
            let i = (t.unix_timestamp() - start).div_euclid(step);
            let Some(b) = usize::try_from(i).ok().and_then(|i| buckets.get_mut(i)) else {
                continue;
            };
            match r.status.as_str() {
                "COMPLETED" => b.completed += 1,
                "FAILED" => b.failed += 1,
                _ => b.in_progress += 1,
            }
        }
        Self {
            from,
            step: Duration::seconds(step),
            buckets,
        }
    }

    fn label(&self, t: OffsetDateTime) -> String {
        let (fmt_long, fmt_short) = (
            time::macros::format_description!("[month]-[day] [hour]:[minute]"),
            time::macros::format_description!("[hour]:[minute]"),
        );
        let long =
            self.step * i32::try_from(self.buckets.len()).unwrap_or(i32::MAX) > Duration::hours(20);
        t.format(if long { fmt_long } else { fmt_short })
            .unwrap_or_default()
    }

    /// The chart as an `<svg>` element.
    pub fn svg(&self) -> String {
        const W: f64 = 720.0;
        const H: f64 = 150.0;
        const LEFT: f64 = 34.0;
        const TOP: f64 = 8.0;
        const PLOT_H: f64 = 112.0;
        let max = self
            .buckets
            .iter()
            .map(Bucket::total)
            .max()
            .unwrap_or(0)
            .max(1);
        let n = self.buckets.len().max(1) as f64;
        let slot = (W - LEFT - 4.0) / n;
        let bar = (slot * 0.8).max(1.0);
        let total: u32 = self.buckets.iter().map(Bucket::total).sum();
        let to = self.from + self.step * i32::try_from(self.buckets.len()).unwrap_or(0);
        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg class="chart" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{} events from {} to {} UTC, {} per bar">"#,
            total,
            Esc(&self.label(self.from)),
            Esc(&self.label(to)),
            Esc(&humanize(self.step)),
        );
        let base = TOP + PLOT_H;
        let _ = write!(
            s,
            r#"<line class="axis" x1="{LEFT}" y1="{base}" x2="{}" y2="{base}"/><text class="tick" x="{}" y="{}" text-anchor="end">{max}</text><text class="tick" x="{}" y="{base}" text-anchor="end">0</text>"#,
            W - 2.0,
            LEFT - 4.0,
            TOP + 9.0,
            LEFT - 4.0,
        );
        for (i, b) in self.buckets.iter().enumerate() {
            let x = LEFT + i as f64 * slot + (slot - bar) / 2.0;
            let start = self.from + self.step * i32::try_from(i).unwrap_or(0);
            let _ = write!(
                s,
                "<g><title>{}: {} accepted, {} completed, {} failed, {} in progress</title>",
                Esc(&self.label(start)),
                b.total(),
                b.completed,
                b.failed,
                b.in_progress
            );
            let mut y = base;
            for (count, class) in [
                (b.completed, "bar-completed"),
                (b.failed, "bar-failed"),
                (b.in_progress, "bar-progress"),
            ] {
                if count == 0 {
                    continue;
                }
                let h = PLOT_H * f64::from(count) / f64::from(max);
                y -= h;
                let _ = write!(
                    s,
                    r#"<rect class="{class}" x="{x:.1}" y="{y:.1}" width="{bar:.1}" height="{h:.1}"/>"#
                );
            }
            if b.total() == 0 {
                // Something to hover over in an empty bucket.
                let _ = write!(
                    s,
                    r#"<rect class="bar-empty" x="{x:.1}" y="{TOP}" width="{bar:.1}" height="{PLOT_H}"/>"#
                );
            }
            s.push_str("</g>");
        }
        let _ = write!(
            s,
            r#"<text class="tick" x="{LEFT}" y="{}">{}</text><text class="tick" x="{}" y="{}" text-anchor="end">{} UTC · {} per bar</text></svg>"#,
            H - 14.0,
            Esc(&self.label(self.from)),
            W - 2.0,
            H - 14.0,
            Esc(&self.label(to)),
            Esc(&humanize(self.step)),
        );
        s
    }
}

fn humanize(d: Duration) -> String {
    let s = d.whole_seconds();
    match s {
        s if s % 86_400 == 0 => format!("{} d", s / 86_400),
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(status: &str, at: &str) -> EventRecord {
        EventRecord {
            source: "s".into(),
            event_id: at.into(),
            status: status.into(),
            received_at: Some(at.into()),
            ..Default::default()
        }
    }

    fn t(s: &str) -> OffsetDateTime {
        OffsetDateTime::parse(s, &Rfc3339).unwrap()
    }

    #[test]
    fn buckets_by_received_time_and_status() {
        let rows = [
            rec("COMPLETED", "2026-11-26T11:00:10Z"),
            rec("COMPLETED", "2026-11-26T11:00:50Z"),
            rec("FAILED", "2026-11-26T11:01:05Z"),
            rec("IN_PROGRESS", "2026-11-26T11:29:59Z"),
            rec("COMPLETED", "2026-11-26T12:30:00Z"), // after `to`: left out
        ];
        let c = Chart::build(
            &rows,
            Some(t("2026-11-26T11:00:00Z")),
            t("2026-11-26T11:30:00Z"),
        );
        assert_eq!(c.step, Duration::minutes(1));
        assert_eq!(c.from, t("2026-11-26T11:00:00Z"));
        assert_eq!(c.buckets.len(), 31);
        assert_eq!(
            c.buckets[0],
            Bucket {
                completed: 2,
                failed: 0,
                in_progress: 0
            }
        );
        assert_eq!(c.buckets[1].failed, 1);
        assert_eq!(c.buckets[29].in_progress, 1);
        assert_eq!(c.buckets.iter().map(Bucket::total).sum::<u32>(), 4);
    }

    #[test]
    fn wide_ranges_get_wider_buckets() {
        let to = t("2026-11-26T12:00:00Z");
        let c = Chart::build(&[], Some(to - Duration::days(7)), to);
        assert_eq!(c.step, Duration::hours(3));
        assert!(c.buckets.len() as i64 <= MAX_BUCKETS + 1);
        // No rows, no `since`: the last hour.
        let c = Chart::build(&[], None, to);
        assert_eq!(c.step, Duration::minutes(1));
        assert_eq!(c.buckets.len(), 61);
        // From the oldest row when there is no `since` and it is older than an hour.
        let c = Chart::build(&[rec("COMPLETED", "2026-11-24T12:00:00Z")], None, to);
        assert_eq!(c.step, Duration::hours(1));
        assert_eq!(c.buckets[0].completed, 1);
        let c = Chart::build(&[rec("COMPLETED", "2026-11-26T11:59:00Z")], None, to);
        assert_eq!((c.step, c.buckets.len()), (Duration::minutes(1), 61));
        assert_eq!(c.buckets[59].completed, 1);
    }

    #[test]
    fn svg_has_a_bar_per_status_and_labels() {
        let rows = [
            rec("COMPLETED", "2026-11-26T11:00:10Z"),
            rec("FAILED", "2026-11-26T11:00:20Z"),
        ];
        let svg = Chart::build(
            &rows,
            Some(t("2026-11-26T11:00:00Z")),
            t("2026-11-26T11:05:00Z"),
        )
        .svg();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("class=\"bar-completed\"").count(), 1);
        assert_eq!(svg.matches("class=\"bar-failed\"").count(), 1);
        assert!(svg.contains("11:00: 2 accepted, 1 completed, 1 failed, 0 in progress"));
        assert!(svg.contains("aria-label=\"2 events from 11:00 to 11:06 UTC, 1 min per bar\""));
        assert!(
            !svg.contains("style="),
            "colours come from the stylesheet (CSP)"
        );
    }
}
