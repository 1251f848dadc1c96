//! Signature schemes: how each provider signs a delivery, and how we check it.
//!
//! Every check runs on the raw body bytes, compares in constant time (`Mac::verify_slice`,
//! `subtle`), tries every active secret of the source (rotation) and fails closed: anything
//! missing, repeated or unparsable is a rejection, never a pass.

use crate::delivery::Unverified;
use crate::secret::Secret;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use http::HeaderMap;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use subtle::ConstantTimeEq;

/// Slack, Stripe and Standard Webhooks all use five minutes.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// Why a delivery's credentials were not accepted. Every variant maps to HTTP 401.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A required header, timestamp, signature or URL token is absent or empty; names which.
    #[error("missing {0}")]
    Missing(String),
    /// A header (or Stripe's `t=`) that must appear once appears more than once.
    #[error("header {0} appears more than once")]
    Repeated(String),
    /// A header, prefix, encoding or timestamp could not be parsed; names which.
    #[error("malformed {0}")]
    Malformed(String),
    /// Well-formed, but no signature or token matches any of the source's secrets.
    #[error("signature does not match")]
    Mismatch,
    /// The timestamp is further from now than the tolerance allows (the tolerance, in seconds).
    #[error("timestamp outside the {0} s tolerance")]
    OutsideTolerance(i64),
}

impl SignatureError {
    /// Stable machine-readable code for the HTTP error body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Missing(_) => "missing_signature",
            Self::Repeated(_) | Self::Malformed(_) | Self::Mismatch => "invalid_signature",
            Self::OutsideTolerance(_) => "stale_timestamp",
        }
    }
}

/// The hash of an HMAC signature: `"sha1"`, `"sha256"` or `"sha512"` in the sources document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// HMAC-SHA1.
    Sha1,
    /// HMAC-SHA256, the default.
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

/// How the HMAC bytes are written in the signature header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// Hexadecimal digits, the default (either case is accepted; signing writes lower case).
    Hex,
    /// Standard base64 (`+/` alphabet, padded).
    Base64,
}

/// A signature that is one HMAC of the raw body, in one header: the shape most providers use
/// (Bubble, the group manager, Sendbird, GitHub, Shopify, LINE) and the generic scheme.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HmacScheme {
    /// Name of the header carrying the signature (any case; it must appear exactly once).
    pub header: String,
    /// The HMAC's hash; SHA-256 when not set.
    #[serde(default = "default_algorithm")]
    pub algorithm: Algorithm,
    /// How the signature is written; hex when not set.
    #[serde(default = "default_encoding")]
    pub encoding: Encoding,
    /// Text that must precede the encoded signature (e.g. `sha256=`); none when not set.
    #[serde(default)]
    pub prefix: Option<String>,
    /// How the configured secret becomes the HMAC key: its bytes as written (the default), or
    /// base64-decoded (Microsoft Teams' security token).
    #[serde(default)]
    pub key: KeyEncoding,
}

/// How an HMAC key is written in the sources document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyEncoding {
    /// The secret's UTF-8 bytes are the key (most providers).
    #[default]
    Raw,
    /// The secret is standard base64 and its decoded bytes are the key.
    Base64,
}

fn default_algorithm() -> Algorithm {
    Algorithm::Sha256
}
fn default_encoding() -> Encoding {
    Encoding::Hex
}

impl HmacScheme {
    /// The scheme for a signature in `header` with this hash, encoding and optional prefix.
    pub fn new(
        header: &str,
        algorithm: Algorithm,
        encoding: Encoding,
        prefix: Option<&str>,
    ) -> Self {
        Self {
            header: header.to_owned(),
            algorithm,
            encoding,
            prefix: prefix.map(str::to_owned),
            key: KeyEncoding::Raw,
        }
    }

    /// The same scheme with the key written as `key` in the secrets.
    pub fn with_key(mut self, key: KeyEncoding) -> Self {
        self.key = key;
        self
    }

    fn key_bytes<'s>(&self, secret: &'s Secret) -> Result<Cow<'s, [u8]>, KeyError> {
        match self.key {
            KeyEncoding::Raw => Ok(Cow::Borrowed(secret.expose().as_bytes())),
            KeyEncoding::Base64 => B64
                .decode(secret.expose().trim())
                .map(Cow::Owned)
                .map_err(|_| KeyError("secret is not standard base64 (key: base64)".into())),
        }
    }
}

/// How a source authenticates its deliveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scheme {
    /// One HMAC of the body in one header.
    Hmac(HmacScheme),
    /// Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]` over `t.body`, key = the whole
    /// `whsec_...` string; only too-old timestamps are rejected, as Stripe's libraries do.
    Stripe {
        /// How old `t` may be, in seconds (a `t` in the future is accepted).
        tolerance_secs: i64,
    },
    /// Slack: `X-Slack-Signature: v0=<hex>` over `v0:ts:body`, `X-Slack-Request-Timestamp`.
    Slack {
        /// How far the timestamp may be from now, either way, in seconds.
        tolerance_secs: i64,
    },
    /// Standard Webhooks: `webhook-signature: v1,<b64> [v1,<b64> ...]` over `id.ts.body`,
    /// key = base64-decoded part after `whsec_`.
    StandardWebhooks {
        /// How far `webhook-timestamp` may be from now, either way, in seconds.
        tolerance_secs: i64,
    },
    /// No signature: the URL carries a secret token (`/webhooks/{source}/{token}` or
    /// `?token=`), for providers that cannot sign (Bubble's signing is "coming soon").
    UrlToken,
    /// No signature: a header carries the shared secret token itself (Telegram's
    /// `X-Telegram-Bot-Api-Secret-Token`), compared in constant time.
    HeaderToken {
        /// The header carrying the token (any case; it must appear exactly once).
        header: String,
    },
    /// Discord interactions: an Ed25519 signature (`X-Signature-Ed25519`, hex) over
    /// `X-Signature-Timestamp` followed by the raw body. The secrets are the application's
    /// public keys (64 hex digits); a source's `signing_key` is only for `hookwell send`.
    Ed25519,
    /// Zoom: `x-zm-signature: v0=<hex>`, HMAC-SHA256 over `v0:{x-zm-request-timestamp}:{body}`
    /// with the app's secret token.
    Zoom {
        /// How far the timestamp may be from now, either way, in seconds; `None` (the
        /// default) checks no window: Zoom documents none, and does not say whether its
        /// retries (5, 20 and 60 minutes later) are signed anew.
        tolerance_secs: Option<i64>,
    },
}

impl Scheme {
    /// Checks the delivery against every secret; `now` is unix seconds.
    pub fn verify(
        &self,
        secrets: &[Secret],
        parts: Unverified<'_>,
        now: i64,
    ) -> Result<(), SignatureError> {
        self.verify_key(secrets, parts, now).map(|_| ())
    }

    /// As [`verify`](Self::verify), returning the index of the first secret that matched (a
    /// handshake answer, such as Zoom's, is keyed by it). Every secret is still tried.
    pub fn verify_key(
        &self,
        secrets: &[Secret],
        parts: Unverified<'_>,
        now: i64,
    ) -> Result<usize, SignatureError> {
        match self {
            Scheme::Hmac(h) => verify_hmac(h, secrets, parts),
            Scheme::Stripe { tolerance_secs } => {
                verify_stripe(secrets, parts, now, *tolerance_secs)
            }
            Scheme::Slack { tolerance_secs } => {
                verify_v0(&SLACK_V0, secrets, parts, now, Some(*tolerance_secs))
            }
            Scheme::Zoom { tolerance_secs } => {
                verify_v0(&ZOOM_V0, secrets, parts, now, *tolerance_secs)
            }
            Scheme::StandardWebhooks { tolerance_secs } => {
                verify_standard(secrets, parts, now, *tolerance_secs)
            }
            Scheme::UrlToken => verify_url_token(secrets, parts),
            Scheme::HeaderToken { header } => chat::verify_header_token(header, secrets, parts),
            Scheme::Ed25519 => chat::verify_ed25519(secrets, parts),
        }
    }

    /// Signs `body` as the provider would, returning the headers to send. `id` is used by
    /// schemes that sign a message id (Standard Webhooks). For `UrlToken` nothing is signed:
    /// the caller puts the token in the URL.
    pub fn sign(
        &self,
        secret: &Secret,
        body: &[u8],
        now: i64,
        id: &str,
    ) -> Result<Vec<(String, String)>, KeyError> {
        Ok(match self {
            Scheme::Hmac(h) => {
                let raw = mac(h.algorithm, &h.key_bytes(secret)?, &[body]);
                let enc = match h.encoding {
                    Encoding::Hex => hex::encode(raw),
                    Encoding::Base64 => B64.encode(raw),
                };
                let value = format!("{}{}", h.prefix.as_deref().unwrap_or(""), enc);
                vec![(h.header.clone(), value)]
            }
            Scheme::Stripe { .. } => {
                let t = now.to_string();
                let sig = mac(
                    Algorithm::Sha256,
                    secret.expose().as_bytes(),
                    &[t.as_bytes(), b".", body],
                );
                vec![(
                    "Stripe-Signature".into(),
                    format!("t={t},v1={}", hex::encode(sig)),
                )]
            }
            Scheme::Slack { .. } => SLACK_V0.sign(secret, body, now),
            Scheme::Zoom { .. } => ZOOM_V0.sign(secret, body, now),
            Scheme::StandardWebhooks { .. } => {
                let key = standard_key(secret)?;
                let t = now.to_string();
                let sig = mac(
                    Algorithm::Sha256,
                    &key,
                    &[id.as_bytes(), b".", t.as_bytes(), b".", body],
                );
                vec![
                    ("webhook-id".into(), id.to_owned()),
                    ("webhook-timestamp".into(), t),
                    (
                        "webhook-signature".into(),
                        format!("v1,{}", B64.encode(sig)),
                    ),
                ]
            }
            Scheme::UrlToken => Vec::new(),
            Scheme::HeaderToken { header } => vec![(header.clone(), secret.expose().to_owned())],
            Scheme::Ed25519 => chat::sign_ed25519(secret, body, now)?,
        })
    }

    /// Checks that a secret can key this scheme, so a bad secret fails at load, not per request.
    pub fn check_secret(&self, secret: &Secret) -> Result<(), KeyError> {
        if secret.expose().is_empty() {
            return Err(KeyError("empty secret".into()));
        }
        match self {
            Scheme::StandardWebhooks { .. } => drop(standard_key(secret)?),
            Scheme::Hmac(h) => drop(h.key_bytes(secret)?),
            Scheme::Ed25519 => drop(chat::public_key(secret)?),
            _ => {}
        }
        Ok(())
    }
}

/// A secret that cannot be used as a key (reported without its value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unusable secret: {0}")]
pub struct KeyError(pub String);

fn mac(alg: Algorithm, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    macro_rules! run {
        ($d:ty) => {{
            // HMAC accepts keys of any length; new_from_slice cannot fail for it.
            let mut m = match <Hmac<$d>>::new_from_slice(key) {
                Ok(m) => m,
                Err(_) => return Vec::new(),
            };
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        }};
    }
    match alg {
        Algorithm::Sha1 => run!(sha1::Sha1),
        Algorithm::Sha256 => run!(Sha256),
        Algorithm::Sha512 => run!(sha2::Sha512),
    }
}

/// Constant-time check of one candidate signature against one key.
fn mac_matches(alg: Algorithm, key: &[u8], parts: &[&[u8]], expected: &[u8]) -> bool {
    macro_rules! run {
        ($d:ty) => {{
            let Ok(mut m) = <Hmac<$d>>::new_from_slice(key) else {
                return false;
            };
            for p in parts {
                m.update(p);
            }
            m.verify_slice(expected).is_ok()
        }};
    }
    match alg {
        Algorithm::Sha1 => run!(sha1::Sha1),
        Algorithm::Sha256 => run!(Sha256),
        Algorithm::Sha512 => run!(sha2::Sha512),
    }
}

/// The one value of a header; repeated or non-ASCII values are rejected, not guessed at.
fn single_header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, SignatureError> {
    let mut all = headers.get_all(name).iter();
    let first = all
        .next()
        .ok_or_else(|| SignatureError::Missing(format!("header {name}")))?;
    if all.next().is_some() {
        return Err(SignatureError::Repeated(name.to_owned()));
    }
    let v = first
        .to_str()
        .map_err(|_| SignatureError::Malformed(format!("header {name}")))?
        .trim();
    if v.is_empty() {
        return Err(SignatureError::Missing(format!("header {name}")));
    }
    Ok(v)
}

/// `what` names the header in the error; it is built only on an error, not per request.
fn decode_hex(s: &str, what: impl FnOnce() -> String) -> Result<Vec<u8>, SignatureError> {
    // The same refusals as `hex::decode` (odd length, a non-hex digit), in one loop into one
    // allocation instead of its iterator of fallible pairs.
    let mut out = vec![0; s.len() / 2];
    match hex::decode_to_slice(s, &mut out) {
        Ok(()) => Ok(out),
        Err(_) => Err(SignatureError::Malformed(what())),
    }
}

fn verify_hmac(
    h: &HmacScheme,
    secrets: &[Secret],
    parts: Unverified<'_>,
) -> Result<usize, SignatureError> {
    let value = single_header(parts.headers, &h.header)?;
    let encoded = match &h.prefix {
        Some(p) => value
            .strip_prefix(p.as_str())
            .ok_or_else(|| SignatureError::Malformed(format!("header {} (prefix)", h.header)))?,
        None => value,
    };
    let what = || format!("header {}", h.header);
    let provided = match h.encoding {
        Encoding::Hex => decode_hex(encoded, what)?,
        Encoding::Base64 => B64
            .decode(encoded)
            .map_err(|_| SignatureError::Malformed(what()))?,
    };
    any_secret(secrets, |key| {
        // A secret that is not a key for this scheme was refused at load; it matches nothing.
        let Ok(k) = h.key_bytes(key) else {
            return false;
        };
        mac_matches(h.algorithm, &k, &[parts.body], &provided)
    })
}

/// The index of the first secret that matches; every secret is tried so timing does not
/// reveal which one.
fn any_secret(
    secrets: &[Secret],
    mut check: impl FnMut(&Secret) -> bool,
) -> Result<usize, SignatureError> {
    let mut matched = None;
    for (i, s) in secrets.iter().enumerate() {
        if check(s) && matched.is_none() {
            matched = Some(i);
        }
    }
    matched.ok_or(SignatureError::Mismatch)
}

fn parse_timestamp(s: &str, what: impl FnOnce() -> String) -> Result<i64, SignatureError> {
    // Only plain decimal digits: "+5", " 5" or "1e9" are malformed, overflow is malformed.
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::Malformed(what()));
    }
    s.parse::<i64>()
        .map_err(|_| SignatureError::Malformed(what()))
}

fn within(ts: i64, now: i64, tolerance: i64, future_ok: bool) -> Result<(), SignatureError> {
    let age = now.saturating_sub(ts);
    if age > tolerance || (!future_ok && age < -tolerance) {
        return Err(SignatureError::OutsideTolerance(tolerance));
    }
    Ok(())
}

fn verify_stripe(
    secrets: &[Secret],
    parts: Unverified<'_>,
    now: i64,
    tolerance: i64,
) -> Result<usize, SignatureError> {
    let header = single_header(parts.headers, "stripe-signature")?;
    let mut t: Option<&str> = None;
    let mut sigs: Vec<Vec<u8>> = Vec::new();
    for item in header.split(',') {
        let (k, v) = item
            .trim()
            .split_once('=')
            .ok_or_else(|| SignatureError::Malformed("header Stripe-Signature".into()))?;
        match k {
            "t" if t.is_none() => t = Some(v),
            "t" => return Err(SignatureError::Repeated("Stripe-Signature t".into())),
            // A v1 that is not hex cannot match; skip it as Stripe's libraries do.
            "v1" => {
                if let Ok(b) = hex::decode(v) {
                    sigs.push(b);
                }
            }
            _ => {}
        }
        // A header cannot carry more signatures than any real rotation needs.
        if sigs.len() > 8 {
            return Err(SignatureError::Malformed("header Stripe-Signature".into()));
        }
    }
    let t = t.ok_or_else(|| SignatureError::Missing("Stripe-Signature timestamp".into()))?;
    let ts = parse_timestamp(t, || "Stripe-Signature timestamp".into())?;
    if sigs.is_empty() {
        return Err(SignatureError::Missing(
            "Stripe-Signature v1 signature".into(),
        ));
    }
    let matched = any_secret(secrets, |key| {
        let mut ok = false;
        for sig in &sigs {
            ok |= mac_matches(
                Algorithm::Sha256,
                key.expose().as_bytes(),
                &[t.as_bytes(), b".", parts.body],
                sig,
            );
        }
        ok
    })?;
    within(ts, now, tolerance, true)?;
    Ok(matched)
}

/// Slack's and Zoom's shape: `v0=<hex>` HMAC-SHA256 over `v0:{timestamp}:{body}`, the
/// timestamp in its own header.
struct V0 {
    timestamp: &'static str,
    signature: &'static str,
}

const SLACK_V0: V0 = V0 {
    timestamp: "X-Slack-Request-Timestamp",
    signature: "X-Slack-Signature",
};
const ZOOM_V0: V0 = V0 {
    timestamp: "x-zm-request-timestamp",
    signature: "x-zm-signature",
};

impl V0 {
    fn sign(&self, secret: &Secret, body: &[u8], now: i64) -> Vec<(String, String)> {
        let t = now.to_string();
        let sig = mac(
            Algorithm::Sha256,
            secret.expose().as_bytes(),
            &[b"v0:", t.as_bytes(), b":", body],
        );
        vec![
            (self.timestamp.into(), t),
            (self.signature.into(), format!("v0={}", hex::encode(sig))),
        ]
    }
}

fn verify_v0(
    v0: &V0,
    secrets: &[Secret],
    parts: Unverified<'_>,
    now: i64,
    tolerance: Option<i64>,
) -> Result<usize, SignatureError> {
    let t = single_header(parts.headers, v0.timestamp)?;
    let sig = single_header(parts.headers, v0.signature)?;
    let ts = match tolerance {
        Some(_) => Some(parse_timestamp(t, || format!("header {}", v0.timestamp))?),
        None => None,
    };
    let hexsig = sig
        .strip_prefix("v0=")
        .ok_or_else(|| SignatureError::Malformed(format!("header {} (prefix)", v0.signature)))?;
    let provided = decode_hex(hexsig, || format!("header {}", v0.signature))?;
    let matched = any_secret(secrets, |key| {
        mac_matches(
            Algorithm::Sha256,
            key.expose().as_bytes(),
            &[b"v0:", t.as_bytes(), b":", parts.body],
            &provided,
        )
    })?;
    if let (Some(ts), Some(tolerance)) = (ts, tolerance) {
        within(ts, now, tolerance, false)?;
    }
    Ok(matched)
}

fn standard_key(secret: &Secret) -> Result<Vec<u8>, KeyError> {
    let s = secret.expose();
    let b64 = s.strip_prefix("whsec_").unwrap_or(s);
    B64.decode(b64)
        .map_err(|_| KeyError("Standard Webhooks secret is not base64 after whsec_".into()))
}

fn verify_standard(
    secrets: &[Secret],
    parts: Unverified<'_>,
    now: i64,
    tolerance: i64,
) -> Result<usize, SignatureError> {
    let id = single_header(parts.headers, "webhook-id")?;
    let t = single_header(parts.headers, "webhook-timestamp")?;
    let sig_header = single_header(parts.headers, "webhook-signature")?;
    let ts = parse_timestamp(t, || "header webhook-timestamp".into())?;
    let mut sigs: Vec<Vec<u8>> = Vec::new();
    for item in sig_header.split(' ').filter(|s| !s.is_empty()) {
        // Other versions (v1a, ...) are skipped: we only know v1.
        if let Some(b64) = item.strip_prefix("v1,") {
            if let Ok(b) = B64.decode(b64) {
                sigs.push(b);
            }
        }
        if sigs.len() > 8 {
            return Err(SignatureError::Malformed("header webhook-signature".into()));
        }
    }
    if sigs.is_empty() {
        return Err(SignatureError::Missing(
            "webhook-signature v1 signature".into(),
        ));
    }
    let matched = any_secret(secrets, |key| {
        let Ok(k) = standard_key(key) else {
            return false;
        };
        let mut ok = false;
        for sig in &sigs {
            ok |= mac_matches(
                Algorithm::Sha256,
                &k,
                &[id.as_bytes(), b".", t.as_bytes(), b".", parts.body],
                sig,
            );
        }
        ok
    })?;
    within(ts, now, tolerance, false)?;
    Ok(matched)
}

fn verify_url_token(secrets: &[Secret], parts: Unverified<'_>) -> Result<usize, SignatureError> {
    let token = parts
        .url_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| SignatureError::Missing("URL token".into()))?;
    token_matches(secrets, token)
}

/// A token that is the secret itself: both sides hashed, so the comparison is constant time
/// whatever the lengths.
fn token_matches(secrets: &[Secret], token: &str) -> Result<usize, SignatureError> {
    let given = Sha256::digest(token.as_bytes());
    any_secret(secrets, |s| {
        bool::from(Sha256::digest(s.expose().as_bytes()).ct_eq(&given))
    })
}

/// Zoom's answer to `endpoint.url_validation`: the HMAC-SHA256 (hex) of `plain_token`, keyed
/// by the secret token that verified the request.
pub fn zoom_encrypted_token(secret: &Secret, plain_token: &str) -> String {
    hex::encode(mac(
        Algorithm::Sha256,
        secret.expose().as_bytes(),
        &[plain_token.as_bytes()],
    ))
}

pub mod chat;
#[cfg(test)]
mod tests;
