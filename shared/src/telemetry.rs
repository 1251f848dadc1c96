//! Logging set-up: JSON lines in Lambda (CloudWatch Logs Insights can query them), compact
//! text on a terminal. Payloads and secrets are never fields of any event.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls are no-ops. Level from `RUST_LOG`
/// (default `info`).
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let in_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if in_lambda || std::env::var("HOOKWELL_LOG_FORMAT").as_deref() == Ok("json") {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_ansi(false)
            .without_time()
            .try_init()
    } else {
        builder.compact().with_writer(std::io::stderr).try_init()
    };
}
