//! `hookwell`: the operator and developer tool.

#![allow(clippy::print_stdout)]

use clap::{Args, Parser, Subcommand};
use hookwell_cli::env::{repo_path, write_env_file, Target, STACK_ENV};
use hookwell_cli::{events, local, send, stack};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "hookwell",
    version,
    about = "Receive webhooks on AWS Lambda and never lose one"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Sign a sample (or given) payload as the provider does and POST it ("send test").
    Send(SendArgs),
    /// Delivery history from the events table, newest first.
    Events(EventsArgs),
    /// Move dead-lettered events back to the queue, selectively (safe: the processor
    /// deduplicates).
    Replay(ReplayArgs),
    /// Move the whole DLQ back with SQS's native message move task.
    Redrive(RedriveArgs),
    /// A local downstream for the `forward` handler: verifies signatures, prints deliveries.
    Sink(SinkArgs),
    /// The local stack (what `make dev` runs).
    #[command(subcommand)]
    Local(LocalCmd),
    /// Ingest over plain HTTP on loopback (the Lambda function's logic without Lambda).
    Serve(ServeArgs),
    /// Open-loop load at a fixed rate against a receiver: latency, and its CPU and memory.
    Load(LoadArgs),
    /// Check a sources document, or check it and store it in the stack's secret.
    #[command(subcommand)]
    Config(hookwell_cli::config::ConfigCmd),
}

#[derive(Args, Debug)]
struct ServeArgs {
    #[arg(long, default_value_t = 9200)]
    port: u16,
    /// The queue to send accepted events to.
    #[arg(long, env = "HOOKWELL_QUEUE_URL")]
    queue_url: String,
    #[arg(
        long,
        env = "HOOKWELL_SOURCES_FILE",
        default_value = "infra/local/sources.json"
    )]
    config: PathBuf,
}

#[derive(Args, Debug)]
struct LoadArgs {
    /// Receiver base URL (the part before /webhooks/{source}); loopback only.
    #[arg(long)]
    url: String,
    #[arg(long, default_value = "github")]
    source: String,
    /// Requests per second, on a fixed schedule.
    #[arg(long, default_value_t = 100)]
    rate: u32,
    #[arg(long, default_value_t = 20)]
    secs: u32,
    #[arg(long, default_value_t = 1024)]
    body_bytes: usize,
    #[arg(long, default_value_t = 256)]
    max_in_flight: usize,
    /// The receiver's process id: report its CPU time per request and peak RSS.
    #[arg(long)]
    pid: Option<u32>,
    /// Keep this queue drained during the run.
    #[arg(long)]
    drain_queue_url: Option<String>,
    /// Name for the report.
    #[arg(long, default_value = "receiver")]
    label: String,
    #[arg(
        long,
        env = "HOOKWELL_SOURCES_FILE",
        default_value = "infra/local/sources.json"
    )]
    config: PathBuf,
}

#[derive(Args, Debug)]
struct ReplayArgs {
    #[arg(long)]
    source: Option<String>,
    #[arg(long)]
    event_type: Option<String>,
    #[arg(long)]
    event_id: Option<String>,
    /// Received at or after: RFC 3339 or a duration back from now (15m, 2h, 7d).
    #[arg(long)]
    since: Option<String>,
    /// Received at or before: RFC 3339 or a duration back from now.
    #[arg(long)]
    until: Option<String>,
    /// Substring of the failure reason (the DLQ message's failure_reason attribute).
    #[arg(long)]
    reason: Option<String>,
    /// Move at most this many.
    #[arg(long)]
    limit: Option<usize>,
    /// List what would move; move nothing.
    #[arg(long)]
    dry_run: bool,
    /// Messages per second at most.
    #[arg(long)]
    rate: Option<f64>,
    #[arg(long)]
    json: bool,
    /// Default: HOOKWELL_DLQ_URL, or the local stack's.
    #[arg(long)]
    dlq_url: Option<String>,
    /// Default: HOOKWELL_QUEUE_URL, or the local stack's.
    #[arg(long)]
    queue_url: Option<String>,
}

#[derive(Args, Debug)]
struct RedriveArgs {
    /// Messages per second (SQS default: as fast as it can).
    #[arg(long)]
    rate: Option<i32>,
    #[arg(long)]
    dlq_url: Option<String>,
    /// Stop watching after this many seconds (the task keeps running in AWS).
    #[arg(long, default_value_t = 600)]
    watch_secs: u64,
}

#[derive(Args, Debug)]
struct SinkArgs {
    #[arg(long, default_value_t = 9100)]
    port: u16,
    /// The only path that is answered `--status`; others get 404.
    #[arg(long, default_value = "/hooks")]
    path: String,
    /// Status to answer (e.g. 500 to see retries, 422 for a permanent failure).
    #[arg(long, default_value_t = 200)]
    status: u16,
    /// Wait this long before answering: a slow downstream (try it against a route's timeout_ms).
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    /// Standard Webhooks key (whsec_...) to verify signatures with; the forward route's secret.
    #[arg(long, env = "HOOKWELL_SINK_SECRET")]
    secret: Option<String>,
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 43_200)]
    for_secs: u64,
}

#[derive(Args, Debug)]
struct SendArgs {
    /// Source name, as configured (bubble, groupgm, sendbird, github, ...).
    source: String,
    /// Which sample event (e.g. member.joined, message.received); default: the first one.
    #[arg(long)]
    event: Option<String>,
    /// Send this file's bytes instead of a sample.
    #[arg(long)]
    body: Option<PathBuf>,
    /// Ingest base URL (the part before /webhooks/...).
    #[arg(long, env = "HOOKWELL_URL", default_value = send::LOCAL_INGEST)]
    url: String,
    /// Send the same delivery N times, as a provider's retries would.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    repeat: u32,
    /// Flip a byte after signing, to see the 401.
    #[arg(long)]
    tamper: bool,
    /// The sources configuration holding the signing secrets.
    #[arg(
        long,
        env = "HOOKWELL_SOURCES_FILE",
        default_value = "infra/local/sources.json"
    )]
    config: PathBuf,
}

#[derive(Args, Debug)]
struct EventsArgs {
    #[arg(long)]
    source: Option<String>,
    /// IN_PROGRESS, COMPLETED or FAILED.
    #[arg(long)]
    status: Option<String>,
    /// RFC 3339 time or a duration back from now: 15m, 2h, 7d.
    #[arg(long)]
    since: Option<String>,
    #[arg(long, default_value_t = 50)]
    limit: usize,
    #[arg(long)]
    json: bool,
    /// Events table name (default: HOOKWELL_TABLE, or the local stack's).
    #[arg(long)]
    table: Option<String>,
}

#[derive(Subcommand, Debug)]
enum LocalCmd {
    /// Create the queue, DLQ, table and sources secret in the local AWS, from template.yaml.
    Up {
        #[arg(long, env = "AWS_ENDPOINT_URL")]
        endpoint: String,
        #[arg(long, default_value = "infra/local/sources.json")]
        sources: PathBuf,
        #[arg(long)]
        template: Option<PathBuf>,
        #[arg(long, default_value = STACK_ENV)]
        env_out: PathBuf,
        /// How often the functions reload the sources secret (seconds).
        #[arg(long, default_value_t = 2)]
        refresh_secs: u32,
    },
    /// Store the sources file in the local secret again (after editing it).
    PushConfig {
        #[arg(long, default_value = "infra/local/sources.json")]
        sources: PathBuf,
    },
    /// Stand-in for the SQS event source mapping: feed queue batches to the processor.
    Poll {
        #[arg(
            long,
            default_value = "http://127.0.0.1:9000/2015-03-31/functions/processor/invocations"
        )]
        invoke_url: String,
        /// Default: the template's BatchSize.
        #[arg(long)]
        batch_size: Option<usize>,
        /// Default: the template's MaximumBatchingWindowInSeconds.
        #[arg(long)]
        window_secs: Option<u64>,
        /// Stop after this many seconds (default 12 h).
        #[arg(long, default_value_t = 43_200)]
        for_secs: u64,
        /// Batches in flight at once, as the event source mapping scales out (keep at most
        /// the emulator's `--concurrency`).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
        pollers: u16,
    },
}

fn load_stack(template: Option<PathBuf>) -> Result<stack::Stack, String> {
    let path = template
        .or_else(stack::find_template)
        .ok_or("template.yaml not found (run from the repository)")?;
    stack::Stack::from_template(&path, stack::LOCAL_STACK_NAME).map_err(|e| e.to_string())
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.cmd {
        Cmd::Send(a) => cmd_send(a).await,
        Cmd::Events(a) => cmd_events(a).await,
        Cmd::Replay(a) => cmd_replay(a).await,
        Cmd::Redrive(a) => cmd_redrive(a).await,
        Cmd::Sink(a) => cmd_sink(a).await,
        Cmd::Local(l) => cmd_local(l).await,
        Cmd::Serve(a) => cmd_serve(a).await,
        Cmd::Load(a) => cmd_load(a).await,
        Cmd::Config(c) => cmd_config(c).await,
    }
}

async fn cmd_config(c: hookwell_cli::config::ConfigCmd) -> Result<(), String> {
    use hookwell_cli::config::{self, ConfigCmd, ConfigError};
    let out = match c {
        ConfigCmd::Check(a) => config::check(&a),
        ConfigCmd::Push(a) => {
            let target = Target::detect();
            let id = a
                .secret_id
                .or_else(|| target.get("HOOKWELL_SOURCES_SECRET_ID"))
                .ok_or(ConfigError::NoSecret)
                .map_err(|e| e.to_string())?;
            let sdk = target.sdk().await;
            config::push(&aws_sdk_secretsmanager::Client::new(&sdk), &a.file, &id).await
        }
    }
    .map_err(|e| e.to_string())?;
    print!("{out}");
    Ok(())
}

async fn cmd_replay(a: ReplayArgs) -> Result<(), String> {
    use hookwell::replay::{replay, ReplayFilter, ReplayOptions};
    let target = Target::detect();
    let dlq = a
        .dlq_url
        .or_else(|| target.get("HOOKWELL_DLQ_URL"))
        .ok_or("no DLQ: pass --dlq-url or set HOOKWELL_DLQ_URL")?;
    let queue = a
        .queue_url
        .or_else(|| target.get("HOOKWELL_QUEUE_URL"))
        .ok_or("no queue: pass --queue-url or set HOOKWELL_QUEUE_URL")?;
    let now = time::OffsetDateTime::now_utc();
    let when = |s: &Option<String>| {
        s.as_deref()
            .map(|v| events::parse_since(v, now))
            .transpose()
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
        let msg = format!(
            "moved {}  skipped by filter {}  failed {}  replayed already {}",
            r.moved, r.skipped, r.failed, r.replayed_already
        );
        if lines {
            eprintln!("replay: {msg}");
        } else {
            bar.set_message(msg);
            bar.tick();
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
        return Ok(());
    }
    if report.matched.is_empty() {
        println!("nothing in the DLQ matches");
    } else {
        println!(
            "{:<20}  {:<12}  {:<28}  {:<26}  {:>5}  REASON",
            "RECEIVED", "SOURCE", "TYPE", "EVENT ID", "RECV"
        );
        for d in &report.matched {
            println!(
                "{:<20}  {:<12}  {:<28}  {:<26}  {:>5}  {}",
                d.received_at
                    .as_deref()
                    .unwrap_or("?")
                    .chars()
                    .take(19)
                    .collect::<String>()
                    .replace('T', " "),
                d.source.as_deref().unwrap_or("?"),
                d.event_type.as_deref().unwrap_or("?"),
                d.event_id.as_deref().unwrap_or("?"),
                d.receive_count,
                d.reason
            );
        }
    }
    if report.dry_run {
        println!(
            "dry run: {} would move, {} skipped by filter; nothing moved",
            report.matched.len(),
            report.skipped
        );
    } else {
        println!(
            "moved {}, skipped by filter {}, failed {} (failed ones stay in the DLQ), \
             {} new DLQ copies of events this run replayed (they failed again; left for the next run). \
             A replayed event that completed meanwhile is skipped as a duplicate: replay is safe to repeat.",
            report.moved, report.skipped, report.failed, report.replayed_already
        );
    }
    if report.failed > 0 {
        return Err(format!("{} messages could not be sent", report.failed));
    }
    Ok(())
}

async fn cmd_redrive(a: RedriveArgs) -> Result<(), String> {
    use hookwell::replay::{classify_redrive_error, redrive_request};
    let target = Target::detect();
    let dlq = a
        .dlq_url
        .or_else(|| target.get("HOOKWELL_DLQ_URL"))
        .ok_or("no DLQ: pass --dlq-url or set HOOKWELL_DLQ_URL")?;
    let sdk = target.sdk().await;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&dlq)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| hookwell::aws::describe(&e))?
        .attributes
        .and_then(|mut m| m.remove(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
        .ok_or("the DLQ has no ARN")?;
    let started = redrive_request(&sqs, &arn, a.rate)
        .send()
        .await
        .map_err(|e| classify_redrive_error(&e).to_string())?;
    println!(
        "move task started: {}",
        started.task_handle().unwrap_or("?")
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(a.watch_secs);
    while std::time::Instant::now() < deadline {
        let tasks = sqs
            .list_message_move_tasks()
            .source_arn(&arn)
            .max_results(1)
            .send()
            .await
            .map_err(|e| classify_redrive_error(&e).to_string())?;
        let Some(t) = tasks.results().first() else {
            break;
        };
        println!(
            "{}: moved {} of {}",
            t.status().unwrap_or("?"),
            t.approximate_number_of_messages_moved(),
            t.approximate_number_of_messages_to_move()
                .map(|n| n.to_string())
                .unwrap_or_else(|| "?".into())
        );
        if t.status() != Some("RUNNING") {
            if let Some(reason) = t.failure_reason() {
                return Err(format!("move task failed: {reason}"));
            }
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    Ok(())
}

async fn cmd_serve(a: ServeArgs) -> Result<(), String> {
    let sources = hookwell::Sources::from_file(&repo_path(&a.config)).map_err(|e| e.to_string())?;
    let sdk = hookwell::aws::sdk_config(Duration::from_secs(10)).await;
    let ingest = hookwell_cli::serve::ingest(sources, aws_sdk_sqs::Client::new(&sdk), &a.queue_url);
    let addr = format!("127.0.0.1:{}", a.port);
    hookwell_cli::serve::serve(&addr, ingest, |bound| {
        println!("ingest listening on http://{bound}/webhooks/{{source}}");
    })
    .await
    .map_err(|e| format!("{addr}: {e}"))
}

async fn cmd_load(a: LoadArgs) -> Result<(), String> {
    let sources = hookwell::Sources::from_file(&repo_path(&a.config)).map_err(|e| e.to_string())?;
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
    };
    let report = hookwell_cli::load::run(&opts, &sources).await?;
    println!(
        "{}",
        serde_json::to_string(&report).map_err(|e| e.to_string())?
    );
    Ok(())
}

async fn cmd_sink(a: SinkArgs) -> Result<(), String> {
    let addr = format!("127.0.0.1:{}", a.port);
    let verifying = a.secret.is_some();
    let sink = hookwell_cli::sink::Sink::start(&addr, &a.path, a.secret, a.status, |s| {
        println!(
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
    .map_err(|e| format!("{addr}: {e}"))?;
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

async fn cmd_send(a: SendArgs) -> Result<(), String> {
    let sources = hookwell::Sources::from_file(&repo_path(&a.config)).map_err(|e| e.to_string())?;
    let body = match &a.body {
        Some(p) => Some(std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?),
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
    )
    .map_err(|e| e.to_string())?;
    if a.tamper {
        d.tamper();
    }
    let http = hookwell::handlers::client(Duration::from_secs(30))?;
    let mut statuses = Vec::new();
    for i in 1..=a.repeat {
        let (status, text) = d.post(&http).await.map_err(|e| e.to_string())?;
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        let what = match (v.get("event_id"), v.get("error")) {
            (Some(id), _) => format!("accepted  event_id={}", id.as_str().unwrap_or_default()),
            (_, Some(err)) => format!(
                "{}  {}",
                err.as_str().unwrap_or_default(),
                v.get("message")
                    .and_then(|m| m.as_str())
                    .unwrap_or_default()
            ),
            _ => text.chars().take(200).collect(),
        };
        println!(
            "{status}  {} {}  {what}{}",
            a.source,
            d.event,
            if a.repeat > 1 {
                format!("  (delivery {i}/{})", a.repeat)
            } else {
                String::new()
            }
        );
        statuses.push(status);
    }
    send::verdict(a.tamper, &statuses).map_err(|e| e.to_string())
}

async fn cmd_events(a: EventsArgs) -> Result<(), String> {
    let target = Target::detect();
    let table = a.table.or_else(|| target.get("HOOKWELL_TABLE")).ok_or(
        "no events table: pass --table, set HOOKWELL_TABLE, or start the local stack (make dev)",
    )?;
    if target.is_local_stack() {
        eprintln!("(local stack: table {table})");
    }
    let since = match &a.since {
        Some(s) => Some(events::parse_since(s, time::OffsetDateTime::now_utc())?),
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
    .await?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?
        );
    } else if rows.is_empty() {
        println!("no events match");
    } else {
        print!("{}", events::table(&rows));
    }
    Ok(())
}

async fn cmd_local(l: LocalCmd) -> Result<(), String> {
    match l {
        LocalCmd::Up {
            endpoint,
            sources,
            template,
            env_out,
            refresh_secs,
        } => {
            let stack = load_stack(template)?;
            let json = std::fs::read_to_string(&sources)
                .map_err(|e| format!("{}: {e}", sources.display()))?;
            let sdk = hookwell::aws::sdk_config(Duration::from_secs(10)).await;
            let ls = local::up(&sdk, &stack, &json)
                .await
                .map_err(|e| e.to_string())?;
            write_env_file(&env_out, &ls.function_env(&endpoint, &stack, refresh_secs))
                .map_err(|e| e.to_string())?;
            println!(
                "queue {}  dlq {}  table {}  secret {}",
                stack.queue_name, stack.dlq_name, stack.table_name, stack.secret_name
            );
            Ok(())
        }
        LocalCmd::PushConfig { sources } => {
            let target = Target::detect();
            let id = target
                .get("HOOKWELL_SOURCES_SECRET_ID")
                .ok_or("no local stack (make dev)")?;
            let json = std::fs::read_to_string(&sources)
                .map_err(|e| format!("{}: {e}", sources.display()))?;
            hookwell::Sources::from_json(&json).map_err(|e| e.to_string())?;
            let sdk = target.sdk().await;
            local::put_secret(&aws_sdk_secretsmanager::Client::new(&sdk), &id, &json)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "stored {} in {id}; the functions reload it within HOOKWELL_CONFIG_REFRESH_SECS",
                sources.display()
            );
            Ok(())
        }
        LocalCmd::Poll {
            invoke_url,
            batch_size,
            window_secs,
            for_secs,
            pollers,
        } => {
            let target = Target::detect();
            let stack = load_stack(None)?;
            let cfg = local::PollConfig {
                queue_url: target
                    .get("HOOKWELL_QUEUE_URL")
                    .ok_or("no local stack (run `hookwell local up`)")?,
                queue_arn: target.get("HOOKWELL_QUEUE_ARN").unwrap_or_default(),
                invoke_url,
                batch_size: batch_size.unwrap_or(stack.batch_size as usize).clamp(1, 10),
                window: Duration::from_secs(
                    window_secs.unwrap_or(u64::from(stack.batching_window_secs)),
                ),
                run_for: Duration::from_secs(for_secs),
                max_batches: usize::MAX,
            };
            let sdk = target.sdk().await;
            let sqs = aws_sdk_sqs::Client::new(&sdk);
            let http = hookwell::handlers::client(Duration::from_secs(
                u64::from(stack.processor_timeout_secs) + 120,
            ))?;
            eprintln!(
                "polling {} -> {} (batch {}, window {:?})",
                stack.queue_name, cfg.invoke_url, cfg.batch_size, cfg.window
            );
            let loops = (0..pollers).map(|i| {
                local::poll(&sqs, &http, &cfg, move |s, n, failed| {
                    eprintln!(
                        "poller {i}: batch of {n}: {} ok, {failed} left for retry (total {} records)",
                        n - failed,
                        s.records
                    );
                })
            });
            futures::future::join_all(loops).await;
            Ok(())
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    hookwell::telemetry::init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
