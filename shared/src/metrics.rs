//! CloudWatch Embedded Metric Format: one JSON log line per invocation (per source), so
//! metrics cost no API calls. <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>

use serde_json::Value;
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
pub fn stdout_sink() -> MetricsSink {
    // Never at the cost of an answer: `println!` panics when stdout is closed (`hookwell serve
    // | head -1`), and the panic took the request's answer with it. A line that cannot be
    // written is lost; the delivery is not.
    Arc::new(|line: &str| {
        use std::io::Write;
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    })
}

/// Builds one EMF document. Dimension values must be bounded (source names come from the
/// configuration; anything unknown is reported as `_unknown`).
///
/// Serialised from borrowed structs and one sorted map rather than a `serde_json::Value` tree
/// (issue #16: building and dropping that tree was a tenth of a rejected request's CPU). The
/// bytes are the ones the tree printed: members sorted by key, a later member replacing an
/// earlier one of the same name, as a map insert does.
pub fn emf_line(
    function: &str,
    dims: &[(&str, &str)],
    counts: &BTreeMap<&'static str, f64>,
    millis: &BTreeMap<&'static str, Vec<f64>>,
    timestamp_ms: i64,
) -> String {
    let mut keys = vec!["Function"];
    keys.extend(dims.iter().map(|(k, _)| *k));
    let metrics = counts
        .keys()
        .map(|k| EmfMetric {
            name: k,
            unit: "Count",
        })
        .chain(millis.keys().map(|k| EmfMetric {
            name: k,
            unit: "Milliseconds",
        }))
        .collect();
    let aws = EmfAws {
        cloud_watch_metrics: [EmfDirective {
            dimensions: [vec!["Function"], keys],
            metrics,
            namespace: namespace(),
        }],
        timestamp: timestamp_ms,
    };
    let mut root: BTreeMap<&str, EmfValue<'_>> = BTreeMap::new();
    root.insert("_aws", EmfValue::Aws(aws));
    root.insert("Function", EmfValue::Text(function));
    for (k, v) in dims {
        root.insert(k, EmfValue::Text(v));
    }
    for (k, v) in counts {
        root.insert(k, EmfValue::Number(*v));
    }
    // EMF takes an array of samples for one metric; CloudWatch computes the statistics.
    for (k, v) in millis {
        root.insert(k, EmfValue::Samples(v));
    }
    // Strings, numbers and arrays of them always serialise.
    serde_json::to_string(&root).unwrap_or_default()
}

/// The `_aws` member; field order is key order, as the `Value` tree printed it.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct EmfAws<'a> {
    cloud_watch_metrics: [EmfDirective<'a>; 1],
    timestamp: i64,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct EmfDirective<'a> {
    dimensions: [Vec<&'a str>; 2],
    metrics: Vec<EmfMetric<'a>>,
    namespace: &'a str,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct EmfMetric<'a> {
    name: &'a str,
    unit: &'static str,
}

#[derive(serde::Serialize)]
#[serde(untagged)]
enum EmfValue<'a> {
    Aws(EmfAws<'a>),
    Text(&'a str),
    Number(f64),
    Samples(&'a [f64]),
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

    /// The EMF line as it was built before issue #16, through a `serde_json::Value` tree.
    fn emf_line_by_value(
        function: &str,
        dims: &[(&str, &str)],
        counts: &BTreeMap<&'static str, f64>,
        millis: &BTreeMap<&'static str, Vec<f64>>,
        timestamp_ms: i64,
    ) -> String {
        use serde_json::{json, Map};
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
        for (k, v) in millis {
            root.insert((*k).into(), json!(v));
        }
        Value::Object(root).to_string()
    }

    /// The hand-written line is byte for byte the line the `Value` tree printed.
    #[test]
    fn emf_line_matches_the_value_tree() {
        let mut counts = BTreeMap::new();
        let mut millis = BTreeMap::new();
        let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
            ("ingest", vec![("Source", "github")]),
            ("ingest", vec![("Source", "_unknown")]),
            (
                "processor",
                vec![("Source", "quo\"te\\ \u{1}é漢"), ("Handler", "x")],
            ),
            // A dimension named like a metric: the metric's value wins, as in a map.
            ("ingest", vec![("Received", "dim"), ("Function", "dim")]),
            ("ingest", vec![]),
        ];
        for (n, (function, dims)) in cases.into_iter().enumerate() {
            let line = emf_line(function, &dims, &counts, &millis, 1_764_000_000_123);
            let want = emf_line_by_value(function, &dims, &counts, &millis, 1_764_000_000_123);
            assert_eq!(line, want);
            counts.insert(
                ["Received", "Enqueued", "RejectedSignature", "Zeta"][n % 4],
                1.0 + n as f64,
            );
            counts.insert("Big", 1e17 + n as f64);
            millis.insert(
                ["HandlerMs", "AckMs"][n % 2],
                vec![0.25, 1.0, 12_345.5, n as f64],
            );
        }
        let mut m = IngestMetrics {
            source: Some("github".into()),
            ..Default::default()
        };
        m.received();
        m.rejected(Rejection::Signature);
        validate_emf(&m.line()).unwrap();
    }
}
