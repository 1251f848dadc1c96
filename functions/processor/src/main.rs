//! Processor Lambda: wiring only. Clients, configuration and handlers are built once per cold
//! start; each SQS batch goes through `hookwell::processor`.
//!
//! To add your own handlers, register them on the router below, e.g.
//! `router.on("bubble", "MESSAGE_CREATE", my_handler);` (README: "Writing a handler").

use hookwell::config::{Refresher, SourcesOrigin};
use hookwell::lambda::Error;
use hookwell::queue::{SqsDeadLetterQueue, SqsRetryScheduler};
use hookwell::{DynamoDbEventStore, Processor, ProcessorConfig};
use std::time::Duration;

fn env(name: &str) -> Result<String, Error> {
    std::env::var(name).map_err(|_| format!("{name} is not set").into())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    hookwell::telemetry::init();
    let sdk = hookwell::aws::sdk_config(Duration::from_secs(10)).await;
    let sqs = hookwell::aws::SqsClient::new(&sdk);
    let cfg = ProcessorConfig::from_env()?;
    let origin = SourcesOrigin::from_env(&sdk)?;
    let sources = origin.load().await?;
    let router = hookwell::handlers::router_from_config(&sources)?;
    let processor = Processor::new(
        DynamoDbEventStore::new(
            hookwell::aws::DynamoDbClient::new(&sdk),
            env("HOOKWELL_TABLE")?,
        ),
        SqsDeadLetterQueue::new(sqs.clone(), env("HOOKWELL_DLQ_URL")?),
        SqsRetryScheduler::new(sqs, env("HOOKWELL_QUEUE_URL")?),
        router,
        cfg,
    );
    let refresher = Refresher::new(origin, Refresher::interval_from_env());
    hookwell::lambda::run_processor(processor, refresher).await
}
