//! CloudWatch Embedded Metric Format: one JSON log line per invocation (per source), so
//! metrics cost no API calls. <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The namespace when `HOOKWELL_METRICS_NAMESPACE` is not set (the template sets
/// `hookwell/<stack name>`, so two stacks in one account never share metrics or alarms).
pub const NAMESPACE: &str = "hookwell";

/// The metric namespace, read once.
pub fn namespace() -> &'static str {
    static NS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NS.get_or_init(|| {
        std::env::var(crate::settings::var::METRICS_NAMESPACE)
            .ok()
            .filter(|n| valid_namespace(n))
            .unwrap_or_else(|| NAMESPACE.to_owned())
    })
}

/// CloudWatch's rule for namespaces: 1-255 of letters, digits, spaces and `.-_/#:`, not starting
/// with `AWS/`.
fn valid_namespace(n: &str) -> bool {
    (1..=255).contains(&n.len())
        && !n.starts_with("AWS/")
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_/#: ".contains(c))
}

/// Where EMF lines go: stdout in Lambda (CloudWatch Logs picks them up), a buffer in tests.
pub type MetricsSink = Arc<dyn Fn(&str) + Send + Sync>;

/// The default sink: prints each EMF line to stdout, where CloudWatch Logs picks it up.
#[allow(clippy::print_stdout)]
pub fn stdout_sink() -> MetricsSink {
    Arc::new(|line: &str| println!("{line}"))
}

/// Builds one EMF document. Dimension values must be bounded (source names come from the
/// configuration; anything unknown is reported as `_unknown`).
pub fn emf_line(
    function: &str,
    dims: &[(&str, &str)],
    counts: &BTreeMap<&'static str, f64>,
    millis: &BTreeMap<&'static str, Vec<f64>>,
    timestamp_ms: i64,
) -> String {
    let mut keys: Vec<&str> = vec!["Function"];
    keys.extend(dims.iter().map(|(k, _)| *k));
    let metrics: Vec<Value> = counts
        .keys()
        .map(|k| json!({"Name": k, "Unit": "Count"}))
        .chain(
            millis
                .keys()
                .map(|k| json!({"Name": k, "Unit": "Milliseconds"})),
        )
        .collect();
    let mut root = Map::new();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace(),
                "Dimensions": [["Function"], keys],
                "Metrics": metrics,
            }]
        }),
    );
    root.insert("Function".into(), json!(function));
    for (k, v) in dims {
        root.insert((*k).into(), json!(v));
    }
    for (k, v) in counts {
        root.insert((*k).into(), json!(v));
    }
    // EMF takes an array of samples for one metric; CloudWatch computes the statistics.
    for (k, v) in millis {
        root.insert((*k).into(), json!(v));
    }
    Value::Object(root).to_string()
}

pub(crate) fn now_ms() -> i64 {
    let ns = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    i64::try_from(ns / 1_000_000).unwrap_or(0)
}

/// Why ingest refused a request, as a metric name suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejection {
    UnknownSource,
    Ip,
    Method,
    Size,
    Body,
    Signature,
    Timestamp,
    Queue,
}

impl Rejection {
    fn metric(self) -> &'static str {
        match self {
            Self::UnknownSource => "RejectedUnknownSource",
            Self::Ip => "RejectedIp",
            Self::Method => "RejectedMethod",
            Self::Size => "RejectedSize",
            Self::Body => "RejectedBody",
            Self::Signature => "RejectedSignature",
            Self::Timestamp => "RejectedTimestamp",
            Self::Queue => "RejectedQueueUnavailable",
        }
    }
}

/// Counters for one ingest invocation.
#[derive(Debug, Default)]
pub(crate) struct IngestMetrics {
    pub source: Option<String>,
    known_source: bool,
    counts: BTreeMap<&'static str, f64>,
}

impl IngestMetrics {
    fn add(&mut self, name: &'static str) {
        *self.counts.entry(name).or_insert(0.0) += 1.0;
    }
    pub fn received(&mut self) {
        self.known_source = true;
        self.add("Received");
    }
    pub fn enqueued(&mut self, _event_type: &str) {
        self.add("Enqueued");
    }
    /// An event was verified and dropped by its source's event-type filter.
    pub fn filtered(&mut self) {
        self.add("Filtered");
    }
    /// A custom source's configured id locators and fields were all absent: the event id
    /// is the body hash (safe, but the configuration may be wrong).
    pub fn id_fallback(&mut self) {
        self.add("IdFallbackToBody");
    }
    /// An event's body went to the body store (too large for a queue message).
    pub fn body_stored(&mut self) {
        self.add("BodyStored");
    }
    pub fn enqueue_failed(&mut self) {
        self.add("EnqueueFailed");
    }
    pub fn rejected(&mut self, why: Rejection) {
        if why != Rejection::Queue {
            self.add("Rejected");
        }
        self.add(why.metric());
    }

    pub fn line(&self) -> String {
        let source = match (&self.source, self.known_source) {
            (Some(s), true) => s.as_str(),
            _ => "_unknown",
        };
        emf_line(
            "ingest",
            &[("Source", source)],
            &self.counts,
            &BTreeMap::new(),
            now_ms(),
        )
    }
}

/// Checks a line against the EMF specification's rules (what CloudWatch needs to extract the
/// metrics): `_aws` with a millisecond `Timestamp` and `CloudWatchMetrics` directives; each
/// directive's namespace, dimension sets (at most 30 keys, each a string member of the
/// document) and metrics (each a number or array of numbers in the document). Returns the
/// parsed document.
pub fn validate_emf(line: &str) -> Result<Value, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let aws = v.get("_aws").ok_or("no _aws")?;
    aws.get("Timestamp")
        .and_then(Value::as_i64)
        .filter(|t| *t > 1_000_000_000_000)
        .ok_or("_aws.Timestamp must be epoch milliseconds")?;
    let directives = aws
        .get("CloudWatchMetrics")
        .and_then(Value::as_array)
        .filter(|d| !d.is_empty())
        .ok_or("no CloudWatchMetrics")?;
    for d in directives {
        d.get("Namespace")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .ok_or("directive without Namespace")?;
        for set in d
            .get("Dimensions")
            .and_then(Value::as_array)
            .ok_or("no Dimensions")?
        {
            let keys = set.as_array().ok_or("dimension set is not an array")?;
            if keys.len() > 30 {
                return Err("more than 30 dimensions".into());
            }
            for k in keys {
                let k = k.as_str().ok_or("dimension key is not a string")?;
                v.get(k)
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("dimension {k} is not a string member"))?;
            }
        }
        for m in d
            .get("Metrics")
            .and_then(Value::as_array)
            .ok_or("no Metrics")?
        {
            let name = m
                .get("Name")
                .and_then(Value::as_str)
                .ok_or("metric without Name")?;
            let ok = match v.get(name) {
                Some(Value::Number(_)) => true,
                Some(Value::Array(a)) => a.len() <= 100 && a.iter().all(Value::is_number),
                _ => false,
            };
            if !ok {
                return Err(format!("metric {name} has no numeric value"));
            }
        }
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_follow_cloudwatch_rules() {
        for ok in ["hookwell", "hookwell/prod-webhooks", "a.b_c-d#e:f"] {
            assert!(valid_namespace(ok), "{ok}");
        }
        for bad in ["", "AWS/Lambda", "héllo", &"x".repeat(256)] {
            assert!(!valid_namespace(bad), "{bad}");
        }
        // Unset in unit tests: the default.
        assert_eq!(namespace(), NAMESPACE);
    }
}
