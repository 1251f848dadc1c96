//! `hookwell send <source>`: sign a sample (or a file) as the provider does and POST it: the
//! "send test" button. Exit status 1 when the receiver does the wrong thing (refuses a
//! delivery, or accepts a tampered one).

use super::SourcesFile;
use clap::Args;
use hookwell_cli::send;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct SendArgs {
    /// Source name, as configured (bubble, groupgm, sendbird, github, ...).
    pub source: String,
    /// Which sample event (e.g. member.joined, message.received); default: the first one.
    #[arg(long)]
    pub event: Option<String>,
    /// Send this file's bytes instead of a sample.
    #[arg(long)]
    pub body: Option<PathBuf>,
    /// Ingest base URL (the part before /webhooks/...).
    #[arg(long, env = "HOOKWELL_URL", default_value = send::LOCAL_INGEST)]
    pub url: String,
    /// Send the same delivery N times, as a provider's retries would.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub repeat: u32,
    /// Flip a byte after signing, to see the 401 (exit status 1 if it is accepted).
    #[arg(long)]
    pub tamper: bool,
    /// Send the source's subscription handshake instead (Meta's GET with hub.challenge and the
    /// configured verify token; with --tamper, a wrong token); the answer must be the
    /// challenge.
    #[arg(long, conflicts_with_all = ["event", "body", "repeat"])]
    pub handshake: bool,
    #[command(flatten)]
    pub sources: SourcesFile,
}

pub async fn run(a: SendArgs) -> anyhow::Result<()> {
    let sources = a.sources.load()?;
    if a.handshake {
        let http =
            hookwell::handlers::client(Duration::from_secs(30)).map_err(anyhow::Error::msg)?;
        let (status, text, ok) = send::handshake(
            &sources,
            &a.source,
            &a.url,
            a.tamper,
            fastrand::u64(..),
            &http,
        )
        .await?;
        println!(
            "{status}  {} subscription handshake  {}",
            a.source,
            send::describe_answer(&text)
        );
        return Ok(send::verdict(a.tamper, &[if ok { status } else { 400 }])?);
    }
    let body = match &a.body {
        Some(p) => Some(std::fs::read(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?),
        None => None,
    };
    let mut d = send::prepare(
        &sources,
        &a.source,
        a.event.as_deref(),
        body,
        &a.url,
        time::OffsetDateTime::now_utc(),
        fastrand::u64(..),
    )?;
    if a.tamper {
        d.tamper();
    }
    let http = hookwell::handlers::client(Duration::from_secs(30)).map_err(anyhow::Error::msg)?;
    let mut statuses = Vec::new();
    for i in 1..=a.repeat {
        let (status, text) = d.post(&http).await?;
        println!(
            "{status}  {} {}  {}{}",
            a.source,
            d.event,
            send::describe_answer(&text),
            if a.repeat > 1 {
                format!("  (delivery {i}/{})", a.repeat)
            } else {
                String::new()
            }
        );
        statuses.push(status);
    }
    Ok(send::verdict(a.tamper, &statuses)?)
}
