//! Processor Lambda: wiring only. Clients, configuration and handlers are built once per cold
//! start; each SQS batch goes through `hookwell::processor`.

use hookwell::aws::S3BodyStore;
use hookwell::config::{Refresher, SourcesOrigin};
use hookwell::handler::Router;
use hookwell::lambda::Error;
use hookwell::queue::{SqsDeadLetterQueue, SqsRetryScheduler};
use hookwell::settings::ProcessorSettings;
use hookwell::{DynamoDbEventStore, Processor, Sources};
use std::sync::Arc;
use std::time::Duration;

/// The routes: those configured in the sources document (`routes`), then your own handlers.
/// Rebuilt whenever the configuration is reloaded. See the README, "Writing a handler".
fn routes(sources: &Sources) -> Result<Router, String> {
    #[allow(unused_mut)]
    let mut router = hookwell::handlers::router_from_config(sources)?;
    // router.on("bubble", "MESSAGE_CREATE", my_handler);
    Ok(router)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    hookwell::telemetry::init();
    let settings = ProcessorSettings::from_env()?;
    let sdk = hookwell::aws::lambda_sdk_config(Duration::from_secs(10))?;
    let sqs = hookwell::aws::SqsClient::new(&sdk);
    let origin = SourcesOrigin::new(&settings.sources, &sdk);
    let store = DynamoDbEventStore::new(hookwell::aws::DynamoDbClient::new(&sdk), settings.table);
    let retry = SqsRetryScheduler::new(sqs.clone(), settings.queue_url);
    // During init, not on the first batch: the configuration, and both connections.
    let (sources, table, queue) = tokio::join!(origin.load(), store.warm(), retry.warm());
    if let Err(e) = table {
        tracing::warn!(error = %e, "table warm-up failed; the first batch connects instead");
    }
    if let Err(e) = queue {
        tracing::warn!(error = %e, "queue warm-up failed; the first batch connects instead");
    }
    let sources = sources?;
    let mut processor = Processor::new(
        store,
        SqsDeadLetterQueue::new(sqs, settings.dlq_url),
        retry,
        routes(&sources)?,
        settings.processor,
    );
    if let Some(bucket) = settings.body_bucket {
        let s3 = hookwell::aws::s3_client(&sdk);
        processor = processor.with_body_store(Arc::new(S3BodyStore::new(s3, bucket)));
    }
    let refresher = Refresher::new(origin, settings.refresh);
    hookwell::lambda::run_processor(processor, refresher, routes).await
}
