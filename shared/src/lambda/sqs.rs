//! SQS event source mapping batches to the processor.

use crate::config::Refresher;
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
    let group_id = m.attributes.get("MessageGroupId").cloned();
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
        group_id,
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
