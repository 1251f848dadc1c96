//! `hookwell stack use <stack-name>`: reads a deployed stack's outputs with CloudFormation and
//! writes what the operator commands need (`.hookwell/stack.env`), so nobody copies queue URLs
//! and table names by hand. `hookwell stack clear` forgets the selection.

use crate::env::{find_upwards, write_env_file};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};

/// Where the selected stack's settings are written (in the current directory).
pub const SELECTED_STACK_ENV: &str = ".hookwell/stack.env";

/// The template's outputs and the variables the CLI reads from them: one table, tested
/// against `template.yaml`.
pub const OUTPUT_VARS: &[(&str, &str)] = &[
    ("QueueUrl", hookwell::settings::var::QUEUE_URL),
    ("QueueArn", hookwell::settings::var::QUEUE_ARN),
    ("DeadLetterQueueUrl", hookwell::settings::var::DLQ_URL),
    ("EventsTableName", hookwell::settings::var::TABLE),
    (
        "SourcesSecretArn",
        hookwell::settings::var::SOURCES_SECRET_ID,
    ),
    ("WebhookBaseUrl", "HOOKWELL_WEBHOOK_BASE_URL"),
];

#[derive(Subcommand, Debug)]
pub enum StackCmd {
    /// Use a deployed stack: read its outputs and write `.hookwell/stack.env`.
    Use(UseArgs),
    /// Forget the selected stack (the local stack, or the environment, applies again).
    Clear,
}

#[derive(Args, Debug)]
pub struct UseArgs {
    /// The CloudFormation stack name (`sam deploy`'s stack_name).
    pub stack_name: String,
    /// Where to write the settings.
    #[arg(long, default_value = SELECTED_STACK_ENV)]
    pub out: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum StackUseError {
    #[error("stack {0}: {1}")]
    Describe(String, String),
    #[error("stack {stack} has no output {output}: is it a hookwell stack, deployed from this version's template.yaml?")]
    MissingOutput { stack: String, output: String },
    #[error("{0}: {1}")]
    Write(String, String),
}

/// The variables for a stack, from its outputs (`key -> value`).
pub fn vars_from_outputs(
    stack: &str,
    region: Option<&str>,
    outputs: &[(String, String)],
) -> Result<Vec<(String, String)>, StackUseError> {
    let mut vars = Vec::new();
    for (output, var) in OUTPUT_VARS {
        let value = outputs
            .iter()
            .find(|(k, _)| k == output)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| StackUseError::MissingOutput {
                stack: stack.to_owned(),
                output: (*output).to_owned(),
            })?;
        vars.push(((*var).to_owned(), value));
    }
    vars.push(("HOOKWELL_STACK_NAME".to_owned(), stack.to_owned()));
    if let Some(r) = region {
        vars.push(("AWS_REGION".to_owned(), r.to_owned()));
    }
    Ok(vars)
}

/// Reads the stack's outputs and writes the settings file; returns what was written.
pub async fn use_stack(
    cfn: &aws_sdk_cloudformation::Client,
    a: &UseArgs,
) -> Result<Vec<(String, String)>, StackUseError> {
    let described = cfn
        .describe_stacks()
        .stack_name(&a.stack_name)
        .send()
        .await
        .map_err(|e| StackUseError::Describe(a.stack_name.clone(), hookwell::aws::describe(&e)))?;
    let outputs: Vec<(String, String)> = described
        .stacks()
        .first()
        .map(|s| {
            s.outputs()
                .iter()
                .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let region = cfn.config().region().map(|r| r.as_ref().to_owned());
    let vars = vars_from_outputs(&a.stack_name, region.as_deref(), &outputs)?;
    write_env_file(&a.out, &vars, "hookwell stack use")
        .map_err(|e| StackUseError::Write(a.out.display().to_string(), e.to_string()))?;
    Ok(vars)
}

/// The selected stack's settings file, if one was written (found upwards).
pub fn selected() -> Option<PathBuf> {
    find_upwards(SELECTED_STACK_ENV)
}

/// Removes the selection; says whether there was one.
pub fn clear(path: &Path) -> std::io::Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every output the CLI reads exists in the template: the names match by construction.
    #[test]
    fn every_output_the_cli_reads_is_in_the_template() {
        let text = include_str!("../../template.yaml");
        let outputs = &text[text.find("\nOutputs:").unwrap()..];
        for (output, _) in OUTPUT_VARS {
            assert!(outputs.contains(&format!("\n  {output}:")), "{output}");
        }
    }

    #[test]
    fn outputs_become_the_cli_variables() {
        let outs: Vec<(String, String)> = OUTPUT_VARS
            .iter()
            .map(|(o, _)| ((*o).to_owned(), format!("value-of-{o}")))
            .collect();
        let vars = vars_from_outputs("prod", Some("eu-west-1"), &outs).unwrap();
        assert!(vars.contains(&(
            hookwell::settings::var::TABLE.into(),
            "value-of-EventsTableName".into()
        )));
        assert!(vars.contains(&("AWS_REGION".into(), "eu-west-1".into())));
        let err = vars_from_outputs("prod", None, &outs[1..]).unwrap_err();
        assert!(err.to_string().contains("no output QueueUrl"), "{err}");
    }
}
