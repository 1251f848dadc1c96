//! `hookwell local up|push-config|poll`: the local stack, what `make dev` runs.

use anyhow::Context;
use clap::Subcommand;
use hookwell_cli::env::{write_env_file, Target, STACK_ENV};
use hookwell_cli::{local, stack};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Subcommand, Debug)]
pub enum LocalCmd {
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
    /// Store the sources file in the local secret again (after editing it); checked first.
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

fn load_stack(template: Option<PathBuf>) -> anyhow::Result<stack::Stack> {
    let path = template
        .or_else(stack::find_template)
        .context("template.yaml not found (run from the repository)")?;
    Ok(stack::Stack::from_template(&path, stack::LOCAL_STACK_NAME)?)
}

pub async fn run(l: LocalCmd) -> anyhow::Result<()> {
    match l {
        LocalCmd::Up {
            endpoint,
            sources,
            template,
            env_out,
            refresh_secs,
        } => {
            let stack = load_stack(template)?;
            let json =
                std::fs::read_to_string(&sources).with_context(|| sources.display().to_string())?;
            let sdk = hookwell::aws::sdk_config(Duration::from_secs(10)).await;
            let ls = local::up(&sdk, &stack, &json).await?;
            write_env_file(
                &env_out,
                &ls.function_env(&endpoint, &stack, refresh_secs),
                "hookwell local up",
            )?;
            println!(
                "queue {}  dlq {}  table {}  secret {}",
                stack.queue_name, stack.dlq_name, stack.table_name, stack.secret_name
            );
        }
        LocalCmd::PushConfig { sources } => {
            let target = Target::local_only();
            let id = target
                .get(hookwell::settings::var::SOURCES_SECRET_ID)
                .context(
                    "no local stack running (make dev); for a deployed stack: hookwell config push",
                )?;
            let sdk = target.sdk().await;
            let out = hookwell_cli::config::push(
                &aws_sdk_secretsmanager::Client::new(&sdk),
                &sources,
                &id,
            )
            .await?;
            print!("{out}");
            println!("the functions reload it within HOOKWELL_CONFIG_REFRESH_SECS");
        }
        LocalCmd::Poll {
            invoke_url,
            batch_size,
            window_secs,
            for_secs,
            pollers,
        } => {
            let target = Target::local_only();
            let stack = load_stack(None)?;
            let cfg = local::PollConfig {
                queue_url: target
                    .get(hookwell::settings::var::QUEUE_URL)
                    .context("no local stack (run `hookwell local up`)")?,
                queue_arn: target
                    .get(hookwell::settings::var::QUEUE_ARN)
                    .unwrap_or_default(),
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
            ))
            .map_err(anyhow::Error::msg)?;
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
        }
    }
    Ok(())
}
