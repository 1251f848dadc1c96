//! Ingest Lambda: wiring only. Config and clients are built once per cold start.

use hookwell::aws::S3BodyStore;
use hookwell::config::{Refresher, SourcesOrigin};
use hookwell::settings::IngestSettings;
use hookwell::{Ingest, SourcesCell, SqsEventQueue};
use std::sync::Arc;
use std::time::Duration;

/// Below the shortest provider deadline (Bubble and Sendbird: 5 s), so a slow queue turns into
/// a 503 the provider retries rather than a timeout it may not.
const SQS_CALL_BUDGET: Duration = Duration::from_millis(3500);
/// Storing a body over 1 MiB (up to 6 MB): only GitHub-sized payloads take this path.
const S3_CALL_BUDGET: Duration = Duration::from_millis(5000);

#[tokio::main]
async fn main() -> Result<(), hookwell::lambda::Error> {
    hookwell::telemetry::init();
    let settings = IngestSettings::from_env()?;
    let sdk = hookwell::aws::lambda_sdk_config(SQS_CALL_BUDGET)?;
    let origin = SourcesOrigin::new(&settings.sources, &sdk);
    let queue = SqsEventQueue::new(hookwell::aws::SqsClient::new(&sdk), settings.queue_url);
    // During init, not on the first delivery: the configuration, and the queue connection.
    let (sources, warm) = tokio::join!(origin.load(), queue.warm());
    if let Err(e) = warm {
        tracing::warn!(error = %e, "queue warm-up failed; the first delivery connects instead");
    }
    let mut ingest = Ingest::new(SourcesCell::new(sources?), queue);
    if let Some(bucket) = settings.body_bucket {
        // Its own budget: with the SendMessage after it, still inside a 10 s provider deadline.
        let s3_sdk = sdk
            .to_builder()
            .timeout_config(hookwell::aws::timeouts(S3_CALL_BUDGET))
            .build();
        let s3 = hookwell::aws::s3_client(&s3_sdk);
        ingest = ingest.with_body_store(Arc::new(S3BodyStore::new(s3, bucket)));
    }
    let refresher = Refresher::new(origin, settings.refresh);
    hookwell::lambda::run_ingest(ingest, refresher).await
}
