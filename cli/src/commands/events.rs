//! `hookwell events`: delivery history from the events table, newest first; `events show`
//! for one event with its payload; `events redeliver` to run a completed event again.

use clap::{Args, Subcommand};
use hookwell_cli::env::Target;
use hookwell_cli::events;
use std::io::IsTerminal;

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct EventsArgs {
    #[command(subcommand)]
    pub command: Option<EventsCommand>,
    #[command(flatten)]
    pub list: ListArgs,
}

#[derive(Subcommand, Debug)]
pub enum EventsCommand {
    /// One event: everything its record holds, with the payload (JSON, text or hex).
    Show(ShowArgs),
    /// Run a completed (or failed) event's handlers again, from its retained payload: an
    /// explicit override of the dedup, recorded on the event.
    Redeliver(RedeliverArgs),
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[arg(long)]
    pub source: Option<String>,
    /// Only events of this type.
    #[arg(long = "type")]
    pub event_type: Option<String>,
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
    #[command(flatten)]
    pub table: TableArg,
}

#[derive(Args, Debug)]
pub struct TableArg {
    /// Events table name (default: HOOKWELL_TABLE, the selected stack's, or the local stack's).
    #[arg(long)]
    pub table: Option<String>,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// `source#event_id` (or `source/event_id`; or the event id with --source).
    pub event: String,
    #[arg(long)]
    pub source: Option<String>,
    /// The record as JSON (the payload as text when it is UTF-8).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub table: TableArg,
}

#[derive(Args, Debug)]
pub struct RedeliverArgs {
    /// `source#event_id` (or `source/event_id`; or the event id with --source).
    pub event: String,
    #[arg(long)]
    pub source: Option<String>,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Queue to send the event to (default: HOOKWELL_QUEUE_URL, the selected or local stack's).
    #[arg(long)]
    pub queue_url: Option<String>,
    #[command(flatten)]
    pub table: TableArg,
}

pub(crate) fn table_name(arg: &TableArg, target: &Target) -> anyhow::Result<String> {
    let table = arg
        .table
        .clone()
        .or_else(|| target.get(hookwell::settings::var::TABLE))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no events table: pass --table, set HOOKWELL_TABLE, `hookwell stack use <stack>`, or start the local stack (make dev)"
            )
        })?;
    if target.is_local_stack() {
        eprintln!("(local stack: table {table})");
    }
    Ok(table)
}

/// The (source, event id) an argument names.
fn event_key(event: &str, source: Option<&str>) -> anyhow::Result<(String, String)> {
    if let Some(s) = source {
        return Ok((s.to_owned(), event.to_owned()));
    }
    events::split_key(event)
        .map(|(s, e)| (s.to_owned(), e.to_owned()))
        .ok_or_else(|| {
            anyhow::anyhow!("`{event}`: name the event as source#event_id, or pass --source")
        })
}

pub async fn run(a: EventsArgs) -> anyhow::Result<()> {
    match a.command {
        None => list(a.list).await,
        Some(EventsCommand::Show(s)) => show(s).await,
        Some(EventsCommand::Redeliver(r)) => redeliver(r).await,
    }
}

async fn list(a: ListArgs) -> anyhow::Result<()> {
    let target = Target::detect();
    let table = table_name(&a.table, &target)?;
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
            event_type: a.event_type,
            status: a.status,
            since,
            limit: a.limit,
            ..Default::default()
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

async fn show(a: ShowArgs) -> anyhow::Result<()> {
    let target = Target::detect();
    let table = table_name(&a.table, &target)?;
    let (source, event_id) = event_key(&a.event, a.source.as_deref())?;
    let store = hookwell::DynamoDbEventStore::new(
        aws_sdk_dynamodb::Client::new(&target.sdk().await),
        table,
    );
    let record = store
        .get(&source, &event_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no event {source}#{event_id} in the events table"))?;
    if a.json {
        let mut v = serde_json::to_value(&record)?;
        if let (Some(obj), Some(p)) = (v.as_object_mut(), &record.payload) {
            let payload = match std::str::from_utf8(p) {
                Ok(t) => serde_json::json!(t),
                Err(_) => serde_json::json!({ "hex": events::PayloadView::of(p).text() }),
            };
            obj.insert("payload".into(), payload);
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", events::detail(&record));
    }
    Ok(())
}

async fn redeliver(a: RedeliverArgs) -> anyhow::Result<()> {
    let target = Target::detect();
    let table = table_name(&a.table, &target)?;
    let queue_url = a
        .queue_url
        .clone()
        .or_else(|| target.get(hookwell::settings::var::QUEUE_URL))
        .ok_or_else(|| {
            anyhow::anyhow!("no queue: pass --queue-url, set HOOKWELL_QUEUE_URL, or `hookwell stack use <stack>`")
        })?;
    let (source, event_id) = event_key(&a.event, a.source.as_deref())?;
    if !a.yes {
        if !std::io::stdin().is_terminal() {
            anyhow::bail!("redelivery runs the event's handlers again: confirm with --yes");
        }
        eprint!("Run the handlers of {source}#{event_id} again? [y/N] ");
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            anyhow::bail!("not redelivered");
        }
    }
    let sdk = target.sdk().await;
    let store = hookwell::DynamoDbEventStore::new(aws_sdk_dynamodb::Client::new(&sdk), table);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let record = hookwell::redeliver(&store, &sqs, &queue_url, &source, &event_id).await?;
    println!(
        "{source}#{event_id}: sent for redelivery (redelivery {} of this event); `hookwell events show {source}#{event_id}` follows it",
        record.redeliveries
    );
    Ok(())
}
