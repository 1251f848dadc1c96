//! Adapters between Lambda's event types and the domain: `http` for ingest (feature
//! `lambda-http`), `sqs` for the processor (feature `lambda-sqs`), so each function links only
//! the runtime pieces it uses.

/// The error type both function mains return (a boxed error, as the runtimes use).
pub use lambda_runtime::Error;

#[cfg(feature = "lambda-http")]
mod http;
#[cfg(feature = "lambda-sqs")]
mod sqs;

#[cfg(feature = "lambda-http")]
pub use http::{handle_ingest, ingest_request, run_ingest};
#[cfg(feature = "lambda-sqs")]
pub use sqs::*;
