//! Ingest Lambda: wiring only. Config and clients are built once per cold start.

use hookwell::config::{Refresher, SourcesOrigin};
use hookwell::settings::IngestSettings;
use hookwell::{Ingest, SourcesCell, SqsEventQueue};
use std::time::Duration;

/// Below the shortest provider deadline (Bubble and Sendbird: 5 s), so a slow queue turns into
/// a 503 the provider retries rather than a timeout it may not.
const SQS_CALL_BUDGET: Duration = Duration::from_millis(3500);

#[tokio::main]
async fn main() -> Result<(), hookwell::lambda::Error> {
    hookwell::telemetry::init();
    let settings = IngestSettings::from_env()?;
    let sdk = hookwell::aws::sdk_config(SQS_CALL_BUDGET).await;
    let origin = SourcesOrigin::new(&settings.sources, &sdk);
    let queue = SqsEventQueue::new(hookwell::aws::SqsClient::new(&sdk), settings.queue_url);
    // During init, not on the first delivery: the configuration, and the queue connection.
    let (sources, warm) = tokio::join!(origin.load(), queue.warm());
    if let Err(e) = warm {
        tracing::warn!(error = %e, "queue warm-up failed; the first delivery connects instead");
    }
    let ingest = Ingest::new(SourcesCell::new(sources?), queue);
    let refresher = Refresher::new(origin, settings.refresh);
    hookwell::lambda::run_ingest(ingest, refresher).await
}
