//! The sources configuration: one JSON document naming every source, its scheme, scheme
//! options, active secrets and limits. In AWS it is the Secrets Manager secret; locally a file
//! under `infra/local/` of the same shape.
//!
//! ```json
//! { "sources": {
//!     "bubble":  { "scheme": "bubble",  "secrets": ["<current>", "<previous>"] },
//!     "acme":    { "scheme": "hmac",
//!                  "hmac": { "header": "X-Acme-Signature", "algorithm": "sha512",
//!                            "encoding": "base64", "prefix": "sha512=" },
//!                  "identity": { "event_type": [{ "header": "X-Acme-Event" }] },
//!                  "secrets": ["..."], "max_body_bytes": 262144 } } }
//! ```

use crate::identity::IdentitySpec;
use crate::scheme::{Algorithm, Encoding, HmacScheme, KeyEncoding, Scheme, DEFAULT_TOLERANCE_SECS};
use crate::secret::Secret;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// SQS accepts messages up to 1 MiB (1,048,576 bytes, body plus attributes). The raw body
/// limit leaves room for the envelope's fields and attributes; the encoded envelope is checked
/// again before sending, since JSON escaping or base64 can grow a body.
pub const SQS_MAX_MESSAGE_BYTES: usize = 1_048_576;
/// Bodies up to this size always travel inside the queue message: 1 MiB less 16 KiB left for
/// the envelope. Larger ones go to the body store (a claim check) when one is configured.
pub const INLINE_MAX_BODY_BYTES: usize = SQS_MAX_MESSAGE_BYTES - 16 * 1024;
/// The largest `max_body_bytes`: Lambda's synchronous request limit (6,291,456 bytes), which
/// API Gateway and the Function URL hand the body through. The limit applies to the whole
/// invocation event (headers, and the body as an escaped JSON string, or base64 when binary),
/// so the largest body that gets through is somewhat smaller (README, "Large payloads").
pub const MAX_BODY_BYTES: usize = 6_291_456;
/// The default `max_body_bytes` of a source: as large as the front end allows.
pub const DEFAULT_MAX_BODY_BYTES: usize = MAX_BODY_BYTES;

/// The built-in scheme names, in the order the README lists them.
pub const BUILT_IN_SCHEMES: &[&str] = &[
    "bubble",
    "groupgm",
    "sendbird",
    "github",
    "stripe",
    "slack",
    "shopify",
    "line",
    "standard",
    "meta",
    "telegram",
    "discord",
    "teams",
    "zoom",
    "hmac",
    "url_token",
];

/// Why the sources document could not be loaded. Messages name the problem and where it is,
/// never a secret's value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The document is not JSON of the expected shape (an unknown field, a wrong type...); holds
    /// only the kind of error and its line and column.
    #[error("sources configuration is not valid JSON of the expected shape: {0}")]
    Parse(String),
    /// A source, or a route, is invalid.
    #[error("source `{source_name}`: {reason}")]
    Source {
        /// The source's name, or `routes[<index>]` for a route.
        source_name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The document could not be read: a missing file, an unreachable secret or one with no
    /// string value.
    #[error("cannot read sources configuration from {origin}: {reason}")]
    Read {
        /// The file's path, or `secret <id>`.
        origin: String,
        /// Why reading it failed.
        reason: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    sources: BTreeMap<String, RawSource>,
    #[serde(default)]
    routes: Vec<RouteConfig>,
}

/// A no-code route for the processor: which events go to which built-in handler.
/// Empty `sources` / `event_types` match everything.
#[derive(Debug, Clone, Deserialize)]
pub struct RouteConfig {
    /// Names of the sources this route applies to; empty matches every source.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Event types this route applies to; empty matches every event type.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// The handler to run and its options (the route's `handler` key and its fields).
    #[serde(flatten)]
    pub handler: HandlerConfig,
}

/// A built-in handler and its options, selected by the route's `handler` name
/// (`forward`, `notify_recipients` or `chat_relay`).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "handler", rename_all = "snake_case")]
pub enum HandlerConfig {
    /// POST the original payload to `url`, signed with Standard Webhooks headers.
    Forward {
        /// Where to POST; must start with `http://` or `https://`.
        url: String,
        /// The Standard Webhooks signing key (`whsec_<base64>`), checked when the document loads.
        secret: Secret,
        /// Request timeout in milliseconds; `None` uses the handler's default (10 s).
        #[serde(default)]
        timeout_ms: Option<u64>,
    },
    /// The Sendbird example: notify a new message's other members through a push gateway.
    NotifyRecipients {
        /// The push gateway's endpoint; must start with `http://` or `https://`.
        url: String,
        /// Request timeout in milliseconds; `None` uses the handler's default (10 s).
        #[serde(default)]
        timeout_ms: Option<u64>,
    },
    /// The group manager's and Bubble's example: relay chat activity (messages, members
    /// joining) as one line of text to a chat webhook (`{"text": ...}`).
    ChatRelay {
        /// The chat webhook's URL; must start with `http://` or `https://`.
        url: String,
        /// Request timeout in milliseconds; `None` uses the handler's default (10 s).
        #[serde(default)]
        timeout_ms: Option<u64>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawIdentity {
    Preset(String),
    Spec(Box<IdentitySpec>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    scheme: String,
    #[serde(default)]
    hmac: Option<HmacScheme>,
    #[serde(default)]
    tolerance_secs: Option<i64>,
    #[serde(default)]
    identity: Option<RawIdentity>,
    secrets: Vec<Secret>,
    #[serde(default)]
    max_body_bytes: Option<usize>,
    #[serde(default)]
    accept_event_types: Vec<String>,
    #[serde(default)]
    drop_event_types: Vec<String>,
    #[serde(default)]
    allowed_ips: Vec<String>,
    #[serde(default)]
    order_by: Option<String>,
    #[serde(default)]
    verify_token: Option<Secret>,
    #[serde(default)]
    signing_key: Option<Secret>,
    #[serde(default)]
    reply_text: Option<String>,
}

/// One configured source, checked: a usable scheme, at least one usable secret, a body limit.
#[derive(Debug)]
pub struct Source {
    name: String,
    scheme_name: String,
    identity_preset: Option<String>,
    scheme: Scheme,
    secrets: Vec<Secret>,
    identity: IdentitySpec,
    max_body_bytes: usize,
    accept_event_types: Vec<String>,
    drop_event_types: Vec<String>,
    allowed_ips: Vec<ipnet::IpNet>,
    order_by: Option<crate::identity::OrderBy>,
    platform: crate::verify::platform::Platform,
}

impl Source {
    /// The source's name: its key in the document and the `{source}` of `/webhooks/{source}`.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// How deliveries to this source are verified.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }
    /// The configured scheme name (`bubble`, `hmac`, `url_token`, ...).
    pub fn scheme_name(&self) -> &str {
        &self.scheme_name
    }
    /// The identity preset in use, if any (`bubble` for a URL-token Bubble source).
    pub fn identity_preset(&self) -> Option<&str> {
        self.identity_preset.as_deref()
    }
    /// The active secrets, in configured order (never empty); a delivery that verifies with
    /// any of them is accepted.
    pub fn secrets(&self) -> &[Secret] {
        &self.secrets
    }
    /// Where a delivery's event type and event id come from: the configured preset or spec,
    /// else the scheme's own preset, else the generic rule.
    pub fn identity(&self) -> &IdentitySpec {
        &self.identity
    }
    /// Largest accepted body, in bytes (default [`DEFAULT_MAX_BODY_BYTES`]).
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }
    /// Where this source's events name their channel (`order_by`): with an ordered (FIFO)
    /// queue, each channel's events are handled in order.
    pub fn order_by(&self) -> Option<&crate::identity::OrderBy> {
        self.order_by.as_ref()
    }
    /// Whether a delivery from `ip` may be accepted: always when the source has no
    /// `allowed_ips`; otherwise only from an address inside one of them (an IPv4 address
    /// written IPv6-mapped counts as IPv4), and never when the front end reported none.
    pub fn allows_ip(&self, ip: Option<std::net::IpAddr>) -> bool {
        if self.allowed_ips.is_empty() {
            return true;
        }
        let Some(ip) = ip else {
            return false;
        };
        let ip = match ip {
            std::net::IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map_or(std::net::IpAddr::V6(v6), std::net::IpAddr::V4),
            v4 => v4,
        };
        self.allowed_ips.iter().any(|net| net.contains(&ip))
    }
    /// Whether events of this type are wanted: it matches one of `accept_event_types` (when
    /// any are configured) and none of `drop_event_types`. Patterns are exact names or
    /// globs with `*` (`MESSAGE_*`, `*_DELETE`). Bubble pushes every type and advises
    /// filtering on the server: an unwanted event is answered 200 and never enqueued.
    pub fn wants(&self, event_type: &str) -> bool {
        (self.accept_event_types.is_empty()
            || self.accept_event_types.iter().any(|p| glob(p, event_type)))
            && !self.drop_event_types.iter().any(|p| glob(p, event_type))
    }
    /// What the source's platform asks of ingest beyond verification: Meta's subscription
    /// handshake, Discord's and Teams' synchronous answers.
    pub fn platform(&self) -> &crate::verify::platform::Platform {
        &self.platform
    }
    /// The secret `hookwell send` signs with: the source's `signing_key` for an Ed25519
    /// source (its secrets are public keys), else its first secret.
    pub fn signing_secret(&self) -> Option<&Secret> {
        match self.platform.signing_key() {
            Some(k) => Some(k),
            None if matches!(self.scheme, Scheme::Ed25519) => None,
            None => self.secrets.first(),
        }
    }
}

/// `*` matches any run of characters (none included); everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty(); // no `*`: exact match
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = rest.get(i + part.len()..).unwrap_or(""),
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// All sources, by name, and the processor's routes. Cheap to share (`Arc` inside).
#[derive(Debug, Clone)]
pub struct Sources(Arc<BTreeMap<String, Source>>, Arc<Vec<RouteConfig>>);

impl Sources {
    /// Parses and checks a sources document; the error names the first invalid source or
    /// route.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        // serde's message may quote the offending value; keep only its position.
        let raw: RawConfig = serde_json::from_str(text).map_err(|e| {
            ConfigError::Parse(format!(
                "{:?} at line {} column {}",
                e.classify(),
                e.line(),
                e.column()
            ))
        })?;
        let mut out = BTreeMap::new();
        for (name, rs) in raw.sources {
            let src = build_source(&name, rs).map_err(|reason| ConfigError::Source {
                source_name: name.clone(),
                reason,
            })?;
            out.insert(name, src);
        }
        for (i, r) in raw.routes.iter().enumerate() {
            check_route(r, &out).map_err(|reason| ConfigError::Source {
                source_name: format!("routes[{i}]"),
                reason,
            })?;
        }
        Ok(Self(Arc::new(out), Arc::new(raw.routes)))
    }

    /// Reads and checks the sources document in the file at `path`.
    pub fn from_file(path: &std::path::Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            origin: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::from_json(&text)
    }

    /// The source named `name`, or `None` when no such source is configured.
    pub fn get(&self, name: &str) -> Option<&Source> {
        self.0.get(name)
    }

    /// Every configured source name, in sorted order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// The processor's routes, in document order (empty when the document has none).
    pub fn routes(&self) -> &[RouteConfig] {
        &self.1
    }
}

fn check_route(r: &RouteConfig, sources: &BTreeMap<String, Source>) -> Result<(), String> {
    if let Some(s) = r.sources.iter().find(|s| !sources.contains_key(*s)) {
        return Err(format!("names unknown source `{s}`"));
    }
    let url = match &r.handler {
        HandlerConfig::Forward { url, secret, .. } => {
            Scheme::StandardWebhooks {
                tolerance_secs: DEFAULT_TOLERANCE_SECS,
            }
            .check_secret(secret)
            .map_err(|e| format!("forward secret: {e}"))?;
            url
        }
        HandlerConfig::NotifyRecipients { url, .. } | HandlerConfig::ChatRelay { url, .. } => url,
    };
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err("url must be http(s)".into());
    }
    Ok(())
}

/// Shortest URL token accepted: 32 characters.
pub const MIN_URL_TOKEN_CHARS: usize = 32;

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn build_source(name: &str, rs: RawSource) -> Result<Source, String> {
    if !valid_name(name) {
        return Err("name must be 1-64 characters of a-z, 0-9, - and _".into());
    }
    let tol = rs.tolerance_secs.unwrap_or(DEFAULT_TOLERANCE_SECS);
    if !(1..=86_400).contains(&tol) {
        return Err("tolerance_secs must be between 1 and 86400".into());
    }
    let hmac = |header: &str, enc: Encoding, prefix: Option<&str>| {
        Scheme::Hmac(HmacScheme::new(header, Algorithm::Sha256, enc, prefix))
    };
    let scheme = match rs.scheme.as_str() {
        "bubble" => hmac("x-bubble-signature", Encoding::Hex, Some("sha256=")),
        "groupgm" => hmac("x-webhook-signature", Encoding::Hex, Some("sha256=")),
        "sendbird" => hmac("x-sendbird-signature", Encoding::Hex, None),
        "github" | "meta" => hmac("x-hub-signature-256", Encoding::Hex, Some("sha256=")),
        "telegram" => Scheme::HeaderToken {
            header: "x-telegram-bot-api-secret-token".into(),
        },
        "discord" => Scheme::Ed25519,
        "teams" => Scheme::Hmac(
            HmacScheme::new(
                "authorization",
                Algorithm::Sha256,
                Encoding::Base64,
                Some("HMAC "),
            )
            .with_key(KeyEncoding::Base64),
        ),
        "zoom" => Scheme::Zoom {
            tolerance_secs: rs.tolerance_secs.map(|_| tol),
        },
        "shopify" => hmac("x-shopify-hmac-sha256", Encoding::Base64, None),
        "line" => hmac("x-line-signature", Encoding::Base64, None),
        "stripe" => Scheme::Stripe {
            tolerance_secs: tol,
        },
        "slack" => Scheme::Slack {
            tolerance_secs: tol,
        },
        "standard" => Scheme::StandardWebhooks {
            tolerance_secs: tol,
        },
        "hmac" => {
            let h = rs.hmac.clone().ok_or(
                "scheme `hmac` needs an `hmac` object (header, algorithm, encoding, prefix)",
            )?;
            if http::HeaderName::from_bytes(h.header.as_bytes()).is_err() {
                return Err("hmac.header is not a valid header name".into());
            }
            Scheme::Hmac(h)
        }
        "url_token" => Scheme::UrlToken,
        other => {
            return Err(format!(
                "unknown scheme `{other}` (one of {})",
                BUILT_IN_SCHEMES.join(", ")
            ))
        }
    };
    if rs.hmac.is_some() && rs.scheme != "hmac" {
        return Err("`hmac` options only apply to scheme `hmac`".into());
    }
    let (identity, identity_preset) = match rs.identity {
        None => match IdentitySpec::preset(&rs.scheme) {
            Some(spec) => (spec, Some(rs.scheme.clone())),
            None => (IdentitySpec::generic(), None),
        },
        Some(RawIdentity::Preset(p)) if p == "generic" => (IdentitySpec::generic(), None),
        Some(RawIdentity::Preset(p)) => (
            IdentitySpec::preset(&p).ok_or_else(|| format!("unknown identity preset `{p}`"))?,
            Some(p),
        ),
        Some(RawIdentity::Spec(s)) => (*s, None),
    };
    if rs.secrets.is_empty() {
        return Err("needs at least one secret (fail closed)".into());
    }
    // A URL token is the whole credential and travels in access logs' paths: long and random.
    if matches!(scheme, Scheme::UrlToken)
        && rs
            .secrets
            .iter()
            .any(|t| t.expose().chars().count() < MIN_URL_TOKEN_CHARS)
    {
        return Err(format!(
            "a url_token secret must be at least {MIN_URL_TOKEN_CHARS} characters (random, \
             e.g. `openssl rand -hex 24`)"
        ));
    }
    for (i, s) in rs.secrets.iter().enumerate() {
        scheme
            .check_secret(s)
            .map_err(|e| format!("secret #{i}: {e}"))?;
    }
    let max_body_bytes = rs.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES);
    if max_body_bytes == 0 || max_body_bytes > MAX_BODY_BYTES {
        return Err(format!(
            "max_body_bytes must be between 1 and {MAX_BODY_BYTES} (Lambda's request limit)"
        ));
    }
    let mut allowed_ips = Vec::with_capacity(rs.allowed_ips.len());
    for a in &rs.allowed_ips {
        // A single address is its own /32 or /128.
        let net = a
            .parse::<ipnet::IpNet>()
            .or_else(|_| a.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
            .map_err(|_| format!("allowed_ips: `{a}` is not an address or CIDR block"))?;
        allowed_ips.push(net.trunc());
    }
    for p in rs.accept_event_types.iter().chain(&rs.drop_event_types) {
        if p.is_empty() || p.len() > 128 {
            return Err("event type patterns are 1-128 characters".into());
        }
    }
    let order_by = rs
        .order_by
        .as_deref()
        .map(crate::identity::OrderBy::parse)
        .transpose()?;
    let platform = crate::verify::platform::Platform::build(
        &rs.scheme,
        &rs.secrets,
        crate::verify::platform::Options {
            verify_token: rs.verify_token,
            signing_key: rs.signing_key,
            reply_text: rs.reply_text,
        },
    )?;
    Ok(Source {
        name: name.to_owned(),
        scheme_name: rs.scheme,
        identity_preset,
        scheme,
        secrets: rs.secrets,
        identity,
        max_body_bytes,
        accept_event_types: rs.accept_event_types,
        drop_event_types: rs.drop_event_types,
        allowed_ips,
        order_by,
        platform,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_built_in_scheme() {
        let doc = serde_json::json!({ "sources": {
            "bubble": {"scheme": "bubble", "secrets": ["a"]},
            "groupgm": {"scheme": "groupgm", "secrets": ["a"]},
            "sendbird": {"scheme": "sendbird", "secrets": ["a"]},
            "github": {"scheme": "github", "secrets": ["a"]},
            "stripe": {"scheme": "stripe", "secrets": ["whsec_a"]},
            "slack": {"scheme": "slack", "secrets": ["a"]},
            "shopify": {"scheme": "shopify", "secrets": ["a"]},
            "line": {"scheme": "line", "secrets": ["a"]},
            "standard": {"scheme": "standard", "secrets": ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]},
            "bubble-token": {"scheme": "url_token", "identity": "bubble", "secrets": ["tok_0123456789abcdef0123456789abcdef"]},
            "acme": {"scheme": "hmac", "hmac": {"header": "X-Acme", "algorithm": "sha512", "encoding": "base64"},
                     "identity": {"event_type": [{"header": "X-Acme-Event"}]}, "secrets": ["a"]}
        }});
        let s = Sources::from_json(&doc.to_string()).unwrap();
        assert_eq!(s.names().count(), 11);
        assert!(s.get("bubble-token").unwrap().identity().requires_json);
        assert_eq!(s.get("nope").map(Source::name), None);
    }

    #[test]
    fn event_type_filters_accept_and_drop_with_globs() {
        for (p, t, want) in [
            ("MESSAGE_*", "MESSAGE_CREATE", true),
            ("MESSAGE_*", "DM_MESSAGE_CREATE", false),
            ("*_DELETE", "MESSAGE_DELETE", true),
            ("*MESSAGE*", "DM_MESSAGE_UPDATE", true),
            ("GUILD_MEMBER_ADD", "GUILD_MEMBER_ADD", true),
            ("GUILD_MEMBER_ADD", "GUILD_MEMBER_ADDED", false),
            ("*", "", true),
            ("a*b*c", "abc", true),
            ("a*b*c", "ab", false),
            ("ab*ba", "aba", false),
        ] {
            assert_eq!(glob(p, t), want, "{p} vs {t}");
        }
        let doc = r#"{"sources":{"bubble":{"scheme":"bubble","secrets":["s"],
            "accept_event_types":["MESSAGE_*","GUILD_MEMBER_ADD"],"drop_event_types":["*_DELETE"]}}}"#;
        let s = Sources::from_json(doc).unwrap();
        let b = s.get("bubble").unwrap();
        assert!(b.wants("MESSAGE_CREATE") && b.wants("GUILD_MEMBER_ADD"));
        assert!(!b.wants("MESSAGE_DELETE") && !b.wants("GUILD_MEMBER_REMOVE"));
        let all =
            Sources::from_json(r#"{"sources":{"x":{"scheme":"bubble","secrets":["s"]}}}"#).unwrap();
        assert!(
            all.get("x").unwrap().wants("ANYTHING"),
            "no filter: everything"
        );
        assert!(Sources::from_json(
            r#"{"sources":{"x":{"scheme":"bubble","secrets":["s"],"drop_event_types":[""]}}}"#
        )
        .is_err());
    }

    #[test]
    fn rejects_bad_sources_without_echoing_secrets() {
        for (doc, needle) in [
            (
                r#"{"sources":{"x":{"scheme":"nope","secrets":["s3cr3t-value"]}}}"#,
                "unknown scheme",
            ),
            (
                r#"{"sources":{"x":{"scheme":"bubble","secrets":[]}}}"#,
                "at least one secret",
            ),
            (
                r#"{"sources":{"x":{"scheme":"bubble","secrets":[""]}}}"#,
                "empty secret",
            ),
            (
                r#"{"sources":{"x":{"scheme":"standard","secrets":["whsec_!!s3cr3t-value"]}}}"#,
                "not base64",
            ),
            (
                r#"{"sources":{"X Y":{"scheme":"bubble","secrets":["s3cr3t-value"]}}}"#,
                "name must be",
            ),
            (
                r#"{"sources":{"x":{"scheme":"hmac","secrets":["s3cr3t-value"]}}}"#,
                "needs an `hmac`",
            ),
            (
                r#"{"sources":{"x":{"scheme":"bubble","secrets":["s3cr3t-value"],"max_body_bytes":99999999}}}"#,
                "max_body_bytes",
            ),
            (
                r#"{"sources":{"x":{"scheme":"bubble","secrets":["s3cr3t-value"],"extra":1}}}"#,
                "not valid JSON",
            ),
            (
                r#"{"sources":{"x":{"scheme":"bubble","secrets":"s3cr3t-value"}}}"#,
                "not valid JSON",
            ),
            (
                r#"{"sources":{"x":{"scheme":"bubble","secrets":["s3cr3t-value"],"allowed_ips":["10.0.0.0/33"]}}}"#,
                "allowed_ips: `10.0.0.0/33`",
            ),
            (
                r#"{"sources":{"x":{"scheme":"bubble","secrets":["s3cr3t-value"],"allowed_ips":["example.com"]}}}"#,
                "not an address or CIDR block",
            ),
            (
                r#"{"sources":{"x":{"scheme":"url_token","secrets":["s3cr3t-value-but-only-31-chars"]}}}"#,
                "at least 32 characters",
            ),
            (
                r#"{"sources":{"x":{"scheme":"url_token","secrets":["0123456789abcdef0123456789abcdef","s3cr3t-value"]}}}"#,
                "at least 32 characters",
            ),
        ] {
            let err = Sources::from_json(doc).unwrap_err().to_string();
            assert!(err.contains(needle), "{doc}: {err}");
            assert!(!err.contains("s3cr3t-value"), "secret echoed: {err}");
        }
    }
}

/// Where the sources document comes from: a local file in development, the Secrets Manager
/// secret in AWS (the same JSON either way).
#[derive(Debug, Clone)]
pub enum SourcesOrigin {
    /// A JSON file, in development (`HOOKWELL_SOURCES_FILE`).
    File(std::path::PathBuf),
    /// A Secrets Manager secret whose string value is the document, in AWS
    /// (`HOOKWELL_SOURCES_SECRET_ID`).
    #[cfg(feature = "aws")]
    SecretsManager {
        /// The client that reads the secret.
        client: aws_sdk_secretsmanager::Client,
        /// The secret's name or ARN.
        secret_id: String,
    },
}

impl SourcesOrigin {
    /// The origin for a location read by [`crate::settings`].
    #[cfg(feature = "aws")]
    pub fn new(at: &crate::settings::SourcesLocation, sdk: &aws_config::SdkConfig) -> Self {
        match at {
            crate::settings::SourcesLocation::Secret(id) => Self::SecretsManager {
                client: aws_sdk_secretsmanager::Client::new(sdk),
                secret_id: id.clone(),
            },
            crate::settings::SourcesLocation::File(path) => Self::File(path.clone()),
        }
    }

    /// Reads the document from its origin, afresh on every call, and checks it.
    pub async fn load(&self) -> Result<Sources, ConfigError> {
        match self {
            Self::File(path) => Sources::from_file(path),
            #[cfg(feature = "aws")]
            Self::SecretsManager { client, secret_id } => {
                let out = client
                    .get_secret_value()
                    .secret_id(secret_id)
                    .send()
                    .await
                    .map_err(|e| ConfigError::Read {
                        origin: format!("secret {secret_id}"),
                        reason: crate::aws::describe(&e),
                    })?;
                let text = out.secret_string().ok_or_else(|| ConfigError::Read {
                    origin: format!("secret {secret_id}"),
                    reason: "secret has no string value".into(),
                })?;
                Sources::from_json(text)
            }
        }
    }
}

/// Keeps the sources fresh: reloaded when older than `interval`, checked at the start of an
/// invocation (a Lambda's background tasks are frozen between invocations). A rotation in
/// Secrets Manager takes effect within `interval`, with no redeploy. A failed reload keeps the
/// previous configuration.
#[derive(Debug)]
pub struct Refresher {
    origin: SourcesOrigin,
    interval: std::time::Duration,
    loaded_at: tokio::sync::Mutex<std::time::Instant>,
}

impl Refresher {
    /// Reloads from `origin` every `interval`; the configuration in hand counts as loaded now,
    /// so the first reload is due one `interval` after this call.
    pub fn new(origin: SourcesOrigin, interval: std::time::Duration) -> Self {
        Self {
            origin,
            interval,
            loaded_at: tokio::sync::Mutex::new(std::time::Instant::now()),
        }
    }

    /// Returns new sources when a reload was due and succeeded.
    pub async fn refresh_if_due(&self) -> Option<Sources> {
        // One reload at a time; others carry on with what they have.
        let mut at = self.loaded_at.try_lock().ok()?;
        if at.elapsed() < self.interval {
            return None;
        }
        *at = std::time::Instant::now();
        match self.origin.load().await {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "configuration reload failed; keeping the previous one");
                None
            }
        }
    }
}
