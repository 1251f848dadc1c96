//! One integration-test binary: every test talks to the local AWS emulator through the real
//! AWS SDK. Run with `make test`, which starts moto and sets AWS_ENDPOINT_URL.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod bodies;
mod chat;
mod clients;
mod config;
mod console;
mod e2e;
mod faults;
mod history;
mod hostile;
mod ingest;
mod ordering;
mod processor;
mod replay;
mod samples;
mod soak;
mod stack_use;
mod template;
