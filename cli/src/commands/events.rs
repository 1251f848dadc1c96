//! `hookwell events`: delivery history from the events table, newest first.

use clap::Args;
use hookwell_cli::env::Target;
use hookwell_cli::events;

#[derive(Args, Debug)]
pub struct EventsArgs {
    #[arg(long)]
    pub source: Option<String>,
    /// IN_PROGRESS, COMPLETED or FAILED.
    #[arg(long)]
    pub status: Option<String>,
    /// RFC 3339 time or a duration back from now: 15m, 1h30m, 7d, 1w.
    #[arg(long)]
    pub since: Option<String>,
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    #[arg(long)]
    pub json: bool,
    /// Events table name (default: HOOKWELL_TABLE, the selected stack's, or the local stack's).
    #[arg(long)]
    pub table: Option<String>,
}

pub async fn run(a: EventsArgs) -> anyhow::Result<()> {
    let target = Target::detect();
    let table = a.table.or_else(|| target.get(hookwell::settings::var::TABLE)).ok_or_else(|| {
        anyhow::anyhow!(
            "no events table: pass --table, set HOOKWELL_TABLE, `hookwell stack use <stack>`, or start the local stack (make dev)"
        )
    })?;
    if target.is_local_stack() {
        eprintln!("(local stack: table {table})");
    }
    let since = match &a.since {
        Some(s) => Some(
            events::parse_since(s, time::OffsetDateTime::now_utc()).map_err(anyhow::Error::msg)?,
        ),
        None => None,
    };
    let sdk = target.sdk().await;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let rows = events::list(
        &ddb,
        &table,
        &events::Filter {
            source: a.source,
            status: a.status,
            since,
            limit: a.limit,
        },
    )
    .await
    .map_err(anyhow::Error::msg)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else if rows.is_empty() {
        println!("no events match");
    } else {
        print!("{}", events::table(&rows));
    }
    Ok(())
}
