//! Names and settings of the pipeline's resources, read from `template.yaml`: the template
//! is the single place they are written down; the local stack resolves the same expressions
//! with the stack name `hookwell-local` and the parameters' defaults.

use serde_yaml_ng::Value;
use std::path::Path;

pub const LOCAL_STACK_NAME: &str = "hookwell-local";

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("cannot read {0}: {1}")]
    Read(String, String),
    #[error("template: {0}")]
    Shape(String),
}

/// What the local stack (and the operator tools) need to know about the deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack {
    pub stack_name: String,
    pub queue_name: String,
    pub dlq_name: String,
    pub table_name: String,
    pub secret_name: String,
    /// The template leaves the bucket's name to CloudFormation (bucket names are global and
    /// lowercase; stack names need not be): locally it is `{stack}-bodies`.
    pub body_bucket_name: String,
    /// `OrderedDelivery`: FIFO queues, one message group per channel.
    pub ordered: bool,
    pub queue_visibility_timeout_secs: u32,
    pub queue_retention_secs: u32,
    pub dlq_retention_secs: u32,
    pub max_receive_count: u32,
    pub ttl_attribute: String,
    pub processor_timeout_secs: u32,
    pub batch_size: u32,
    pub batching_window_secs: u32,
    pub lease_secs: u32,
    pub retention_hours: u32,
    pub retry_schedule: String,
    /// `RetainPayloads` ("true" or "false").
    pub retain_payloads: String,
    pub metrics_namespace: String,
}

struct Template {
    root: Value,
    stack_name: String,
}

impl Template {
    fn resource(&self, name: &str) -> Result<&Value, StackError> {
        self.root
            .get("Resources")
            .and_then(|r| r.get(name))
            .ok_or_else(|| StackError::Shape(format!("no resource {name}")))
    }

    fn at<'a>(&self, v: &'a Value, path: &[&str]) -> Result<&'a Value, StackError> {
        let mut cur = v;
        for p in path {
            cur = cur
                .get(*p)
                .ok_or_else(|| StackError::Shape(format!("missing {}", path.join("."))))?;
        }
        Ok(cur)
    }

    fn param_default(&self, name: &str) -> Result<String, StackError> {
        let d = self
            .root
            .get("Parameters")
            .and_then(|p| p.get(name))
            .and_then(|p| p.get("Default"))
            .ok_or_else(|| StackError::Shape(format!("parameter {name} has no default")))?;
        scalar(d)
            .ok_or_else(|| StackError::Shape(format!("parameter {name} default is not a scalar")))
    }

    /// Resolves a scalar, `!Ref Parameter`, `!Ref AWS::StackName`, `!Sub "...${X}..."` or
    /// `!If [Condition, a, b]` over an `!Equals` condition.
    fn resolve(&self, v: &Value) -> Result<String, StackError> {
        if let Some(s) = scalar(v) {
            return Ok(s);
        }
        let Value::Tagged(t) = v else {
            return Err(StackError::Shape(format!("cannot resolve {v:?}")));
        };
        if t.tag == "!If" {
            let Some([cond, yes, no]) = t.value.as_sequence().map(Vec::as_slice) else {
                return Err(StackError::Shape("!If takes [condition, a, b]".into()));
            };
            let name = scalar(cond).ok_or_else(|| StackError::Shape("!If condition".into()))?;
            return self.resolve(if self.condition(&name)? { yes } else { no });
        }
        let inner = scalar(&t.value).ok_or_else(|| StackError::Shape("tag value".into()))?;
        match t.tag.to_string().as_str() {
            "!Ref" => self.reference(&inner),
            "!Sub" => {
                let mut out = String::new();
                let mut rest = inner.as_str();
                while let Some(start) = rest.find("${") {
                    out.push_str(&rest[..start]);
                    let after = &rest[start + 2..];
                    let end = after
                        .find('}')
                        .ok_or_else(|| StackError::Shape("unclosed ${".into()))?;
                    out.push_str(&self.reference(&after[..end])?);
                    rest = &after[end + 1..];
                }
                out.push_str(rest);
                Ok(out)
            }
            other => Err(StackError::Shape(format!("unsupported tag {other}"))),
        }
    }

    /// A condition of the form `!Equals [a, b]`, with the parameters' defaults.
    fn condition(&self, name: &str) -> Result<bool, StackError> {
        let c = self
            .root
            .get("Conditions")
            .and_then(|c| c.get(name))
            .ok_or_else(|| StackError::Shape(format!("no condition {name}")))?;
        match c {
            Value::Tagged(t) if t.tag == "!Equals" => {
                match t.value.as_sequence().map(Vec::as_slice) {
                    Some([a, b]) => Ok(self.resolve(a)? == self.resolve(b)?),
                    _ => Err(StackError::Shape(format!(
                        "condition {name}: !Equals [a, b]"
                    ))),
                }
            }
            _ => Err(StackError::Shape(format!(
                "condition {name}: only !Equals is understood"
            ))),
        }
    }

    fn reference(&self, name: &str) -> Result<String, StackError> {
        match name {
            "AWS::StackName" => Ok(self.stack_name.clone()),
            "AWS::Region" => Ok("us-east-1".into()),
            "AWS::Partition" => Ok("aws".into()),
            "AWS::AccountId" => Ok("123456789012".into()),
            p => self.param_default(p),
        }
    }

    fn number(&self, v: &Value) -> Result<u32, StackError> {
        let s = self.resolve(v)?;
        s.parse()
            .map_err(|_| StackError::Shape(format!("`{s}` is not a number")))
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Stack {
    pub fn from_template(path: &Path, stack_name: &str) -> Result<Self, StackError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| StackError::Read(path.display().to_string(), e.to_string()))?;
        Self::from_template_str(&text, stack_name)
    }

    pub fn from_template_str(text: &str, stack_name: &str) -> Result<Self, StackError> {
        let root: Value =
            serde_yaml_ng::from_str(text).map_err(|e| StackError::Shape(e.to_string()))?;
        let t = Template {
            root,
            stack_name: stack_name.to_owned(),
        };
        let q = t.resource("EventsQueue")?;
        let dlq = t.resource("DeadLetterQueue")?;
        let table = t.resource("EventsTable")?;
        let secret = t.resource("SourcesSecret")?;
        let proc = t.resource("ProcessorFunction")?;
        let env = t.at(proc, &["Properties", "Environment", "Variables"])?;
        let esm = t.at(proc, &["Properties", "Events", "Queue", "Properties"])?;
        Ok(Self {
            stack_name: stack_name.to_owned(),
            queue_name: t.resolve(t.at(q, &["Properties", "QueueName"])?)?,
            dlq_name: t.resolve(t.at(dlq, &["Properties", "QueueName"])?)?,
            table_name: t.resolve(t.at(table, &["Properties", "TableName"])?)?,
            secret_name: t.resolve(t.at(secret, &["Properties", "Name"])?)?,
            ordered: t.condition("Ordered")?,
            body_bucket_name: {
                t.resource("BodiesBucket")?;
                format!("{}-bodies", t.stack_name.to_ascii_lowercase())
            },
            queue_visibility_timeout_secs: t
                .number(t.at(q, &["Properties", "VisibilityTimeout"])?)?,
            queue_retention_secs: t.number(t.at(q, &["Properties", "MessageRetentionPeriod"])?)?,
            dlq_retention_secs: t.number(t.at(dlq, &["Properties", "MessageRetentionPeriod"])?)?,
            max_receive_count: t
                .number(t.at(q, &["Properties", "RedrivePolicy", "maxReceiveCount"])?)?,
            ttl_attribute: t.resolve(t.at(
                table,
                &["Properties", "TimeToLiveSpecification", "AttributeName"],
            )?)?,
            processor_timeout_secs: t.number(t.at(proc, &["Properties", "Timeout"])?)?,
            batch_size: t.number(t.at(esm, &["BatchSize"])?)?,
            batching_window_secs: t.number(t.at(esm, &["MaximumBatchingWindowInSeconds"])?)?,
            lease_secs: t.number(t.at(env, &[hookwell::settings::var::LEASE_SECS])?)?,
            retention_hours: t.number(t.at(env, &[hookwell::settings::var::RETENTION_HOURS])?)?,
            retry_schedule: t.resolve(t.at(env, &[hookwell::settings::var::RETRY_SCHEDULE])?)?,
            retain_payloads: t.resolve(t.at(env, &[hookwell::settings::var::RETAIN_PAYLOADS])?)?,
            metrics_namespace: t
                .resolve(t.at(env, &[hookwell::settings::var::METRICS_NAMESPACE])?)?,
        })
    }

    pub fn queue_settings(&self) -> hookwell::local::QueueSettings {
        hookwell::local::QueueSettings {
            visibility_timeout_secs: self.queue_visibility_timeout_secs,
            retention_secs: self.queue_retention_secs,
            dlq_retention_secs: self.dlq_retention_secs,
            max_receive_count: self.max_receive_count,
            fifo: self.ordered,
        }
    }
}

/// The repository's `template.yaml`, found from the current directory upwards.
pub fn find_template() -> Option<std::path::PathBuf> {
    let mut dir = std::env::current_dir().ok()?;
    for _ in 0..8 {
        let p = dir.join("template.yaml");
        if p.is_file() {
            return Some(p);
        }
        if !dir.pop() {
            break;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_repository_template() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
        let s = Stack::from_template(&path, LOCAL_STACK_NAME).unwrap();
        assert_eq!(s.queue_name, "hookwell-local-events");
        assert_eq!(s.dlq_name, "hookwell-local-events-dlq");
        assert_eq!(s.table_name, "hookwell-local-events");
        assert_eq!(s.secret_name, "hookwell-local/sources");
        assert_eq!(s.ttl_attribute, "expires_at");
        assert!(s.max_receive_count >= 1);
        assert!(s.queue_visibility_timeout_secs >= 6 * s.processor_timeout_secs);
        assert!(s.lease_secs > s.processor_timeout_secs);
        assert_eq!(s.retry_schedule, hookwell::retry::DEFAULT_SCHEDULE);
        assert_eq!(s.metrics_namespace, "hookwell/hookwell-local");
        assert!(!s.ordered && !s.queue_settings().fifo);
        assert_eq!(s.body_bucket_name, "hookwell-local-bodies");
    }

    /// `OrderedDelivery=true` names both queues `.fifo` and makes them FIFO.
    #[test]
    fn ordered_delivery_makes_fifo_queues() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
        let text = std::fs::read_to_string(path).unwrap();
        let at = text.find("  OrderedDelivery:").unwrap();
        let default = at + text[at..].find("Default: \"false\"").unwrap();
        let flipped = format!(
            "{}Default: \"true\"{}",
            &text[..default],
            &text[default + "Default: \"false\"".len()..]
        );
        let s = Stack::from_template_str(&flipped, LOCAL_STACK_NAME).unwrap();
        assert!(s.ordered && s.queue_settings().fifo);
        assert_eq!(s.queue_name, "hookwell-local-events.fifo");
        assert_eq!(s.dlq_name, "hookwell-local-events-dlq.fifo");
    }
}
