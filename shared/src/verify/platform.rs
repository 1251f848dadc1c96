//! What a chat platform asks of ingest besides a signature check: Meta's subscription
//! handshake (a `GET` answered with its challenge when the verify token matches), Discord's
//! interaction answer within 3 s, and the Teams reply its outgoing webhook waits 5 s for.
//!
//! Guarantees: a handshake never enqueues anything; the verify token is compared in constant
//! time and never echoed; the synchronous answers are sent only after every event of the
//! delivery is in the queue, like any other 200.

use crate::scheme::chat;
use crate::secret::Secret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The platform behaviour of one source, chosen by its scheme name.
#[derive(Debug, Clone)]
pub enum Platform {
    /// Verify, enqueue, answer hookwell's `{"status":"accepted",...}`.
    Plain,
    /// Meta (WhatsApp, Messenger, Instagram): `GET ?hub.mode=subscribe&hub.verify_token=...
    /// &hub.challenge=...` is answered with the challenge when the token matches.
    Meta {
        /// The verify token entered in the app dashboard beside the callback URL.
        verify_token: Secret,
    },
    /// Discord interactions: after enqueueing, a deferred interaction response.
    Discord {
        /// A private key seed (hex) for `hookwell send`, on local stacks only.
        signing_key: Option<Secret>,
    },
    /// Teams outgoing webhooks: after enqueueing, a message activity with this text, which
    /// Teams posts as the reply to the message that mentioned the webhook.
    Teams {
        /// The reply's text.
        reply_text: String,
    },
}

/// The platform options of a source in the sources document.
#[derive(Debug, Default)]
pub struct Options {
    /// `verify_token`: Meta only, required there.
    pub verify_token: Option<Secret>,
    /// `signing_key`: Discord only; its public key must be one of the source's secrets.
    pub signing_key: Option<Secret>,
    /// `reply_text`: Teams only.
    pub reply_text: Option<String>,
}

/// What Teams shows when a source sets no `reply_text`.
pub const DEFAULT_TEAMS_REPLY: &str = "Received.";
const MAX_CHALLENGE_BYTES: usize = 1024;

/// Why a subscription handshake was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// A query parameter is absent or empty (names which): 400 `bad_handshake`.
    #[error("missing query parameter {0}")]
    Missing(&'static str),
    /// `hub.mode` is not `subscribe`, or the challenge is too long or not text: 400
    /// `bad_handshake`.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// The verify token is not the source's: 403 `invalid_verify_token`.
    #[error("verify token does not match")]
    Mismatch,
}

impl Platform {
    pub(crate) fn build(scheme_name: &str, secrets: &[Secret], o: Options) -> Result<Self, String> {
        let only = |field: &str, set: bool, scheme: &str| {
            if set && scheme_name != scheme {
                Err(format!("`{field}` only applies to scheme `{scheme}`"))
            } else {
                Ok(())
            }
        };
        only("verify_token", o.verify_token.is_some(), "meta")?;
        only("signing_key", o.signing_key.is_some(), "discord")?;
        only("reply_text", o.reply_text.is_some(), "teams")?;
        if scheme_name == "telegram" {
            // setWebhook's secret_token: "1-256 characters. Only characters A-Z, a-z, 0-9, _
            // and - are allowed." Anything else could never be registered.
            let ok = |s: &Secret| {
                let t = s.expose();
                (1..=256).contains(&t.len())
                    && t.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            };
            if !secrets.iter().all(ok) {
                return Err(
                    "a telegram secret token is 1-256 characters of A-Z, a-z, 0-9, _ and - \
                            (setWebhook's secret_token)"
                        .into(),
                );
            }
        }
        Ok(match scheme_name {
            "meta" => {
                let verify_token = o
                    .verify_token
                    .filter(|t| !t.expose().is_empty())
                    .ok_or("scheme `meta` needs a `verify_token` (the one entered beside the callback URL)")?;
                Self::Meta { verify_token }
            }
            "discord" => {
                if let Some(k) = &o.signing_key {
                    let public =
                        chat::public_key_hex(k).map_err(|e| format!("signing_key: {e}"))?;
                    if !secrets
                        .iter()
                        .any(|s| s.expose().trim().eq_ignore_ascii_case(&public))
                    {
                        return Err("signing_key: its public key is not among the secrets".into());
                    }
                }
                Self::Discord {
                    signing_key: o.signing_key,
                }
            }
            "teams" => {
                let reply_text = o
                    .reply_text
                    .unwrap_or_else(|| DEFAULT_TEAMS_REPLY.to_owned());
                if reply_text.is_empty() || reply_text.len() > 4096 {
                    return Err("reply_text must be 1-4096 bytes".into());
                }
                Self::Teams { reply_text }
            }
            _ => Self::Plain,
        })
    }

    /// The private key `hookwell send` signs with, for an Ed25519 source that has one.
    pub fn signing_key(&self) -> Option<&Secret> {
        match self {
            Self::Discord { signing_key } => signing_key.as_ref(),
            _ => None,
        }
    }

    /// Whether `GET /webhooks/{source}` is a handshake for this source (else 405).
    pub fn accepts_get(&self) -> bool {
        matches!(self, Self::Meta { .. })
    }

    /// The methods this source answers, for `Allow`.
    pub fn allow(&self) -> &'static str {
        if self.accepts_get() {
            "GET, POST"
        } else {
            "POST"
        }
    }

    /// Meta's subscription handshake: the `hub.challenge` to answer with when `hub.mode` is
    /// `subscribe` and `hub.verify_token` is the source's.
    pub fn subscribe(&self, query: Option<&str>) -> Result<String, HandshakeError> {
        let Self::Meta { verify_token } = self else {
            return Err(HandshakeError::Malformed(
                "request: this source has no handshake",
            ));
        };
        let (mut mode, mut token, mut challenge) = (None, None, None);
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let slot = match k.as_ref() {
                "hub.mode" => &mut mode,
                "hub.verify_token" => &mut token,
                "hub.challenge" => &mut challenge,
                _ => continue,
            };
            if slot.is_some() {
                return Err(HandshakeError::Malformed(
                    "query (a hub.* parameter repeated)",
                ));
            }
            *slot = Some(v);
        }
        let mode = present(mode, "hub.mode")?;
        let token = present(token, "hub.verify_token")?;
        let challenge = present(challenge, "hub.challenge")?;
        if mode != "subscribe" {
            return Err(HandshakeError::Malformed("hub.mode (expected subscribe)"));
        }
        // Hash both sides so the comparison is constant time whatever the lengths.
        let same = Sha256::digest(token.as_bytes()).ct_eq(&Sha256::digest(verify_token.expose()));
        if !bool::from(same) {
            return Err(HandshakeError::Mismatch);
        }
        if challenge.len() > MAX_CHALLENGE_BYTES || challenge.chars().any(char::is_control) {
            return Err(HandshakeError::Malformed("hub.challenge"));
        }
        Ok(challenge.into_owned())
    }

    /// The body of the 200 answer once the delivery's events are queued, when the platform
    /// needs one of its own: Discord's deferred interaction response (by the interaction's
    /// type), Teams' reply. `None`: hookwell's status JSON.
    pub fn accepted_answer(&self, event_type: &str) -> Option<String> {
        match self {
            Self::Discord { .. } => Some(
                match event_type {
                    // "For components, ACK an interaction and edit the original message later".
                    "MESSAGE_COMPONENT" => r#"{"type":6}"#,
                    // An autocomplete interaction takes only a result: an empty list of choices.
                    "APPLICATION_COMMAND_AUTOCOMPLETE" => r#"{"type":8,"data":{"choices":[]}}"#,
                    // "ACK an interaction and edit a response later, the user sees a loading
                    // state": commands, modal submits, and any type Discord adds.
                    _ => r#"{"type":5}"#,
                }
                .to_owned(),
            ),
            Self::Teams { reply_text } => {
                Some(serde_json::json!({ "type": "message", "text": reply_text }).to_string())
            }
            Self::Plain | Self::Meta { .. } => None,
        }
    }
}

fn present<'a>(
    v: Option<std::borrow::Cow<'a, str>>,
    name: &'static str,
) -> Result<std::borrow::Cow<'a, str>, HandshakeError> {
    v.filter(|s| !s.is_empty())
        .ok_or(HandshakeError::Missing(name))
}
