//! One file per command: its arguments and its `run`. `main.rs` only parses and dispatches.

pub mod completions;
pub mod config;
pub mod console;
pub mod events;
pub mod load;
pub mod local;
pub mod redrive;
pub mod replay;
pub mod send;
pub mod serve;
pub mod sink;
pub mod stack;

use clap::Args;
use std::path::PathBuf;

/// The sources document holding the signing secrets (development: the local stack's file).
#[derive(Args, Debug, Clone)]
pub struct SourcesFile {
    /// The sources configuration (JSON).
    #[arg(
        long = "config",
        env = "HOOKWELL_SOURCES_FILE",
        default_value = "infra/local/sources.json"
    )]
    pub path: PathBuf,
}

impl SourcesFile {
    pub fn load(&self) -> anyhow::Result<hookwell::Sources> {
        Ok(hookwell::Sources::from_file(
            &hookwell_cli::env::repo_path(&self.path),
        )?)
    }
}
