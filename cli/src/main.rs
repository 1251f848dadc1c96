//! `hookwell`: the operator and developer tool. Parsing and dispatch only; each command lives
//! in `commands/` with its arguments and its `run`.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod commands;

use clap::{Parser, Subcommand};
use commands::*;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "hookwell",
    version,
    about = "Receive webhooks on AWS Lambda and never lose one",
    after_help = "Exit status: 0 when the command did what it says, 1 otherwise (the reason on stderr)."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Sign a sample (or given) payload as the provider does and POST it ("send test").
    Send(send::SendArgs),
    /// The delivery history as a web page on loopback: filters, chart, one event with its
    /// payload, the DLQ, and replay / re-deliver / send test behind a confirmation.
    Console(console::ConsoleArgs),
    /// Delivery history from the events table, newest first.
    Events(events::EventsArgs),
    /// Move dead-lettered events back to the queue, selectively (safe: the processor
    /// deduplicates).
    Replay(replay::ReplayArgs),
    /// Move the whole DLQ back with SQS's native message move task.
    Redrive(redrive::RedriveArgs),
    /// Check a sources document, or check it and store it in the stack's secret.
    #[command(subcommand)]
    Config(hookwell_cli::config::ConfigCmd),
    /// Use a deployed stack (reads its outputs), or forget the selection.
    #[command(subcommand)]
    Stack(hookwell_cli::stack_use::StackCmd),
    /// A local downstream for the `forward` handler: verifies signatures, prints deliveries.
    Sink(sink::SinkArgs),
    /// The local stack (what `make dev` runs).
    #[command(subcommand)]
    Local(local::LocalCmd),
    /// Ingest over plain HTTP on loopback (the Lambda function's logic without Lambda).
    Serve(serve::ServeArgs),
    /// Open-loop load at a fixed rate against a receiver: latency, and its CPU and memory.
    Load(load::LoadArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.cmd {
        Cmd::Send(a) => send::run(a).await,
        Cmd::Console(a) => console::run(a).await,
        Cmd::Events(a) => events::run(a).await,
        Cmd::Replay(a) => replay::run(a).await,
        Cmd::Redrive(a) => redrive::run(a).await,
        Cmd::Config(c) => config::run(c).await,
        Cmd::Stack(c) => stack::run(c).await,
        Cmd::Sink(a) => sink::run(a).await,
        Cmd::Local(l) => local::run(l).await,
        Cmd::Serve(a) => serve::run(a).await,
        Cmd::Load(a) => load::run(a).await,
        Cmd::Completions(a) => {
            completions::run(&a);
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
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
