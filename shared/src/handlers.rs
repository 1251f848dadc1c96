//! Built-in handlers: `forward` (POST the original payload to your service, signed with
//! Standard Webhooks headers) and the Sendbird example `notify_recipients`. Both are wired
//! from the configuration's `routes`, so common set-ups need no code.

use crate::config::{HandlerConfig, Sources};
use crate::handler::{Event, Handler, HandlerError, Router};
use crate::scheme::Scheme;
use crate::secret::Secret;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// 5xx, 408 and 429 are worth retrying; any other non-2xx never will be.
pub fn classify_status(status: u16) -> Result<(), HandlerError> {
    match status {
        200..=299 => Ok(()),
        408 | 429 | 500..=599 => Err(HandlerError::Retryable(format!(
            "downstream answered {status}"
        ))),
        _ => Err(HandlerError::Permanent(format!(
            "downstream answered {status}"
        ))),
    }
}

/// Network errors and timeouts are retryable. The URL is left out of the message: it may
/// carry a token.
fn classify_error(e: reqwest::Error) -> HandlerError {
    let e = e.without_url();
    if e.is_builder() {
        HandlerError::Permanent(format!("request could not be built: {e}"))
    } else {
        HandlerError::Retryable(format!("downstream unreachable: {e}"))
    }
}

/// An HTTP client for hookwell's own calls (handlers, the CLI): TLS through rustls with the
/// aws-lc-rs provider the AWS SDK already links, no redirects, bounded time.
pub fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    // Process-wide; fails only when a provider is set already, which is fine.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(3)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())
}

/// POSTs the payload, byte for byte, with `webhook-id` = the event id (so the downstream can
/// deduplicate our retries), `webhook-timestamp` and `webhook-signature`.
pub struct Forward {
    client: reqwest::Client,
    url: String,
    secret: Secret,
}

impl std::fmt::Debug for Forward {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forward").finish_non_exhaustive()
    }
}

impl Forward {
    pub fn new(url: &str, secret: Secret, timeout: Duration) -> Result<Self, String> {
        Ok(Self {
            client: client(timeout)?,
            url: url.to_owned(),
            secret,
        })
    }
}

#[async_trait]
impl Handler for Forward {
    async fn handle(&self, event: Event) -> Result<(), HandlerError> {
        let body = event.body().into_owned();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let headers = Scheme::StandardWebhooks {
            tolerance_secs: 300,
        }
        .sign(&self.secret, &body, now, event.event_id())
        .map_err(HandlerError::permanent)?;
        let content_type = if event.envelope().body_encoding == crate::envelope::BodyEncoding::Utf8
        {
            "application/json"
        } else {
            "application/octet-stream"
        };
        let mut req = self
            .client
            .post(&self.url)
            .header("content-type", content_type)
            .header("hookwell-source", event.source())
            .header("hookwell-event-type", event.event_type())
            .header("hookwell-attempt", event.attempt().to_string());
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let resp = req.body(body).send().await.map_err(classify_error)?;
        classify_status(resp.status().as_u16())
    }
}

/// The Sendbird use case ("notify recipients of a new chat message"): for a
/// `group_channel:message_send`, every member except the sender who is offline gets a push
/// notification through `url`. The notification id is `{event_id}:{user_id}`, so if this
/// handler is retried after a crash between sending and `complete`, the gateway can drop the
/// repeat: the handler tolerates a retry, as every handler with side effects must.
pub struct NotifyRecipients {
    client: reqwest::Client,
    url: String,
}

impl std::fmt::Debug for NotifyRecipients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifyRecipients").finish_non_exhaustive()
    }
}

impl NotifyRecipients {
    pub fn new(url: &str, timeout: Duration) -> Result<Self, String> {
        Ok(Self {
            client: client(timeout)?,
            url: url.to_owned(),
        })
    }

    /// Who gets notified, and with what: pure, so it is tested without a network.
    pub fn notifications(
        event_id: &str,
        msg: &crate::payloads::sendbird::GroupChannelMessage,
    ) -> Vec<serde_json::Value> {
        let preview: String = msg.payload.message.chars().take(120).collect();
        let from = msg
            .sender
            .nickname
            .clone()
            .unwrap_or_else(|| msg.sender.user_id.clone());
        msg.members
            .iter()
            .filter(|m| m.user_id != msg.sender.user_id && m.is_active && !m.is_online)
            .map(|m| {
                serde_json::json!({
                    "notification_id": format!("{event_id}:{}", m.user_id),
                    "user_id": m.user_id,
                    "title": format!("New message from {from}"),
                    "body": preview,
                    "channel_url": msg.channel.channel_url,
                })
            })
            .collect()
    }
}

#[async_trait]
impl Handler for NotifyRecipients {
    async fn handle(&self, event: Event) -> Result<(), HandlerError> {
        let msg: crate::payloads::sendbird::GroupChannelMessage = event.json()?;
        for n in Self::notifications(event.event_id(), &msg) {
            let resp = self
                .client
                .post(&self.url)
                .header("content-type", "application/json")
                .body(n.to_string())
                .send()
                .await
                .map_err(classify_error)?;
            classify_status(resp.status().as_u16())?;
        }
        Ok(())
    }
}

/// The router described by the configuration's `routes`.
pub fn router_from_config(sources: &Sources) -> Result<Router, String> {
    let mut router = Router::new();
    for r in sources.routes() {
        let h: Arc<dyn Handler> = match &r.handler {
            HandlerConfig::Forward {
                url,
                secret,
                timeout_ms,
            } => Arc::new(Forward::new(
                url,
                secret.clone(),
                timeout_ms.map_or(DEFAULT_TIMEOUT, Duration::from_millis),
            )?),
            HandlerConfig::NotifyRecipients { url, timeout_ms } => Arc::new(NotifyRecipients::new(
                url,
                timeout_ms.map_or(DEFAULT_TIMEOUT, Duration::from_millis),
            )?),
        };
        match (r.sources.is_empty(), r.event_types.is_empty()) {
            (true, true) => {
                router.fallback_arc(h);
            }
            (false, true) => {
                for s in &r.sources {
                    router.on_source_arc(s, h.clone());
                }
            }
            (_, false) => {
                let sources: Vec<String> = if r.sources.is_empty() {
                    sources.names().map(str::to_owned).collect()
                } else {
                    r.sources.clone()
                };
                for s in &sources {
                    for t in &r.event_types {
                        router.on_arc(s, t, h.clone());
                    }
                }
            }
        }
    }
    Ok(router)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classification() {
        assert_eq!(classify_status(204), Ok(()));
        for s in [408, 429, 500, 502, 503] {
            assert!(
                matches!(classify_status(s), Err(HandlerError::Retryable(_))),
                "{s}"
            );
        }
        for s in [301, 400, 401, 404, 410, 422] {
            assert!(
                matches!(classify_status(s), Err(HandlerError::Permanent(_))),
                "{s}"
            );
        }
    }

    #[test]
    fn notifies_offline_members_except_the_sender() {
        let now = time::OffsetDateTime::from_unix_timestamp(1_764_046_800).unwrap();
        let (_, _, tpl, _) = crate::samples::find("sendbird", None).unwrap();
        let body = crate::samples::render(tpl, now, 3);
        let msg: crate::payloads::sendbird::GroupChannelMessage =
            serde_json::from_str(&body).unwrap();
        let n = NotifyRecipients::notifications("ev1", &msg);
        let users: Vec<_> = n.iter().map(|v| v["user_id"].as_str().unwrap()).collect();
        assert_eq!(users, ["bob", "carol"], "alice sent it and is online");
        assert_eq!(n[0]["notification_id"], "ev1:bob");
        assert_eq!(n[0]["title"], "New message from Alice");
    }

    #[test]
    fn routes_from_config() {
        let doc = r#"{"sources":{"bubble":{"scheme":"bubble","secrets":["a"]},"sendbird":{"scheme":"sendbird","secrets":["b"]}},
          "routes":[
            {"sources":["bubble"],"event_types":["MESSAGE_CREATE"],"handler":"forward","url":"http://127.0.0.1:9/x","secret":"whsec_aGVsbG8="},
            {"sources":["sendbird"],"handler":"notify_recipients","url":"http://127.0.0.1:9/push"},
            {"handler":"forward","url":"http://127.0.0.1:9/all","secret":"whsec_aGVsbG8="}
          ]}"#;
        let s = Sources::from_json(doc).unwrap();
        let r = router_from_config(&s).unwrap();
        assert_eq!(r.route("bubble", "MESSAGE_CREATE").len(), 1);
        assert_eq!(r.route("sendbird", "anything").len(), 1);
        assert_eq!(r.route("github", "push").len(), 1, "global fallback");
        for bad in [
            r#"{"sources":{},"routes":[{"sources":["nope"],"handler":"forward","url":"http://x","secret":"whsec_aGVsbG8="}]}"#,
            r#"{"sources":{},"routes":[{"handler":"forward","url":"ftp://x","secret":"whsec_aGVsbG8="}]}"#,
            r#"{"sources":{},"routes":[{"handler":"forward","url":"http://x","secret":"whsec_!!"}]}"#,
            r#"{"sources":{},"routes":[{"handler":"teleport","url":"http://x"}]}"#,
        ] {
            assert!(Sources::from_json(bad).is_err(), "{bad}");
        }
    }
}
