//! `hookwell config check|push FILE`.

use hookwell_cli::config::{self, ConfigCmd, ConfigError};
use hookwell_cli::env::Target;

pub async fn run(c: ConfigCmd) -> anyhow::Result<()> {
    let out = match c {
        ConfigCmd::Check(a) => config::check(&a)?,
        ConfigCmd::Push(a) => {
            let target = Target::detect();
            let id = a
                .secret_id
                .or_else(|| target.get(hookwell::settings::var::SOURCES_SECRET_ID))
                .ok_or(ConfigError::NoSecret)?;
            let sdk = target.sdk().await;
            config::push(&aws_sdk_secretsmanager::Client::new(&sdk), &a.file, &id).await?
        }
    };
    print!("{out}");
    Ok(())
}
