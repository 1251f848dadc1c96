//! The local stack: resources in moto created from `template.yaml` (`local up`), and a
//! stand-in for the SQS event source mapping that feeds the processor running under
//! `cargo lambda watch` (`local poll`).

use crate::stack::Stack;
use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use serde_json::json;
use std::time::{Duration, Instant};

pub use hookwell::local::LocalError;

fn e<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> LocalError {
    move |err| LocalError(format!("{what}: {err}"))
}

/// Resource URLs and names of a local stack, as environment variables for the functions.
#[derive(Debug, Clone)]
pub struct LocalStack {
    pub queue_url: String,
    pub dlq_url: String,
    pub queue_arn: String,
    pub table: String,
    pub secret_id: String,
    pub body_bucket: String,
}

/// Creates (idempotently) the queue, DLQ, table and sources secret described by the template,
/// and stores `sources_json` as the secret's value, as an operator does in AWS.
pub async fn up(
    sdk: &aws_config::SdkConfig,
    stack: &Stack,
    sources_json: &str,
) -> Result<LocalStack, LocalError> {
    // Refuse a document the functions would refuse, before storing it.
    hookwell::Sources::from_json(sources_json).map_err(e("sources configuration"))?;
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let ddb = aws_sdk_dynamodb::Client::new(sdk);
    let sm = aws_sdk_secretsmanager::Client::new(sdk);
    let (queue_url, dlq_url) = hookwell::local::create_queues(
        &sqs,
        &stack.queue_name,
        &stack.dlq_name,
        &stack.queue_settings(),
    )
    .await
    .map_err(e("queues"))?;
    hookwell::local::create_events_table(&ddb, &stack.table_name)
        .await
        .map_err(e("table"))?;
    hookwell::local::create_body_bucket(&hookwell::aws::s3_client(sdk), &stack.body_bucket_name)
        .await
        .map_err(e("bucket"))?;
    put_secret(&sm, &stack.secret_name, sources_json).await?;
    let queue_arn = hookwell::queue::queue_arn(&sqs, &queue_url)
        .await
        .map_err(|x| LocalError(x.to_string()))?;
    Ok(LocalStack {
        queue_url,
        dlq_url,
        queue_arn,
        table: stack.table_name.clone(),
        secret_id: stack.secret_name.clone(),
        body_bucket: stack.body_bucket_name.clone(),
    })
}

/// Creates the secret or stores a new version of it.
pub async fn put_secret(
    sm: &aws_sdk_secretsmanager::Client,
    name: &str,
    value: &str,
) -> Result<(), LocalError> {
    let exists = match sm.describe_secret().secret_id(name).send().await {
        Ok(_) => true,
        Err(e) => {
            let se = e.into_service_error();
            if !se.is_resource_not_found_exception() {
                // Denied, wrong region, throttled: say so rather than create a new secret.
                return Err(LocalError(format!(
                    "secret {name}: {}",
                    hookwell::aws::describe(&se)
                )));
            }
            false
        }
    };
    let r = if exists {
        sm.put_secret_value()
            .secret_id(name)
            .secret_string(value)
            .send()
            .await
            .map(|_| ())
            .map_err(|x| hookwell::aws::describe(&x))
    } else {
        sm.create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await
            .map(|_| ())
            .map_err(|x| hookwell::aws::describe(&x))
    };
    r.map_err(|m| LocalError(format!("secret {name}: {m}")))
}

impl LocalStack {
    /// The functions' environment (what `template.yaml` sets in AWS), for the local endpoint.
    pub fn function_env(
        &self,
        endpoint: &str,
        stack: &Stack,
        refresh_secs: u32,
    ) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", endpoint.to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
            (hookwell::settings::var::QUEUE_URL, self.queue_url.clone()),
            (hookwell::settings::var::DLQ_URL, self.dlq_url.clone()),
            (hookwell::settings::var::QUEUE_ARN, self.queue_arn.clone()),
            (hookwell::settings::var::TABLE, self.table.clone()),
            (
                hookwell::settings::var::BODY_BUCKET,
                self.body_bucket.clone(),
            ),
            (
                hookwell::settings::var::SOURCES_SECRET_ID,
                self.secret_id.clone(),
            ),
            (
                hookwell::settings::var::CONFIG_REFRESH_SECS,
                refresh_secs.to_string(),
            ),
            (
                hookwell::settings::var::LEASE_SECS,
                stack.lease_secs.to_string(),
            ),
            (
                hookwell::settings::var::RETENTION_HOURS,
                stack.retention_hours.to_string(),
            ),
            (
                hookwell::settings::var::RETRY_SCHEDULE,
                stack.retry_schedule.clone(),
            ),
            (
                hookwell::settings::var::RETAIN_PAYLOADS,
                stack.retain_payloads.clone(),
            ),
            (
                hookwell::settings::var::METRICS_NAMESPACE,
                stack.metrics_namespace.clone(),
            ),
            ("HOOKWELL_BATCH_SIZE", stack.batch_size.to_string()),
            (
                "HOOKWELL_BATCHING_WINDOW_SECS",
                stack.batching_window_secs.to_string(),
            ),
        ]
        .into_iter()
        // A time-compressed retry drill (`HOOKWELL_RETRY_SCALE=0.0167 make dev`: an hour of
        // the schedule per minute) reaches the functions too.
        .chain(
            std::env::var(hookwell::settings::var::RETRY_SCALE)
                .ok()
                .map(|v| (hookwell::settings::var::RETRY_SCALE, v)),
        )
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }
}

/// How the event source mapping stand-in polls and invokes.
#[derive(Debug, Clone)]
pub struct PollConfig {
    pub queue_url: String,
    pub queue_arn: String,
    /// e.g. `http://127.0.0.1:9000/2015-03-31/functions/processor/invocations`
    pub invoke_url: String,
    pub batch_size: usize,
    pub window: Duration,
    /// Stop after this long (the loop is always bounded).
    pub run_for: Duration,
    /// Stop after this many batches.
    pub max_batches: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollStats {
    pub batches: usize,
    pub records: usize,
    pub succeeded: usize,
    pub failed: usize,
    pub invoke_errors: usize,
}

/// The `SqsEvent` Lambda would deliver for these messages.
pub fn sqs_event(messages: &[Message], queue_arn: &str) -> serde_json::Value {
    let records: Vec<_> = messages
        .iter()
        .map(|m| {
            let attrs: serde_json::Map<String, serde_json::Value> = m
                .attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.as_str().to_owned(), json!(v)))
                        .collect()
                })
                .unwrap_or_default();
            let mattrs: serde_json::Map<String, serde_json::Value> = m
                .message_attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                json!({
                                    "stringValue": v.string_value(),
                                    "stringListValues": [],
                                    "binaryListValues": [],
                                    "dataType": v.data_type(),
                                }),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "attributes": attrs,
                "messageAttributes": mattrs,
                "md5OfBody": m.md5_of_body(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    json!({ "Records": records })
}

/// Long-polls the queue, invokes the function with each batch, deletes the records that
/// succeeded and leaves the reported failures (ReportBatchItemFailures); on a function error
/// every record stays. The queue's redrive policy moves exhausted messages to the DLQ.
pub async fn poll(
    sqs: &aws_sdk_sqs::Client,
    http: &reqwest::Client,
    cfg: &PollConfig,
    mut on_batch: impl FnMut(&PollStats, usize, usize),
) -> PollStats {
    let deadline = Instant::now() + cfg.run_for;
    let mut stats = PollStats::default();
    while Instant::now() < deadline && stats.batches < cfg.max_batches {
        let mut batch: Vec<Message> = Vec::new();
        let window_end = Instant::now() + cfg.window;
        // Gather up to batch_size, waiting at most the batching window once something came.
        for _ in 0..cfg.batch_size.max(1) {
            let wait = if batch.is_empty() { 2 } else { 0 };
            let want = (cfg.batch_size - batch.len()).clamp(1, 10);
            let got = sqs
                .receive_message()
                .queue_url(&cfg.queue_url)
                .max_number_of_messages(i32::try_from(want).unwrap_or(10))
                .wait_time_seconds(wait)
                .message_attribute_names("All")
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await;
            match got {
                Ok(out) => batch.extend(out.messages.unwrap_or_default()),
                Err(err) => {
                    tracing::warn!(error = %hookwell::aws::describe(&err), "receive failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break;
                }
            }
            if batch.len() >= cfg.batch_size || Instant::now() >= window_end || batch.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if batch.is_empty() {
            continue;
        }
        stats.batches += 1;
        stats.records += batch.len();
        let event = sqs_event(&batch, &cfg.queue_arn);
        let failed_ids = match invoke(http, &cfg.invoke_url, &event).await {
            Ok(ids) => ids,
            Err(err) => {
                tracing::warn!(error = %err, "processor invocation failed; the whole batch will be retried");
                stats.invoke_errors += 1;
                batch
                    .iter()
                    .filter_map(|m| m.message_id().map(str::to_owned))
                    .collect()
            }
        };
        // One DeleteMessageBatch for the successes, as the event source mapping does.
        let entries: Vec<DeleteMessageBatchRequestEntry> = batch
            .iter()
            .enumerate()
            .filter(|(_, m)| {
                let id = m.message_id().unwrap_or_default();
                !failed_ids.iter().any(|f| f == id)
            })
            .filter_map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .set_receipt_handle(m.receipt_handle().map(str::to_owned))
                    .build()
                    .ok()
            })
            .collect();
        let ok = if entries.is_empty() {
            0
        } else {
            match sqs
                .delete_message_batch()
                .queue_url(&cfg.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
            {
                Ok(out) => out.successful().len(),
                Err(err) => {
                    tracing::warn!(error = %hookwell::aws::describe(&err), "delete failed; the messages will be redelivered");
                    0
                }
            }
        };
        stats.succeeded += ok;
        stats.failed += batch.len() - ok;
        on_batch(&stats, batch.len(), batch.len() - ok);
    }
    stats
}

/// Invokes through the runtime emulator's Invoke API; returns the failed message ids.
async fn invoke(
    http: &reqwest::Client,
    url: &str,
    event: &serde_json::Value,
) -> Result<Vec<String>, String> {
    let resp = http
        .post(url)
        .header("content-type", "application/json")
        .body(event.to_string())
        .send()
        .await
        .map_err(|x| x.to_string())?;
    let status = resp.status();
    let text = resp.text().await.map_err(|x| x.to_string())?;
    if !status.is_success() {
        return Err(format!(
            "HTTP {status}: {}",
            text.chars().take(300).collect::<String>()
        ));
    }
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|x| format!("bad response: {x}"))?;
    if v.get("errorType").is_some() || v.get("errorMessage").is_some() {
        return Err(format!(
            "function error: {}",
            text.chars().take(300).collect::<String>()
        ));
    }
    let failures = v
        .get("batchItemFailures")
        .and_then(|f| f.as_array())
        .ok_or_else(|| "response has no batchItemFailures".to_owned())?;
    Ok(failures
        .iter()
        .filter_map(|f| {
            f.get("itemIdentifier")
                .and_then(|i| i.as_str())
                .map(str::to_owned)
        })
        .collect())
}
