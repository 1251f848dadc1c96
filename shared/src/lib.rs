//! hookwell: receive webhooks on AWS Lambda and never lose one.
//!
//! The domain lives here, free of Lambda types: sources and their signature schemes
//! ([`scheme`], [`config`]), typed delivery states ([`delivery`]), event identity
//! ([`identity`]), the queue envelope ([`envelope`]) and ports with one AWS implementation each
//! ([`queue`]). The `lambda` feature adds thin adapters for the function binaries.

pub mod aws;
pub mod config;
pub mod delivery;
pub mod envelope;
pub mod handler;
pub mod handlers;
pub mod identity;
pub mod ingest;
pub mod jsonpick;
#[cfg(any(feature = "lambda-http", feature = "lambda-sqs"))]
pub mod lambda;
pub mod local;
pub mod metrics;
pub mod payloads;
pub mod processor;
pub mod queue;
pub mod replay;
pub mod retry;
pub mod samples;
pub mod scheme;
pub mod secret;
pub mod settings;
pub mod store;
pub mod telemetry;

pub use config::{Source, Sources};
pub use delivery::{AcceptedEvent, Unverified, Verified};
pub use envelope::Envelope;
pub use handler::{Event, Handler, HandlerError, Router};
pub use ingest::{Ingest, IngestError, IngestRequest, SourcesCell};
pub use processor::{Processor, ProcessorConfig};
pub use queue::{EventQueue, QueueError, SqsEventQueue};
pub use secret::Secret;
pub use store::{DynamoDbEventStore, EventStore};
