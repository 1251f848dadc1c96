//! The AWS side: one SDK config per process, built in `main`, with timeouts short enough that
//! ingest answers 503 before a provider's 5 s deadline instead of hanging; and the one AWS
//! implementation of each port ([`sqs`] for the queues, [`dynamodb`] for the event store,
//! [`s3`] for bodies too large for a queue message).

pub mod dynamodb;
pub mod s3;
pub mod sqs;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use std::time::Duration;

/// Loads region, credentials and `AWS_ENDPOINT_URL` from the environment. `operation_timeout`
/// bounds one SDK call including its retries.
pub async fn sdk_config(operation_timeout: Duration) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts(operation_timeout))
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .load()
        .await
}

/// A 1 s connect timeout, and `operation_timeout` for one call with its retries (each attempt
/// at most half of it). `sdk.to_builder().timeout_config(timeouts(..))` gives one client
/// another budget without loading the configuration again.
pub fn timeouts(operation_timeout: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_millis(1000))
        .operation_attempt_timeout(operation_timeout / 2)
        .operation_timeout(operation_timeout)
        .build()
}

/// One line describing an SDK error with its causes (no request bodies are included).
pub fn describe<E: std::error::Error>(e: &E) -> String {
    aws_sdk_sqs::error::DisplayErrorContext(e).to_string()
}

pub use aws_config::SdkConfig;
pub use aws_sdk_dynamodb::Client as DynamoDbClient;
pub use aws_sdk_sqs::Client as SqsClient;
pub use s3::{s3_client, S3BodyStore};
