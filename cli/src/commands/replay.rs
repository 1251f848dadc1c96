//! `hookwell replay`: move dead-lettered events back to the queue, selectively. Safe to
//! repeat: the processor deduplicates, and one run sends each event at most once.

use clap::Args;
use hookwell::replay::{replay, DeadLetter, ReplayFilter, ReplayOptions, ReplayReport};
use hookwell_cli::env::Target;
use hookwell_cli::events;

#[derive(Args, Debug)]
pub struct ReplayArgs {
    #[arg(long)]
    pub source: Option<String>,
    #[arg(long)]
    pub event_type: Option<String>,
    #[arg(long)]
    pub event_id: Option<String>,
    /// Received at or after: RFC 3339 or a duration back from now (15m, 1h30m, 7d).
    #[arg(long)]
    pub since: Option<String>,
    /// Received at or before: RFC 3339 or a duration back from now.
    #[arg(long)]
    pub until: Option<String>,
    /// Substring of the failure reason (the DLQ message's failure_reason attribute).
    #[arg(long)]
    pub reason: Option<String>,
    /// Move at most this many.
    #[arg(long)]
    pub limit: Option<usize>,
    /// List what would move; move nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Messages per second at most.
    #[arg(long)]
    pub rate: Option<f64>,
    #[arg(long)]
    pub json: bool,
    /// Default: HOOKWELL_DLQ_URL, the selected stack's, or the local stack's.
    #[arg(long)]
    pub dlq_url: Option<String>,
    /// Default: HOOKWELL_QUEUE_URL, the selected stack's, or the local stack's.
    #[arg(long)]
    pub queue_url: Option<String>,
}

pub async fn run(a: ReplayArgs) -> anyhow::Result<()> {
    let target = Target::detect();
    let dlq = a
        .dlq_url
        .or_else(|| target.get(hookwell::settings::var::DLQ_URL))
        .ok_or_else(|| anyhow::anyhow!("no DLQ: pass --dlq-url or set HOOKWELL_DLQ_URL"))?;
    let queue = a
        .queue_url
        .or_else(|| target.get(hookwell::settings::var::QUEUE_URL))
        .ok_or_else(|| anyhow::anyhow!("no queue: pass --queue-url or set HOOKWELL_QUEUE_URL"))?;
    let now = time::OffsetDateTime::now_utc();
    let when = |s: &Option<String>| {
        s.as_deref()
            .map(|v| events::parse_since(v, now))
            .transpose()
            .map_err(anyhow::Error::msg)
    };
    let filter = ReplayFilter {
        source: a.source,
        event_type: a.event_type,
        event_id: a.event_id,
        since: when(&a.since)?,
        until: when(&a.until)?,
        reason: a.reason,
    };
    let opts = ReplayOptions {
        dry_run: a.dry_run,
        limit: a.limit,
        rate: a.rate,
        ..Default::default()
    };
    let sdk = target.sdk().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    // A spinner only for a person at a terminal; a script or a log gets a line per batch.
    let lines = !a.json && !std::io::IsTerminal::is_terminal(&std::io::stderr());
    let bar = if a.json || lines {
        indicatif::ProgressBar::hidden()
    } else {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        b
    };
    let report = replay(&sqs, &dlq, &queue, &filter, &opts, |r| {
        let msg = progress_line(r);
        if lines {
            eprintln!("replay: {msg}");
        } else {
            bar.set_message(msg);
            bar.tick();
        }
    })
    .await?;
    bar.finish_and_clear();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", summary(&report));
    }
    if report.failed > 0 {
        anyhow::bail!("{} messages could not be sent", report.failed);
    }
    Ok(())
}

fn progress_line(r: &ReplayReport) -> String {
    format!(
        "moved {}  skipped by filter {}  failed {}  replayed already {}",
        r.moved, r.skipped, r.failed, r.replayed_already
    )
}

/// What matched (a table) and what happened.
fn summary(report: &ReplayReport) -> String {
    let mut out = if report.matched.is_empty() {
        "nothing in the DLQ matches\n".to_owned()
    } else {
        hookwell_cli::table::render(
            &["RECEIVED", "SOURCE", "TYPE", "EVENT ID", "RECV", "REASON"],
            report.matched.iter().map(row),
        )
    };
    out.push_str(&if report.dry_run {
        format!(
            "dry run: {} would move, {} skipped by filter; nothing moved\n",
            report.matched.len(),
            report.skipped
        )
    } else {
        format!(
            "moved {}, skipped by filter {}, failed {} (failed ones stay in the DLQ), \
             {} new DLQ copies of events this run replayed (they failed again; left for the next run). \
             A replayed event that completed meanwhile is skipped as a duplicate: replay is safe to repeat.\n",
            report.moved, report.skipped, report.failed, report.replayed_already
        )
    });
    out
}

fn row(d: &DeadLetter) -> Vec<String> {
    vec![
        hookwell_cli::table::time_cell(d.received_at.as_deref()),
        d.source.clone().unwrap_or_else(|| "?".into()),
        d.event_type.clone().unwrap_or_else(|| "?".into()),
        d.event_id.clone().unwrap_or_else(|| "?".into()),
        d.receive_count.to_string(),
        d.reason.clone(),
    ]
}
