//! Adapters between Lambda's event types and the domain (feature `lambda`).

/// The error type both function mains return (a boxed error, as the runtimes use).
pub use lambda_runtime::Error;

use crate::config::Refresher;
use crate::ingest::{Ingest, IngestRequest};
use crate::queue::EventQueue;
use bytes::Bytes;
use lambda_http::{Body, Request, Response};

/// Converts an API Gateway HTTP API (payload v2) or Function URL request. The body is kept as
/// raw bytes: API Gateway base64-encodes non-text bodies and `lambda_http` decodes them.
pub fn ingest_request(req: Request) -> IngestRequest {
    let (parts, body) = req.into_parts();
    let body = match body {
        Body::Empty => Bytes::new(),
        Body::Text(s) => Bytes::from(s),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    IngestRequest {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
    }
}

/// Runs one request through ingest and converts the answer back.
pub async fn handle_ingest<Q: EventQueue>(ingest: &Ingest<Q>, req: Request) -> Response<Body> {
    ingest.handle(ingest_request(req)).await.map(Body::from)
}

/// Serves ingest on the Lambda runtime, reloading the sources when due.
pub async fn run_ingest<Q: EventQueue>(
    ingest: Ingest<Q>,
    refresher: Refresher,
) -> Result<(), lambda_http::Error> {
    let (ingest, refresher) = (&ingest, &refresher);
    lambda_http::run(lambda_http::service_fn(move |req: Request| async move {
        if let Some(fresh) = refresher.refresh_if_due().await {
            ingest.sources().replace(fresh);
        }
        Ok::<_, std::convert::Infallible>(handle_ingest(ingest, req).await)
    }))
    .await
}

/// Serves the processor on the Lambda runtime. When the configuration is reloaded, the routes
/// are rebuilt with `routes` (configured routes plus the handlers registered in code).
pub async fn run_processor<S, D, R, F>(
    processor: Processor<S, D, R>,
    refresher: Refresher,
    routes: F,
) -> Result<(), lambda_runtime::Error>
where
    S: EventStore,
    D: DeadLetterQueue,
    R: RetryScheduler,
    F: Fn(&crate::config::Sources) -> Result<crate::handler::Router, String> + Send + Sync,
{
    let (processor, refresher, routes) = (&processor, &refresher, &routes);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |ev: lambda_runtime::LambdaEvent<SqsEvent>| async move {
            if let Some(fresh) = refresher.refresh_if_due().await {
                match routes(&fresh) {
                    Ok(r) => processor.set_router(r),
                    Err(e) => {
                        tracing::warn!(error = %e, "new routes rejected; keeping the previous ones")
                    }
                }
            }
            Ok::<_, lambda_runtime::Error>(handle_sqs(processor, ev.payload).await)
        },
    ))
    .await
}

use crate::processor::Processor;
use crate::queue::{DeadLetterQueue, InboundMessage, RetryScheduler};
use crate::store::EventStore;
use aws_lambda_events::sqs::{BatchItemFailure, SqsMessage};
pub use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};

/// One SQS record as the processor's input. A record without a message id cannot be
/// reported back, so it is skipped (and logged): SQS will redeliver it.
pub fn inbound_message(m: SqsMessage) -> Option<InboundMessage> {
    let message_id = m.message_id?;
    let receive_count = m
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|c| c.parse().ok())
        .unwrap_or(1);
    let attributes = m
        .message_attributes
        .into_iter()
        .filter_map(|(k, v)| v.string_value.map(|s| (k, s)))
        .collect();
    Some(InboundMessage {
        message_id,
        receipt_handle: m.receipt_handle,
        body: m.body,
        receive_count,
        attributes,
    })
}

/// Processes an SQS batch and reports exactly the failed records (`ReportBatchItemFailures`).
pub async fn handle_sqs<S, D, R>(
    processor: &Processor<S, D, R>,
    event: SqsEvent,
) -> SqsBatchResponse
where
    S: EventStore,
    D: DeadLetterQueue,
    R: RetryScheduler,
{
    let total = event.records.len();
    let messages: Vec<InboundMessage> = event
        .records
        .into_iter()
        .filter_map(inbound_message)
        .collect();
    if messages.len() != total {
        tracing::error!(
            skipped = total - messages.len(),
            "records without a message id"
        );
    }
    let result = processor.process_batch(messages).await;
    let mut resp = SqsBatchResponse::default();
    resp.batch_item_failures = result
        .failures
        .into_iter()
        .map(|id| {
            let mut f = BatchItemFailure::default();
            f.item_identifier = id;
            f
        })
        .collect();
    resp
}
