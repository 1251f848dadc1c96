//! `hookwell config check FILE` and `hookwell config push FILE`: a sources document is checked
//! exactly as the functions load it before it can reach the secret. One bad document in the
//! secret would break every cold start of both functions; here it never gets there.

use clap::{Args, Subcommand};
use hookwell::Sources;
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum ConfigCmd {
    /// Validate a sources document (schemes, secrets, identity, routes) without sending it
    /// anywhere; prints what it configures, never a secret.
    Check(CheckArgs),
    /// Validate, then store the document in the stack's sources secret (the functions reload
    /// it within HOOKWELL_CONFIG_REFRESH_SECS).
    Push(PushArgs),
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The sources document (JSON).
    pub file: PathBuf,
}

#[derive(Args, Debug)]
pub struct PushArgs {
    /// The sources document (JSON).
    pub file: PathBuf,
    /// The secret's name or ARN. Default: HOOKWELL_SOURCES_SECRET_ID, or the local stack's.
    #[arg(long)]
    pub secret_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {reason}")]
    Read { path: String, reason: String },
    /// The document would not load; the message names the source and the rule, never a
    /// secret.
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
    #[error("no secret to push to: pass --secret-id or set HOOKWELL_SOURCES_SECRET_ID (or run `make dev`)")]
    NoSecret,
    #[error("{0}")]
    Push(String),
}

/// Reads and validates `path` as the functions would.
pub fn load(path: &Path) -> Result<(String, Sources), ConfigError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    let sources = Sources::from_json(&text).map_err(|e| ConfigError::Invalid {
        path: shown,
        reason: e.to_string(),
    })?;
    Ok((text, sources))
}

/// What the document configures, one line per source and route: names, schemes, secret
/// counts and limits, never a secret's value.
pub fn summary(sources: &Sources) -> String {
    let mut out = String::new();
    for name in sources.names() {
        if let Some(s) = sources.get(name) {
            out.push_str(&format!(
                "source {name}: scheme {}, identity {}, {} secret(s), max body {} bytes\n",
                s.scheme_name(),
                s.identity_preset().unwrap_or("custom"),
                s.secrets().len(),
                s.max_body_bytes()
            ));
        }
    }
    out.push_str(&format!("{} route(s)\n", sources.routes().len()));
    out
}

pub fn check(a: &CheckArgs) -> Result<String, ConfigError> {
    let (_, sources) = load(&a.file)?;
    Ok(format!(
        "{}: valid\n{}",
        a.file.display(),
        summary(&sources)
    ))
}

/// Validates, then puts the document into the secret `secret_id`.
pub async fn push(
    sm: &aws_sdk_secretsmanager::Client,
    file: &Path,
    secret_id: &str,
) -> Result<String, ConfigError> {
    let (text, sources) = load(file)?;
    crate::local::put_secret(sm, secret_id, &text)
        .await
        .map_err(|e| ConfigError::Push(e.to_string()))?;
    Ok(format!(
        "{}: valid, stored in {secret_id}\n{}",
        file.display(),
        summary(&sources)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!(
            "hookwell-config-{}-{}.json",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn check_accepts_the_dev_document_and_shows_no_secret() {
        let dev = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/local/sources.json");
        let out = check(&CheckArgs { file: dev.clone() }).unwrap();
        assert!(out.contains("valid"));
        assert!(out.contains("source groupgm: scheme groupgm, identity groupgm, 1 secret(s)"));
        let text = std::fs::read_to_string(dev).unwrap();
        assert!(!out.contains("dev-groupgm-signing-secret"), "{out}");
        assert!(!text.is_empty());
    }

    #[test]
    fn check_refuses_what_would_break_a_cold_start() {
        for (doc, needle) in [
            ("{not json", "not valid JSON"),
            (
                r#"{"sources":{"b":{"scheme":"url_token","secrets":["short-s3cr3t"]}}}"#,
                "at least 32 characters",
            ),
            (
                r#"{"sources":{"b":{"scheme":"nope","secrets":["s3cr3t"]}}}"#,
                "unknown scheme",
            ),
        ] {
            let p = file(doc);
            let err = check(&CheckArgs { file: p.clone() })
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{doc}: {err}");
            assert!(err.starts_with(&p.display().to_string()), "{err}");
            assert!(!err.contains("s3cr3t"), "secret echoed: {err}");
            let _ = std::fs::remove_file(p);
        }
        let missing = check(&CheckArgs {
            file: PathBuf::from("/nonexistent/sources.json"),
        })
        .unwrap_err();
        assert!(matches!(missing, ConfigError::Read { .. }));
    }
}
