//! hookwell: receive webhooks on AWS Lambda and never lose one.
//!
//! The pipeline, in the order a delivery travels it:
//!
//! | module | what it does |
//! |---|---|
//! | [`config`], [`settings`] | the sources document (schemes, secrets, routes) and the functions' `HOOKWELL_*` settings |
//! | [`verify`] | signature schemes, secrets, typed delivery states, event identity |
//! | [`envelope`] | the versioned queue message |
//! | [`ingest`] | the HTTP contract: verify, identify, enqueue, answer |
//! | [`queue`], [`store`], [`bodies`] | the ports: the queue, the events table, and the store for bodies too large for a queue message |
//! | [`process`] | the processor: claim, route to handlers, complete or retry on the schedule |
//! | [`aws`] | the one AWS implementation of each port (SQS, DynamoDB, S3) and the SDK set-up |
//! | [`ops`] | replay from the DLQ, redelivery from the record, the local stack, the providers' samples |
//! | [`metrics`], [`telemetry`] | CloudWatch EMF lines and logs |
//! | `lambda` | thin adapters for the two function binaries (features `lambda-http`, `lambda-sqs`) |
//!
//! The domain is free of Lambda types. The most used items are re-exported at the root, and
//! so are the modules under their earlier flat names (`hookwell::scheme`, `hookwell::processor`,
//! ...), so existing handler code keeps compiling.

#![warn(missing_docs)]

#[cfg(feature = "aws")]
pub mod aws;
pub mod bodies;
pub mod config;
pub mod envelope;
pub mod ingest;
#[cfg(any(feature = "lambda-http", feature = "lambda-sqs"))]
pub mod lambda;
pub mod metrics;
pub mod ops;
pub mod process;
pub mod queue;
pub mod settings;
pub mod store;
mod swap;
pub mod telemetry;
pub mod verify;

#[cfg(feature = "aws")]
pub use ops::redeliver::redeliver;
pub use ops::samples;
#[cfg(feature = "aws")]
pub use ops::{local, replay};
pub use process::{handler, handlers, payloads, processor, retry};
pub use verify::{delivery, identity, platform, scheme, secret};

pub use config::{Source, Sources};
pub use delivery::{AcceptedEvent, Unverified, Verified};
pub use envelope::Envelope;
pub use handler::{Event, Handler, HandlerError, Router};
pub use ingest::{Ingest, IngestError, IngestRequest, SourcesCell};
pub use processor::{Processor, ProcessorConfig};
#[cfg(feature = "aws")]
pub use queue::SqsEventQueue;
pub use queue::{EventQueue, QueueError};
pub use secret::Secret;
#[cfg(feature = "aws")]
pub use store::DynamoDbEventStore;
pub use store::EventStore;
