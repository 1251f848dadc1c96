//! `hookwell console`: the delivery history as a web page on loopback, with the DLQ and the
//! actions (replay, re-deliver, send test). Reads the same stack as `hookwell events`.

use super::events::{table_name, TableArg};
use super::SourcesFile;
use clap::Args;
use hookwell_cli::console::{self, backend::AwsBackend, guard, Console, SendTest};
use hookwell_cli::env::Target;
use std::sync::Arc;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct ConsoleArgs {
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8788)]
    pub port: u16,
    /// Loopback address to listen on (127.0.0.1, ::1 or localhost); any other is refused.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Seconds between refreshes of an open page (default: 5 on the local stack, 30 on a
    /// deployed one, where each refresh scans the events table).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub refresh: Option<u32>,
    #[command(flatten)]
    pub table: TableArg,
    /// Default: HOOKWELL_QUEUE_URL, the selected stack's, or the local stack's.
    #[arg(long)]
    pub queue_url: Option<String>,
    /// Default: HOOKWELL_DLQ_URL, the selected stack's, or the local stack's.
    #[arg(long)]
    pub dlq_url: Option<String>,
    /// Ingest base URL for "send test" (default: the local stack's; off for a deployed stack
    /// unless given).
    #[arg(long, env = "HOOKWELL_URL")]
    pub url: Option<String>,
    #[command(flatten)]
    pub sources: SourcesFile,
}

pub async fn run(a: ConsoleArgs) -> anyhow::Result<()> {
    let addr = guard::listen_addr(&a.host, a.port).map_err(anyhow::Error::msg)?;
    let target = Target::detect();
    let table = table_name(&a.table, &target)?;
    let local = target.is_local_stack();
    let queue_url = a
        .queue_url
        .or_else(|| target.get(hookwell::settings::var::QUEUE_URL));
    let dlq_url = a
        .dlq_url
        .or_else(|| target.get(hookwell::settings::var::DLQ_URL));
    let sdk = target.sdk().await;
    let store =
        hookwell::DynamoDbEventStore::new(aws_sdk_dynamodb::Client::new(&sdk), table.clone());
    let label = if local {
        "local stack".to_owned()
    } else {
        target
            .get("HOOKWELL_STACK_NAME")
            .unwrap_or_else(|| "AWS".to_owned())
    };
    let backend = AwsBackend::new(
        store,
        aws_sdk_sqs::Client::new(&sdk),
        queue_url,
        dlq_url,
        label,
    );
    // "Send test" signs with the sources document's secrets: the local stack's by default.
    let send = match a.url.or_else(|| local.then(|| hookwell_cli::send::LOCAL_INGEST.to_owned())) {
        None => Err(
            "Send test posts to the local stack: start the console with --url <ingest base URL> to send elsewhere \
             (the secrets come from --config)."
                .to_owned(),
        ),
        Some(url) => a
            .sources
            .load()
            .map_err(|e| format!("Send test is off: the sources document could not be read ({e:#})."))
            .and_then(|sources| {
                Ok(SendTest {
                    sources,
                    url,
                    http: hookwell::handlers::client(Duration::from_secs(30))
                        .map_err(|e| format!("Send test is off: {e}"))?,
                })
            }),
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("{addr}: {e}"))?;
    let addr = listener.local_addr()?;
    let guard = guard::Guard::new(addr).map_err(anyhow::Error::msg)?;
    let origin = guard.origin().to_owned();
    let refresh = a.refresh.unwrap_or(if local { 5 } else { 30 });
    let c = Console::new(Arc::new(backend), guard, send, refresh);
    println!("hookwell console: {origin}/  (table {table}; Ctrl-C stops)");
    console::serve(listener, c).await?;
    Ok(())
}
