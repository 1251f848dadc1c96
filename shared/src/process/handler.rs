//! Handlers and the router that picks them by (source, event_type).
//!
//! ```
//! use hookwell::handler::{Event, HandlerError, Router};
//! async fn notify_members(event: Event) -> Result<(), HandlerError> {
//!     let msg: hookwell::payloads::bubble::BubbleEvent = event.json()?;
//!     let _ = msg;
//!     Ok(())
//! }
//! let mut router = Router::new();
//! router.on("bubble", "MESSAGE_CREATE", notify_members);
//! ```

use crate::envelope::Envelope;
use async_trait::async_trait;
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

/// How a handler failed, which decides what happens to the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandlerError {
    /// Worth retrying later (downstream 5xx, timeout, throttling): the event is retried at the
    /// retry schedule's next step; after the last step the processor dead-letters it.
    #[error("retryable: {0}")]
    Retryable(String),
    /// Will never succeed as is (bad payload, downstream 4xx): straight to the dead-letter
    /// queue, no retry loop.
    #[error("permanent: {0}")]
    Permanent(String),
}

impl HandlerError {
    /// A [`HandlerError::Retryable`] with `e`'s text: the event is retried on the schedule.
    pub fn retryable(e: impl std::fmt::Display) -> Self {
        Self::Retryable(e.to_string())
    }
    /// A [`HandlerError::Permanent`] with `e`'s text: the message goes to the DLQ at once.
    pub fn permanent(e: impl std::fmt::Display) -> Self {
        Self::Permanent(e.to_string())
    }
}

/// One event as a handler sees it. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Event {
    envelope: Arc<Envelope>,
    attempt: u32,
}

impl Event {
    /// Wraps an envelope for handlers; `attempt` counts from 1.
    pub fn new(envelope: Arc<Envelope>, attempt: u32) -> Self {
        Self { envelope, attempt }
    }
    /// The name of the source the delivery came in on (`/webhooks/{source}`).
    pub fn source(&self) -> &str {
        &self.envelope.source
    }
    /// The event type identity gave the event (e.g. `MESSAGE_CREATE`).
    pub fn event_type(&self) -> &str {
        &self.envelope.event_type
    }
    /// The event's id, the same on every retry: pass it downstream as an idempotency key.
    pub fn event_id(&self) -> &str {
        &self.envelope.event_id
    }
    /// The whole queue envelope the event arrived in.
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }
    /// 1 on the first attempt; more after retries and replays.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }
    /// The payload exactly as the provider sent it.
    pub fn body(&self) -> Cow<'_, [u8]> {
        self.envelope.body_bytes()
    }
    /// A provider header kept in the envelope (lower-case name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.envelope.headers.get(name).map(String::as_str)
    }
    /// The payload as a typed struct; a payload that does not fit is a permanent failure.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HandlerError> {
        serde_json::from_slice(&self.body()).map_err(|e| {
            HandlerError::Permanent(format!(
                "payload does not match the expected shape: {:?} at line {} column {}",
                e.classify(),
                e.line(),
                e.column()
            ))
        })
    }
}

/// Runs for the events the router sends it; its error decides between a retry and the DLQ.
#[async_trait]
pub trait Handler: Send + Sync {
    /// Handles one event; it may run again for the same event, so effects must tolerate a repeat.
    async fn handle(&self, event: Event) -> Result<(), HandlerError>;
}

/// Any `async fn(Event) -> Result<(), HandlerError>` is a handler.
#[async_trait]
impl<F, Fut> Handler for F
where
    F: Fn(Event) -> Fut + Send + Sync,
    Fut: Future<Output = Result<(), HandlerError>> + Send,
{
    async fn handle(&self, event: Event) -> Result<(), HandlerError> {
        self(event).await
    }
}

type Handlers = Vec<Arc<dyn Handler>>;

/// Routes by (source, event_type); falls back to the source's handlers, then the global
/// ones. The most specific level that has handlers is used; they run in registration order.
#[derive(Default, Clone)]
pub struct Router {
    exact: HashMap<(String, String), Handlers>,
    by_source: HashMap<String, Handlers>,
    global: Handlers,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("exact", &self.exact.keys().collect::<Vec<_>>())
            .field("by_source", &self.by_source.keys().collect::<Vec<_>>())
            .field("global", &self.global.len())
            .finish()
    }
}

impl Router {
    /// An empty router: every event routes to no handler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `h` for events of exactly this source and event type.
    pub fn on(&mut self, source: &str, event_type: &str, h: impl Handler + 'static) -> &mut Self {
        self.on_arc(source, event_type, Arc::new(h))
    }

    /// [`on`](Self::on) with a handler already in an `Arc` (to share it between routes).
    pub fn on_arc(&mut self, source: &str, event_type: &str, h: Arc<dyn Handler>) -> &mut Self {
        self.exact
            .entry((source.to_owned(), event_type.to_owned()))
            .or_default()
            .push(h);
        self
    }

    /// Every event of `source` that has no exact route.
    pub fn on_source(&mut self, source: &str, h: impl Handler + 'static) -> &mut Self {
        self.on_source_arc(source, Arc::new(h))
    }

    /// [`on_source`](Self::on_source) with a handler already in an `Arc`.
    pub fn on_source_arc(&mut self, source: &str, h: Arc<dyn Handler>) -> &mut Self {
        self.by_source.entry(source.to_owned()).or_default().push(h);
        self
    }

    /// Every event with no source or exact route.
    pub fn fallback(&mut self, h: impl Handler + 'static) -> &mut Self {
        self.fallback_arc(Arc::new(h))
    }

    /// [`fallback`](Self::fallback) with a handler already in an `Arc`.
    pub fn fallback_arc(&mut self, h: Arc<dyn Handler>) -> &mut Self {
        self.global.push(h);
        self
    }

    /// The handlers for an event: the exact route's, else the source's, else the global ones.
    /// Empty when nothing matches: the event then completes with no handler run.
    pub fn route(&self, source: &str, event_type: &str) -> &[Arc<dyn Handler>] {
        if let Some(h) = self.exact.get(&(source.to_owned(), event_type.to_owned())) {
            return h;
        }
        if let Some(h) = self.by_source.get(source) {
            return h;
        }
        &self.global
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn event(source: &str, t: &str) -> Event {
        Event::new(
            Arc::new(Envelope::new(
                source,
                t,
                "id",
                time::OffsetDateTime::UNIX_EPOCH,
                b"{}",
                Default::default(),
            )),
            1,
        )
    }

    #[tokio::test]
    async fn most_specific_level_wins() {
        let hits = Arc::new(AtomicUsize::new(0));
        let mut r = Router::new();
        let h = hits.clone();
        r.on("bubble", "MESSAGE_CREATE", move |_e: Event| {
            let h = h.clone();
            async move {
                h.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        });
        r.on_source("bubble", |_e: Event| async {
            Err(HandlerError::permanent("source level"))
        });
        r.fallback(|_e: Event| async { Err(HandlerError::retryable("global")) });

        for h in r.route("bubble", "MESSAGE_CREATE") {
            h.handle(event("bubble", "MESSAGE_CREATE")).await.unwrap();
        }
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        let src = r.route("bubble", "GUILD_MEMBER_ADD");
        assert_eq!(src.len(), 1);
        assert_eq!(
            src[0].handle(event("bubble", "X")).await,
            Err(HandlerError::Permanent("source level".into()))
        );
        let g = r.route("sendbird", "x");
        assert_eq!(
            g[0].handle(event("sendbird", "x")).await,
            Err(HandlerError::Retryable("global".into()))
        );
        assert!(Router::new().route("a", "b").is_empty());
    }

    #[test]
    fn json_mismatch_is_permanent_and_does_not_echo_payload() {
        let e = Event::new(
            Arc::new(Envelope::new(
                "s",
                "t",
                "i",
                time::OffsetDateTime::UNIX_EPOCH,
                b"{\"secret-ish\":",
                Default::default(),
            )),
            1,
        );
        let err = e.json::<serde_json::Value>().unwrap_err();
        assert!(matches!(err, HandlerError::Permanent(_)));
        assert!(!err.to_string().contains("secret-ish"));
    }
}
