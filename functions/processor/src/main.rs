//! Processor Lambda: wiring only. Clients, configuration and handlers are built once per cold
//! start; each SQS batch goes through `hookwell::processor`.

use hookwell::config::{Refresher, SourcesOrigin};
use hookwell::handler::Router;
use hookwell::lambda::Error;
use hookwell::queue::{SqsDeadLetterQueue, SqsRetryScheduler};
use hookwell::{DynamoDbEventStore, Processor, ProcessorConfig, Sources};
use std::time::Duration;

/// The routes: those configured in the sources document (`routes`), then your own handlers.
/// Rebuilt whenever the configuration is reloaded. See the README, "Writing a handler".
fn routes(sources: &Sources) -> Result<Router, String> {
    #[allow(unused_mut)]
    let mut router = hookwell::handlers::router_from_config(sources)?;
    // router.on("bubble", "MESSAGE_CREATE", my_handler);
    Ok(router)
}

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
    let store = DynamoDbEventStore::new(
        hookwell::aws::DynamoDbClient::new(&sdk),
        env("HOOKWELL_TABLE")?,
    );
    let retry = SqsRetryScheduler::new(sqs.clone(), env("HOOKWELL_QUEUE_URL")?);
    // During init, not on the first batch: the configuration, and both connections.
    let (sources, table, queue) = tokio::join!(origin.load(), store.warm(), retry.warm());
    if let Err(e) = table {
        tracing::warn!(error = %e, "table warm-up failed; the first batch connects instead");
    }
    if let Err(e) = queue {
        tracing::warn!(error = %e, "queue warm-up failed; the first batch connects instead");
    }
    let sources = sources?;
    let processor = Processor::new(
        store,
        SqsDeadLetterQueue::new(sqs, env("HOOKWELL_DLQ_URL")?),
        retry,
        routes(&sources)?,
        cfg,
    );
    let refresher = Refresher::new(origin, Refresher::interval_from_env());
    hookwell::lambda::run_processor(processor, refresher, routes).await
}
