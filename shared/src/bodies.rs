//! The body store port: where a payload too large for an SQS message is kept (a claim check).
//! Ingest stores the body and enqueues a version 2 envelope naming it
//! ([`crate::envelope::BodyRef`]); the processor fetches it, checks its size and SHA-256, and
//! hands handlers the same [`crate::Event`] as for a small payload. Replay moves the small
//! envelope; the body stays where it is.
//!
//! The S3 implementation is `crate::aws::s3`; [`MemoryBodyStore`] is the in-memory one.
//! Objects are named by the body's SHA-256 (`bodies/<hex>`), so a provider's retry of the
//! same delivery rewrites the same object instead of adding one.

use crate::envelope::BodyRef;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Why a body could not be stored or fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyStoreError {
    /// The store did not answer or refused for now: ingest answers 503, the processor retries.
    #[error("body store unavailable: {0}")]
    Unavailable(String),
    /// The object is not there (expired, deleted): permanent, the event goes to the DLQ.
    #[error("stored body not found: {0}")]
    Missing(String),
}

/// Stores whole payloads: ingest's side of the claim check. A capability of its own, so a
/// function holding `dyn BodyWriter` links no fetching code (and the processor, holding
/// [`BodyReader`], no storing code: 130-170 KB of S3 client each).
#[async_trait]
pub trait BodyWriter: Send + Sync {
    /// Stores `body` under the key [`body_key`] gives it; `Ok` only once it is durable.
    async fn put(&self, body: &[u8]) -> Result<BodyRef, BodyStoreError>;
}

/// Fetches stored payloads: the processor's side of the claim check.
#[async_trait]
pub trait BodyReader: Send + Sync {
    /// The bytes stored at `at`, unchecked (the envelope checks size and SHA-256).
    async fn get(&self, at: &BodyRef) -> Result<Vec<u8>, BodyStoreError>;
}

/// The object key of a body, and its SHA-256 in hex: `(bodies/<hex>, <hex>)`.
pub fn body_key(body: &[u8]) -> (String, String) {
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body));
    (format!("bodies/{sha}"), sha)
}

/// The [`BodyRef`] of `body` stored in `bucket`.
pub fn body_ref(bucket: &str, body: &[u8]) -> BodyRef {
    let (key, sha256) = body_key(body);
    BodyRef {
        bucket: bucket.to_owned(),
        key,
        size: u64::try_from(body.len()).unwrap_or(u64::MAX),
        sha256,
    }
}

/// An in-memory body store with a switch that makes every call fail (the 503 and retry
/// paths). For unit tests and the fuzz targets. Clones share the same objects.
#[derive(Debug, Clone, Default)]
pub struct MemoryBodyStore {
    objects: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
    down: Arc<std::sync::atomic::AtomicBool>,
}

impl MemoryBodyStore {
    /// While down, every put and get fails as an unreachable store would.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
    }
    /// The keys stored so far.
    pub fn keys(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }
    /// Removes an object (an expired body).
    pub fn remove(&self, key: &str) {
        self.lock().remove(key);
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        match self.objects.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }
    fn check_up(&self) -> Result<(), BodyStoreError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(BodyStoreError::Unavailable(
                "in-memory body store is down".into(),
            ));
        }
        Ok(())
    }
}

#[async_trait]
impl BodyWriter for MemoryBodyStore {
    async fn put(&self, body: &[u8]) -> Result<BodyRef, BodyStoreError> {
        self.check_up()?;
        let at = body_ref("memory", body);
        self.lock().insert(at.key.clone(), body.to_vec());
        Ok(at)
    }
}

#[async_trait]
impl BodyReader for MemoryBodyStore {
    async fn get(&self, at: &BodyRef) -> Result<Vec<u8>, BodyStoreError> {
        self.check_up()?;
        self.lock()
            .get(&at.key)
            .cloned()
            .ok_or_else(|| BodyStoreError::Missing(at.key.clone()))
    }
}

#[async_trait]
impl<T: BodyWriter + ?Sized> BodyWriter for Arc<T> {
    async fn put(&self, body: &[u8]) -> Result<BodyRef, BodyStoreError> {
        (**self).put(body).await
    }
}

#[async_trait]
impl<T: BodyReader + ?Sized> BodyReader for Arc<T> {
    async fn get(&self, at: &BodyRef) -> Result<Vec<u8>, BodyStoreError> {
        (**self).get(at).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_store_keys_by_content_and_fails_when_down() {
        let s = MemoryBodyStore::default();
        let a = s.put(b"one").await.unwrap();
        let again = s.put(b"one").await.unwrap();
        assert_eq!(a, again);
        assert_eq!(s.keys().len(), 1);
        assert_eq!(a.size, 3);
        assert_eq!(a.key, format!("bodies/{}", a.sha256));
        assert_eq!(s.get(&a).await.unwrap(), b"one");
        s.set_down(true);
        assert!(matches!(
            s.put(b"two").await,
            Err(BodyStoreError::Unavailable(_))
        ));
        s.set_down(false);
        s.remove(&a.key);
        assert!(matches!(s.get(&a).await, Err(BodyStoreError::Missing(_))));
    }
}
