//! Built-in handlers: `forward` (POST the original payload to your service, signed with
//! Standard Webhooks headers), the Sendbird example `notify_recipients` and the group
//! manager / Bubble example `chat_relay`. All are wired from the configuration's `routes`,
//! so common set-ups need no code.

use crate::config::{HandlerConfig, Sources};
use crate::handler::{Event, Handler, HandlerError, Router};
use crate::scheme::Scheme;
use crate::secret::Secret;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

/// The built-in handlers' per-request timeout when a route sets no `timeout_ms`.
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
    /// A forwarder to `url`, signing with `secret`, each request bounded by `timeout`. `Err`
    /// only when the HTTP client cannot be built: `url` is not checked here.
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
    /// A notifier posting to `url`, each request bounded by `timeout`. `Err` only when the
    /// HTTP client cannot be built.
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
        // Only a new message notifies; an update or delete routed here is left alone.
        if event.event_type() != "group_channel:message_send" {
            return Ok(());
        }
        let msg: crate::payloads::sendbird::GroupChannelMessage = event.json()?;
        for n in Self::notifications(event.event_id(), &msg) {
            let key = n
                .get("notification_id")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned();
            post_json(&self.client, &self.url, &n, &key).await?;
        }
        Ok(())
    }
}

/// Which typed payloads a source's deliveries are: the source's identity preset (a URL-token
/// Bubble source is Bubble) or its scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatProvider {
    /// Bubble: [`BubbleEvent`](crate::payloads::bubble::BubbleEvent) payloads (`bubble`).
    Bubble,
    /// The group manager: [`GroupEvent`](crate::payloads::groupgm::GroupEvent) payloads
    /// (`groupgm`).
    GroupManager,
}

impl ChatProvider {
    fn of(source: &crate::config::Source) -> Option<Self> {
        match source.identity_preset().unwrap_or(source.scheme_name()) {
            "bubble" => Some(Self::Bubble),
            "groupgm" => Some(Self::GroupManager),
            _ => None,
        }
    }
}

/// Relays chat activity as one line of text, `{"text": "王小明: 大家早安!", ...}`, to a chat
/// webhook (a Slack-style incoming webhook, a bot gateway): the group manager's
/// `message.received` (sender and content), `member.joined`/`member.left` and
/// `file.uploaded`; Bubble's `MESSAGE_CREATE` (author and content) and `GUILD_MEMBER_ADD`.
/// Other events are left alone. The POST carries `idempotency-key: <event id>`, so a repeat
/// after a crash can be dropped downstream.
pub struct ChatRelay {
    client: reqwest::Client,
    url: String,
    providers: std::collections::HashMap<String, ChatProvider>,
}

impl std::fmt::Debug for ChatRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatRelay")
            .field("providers", &self.providers)
            .finish_non_exhaustive()
    }
}

impl ChatRelay {
    /// A relay to `url`, each request bounded by `timeout`, for those of `sources` that are
    /// Bubble or group manager sources. `Err` only when the HTTP client cannot be built.
    pub fn new(url: &str, timeout: Duration, sources: &Sources) -> Result<Self, String> {
        Ok(Self {
            client: client(timeout)?,
            url: url.to_owned(),
            providers: sources
                .names()
                .filter_map(|n| Some((n.to_owned(), ChatProvider::of(sources.get(n)?)?)))
                .collect(),
        })
    }

    /// The line for one event, or `None` for events it does not relay: pure, so it is tested
    /// on the documented bodies without a network. A documented event that does not match
    /// its documented shape is a permanent failure.
    pub fn line(provider: ChatProvider, event: &Event) -> Result<Option<String>, HandlerError> {
        use crate::payloads::{bubble::BubbleEvent, groupgm::GroupEvent};
        Ok(match provider {
            ChatProvider::GroupManager => match event.json::<GroupEvent>()? {
                GroupEvent::MessageReceived { data, .. } if data.message_type == "text" => {
                    Some(format!("{}: {}", data.sender.display_name, data.content))
                }
                GroupEvent::MessageReceived { data, .. } => Some(format!(
                    "{} sent a {} message",
                    data.sender.display_name, data.message_type
                )),
                GroupEvent::MemberJoined { data, .. } => {
                    Some(format!("{} joined", data.member.display_name))
                }
                GroupEvent::MemberLeft { data, .. } => {
                    Some(format!("{} left", data.member.display_name))
                }
                GroupEvent::FileUploaded { data, .. } => Some(format!(
                    "{} uploaded a file ({}, {} bytes)",
                    data.sender.display_name, data.file_type, data.file_size
                )),
                GroupEvent::Other { .. } => None,
            },
            ChatProvider::Bubble => match event.json::<BubbleEvent>()? {
                BubbleEvent::MessageCreate(m) => Some(format!("{}: {}", m.author.name, m.content)),
                // No member-event body is documented: nothing of `data` is read.
                BubbleEvent::GuildMemberAdd(_) => Some("A new member joined the server".into()),
                _ => None,
            },
        })
    }
}

#[async_trait]
impl Handler for ChatRelay {
    async fn handle(&self, event: Event) -> Result<(), HandlerError> {
        let Some(provider) = self.providers.get(event.source()).copied() else {
            return Ok(());
        };
        let Some(text) = Self::line(provider, &event)? else {
            return Ok(());
        };
        let body = serde_json::json!({
            "text": text,
            "source": event.source(),
            "event_type": event.event_type(),
            "event_id": event.event_id(),
        });
        post_json(&self.client, &self.url, &body, event.event_id()).await
    }
}

/// POSTs a JSON document with an `idempotency-key` header (so a downstream can drop the
/// repeat of a retried handler) and classifies the answer.
async fn post_json(
    client: &reqwest::Client,
    url: &str,
    body: &serde_json::Value,
    idempotency_key: &str,
) -> Result<(), HandlerError> {
    let resp = client
        .post(url)
        .header("content-type", "application/json")
        .header("idempotency-key", idempotency_key)
        .body(body.to_string())
        .send()
        .await
        .map_err(classify_error)?;
    classify_status(resp.status().as_u16())
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
            HandlerConfig::ChatRelay { url, timeout_ms } => Arc::new(ChatRelay::new(
                url,
                timeout_ms.map_or(DEFAULT_TIMEOUT, Duration::from_millis),
                sources,
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

    fn event(source: &str, event_type: &str, body: &str) -> Event {
        Event::new(
            Arc::new(crate::Envelope::new(
                source,
                event_type,
                "ev1",
                time::OffsetDateTime::UNIX_EPOCH,
                body.as_bytes(),
                Default::default(),
            )),
            1,
        )
    }

    /// The worked examples on the documented bodies: the group manager's `message.received`
    /// (sender and content) and the other three events, Bubble's `MESSAGE_CREATE`.
    #[test]
    fn chat_relay_lines_from_the_documented_bodies() {
        let expect = [
            ("groupgm", "message.received", "王小明: 大家早安!"),
            ("groupgm", "member.joined", "李小華 joined"),
            ("groupgm", "member.left", "李小華 left"),
            (
                "groupgm",
                "file.uploaded",
                "王小明 uploaded a file (image, 102400 bytes)",
            ),
            ("bubble", "MESSAGE_CREATE", "user: Hello!"),
        ];
        assert_eq!(expect.len(), crate::samples::DOCUMENTED.len());
        for (provider, event_type, line) in expect {
            let (_, _, body) = crate::samples::DOCUMENTED
                .iter()
                .find(|d| d.0 == provider && d.1 == event_type)
                .unwrap();
            let kind = match provider {
                "bubble" => ChatProvider::Bubble,
                _ => ChatProvider::GroupManager,
            };
            assert_eq!(
                ChatRelay::line(kind, &event(provider, event_type, body)),
                Ok(Some(line.to_owned())),
                "{provider} {event_type}"
            );
        }
    }

    /// Bubble documents GUILD_MEMBER_ADD but no body for it: the relay reads only the type,
    /// so any `data` works (here the documented envelope with MESSAGE_CREATE's data).
    #[test]
    fn chat_relay_greets_bubble_members_without_reading_undocumented_fields() {
        let (_, _, doc) = crate::samples::DOCUMENTED[0];
        for body in [
            doc.replace("MESSAGE_CREATE", "GUILD_MEMBER_ADD"),
            r#"{"type":"GUILD_MEMBER_ADD","data":{}}"#.to_owned(),
            r#"{"type":"GUILD_MEMBER_ADD"}"#.to_owned(),
        ] {
            let ev = event("bubble", "GUILD_MEMBER_ADD", &body);
            assert_eq!(
                ChatRelay::line(ChatProvider::Bubble, &ev),
                Ok(Some("A new member joined the server".into()))
            );
        }
        let other = event(
            "bubble",
            "CHANNEL_CREATE",
            r#"{"type":"CHANNEL_CREATE","data":{}}"#,
        );
        assert_eq!(ChatRelay::line(ChatProvider::Bubble, &other), Ok(None));
        // A documented event in the wrong shape will never relay: permanent.
        let bad = event(
            "groupgm",
            "message.received",
            r#"{"event":"message.received","timestamp":"x","data":{"channelId":"C1"}}"#,
        );
        assert!(matches!(
            ChatRelay::line(ChatProvider::GroupManager, &bad),
            Err(HandlerError::Permanent(_))
        ));
    }

    /// Only a new message notifies: an update routed to the handler sends nothing (the URL
    /// here would refuse any connection).
    #[tokio::test]
    async fn notify_recipients_ignores_updates_and_deletes() {
        let h =
            NotifyRecipients::new("http://127.0.0.1:9/push", Duration::from_millis(200)).unwrap();
        for t in [
            "group_channel:message_update",
            "group_channel:message_delete",
        ] {
            assert_eq!(h.handle(event("sendbird", t, "{}")).await, Ok(()), "{t}");
        }
        let send = h
            .handle(event("sendbird", "group_channel:message_send", "{}"))
            .await;
        assert!(matches!(send, Err(HandlerError::Permanent(_))), "{send:?}");
    }

    #[test]
    fn routes_from_config() {
        let doc = r#"{"sources":{"bubble":{"scheme":"bubble","secrets":["a"]},"sendbird":{"scheme":"sendbird","secrets":["b"]},
            "groupgm":{"scheme":"groupgm","secrets":["c"]}},
          "routes":[
            {"sources":["groupgm"],"event_types":["message.received"],"handler":"chat_relay","url":"http://127.0.0.1:9/chat"},
            {"sources":["bubble"],"event_types":["MESSAGE_CREATE"],"handler":"forward","url":"http://127.0.0.1:9/x","secret":"whsec_aGVsbG8="},
            {"sources":["sendbird"],"handler":"notify_recipients","url":"http://127.0.0.1:9/push"},
            {"handler":"forward","url":"http://127.0.0.1:9/all","secret":"whsec_aGVsbG8="}
          ]}"#;
        let s = Sources::from_json(doc).unwrap();
        let r = router_from_config(&s).unwrap();
        assert_eq!(r.route("bubble", "MESSAGE_CREATE").len(), 1);
        assert_eq!(r.route("groupgm", "message.received").len(), 1);
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
