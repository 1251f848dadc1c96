//! `hookwell stack use <stack-name>` and `hookwell stack clear`.

use hookwell_cli::stack_use::{self, StackCmd, SELECTED_STACK_ENV};

pub async fn run(c: StackCmd) -> anyhow::Result<()> {
    match c {
        StackCmd::Use(a) => {
            let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
            let vars = stack_use::use_stack(&aws_sdk_cloudformation::Client::new(&sdk), &a).await?;
            println!(
                "using stack {} (written to {}):",
                a.stack_name,
                a.out.display()
            );
            for (k, v) in vars {
                println!("  {k}={v}");
            }
        }
        StackCmd::Clear => {
            let path = stack_use::selected().unwrap_or_else(|| SELECTED_STACK_ENV.into());
            if stack_use::clear(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))? {
                println!("forgot the selected stack ({})", path.display());
            } else {
                println!("no stack was selected");
            }
        }
    }
    Ok(())
}
