//! `hookwell sink`: a local downstream for the `forward` handler; verifies signatures and
//! prints each delivery.

use clap::Args;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct SinkArgs {
    #[arg(long, default_value_t = 9100)]
    pub port: u16,
    /// The only path that is answered `--status`; others get 404.
    #[arg(long, default_value = "/hooks")]
    pub path: String,
    /// Status to answer (e.g. 500 to see retries, 422 for a permanent failure).
    #[arg(long, default_value_t = 200)]
    pub status: u16,
    /// Wait this long before answering: a slow downstream (try it against a route's timeout_ms).
    #[arg(long, default_value_t = 0)]
    pub delay_ms: u64,
    /// Standard Webhooks key (whsec_...) to verify signatures with; the forward route's secret.
    #[arg(long, env = "HOOKWELL_SINK_SECRET")]
    pub secret: Option<String>,
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 43_200)]
    pub for_secs: u64,
}

pub async fn run(a: SinkArgs) -> anyhow::Result<()> {
    let addr = format!("127.0.0.1:{}", a.port);
    let verifying = a.secret.is_some();
    let sink = hookwell_cli::sink::Sink::start(&addr, &a.path, a.secret, a.status, |s| {
        // Written, not `println!`ed: a closed stdout must not panic the request being answered.
        use std::io::Write;
        let _ = writeln!(
            std::io::stdout().lock(),
            "{}  {} {}  webhook-id={}  signature {}  -> {}",
            s.path,
            s.source,
            s.event_type,
            s.webhook_id,
            if s.verified { "ok" } else { "BAD" },
            s.status
        );
    })
    .await
    .map_err(|e| anyhow::anyhow!("{addr}: {e}"))?;
    sink.delay_ms
        .store(a.delay_ms, std::sync::atomic::Ordering::SeqCst);
    println!(
        "sink listening on {} (answers {} there, 404 elsewhere; signatures {})",
        sink.url(),
        a.status,
        if verifying {
            "verified"
        } else {
            "not checked: pass --secret"
        }
    );
    tokio::time::sleep(Duration::from_secs(a.for_secs)).await;
    Ok(())
}
