//! Logging set-up: JSON lines in Lambda (CloudWatch Logs Insights can query them), compact
//! text elsewhere, coloured only on a terminal. Payloads and secrets are never fields of any
//! event.

use std::io::IsTerminal;
use tracing::level_filters::LevelFilter;

/// The level from `RUST_LOG` (`error`, `warn`, `info`, `debug`, `trace`; default `info`). A
/// plain level rather than per-target directives keeps the regex engine out of the Lambda
/// binaries.
fn level() -> LevelFilter {
    std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(LevelFilter::INFO)
}

/// Installs the global subscriber once; later calls are no-ops.
pub fn init() {
    let in_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
    let builder = tracing_subscriber::fmt().with_max_level(level());
    let _ = if in_lambda || std::env::var(crate::settings::var::LOG_FORMAT).as_deref() == Ok("json")
    {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_ansi(false)
            .without_time()
            .try_init()
    } else {
        builder
            .compact()
            .with_ansi(colour(
                std::io::stderr().is_terminal(),
                std::env::var_os("NO_COLOR").as_deref(),
            ))
            .with_writer(std::io::stderr)
            .try_init()
    };
}

/// Colour codes only for a person at a terminal who has not set `NO_COLOR`: in a log file
/// (`make dev`'s, `make load`'s) they were bytes to wade through, and formatting them cost
/// `hookwell serve` CPU on every request it logged.
fn colour(stderr_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::colour;
    use std::ffi::OsStr;

    /// no-color.org: any non-empty `NO_COLOR` turns colour off; off a terminal it is always off.
    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour(true, None));
        assert!(colour(true, Some(OsStr::new(""))));
        assert!(!colour(true, Some(OsStr::new("1"))));
        assert!(!colour(false, None));
        assert!(!colour(false, Some(OsStr::new(""))));
    }
}
