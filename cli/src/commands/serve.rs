//! `hookwell serve`: ingest over plain HTTP on loopback (the Lambda function's logic without
//! Lambda).

use super::SourcesFile;
use clap::Args;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[arg(long, default_value_t = 9200)]
    pub port: u16,
    /// The queue to send accepted events to.
    #[arg(long, env = "HOOKWELL_QUEUE_URL")]
    pub queue_url: String,
    /// Bucket for bodies too large for a queue message (without it they are refused, 413).
    #[arg(long, env = "HOOKWELL_BODY_BUCKET")]
    pub body_bucket: Option<String>,
    #[command(flatten)]
    pub sources: SourcesFile,
}

pub async fn run(a: ServeArgs) -> anyhow::Result<()> {
    let sources = a.sources.load()?;
    let sdk = hookwell::aws::sdk_config(Duration::from_secs(10)).await;
    let mut ingest =
        hookwell_cli::serve::ingest(sources, aws_sdk_sqs::Client::new(&sdk), &a.queue_url);
    if let Some(bucket) = a.body_bucket {
        let store = hookwell::aws::S3BodyStore::new(hookwell::aws::s3_client(&sdk), bucket);
        ingest = ingest.with_body_store(std::sync::Arc::new(store));
    }
    let addr = format!("127.0.0.1:{}", a.port);
    hookwell_cli::serve::serve(&addr, ingest, |bound| {
        println!("ingest listening on http://{bound}/webhooks/{{source}}");
    })
    .await
    .map_err(|e| anyhow::anyhow!("{addr}: {e}"))
}
