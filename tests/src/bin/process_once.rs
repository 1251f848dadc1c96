//! A processor worker the fault tests can kill: receives one batch from the queue, runs it
//! through the real `Processor` (DynamoDB store, forward route to the test sink) and deletes
//! what succeeded, as the event source mapping would. Prints `received N` once it has the batch.

#![allow(clippy::expect_used, clippy::print_stdout, clippy::panic)]

use hookwell::queue::{InboundMessage, SqsDeadLetterQueue, SqsRetryScheduler};
use hookwell::settings::ProcessorSettings;
use hookwell::{DynamoDbEventStore, Processor, Secret};
use std::io::Write;
use std::time::Duration;

#[tokio::main]
async fn main() {
    // The function's own settings, read as it reads them.
    let settings = ProcessorSettings::from_env().expect("settings");
    let sink = std::env::var("HOOKWELL_SINK_URL").expect("HOOKWELL_SINK_URL is required");
    let (queue, dlq, table) = (
        settings.queue_url.clone(),
        settings.dlq_url.clone(),
        settings.table.clone(),
    );
    let sdk = hookwell::aws::sdk_config(Duration::from_secs(10)).await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let mut router = hookwell::Router::new();
    router.fallback(
        hookwell::handlers::Forward::new(
            &sink,
            Secret::new(hookwell_tests::SINK_SECRET.to_owned()),
            Duration::from_secs(60),
        )
        .expect("forward"),
    );
    let processor = Processor::new(
        DynamoDbEventStore::new(ddb, &table),
        SqsDeadLetterQueue::new(sqs.clone(), &dlq),
        SqsRetryScheduler::new(sqs.clone(), &queue),
        router,
        settings.processor,
    );
    let got = sqs
        .receive_message()
        .queue_url(&queue)
        .max_number_of_messages(10)
        .wait_time_seconds(5)
        .message_attribute_names("All")
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
        .send()
        .await
        .expect("receive")
        .messages
        .unwrap_or_default();
    let batch: Vec<InboundMessage> = got.iter().map(InboundMessage::from_sdk).collect();
    println!("received {}", batch.len());
    std::io::stdout().flush().expect("flush");
    let res = processor.process_batch(batch.clone()).await;
    for m in &batch {
        if res.failures.contains(&m.message_id) {
            continue;
        }
        if let Some(h) = &m.receipt_handle {
            sqs.delete_message()
                .queue_url(&queue)
                .receipt_handle(h)
                .send()
                .await
                .expect("delete");
        }
    }
    println!("done");
}
