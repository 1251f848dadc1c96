//! The retry schedule: how long the processor waits before each new attempt of an event whose
//! handlers failed with a retryable error, and when it gives up and dead-letters the event.
//!
//! The default follows Svix's (immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h:
//! eight attempts over about 27.6 hours), so a downstream outage of a day heals by itself.
//! Waits are carried out with `ChangeMessageVisibility`, which SQS caps at 12 hours; a longer
//! step is served in parts (the record's `next_attempt_at` tells an early receive to wait).
//! The schedule counts attempts (claims of the event), never SQS receives: a receive that
//! finds the claim held, or the table unreachable, costs no step.

use std::time::Duration;

/// The longest single wait: SQS allows a message at most 12 hours of visibility counted from
/// its receive, and the postpone comes after the handlers ran, so a margin of 15 minutes.
pub const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 3600 - 15 * 60);

/// Delays between attempts: `steps[n-1]` follows the n-th failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule {
    steps: Vec<Duration>,
}

/// The default schedule as the template and `HOOKWELL_RETRY_SCHEDULE` write it.
pub const DEFAULT_SCHEDULE: &str = "5s,5m,30m,2h,5h,10h,10h";

impl Default for RetrySchedule {
    fn default() -> Self {
        // A constant that parses; the test below keeps it so.
        Self::parse(DEFAULT_SCHEDULE).unwrap_or(Self { steps: Vec::new() })
    }
}

impl RetrySchedule {
    /// `"5s,5m,30m,2h,5h,10h,10h"`: comma-separated whole numbers with `s`, `m`, `h` or `d`.
    /// Between 0 and 30 steps, each at most 7 days; the whole schedule at most 13 days, so it
    /// ends within SQS's 14-day retention. An empty string means no retries.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let mut steps = Vec::new();
        if !s.is_empty() {
            for part in s.split(',') {
                steps.push(parse_duration(part.trim())?);
            }
        }
        if steps.len() > 30 {
            return Err("a retry schedule has at most 30 steps".into());
        }
        if steps.iter().any(|d| *d > Duration::from_secs(7 * 86_400)) {
            return Err("a retry step is at most 7d".into());
        }
        let total: Duration = steps.iter().sum();
        if total > Duration::from_secs(13 * 86_400) {
            return Err(
                "the whole retry schedule is at most 13d (it must end within SQS's 14-day retention)"
                    .into(),
            );
        }
        Ok(Self { steps })
    }

    /// The same schedule with every step multiplied by `factor` (0 < factor <= 1): a
    /// time-compressed drill, e.g. 1/60 so an hour of outage passes in a minute.
    pub fn scaled(&self, factor: f64) -> Self {
        let f = if factor.is_finite() && factor > 0.0 {
            factor.min(1.0)
        } else {
            1.0
        };
        Self {
            steps: self.steps.iter().map(|d| d.mul_f64(f)).collect(),
        }
    }

    /// The wait after failed attempt `attempt` (1-based), or `None` when it was the last.
    pub fn delay_after(&self, attempt: u32) -> Option<Duration> {
        let i = usize::try_from(attempt.checked_sub(1)?).ok()?;
        self.steps.get(i).copied()
    }

    /// Attempts in all: the first and one per step.
    pub fn attempts(&self) -> u32 {
        u32::try_from(self.steps.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1)
    }

    /// From the first attempt to the last, without jitter.
    pub fn span(&self) -> Duration {
        self.steps.iter().sum()
    }

    /// Jitter within [0.8 d, d]: retries of many events spread out instead of arriving at a
    /// recovering downstream together, and never later than the schedule says.
    pub fn jittered(d: Duration) -> Duration {
        let lo = d.mul_f64(0.8);
        let spread = u64::try_from((d - lo).as_millis()).unwrap_or(0);
        lo + Duration::from_millis(fastrand::u64(0..=spread))
    }
}

impl std::fmt::Display for RetrySchedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.steps.iter().map(|d| format_duration(*d)).collect();
        f.write_str(&parts.join(","))
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("`{s}` is not a duration like 30s, 5m, 2h or 1d");
    let unit = s.chars().last().ok_or_else(bad)?;
    let num: u64 = s
        .get(..s.len() - unit.len_utf8())
        .and_then(|n| n.parse().ok())
        .ok_or_else(bad)?;
    let secs = match unit {
        's' => num,
        'm' => num.saturating_mul(60),
        'h' => num.saturating_mul(3600),
        'd' => num.saturating_mul(86_400),
        _ => return Err(bad()),
    };
    Ok(Duration::from_secs(secs))
}

fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => format!("{}ms", d.as_millis()),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_svix_like_and_spans_more_than_a_day() {
        let s = RetrySchedule::default();
        assert_eq!(s.to_string(), DEFAULT_SCHEDULE);
        assert_eq!(s.attempts(), 8);
        assert_eq!(s.delay_after(1), Some(Duration::from_secs(5)));
        assert_eq!(s.delay_after(7), Some(Duration::from_secs(36_000)));
        assert_eq!(s.delay_after(8), None, "eight attempts, then the DLQ");
        assert_eq!(s.delay_after(0), None);
        assert!(s.span() > Duration::from_secs(86_400));
        assert_eq!(
            s.span(),
            Duration::from_secs(5 + 300 + 1800 + 7200 + 18_000 + 72_000)
        );
    }

    #[test]
    fn parse_rejects_what_cannot_run() {
        for bad in ["5", "5x", "s", "-5s", "5s,,5m", "8d", "7d,7d", "1.5h"] {
            assert!(RetrySchedule::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(RetrySchedule::parse("").unwrap().attempts(), 1);
        assert_eq!(
            RetrySchedule::parse(" 1m , 1d ").unwrap().span(),
            Duration::from_secs(86_460)
        );
        let many = vec!["1s"; 31].join(",");
        assert!(RetrySchedule::parse(&many).is_err());
    }

    #[test]
    fn scaled_compresses_time_and_jitter_stays_within_the_step() {
        let s = RetrySchedule::default().scaled(1.0 / 60.0);
        assert_eq!(s.delay_after(2), Some(Duration::from_secs(5)));
        assert_eq!(s.attempts(), 8);
        assert_eq!(
            RetrySchedule::default().scaled(f64::NAN),
            RetrySchedule::default()
        );
        for _ in 0..200 {
            let j = RetrySchedule::jittered(Duration::from_secs(100));
            assert!(j >= Duration::from_secs(80) && j <= Duration::from_secs(100));
        }
    }
}
