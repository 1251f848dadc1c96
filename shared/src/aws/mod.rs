//! The AWS side: one SDK config per process, built in `main`, with timeouts short enough that
//! ingest answers 503 before a provider's 5 s deadline instead of hanging; and the one AWS
//! implementation of each port ([`sqs`] for the queues, [`dynamodb`] for the event store,
//! [`s3`] for bodies too large for a queue message).

pub mod dynamodb;
pub mod s3;
pub mod sqs;

use aws_config::identity::IdentityCache;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::BehaviorVersion;
use aws_sdk_sqs::config::SharedCredentialsProvider;
use std::time::Duration;

/// Loads region, credentials and `AWS_ENDPOINT_URL` the SDK's default ways (environment,
/// profile files, STS web identity, ECS and instance metadata): what the CLI and the tests use
/// on a developer's machine. `operation_timeout` bounds one SDK call including its
/// retries. The functions use [`lambda_sdk_config`] instead.
pub async fn sdk_config(operation_timeout: Duration) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts(operation_timeout))
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .load()
        .await
}

/// The functions' SDK config, from environment variables only, as Lambda provides them:
/// `AWS_REGION` (or `AWS_DEFAULT_REGION`), `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
/// `AWS_SESSION_TOKEN`, and `AWS_ENDPOINT_URL` when set (the local stack). The same timeouts
/// and retries as [`sdk_config`], but none of its other credential providers (profile files,
/// STS web identity, ECS, instance metadata) or profile-file settings: not calling
/// `aws_config`'s loader keeps them, STS's client and the profile parser out of both binaries
/// (770 KB each, docs/BENCHMARKS.md). Per-service `AWS_ENDPOINT_URL_<SERVICE>` variables and
/// `AWS_MAX_ATTEMPTS`-style settings are not read: the functions set their own.
///
/// A missing region or key is reported here, at cold start, rather than on every call.
pub fn lambda_sdk_config(
    operation_timeout: Duration,
) -> Result<aws_config::SdkConfig, crate::settings::SettingsError> {
    lambda_sdk_config_from(&|name| std::env::var(name).ok(), operation_timeout)
}

/// [`lambda_sdk_config`] with the variables read through `get`; credentials are still read
/// from the process environment, by the provider, when a client first needs them.
pub fn lambda_sdk_config_from(
    get: &dyn Fn(&str) -> Option<String>,
    operation_timeout: Duration,
) -> Result<aws_config::SdkConfig, crate::settings::SettingsError> {
    let set = |name: &str| get(name).filter(|v| !v.trim().is_empty());
    let mut missing = Vec::new();
    let region = set("AWS_REGION").or_else(|| set("AWS_DEFAULT_REGION"));
    if region.is_none() {
        missing.push("AWS_REGION is not set".to_owned());
    }
    for key in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
        if set(key).is_none() {
            missing.push(format!("{key} is not set"));
        }
    }
    if !missing.is_empty() {
        return Err(crate::settings::SettingsError(missing));
    }
    let credentials = aws_config::environment::EnvironmentVariableCredentialsProvider::new();
    let mut builder = aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(region.map(aws_config::Region::new))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .identity_cache(IdentityCache::lazy().build())
        .timeout_config(timeouts(operation_timeout))
        .retry_config(RetryConfig::standard().with_max_attempts(3));
    builder.set_endpoint_url(set("AWS_ENDPOINT_URL"));
    builder.set_http_client(Some(lambda_http_client()));
    Ok(builder.build())
}

/// The functions' HTTPS client: the SDK's default one (hyper 1, rustls with aws-lc-rs, the
/// platform's trust store, proxy settings from the environment), built once and shared by
/// every SDK client made from the [`lambda_sdk_config`].
///
/// Left to itself, the SDK gives each client its own default HTTP client and, when the client
/// is constructed, builds and drops one connector "so that native certs load" early; then
/// the client's first call builds its connector again. Each connector parses the whole root
/// store into a fresh rustls `RootCertStore` (144 certificates here), so the processor's four
/// clients parsed it eight times before its first batch, and ingest's three five times. Here
/// the first call builds the one connector for its timeout settings (a client with other
/// timeouts, ingest's S3 one, gets a second on its first call), and every later client and
/// call reuses it and its connection pool. TLS is still verified against the same roots.
pub fn lambda_http_client() -> aws_sdk_sqs::config::SharedHttpClient {
    use aws_smithy_http_client::{proxy::ProxyConfig, tls, Builder, ConnectorBuilder};
    // What aws-smithy-runtime's `default_https_client` builds for BehaviorVersion::latest().
    let client = Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    });
    aws_sdk_sqs::config::SharedHttpClient::new(SharedClient(client))
}

/// [`lambda_http_client`]'s client without the connector built and dropped at each client's
/// construction (`validate_base_client_config`, which does nothing else).
#[derive(Debug)]
struct SharedClient(aws_sdk_sqs::config::SharedHttpClient);

impl aws_sdk_sqs::config::HttpClient for SharedClient {
    fn http_connector(
        &self,
        settings: &aws_smithy_runtime_api::client::http::HttpConnectorSettings,
        components: &aws_sdk_sqs::config::RuntimeComponents,
    ) -> aws_smithy_runtime_api::client::http::SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.0.connector_metadata()
    }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    const LAMBDA: &[(&str, &str)] = &[
        ("AWS_REGION", "eu-west-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_SESSION_TOKEN", "token"),
    ];

    #[test]
    fn the_lambda_config_takes_region_and_endpoint_from_the_environment() {
        let sdk = lambda_sdk_config_from(&env(LAMBDA), Duration::from_secs(4)).unwrap();
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(sdk.endpoint_url(), None);
        assert!(sdk.credentials_provider().is_some());
        assert!(sdk.identity_cache().is_some());
        let t = sdk.timeout_config().unwrap();
        assert_eq!(t.operation_timeout(), Some(Duration::from_secs(4)));
        assert_eq!(t.operation_attempt_timeout(), Some(Duration::from_secs(2)));
        assert_eq!(sdk.retry_config().unwrap().max_attempts(), 3);

        let local = [
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
        ];
        let sdk = lambda_sdk_config_from(&env(&local), Duration::from_secs(4)).unwrap();
        assert_eq!(sdk.region().map(|r| r.as_ref()), Some("us-east-1"));
        assert_eq!(sdk.endpoint_url(), Some("http://127.0.0.1:4566"));
    }

    #[test]
    fn the_lambda_config_names_every_missing_variable() {
        let e = lambda_sdk_config_from(&env(&[("AWS_REGION", " ")]), Duration::from_secs(1))
            .unwrap_err();
        assert_eq!(
            e.0,
            [
                "AWS_REGION is not set",
                "AWS_ACCESS_KEY_ID is not set",
                "AWS_SECRET_ACCESS_KEY is not set"
            ]
        );
    }
}
