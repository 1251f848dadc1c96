//! Where the CLI's AWS calls go: the environment's variables first; else a stack selected
//! with `hookwell stack use` (`.hookwell/stack.env`); else, with a local stack running
//! (`make dev` wrote `.local/stack.env`), the local stack, and the CLI says so.

use std::path::{Path, PathBuf};

pub const STACK_ENV: &str = ".local/stack.env";

/// `KEY=VALUE` lines (blank lines and `#` comments skipped).
pub fn parse_env_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// A repository file, from the current directory or one of its parents.
pub fn find_upwards(rel: &str) -> Option<PathBuf> {
    let mut dir = std::env::current_dir().ok()?;
    for _ in 0..8 {
        let p = dir.join(rel);
        if p.is_file() {
            return Some(p);
        }
        if !dir.pop() {
            break;
        }
    }
    None
}

/// The local stack's variables, when it is the target: returns them so callers can read
/// queue URLs and table names without touching the process environment.
pub fn local_stack_vars() -> Vec<(String, String)> {
    if std::env::var_os("AWS_ENDPOINT_URL").is_some()
        && std::env::var_os(hookwell::settings::var::TABLE).is_some()
    {
        return Vec::new();
    }
    std::env::var_os("HOOKWELL_STACK_ENV")
        .map(PathBuf::from)
        .or_else(|| find_upwards(crate::stack_use::SELECTED_STACK_ENV))
        .or_else(|| find_upwards(STACK_ENV))
        .and_then(|p| std::fs::read_to_string(&p).ok())
        .map(|t| parse_env_file(&t))
        .unwrap_or_default()
}

/// Settings for the operator commands: explicit flag, else environment, else local stack.
#[derive(Debug, Clone, Default)]
pub struct Target {
    vars: Vec<(String, String)>,
}

impl Target {
    pub fn detect() -> Self {
        Self {
            vars: local_stack_vars(),
        }
    }

    /// The local stack only (what `hookwell local ...` acts on), never a stack selected with
    /// `hookwell stack use`: a development document must not reach a deployed secret.
    pub fn local_only() -> Self {
        let vars = std::env::var_os("HOOKWELL_STACK_ENV")
            .map(PathBuf::from)
            .or_else(|| find_upwards(STACK_ENV))
            .and_then(|p| std::fs::read_to_string(&p).ok())
            .map(|t| parse_env_file(&t))
            .unwrap_or_default();
        let t = Self { vars };
        if t.is_local_stack() {
            t
        } else {
            Self { vars: Vec::new() }
        }
    }

    /// The local stack (its settings name an endpoint), not a deployed one.
    pub fn is_local_stack(&self) -> bool {
        self.vars.iter().any(|(k, _)| k == "AWS_ENDPOINT_URL")
    }

    pub fn get(&self, key: &str) -> Option<String> {
        std::env::var(key)
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| {
                self.vars
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone())
            })
    }

    /// An SDK config pointed at the environment's endpoint, or at the local stack's.
    pub async fn sdk(&self) -> aws_config::SdkConfig {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        // A selected stack's region (`hookwell stack use`), unless the environment names one.
        if std::env::var_os("AWS_REGION").is_none() {
            if let Some(r) = self.get("AWS_REGION") {
                loader = loader.region(aws_config::Region::new(r));
            }
        }
        if std::env::var_os("AWS_ENDPOINT_URL").is_none() {
            if let Some(url) = self.get("AWS_ENDPOINT_URL") {
                loader = loader
                    .endpoint_url(url)
                    .region(aws_config::Region::new(
                        self.get("AWS_REGION").unwrap_or_else(|| "us-east-1".into()),
                    ))
                    .credentials_provider(aws_sdk_sqs::config::Credentials::new(
                        self.get("AWS_ACCESS_KEY_ID")
                            .unwrap_or_else(|| "testing".into()),
                        self.get("AWS_SECRET_ACCESS_KEY")
                            .unwrap_or_else(|| "testing".into()),
                        None,
                        None,
                        "hookwell-local",
                    ));
            }
        }
        loader.load().await
    }
}

/// Writes `KEY=VALUE` lines, headed by a comment naming the command that wrote them.
pub fn write_env_file(path: &Path, vars: &[(String, String)], by: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut text = format!("# Written by `{by}`.\n");
    for (k, v) in vars {
        text.push_str(&format!("{k}={v}\n"));
    }
    std::fs::write(path, text)
}

/// `path` as given when it exists, else the same relative path found upwards (so the
/// defaults work from any folder of the checkout).
pub fn repo_path(path: &Path) -> PathBuf {
    if path.exists() || path.is_absolute() {
        return path.to_path_buf();
    }
    path.to_str()
        .and_then(find_upwards)
        .unwrap_or_else(|| path.to_path_buf())
}
