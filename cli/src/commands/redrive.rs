//! `hookwell redrive`: the whole DLQ back with SQS's native message move task.

use clap::Args;
use hookwell::replay::{classify_redrive_error, redrive_request};
use hookwell_cli::env::Target;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct RedriveArgs {
    /// Messages per second (SQS default: as fast as it can).
    #[arg(long)]
    pub rate: Option<i32>,
    #[arg(long)]
    pub dlq_url: Option<String>,
    /// Stop watching after this many seconds (the task keeps running in AWS).
    #[arg(long, default_value_t = 600)]
    pub watch_secs: u64,
}

pub async fn run(a: RedriveArgs) -> anyhow::Result<()> {
    let target = Target::detect();
    let dlq = a
        .dlq_url
        .or_else(|| target.get(hookwell::settings::var::DLQ_URL))
        .ok_or_else(|| anyhow::anyhow!("no DLQ: pass --dlq-url or set HOOKWELL_DLQ_URL"))?;
    let sdk = target.sdk().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let arn = hookwell::queue::queue_arn(&sqs, &dlq).await?;
    let destination = target.get(hookwell::settings::var::QUEUE_ARN);
    let started = redrive_request(&sqs, &arn, destination.as_deref(), a.rate)
        .send()
        .await
        .map_err(|e| classify_redrive_error(&e))?;
    println!(
        "move task started: {}",
        started.task_handle().unwrap_or("?")
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(a.watch_secs);
    while std::time::Instant::now() < deadline {
        let tasks = sqs
            .list_message_move_tasks()
            .source_arn(&arn)
            .max_results(1)
            .send()
            .await
            .map_err(|e| classify_redrive_error(&e))?;
        let Some(t) = tasks.results().first() else {
            break;
        };
        println!(
            "{}: moved {} of {}",
            t.status().unwrap_or("?"),
            t.approximate_number_of_messages_moved(),
            t.approximate_number_of_messages_to_move()
                .map(|n| n.to_string())
                .unwrap_or_else(|| "?".into())
        );
        if t.status() != Some("RUNNING") {
            if let Some(reason) = t.failure_reason() {
                anyhow::bail!("move task failed: {reason}");
            }
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    Ok(())
}
