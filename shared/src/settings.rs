//! Every `HOOKWELL_*` setting of the two functions, read once at cold start. All bad or
//! missing values are reported together in one error (a deploy with three mistakes shows
//! three lines, not one per attempt), and nothing falls back silently. The names are
//! exported ([`var`]) for the functions, the CLI, the local stack and the tests.

use crate::processor::ProcessorConfig;
use crate::retry::RetrySchedule;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// The environment variables, by name.
pub mod var {
    /// URL of the SQS events queue: ingest sends to it, the processor reads from it (required).
    pub const QUEUE_URL: &str = "HOOKWELL_QUEUE_URL";
    /// ARN of the events queue, for the CLI (redrive, the local poller); the functions ignore it.
    pub const QUEUE_ARN: &str = "HOOKWELL_QUEUE_ARN";
    /// URL of the dead-letter queue (required by the processor).
    pub const DLQ_URL: &str = "HOOKWELL_DLQ_URL";
    /// Name of the DynamoDB events table (required by the processor).
    pub const TABLE: &str = "HOOKWELL_TABLE";
    /// Name or ARN of the Secrets Manager secret holding the sources document (AWS).
    pub const SOURCES_SECRET_ID: &str = "HOOKWELL_SOURCES_SECRET_ID";
    /// Path of a sources document file (development); the secret wins when both are set.
    pub const SOURCES_FILE: &str = "HOOKWELL_SOURCES_FILE";
    /// Seconds between reloads of the sources document (1 to 3600; default 300).
    pub const CONFIG_REFRESH_SECS: &str = "HOOKWELL_CONFIG_REFRESH_SECS";
    /// Seconds a processor claim stays exclusive (1 to 43200; default 60).
    pub const LEASE_SECS: &str = "HOOKWELL_LEASE_SECS";
    /// Hours event records are kept, and so duplicates recognised (24 to 87600; default 384).
    pub const RETENTION_HOURS: &str = "HOOKWELL_RETENTION_HOURS";
    /// Records of one batch the processor handles at once (1 to 100; default 10).
    pub const CONCURRENCY: &str = "HOOKWELL_CONCURRENCY";
    /// Waits between attempts of a failing event (default `5s,5m,30m,2h,5h,10h,10h`).
    pub const RETRY_SCHEDULE: &str = "HOOKWELL_RETRY_SCHEDULE";
    /// Factor in (0, 1] that shortens every retry step, for drills (default 1).
    pub const RETRY_SCALE: &str = "HOOKWELL_RETRY_SCALE";
    /// First wait, in seconds, when the table or the DLQ is unreachable (1 to 3600; default 5).
    pub const BACKOFF_BASE_SECS: &str = "HOOKWELL_BACKOFF_BASE_SECS";
    /// Longest backoff wait, in seconds (1 to 43200, not below the base; default 900).
    pub const BACKOFF_MAX_SECS: &str = "HOOKWELL_BACKOFF_MAX_SECS";
    /// CloudWatch metrics namespace (default `hookwell`; the template sets `hookwell/<stack>`).
    pub const METRICS_NAMESPACE: &str = "HOOKWELL_METRICS_NAMESPACE";
    /// Bucket for bodies too large for a queue message (a claim check). Ingest stores them
    /// there, the processor fetches them; unset, such bodies are refused with 413.
    pub const BODY_BUCKET: &str = "HOOKWELL_BODY_BUCKET";
    /// `false` to keep no payloads on the event records (default `true`: compressed, when
    /// small enough, once an event completes or is dead-lettered).
    pub const RETAIN_PAYLOADS: &str = "HOOKWELL_RETAIN_PAYLOADS";
    /// `json` for JSON log lines outside Lambda (in Lambda they are always JSON).
    pub const LOG_FORMAT: &str = "HOOKWELL_LOG_FORMAT";
}

/// Every problem found, one per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad settings: {}", .0.join("; "))]
pub struct SettingsError(pub Vec<String>);

/// Where the sources document is read from. Only a secret's *name* is ever in the
/// environment, never its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourcesLocation {
    /// AWS Secrets Manager (`HOOKWELL_SOURCES_SECRET_ID`).
    Secret(String),
    /// A file (`HOOKWELL_SOURCES_FILE`), for development.
    File(PathBuf),
}

/// What the ingest function reads.
#[derive(Debug, Clone)]
pub struct IngestSettings {
    /// URL of the SQS queue accepted deliveries are sent to.
    pub queue_url: String,
    /// Where the sources document is read from.
    pub sources: SourcesLocation,
    /// How often the sources document is reloaded (1 s to 1 h; default 300 s).
    pub refresh: Duration,
    /// Bucket for bodies too large for a queue message, if any.
    pub body_bucket: Option<String>,
}

/// What the processor function reads.
#[derive(Debug, Clone)]
pub struct ProcessorSettings {
    /// URL of the events queue.
    pub queue_url: String,
    /// URL of the dead-letter queue.
    pub dlq_url: String,
    /// Name of the events table.
    pub table: String,
    /// Where the sources document is read from.
    pub sources: SourcesLocation,
    /// How often the sources document is reloaded (1 s to 1 h; default 300 s).
    pub refresh: Duration,
    /// Lease, retention, concurrency, retry schedule and backoff for records.
    pub processor: ProcessorConfig,
    /// Bucket holding bodies too large for a queue message, if any.
    pub body_bucket: Option<String>,
}

/// Collects values and problems; `finish` turns the problems into one error.
struct Reader<'a> {
    get: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<String>,
}

impl<'a> Reader<'a> {
    fn new(get: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self {
            get,
            problems: Vec::new(),
        }
    }

    fn optional(&self, name: &str) -> Option<String> {
        (self.get)(name).filter(|v| !v.trim().is_empty())
    }

    fn required(&mut self, name: &str) -> String {
        self.optional(name).unwrap_or_else(|| {
            self.problems.push(format!("{name} is not set"));
            String::new()
        })
    }

    /// A value that parses and passes `ok` (described by `rule`), or `default` when unset.
    fn parsed<T: FromStr + Copy>(
        &mut self,
        name: &str,
        default: T,
        ok: impl Fn(&T) -> bool,
        rule: &str,
    ) -> T {
        match self.optional(name) {
            None => default,
            Some(v) => match v.trim().parse::<T>() {
                Ok(x) if ok(&x) => x,
                _ => {
                    self.problems.push(format!("{name} must be {rule}"));
                    default
                }
            },
        }
    }

    fn sources(&mut self) -> SourcesLocation {
        if let Some(id) = self.optional(var::SOURCES_SECRET_ID) {
            return SourcesLocation::Secret(id);
        }
        if let Some(path) = self.optional(var::SOURCES_FILE) {
            return SourcesLocation::File(path.into());
        }
        self.problems.push(format!(
            "set {} (AWS) or {} (development)",
            var::SOURCES_SECRET_ID,
            var::SOURCES_FILE
        ));
        SourcesLocation::File(PathBuf::new())
    }

    fn refresh(&mut self) -> Duration {
        Duration::from_secs(self.parsed(
            var::CONFIG_REFRESH_SECS,
            300u64,
            |s| (1..=3600).contains(s),
            "a whole number of seconds from 1 to 3600",
        ))
    }

    fn processor(&mut self) -> ProcessorConfig {
        let d = ProcessorConfig::default();
        let lease = self.parsed(
            var::LEASE_SECS,
            d.lease.as_secs(),
            |s| (1..=43_200).contains(s),
            "a whole number of seconds from 1 to 43200",
        );
        let retention_h = self.parsed(
            var::RETENTION_HOURS,
            d.retention.as_secs() / 3600,
            |h| (24..=87_600).contains(h),
            "a whole number of hours, at least 24 (provider retry spans)",
        );
        let concurrency = self.parsed(
            var::CONCURRENCY,
            d.concurrency,
            |c| (1..=100).contains(c),
            "a whole number from 1 to 100",
        );
        let mut schedule = match self.optional(var::RETRY_SCHEDULE) {
            None => d.schedule.clone(),
            Some(s) => RetrySchedule::parse(&s).unwrap_or_else(|e| {
                self.problems.push(format!("{}: {e}", var::RETRY_SCHEDULE));
                d.schedule.clone()
            }),
        };
        let scale = self.parsed(
            var::RETRY_SCALE,
            1.0f64,
            |f| *f > 0.0 && *f <= 1.0,
            "a number in (0, 1]",
        );
        if scale < 1.0 {
            schedule = schedule.scaled(scale);
        }
        let base = self.parsed(
            var::BACKOFF_BASE_SECS,
            d.backoff_base.as_secs(),
            |s| (1..=3600).contains(s),
            "a whole number of seconds from 1 to 3600",
        );
        let max = self.parsed(
            var::BACKOFF_MAX_SECS,
            d.backoff_max.as_secs(),
            |s| (1..=43_200).contains(s),
            "a whole number of seconds from 1 to 43200",
        );
        if max < base {
            self.problems.push(format!(
                "{} must not be below {}",
                var::BACKOFF_MAX_SECS,
                var::BACKOFF_BASE_SECS
            ));
        }
        let retain_payloads = self.parsed(
            var::RETAIN_PAYLOADS,
            d.retain_payloads,
            |_| true,
            "true or false",
        );
        ProcessorConfig {
            retain_payloads,
            lease: Duration::from_secs(lease),
            retention: Duration::from_secs(retention_h * 3600),
            concurrency,
            schedule,
            backoff_base: Duration::from_secs(base),
            backoff_max: Duration::from_secs(max),
        }
    }

    fn finish<T>(self, value: T) -> Result<T, SettingsError> {
        if self.problems.is_empty() {
            Ok(value)
        } else {
            Err(SettingsError(self.problems))
        }
    }
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl IngestSettings {
    /// Reads the process environment; every bad or missing value is reported in one error.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(&process_env)
    }

    /// From any lookup (tests pass a map).
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let mut r = Reader::new(get);
        let s = Self {
            queue_url: r.required(var::QUEUE_URL),
            sources: r.sources(),
            refresh: r.refresh(),
            body_bucket: r.optional(var::BODY_BUCKET),
        };
        r.finish(s)
    }
}

impl ProcessorSettings {
    /// Reads the process environment; every bad or missing value is reported in one error.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(&process_env)
    }

    /// From any lookup (tests pass a map).
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let mut r = Reader::new(get);
        let s = Self {
            queue_url: r.required(var::QUEUE_URL),
            dlq_url: r.required(var::DLQ_URL),
            table: r.required(var::TABLE),
            sources: r.sources(),
            refresh: r.refresh(),
            processor: r.processor(),
            body_bucket: r.optional(var::BODY_BUCKET),
        };
        r.finish(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn defaults_fill_what_is_unset() {
        let env = [
            (var::QUEUE_URL, "q"),
            (var::DLQ_URL, "d"),
            (var::TABLE, "t"),
            (var::SOURCES_SECRET_ID, "stack/sources"),
        ];
        let s = ProcessorSettings::from_lookup(&lookup(&env)).unwrap();
        assert_eq!(s.refresh, Duration::from_secs(300));
        assert_eq!(s.sources, SourcesLocation::Secret("stack/sources".into()));
        assert_eq!(s.processor.schedule, RetrySchedule::default());
        assert_eq!(s.processor.lease, ProcessorConfig::default().lease);
        let i = IngestSettings::from_lookup(&lookup(&env)).unwrap();
        assert_eq!(i.queue_url, "q");
    }

    /// Every problem at once, and none of them falls back silently (a bad refresh interval
    /// used to become 300 s without a word).
    #[test]
    fn every_bad_value_is_reported_in_one_error() {
        let env = [
            (var::QUEUE_URL, "q"),
            (var::CONFIG_REFRESH_SECS, "often"),
            (var::LEASE_SECS, "0"),
            (var::RETENTION_HOURS, "12"),
            (var::RETRY_SCHEDULE, "5s,forever"),
            (var::RETRY_SCALE, "2"),
            (var::BACKOFF_BASE_SECS, "60"),
            (var::BACKOFF_MAX_SECS, "30"),
        ];
        let err = ProcessorSettings::from_lookup(&lookup(&env)).unwrap_err();
        for needle in [
            "HOOKWELL_DLQ_URL is not set",
            "HOOKWELL_TABLE is not set",
            "HOOKWELL_SOURCES_SECRET_ID (AWS) or HOOKWELL_SOURCES_FILE",
            "HOOKWELL_CONFIG_REFRESH_SECS must be",
            "HOOKWELL_LEASE_SECS must be",
            "HOOKWELL_RETENTION_HOURS must be",
            "HOOKWELL_RETRY_SCHEDULE: `forever`",
            "HOOKWELL_RETRY_SCALE must be",
            "HOOKWELL_BACKOFF_MAX_SECS must not be below",
        ] {
            assert!(err.to_string().contains(needle), "{needle}: {err}");
        }
        assert_eq!(err.0.len(), 9);
        let err =
            IngestSettings::from_lookup(&lookup(&[(var::CONFIG_REFRESH_SECS, "0")])).unwrap_err();
        assert_eq!(err.0.len(), 3, "{err}");
    }

    #[test]
    fn a_time_compressed_drill_scales_the_schedule() {
        let env = [
            (var::QUEUE_URL, "q"),
            (var::DLQ_URL, "d"),
            (var::TABLE, "t"),
            (var::SOURCES_FILE, "infra/local/sources.json"),
            (var::RETRY_SCALE, "0.5"),
        ];
        let s = ProcessorSettings::from_lookup(&lookup(&env)).unwrap();
        assert_eq!(
            s.processor.schedule.delay_after(2),
            Some(Duration::from_secs(150))
        );
    }
}
