//! Processor Lambda: wiring only. Clients, configuration and handlers are built once per cold
//! start; each SQS batch goes through `hookwell::processor`.

use hookwell::config::SourcesOrigin;
use hookwell::queue::{SqsDeadLetterQueue, SqsRetryScheduler};
use hookwell::{DynamoDbEventStore, Processor, ProcessorConfig};
use lambda_runtime::{service_fn, Error, LambdaEvent};
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
    let sources = SourcesOrigin::from_env(&sdk)?.load().await?;
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
    let processor = &processor;
    lambda_runtime::run(service_fn(
        move |ev: LambdaEvent<hookwell::lambda::SqsEvent>| async move {
            Ok::<_, Error>(hookwell::lambda::handle_sqs(processor, ev.payload).await)
        },
    ))
    .await
}
