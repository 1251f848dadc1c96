//! `hookwell load`: open-loop load at a fixed rate against a receiver on loopback: latency,
//! and the receiver's CPU and memory.

use super::SourcesFile;
use clap::Args;

#[derive(Args, Debug)]
pub struct LoadArgs {
    /// Receiver base URL (the part before /webhooks/{source}); loopback only.
    #[arg(long)]
    pub url: String,
    #[arg(long, default_value = "github")]
    pub source: String,
    /// Requests per second, on a fixed schedule.
    #[arg(long, default_value_t = 100)]
    pub rate: u32,
    #[arg(long, default_value_t = 20)]
    pub secs: u32,
    #[arg(long, default_value_t = 1024)]
    pub body_bytes: usize,
    #[arg(long, default_value_t = 256)]
    pub max_in_flight: usize,
    /// The receiver's process id: report its CPU time per request and peak RSS.
    #[arg(long)]
    pub pid: Option<u32>,
    /// Keep this queue drained during the run.
    #[arg(long)]
    pub drain_queue_url: Option<String>,
    /// Name for the report.
    #[arg(long, default_value = "receiver")]
    pub label: String,
    /// Send bodies altered after signing: measures the rejected path (every answer should be
    /// 401; `ok` counts those).
    #[arg(long)]
    pub tamper: bool,
    #[command(flatten)]
    pub sources: SourcesFile,
}

pub async fn run(a: LoadArgs) -> anyhow::Result<()> {
    let sources = a.sources.load()?;
    let opts = hookwell_cli::load::LoadOptions {
        base: a.url,
        source: a.source,
        rate: a.rate,
        secs: a.secs,
        body_bytes: a.body_bytes,
        max_in_flight: a.max_in_flight.max(1),
        pid: a.pid,
        drain_queue_url: a.drain_queue_url,
        label: a.label,
        tamper: a.tamper,
    };
    let report = hookwell_cli::load::run(&opts, &sources)
        .await
        .map_err(anyhow::Error::msg)?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
