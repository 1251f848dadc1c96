//! The S3 implementation of the body store (claim check for bodies over the queue's limit).

use crate::bodies::{body_ref, BodyStore, BodyStoreError};
use crate::envelope::BodyRef;
use async_trait::async_trait;

/// An S3 client for `sdk`; path-style addressing when an endpoint is set (the local AWS on
/// 127.0.0.1 has no per-bucket host names), virtual-hosted in AWS.
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(sdk.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// Bodies in one bucket, under `bodies/`. The bucket's own settings (template.yaml) give
/// encryption at rest and expiry matching the events' retention. Stores and fetches; each
/// function uses a one-way view instead ([`S3BodyWriter`], [`S3BodyReader`]).
#[derive(Debug, Clone)]
pub struct S3BodyStore {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3BodyStore {
    /// Stores in and reads from `bucket` through `client` (see [`s3_client`]).
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }
}

#[async_trait]
impl BodyStore for S3BodyStore {
    async fn put(&self, body: &[u8]) -> Result<BodyRef, BodyStoreError> {
        self.put_object(body).await
    }

    async fn get(&self, at: &BodyRef) -> Result<Vec<u8>, BodyStoreError> {
        self.get_object(at).await
    }
}

/// Ingest's body store: it only stores (`get` is refused). Through `dyn BodyStore` both methods
/// are linked, so with [`S3BodyStore`] ingest's binary would carry `GetObject` and the
/// processor's `PutObject` (with its checksum and chunked-upload code: 130 and 170 KB) that
/// they never call.
#[derive(Debug, Clone)]
pub struct S3BodyWriter(S3BodyStore);

impl S3BodyWriter {
    /// Stores in `bucket` through `client` (see [`s3_client`]).
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self(S3BodyStore::new(client, bucket))
    }
}

#[async_trait]
impl BodyStore for S3BodyWriter {
    async fn put(&self, body: &[u8]) -> Result<BodyRef, BodyStoreError> {
        self.0.put_object(body).await
    }

    async fn get(&self, at: &BodyRef) -> Result<Vec<u8>, BodyStoreError> {
        Err(one_way(&at.key, "stores bodies, it does not fetch them"))
    }
}

/// The processor's body store: it only fetches (`put` is refused); see [`S3BodyWriter`].
#[derive(Debug, Clone)]
pub struct S3BodyReader(S3BodyStore);

impl S3BodyReader {
    /// Reads from `bucket` through `client` (see [`s3_client`]).
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self(S3BodyStore::new(client, bucket))
    }
}

#[async_trait]
impl BodyStore for S3BodyReader {
    async fn put(&self, _body: &[u8]) -> Result<BodyRef, BodyStoreError> {
        Err(one_way("a body", "fetches bodies, it does not store them"))
    }

    async fn get(&self, at: &BodyRef) -> Result<Vec<u8>, BodyStoreError> {
        self.0.get_object(at).await
    }
}

/// A call a one-way store does not make: a wiring mistake, reported rather than panicking.
fn one_way(what: &str, role: &str) -> BodyStoreError {
    tracing::error!(what, "this function's body store {role}");
    BodyStoreError::Unavailable(format!("{what}: this function's body store {role}"))
}

impl S3BodyStore {
    async fn put_object(&self, body: &[u8]) -> Result<BodyRef, BodyStoreError> {
        let at = body_ref(&self.bucket, body);
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&at.key)
            .content_type("application/octet-stream")
            .body(aws_sdk_s3::primitives::ByteStream::from(body.to_vec()))
            .send()
            .await
            .map_err(|e| BodyStoreError::Unavailable(crate::aws::describe(&e)))?;
        Ok(at)
    }

    async fn get_object(&self, at: &BodyRef) -> Result<Vec<u8>, BodyStoreError> {
        // Only this store's bucket, only keys it writes, never more than the named size.
        let well_formed = at
            .key
            .strip_prefix("bodies/")
            .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        if at.bucket != self.bucket || !well_formed {
            return Err(BodyStoreError::Missing(format!(
                "{}/{} is not a body this stack stored",
                at.bucket, at.key
            )));
        }
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&at.key)
            .send()
            .await
            .map_err(|e| {
                let missing = e
                    .as_service_error()
                    .is_some_and(aws_sdk_s3::operation::get_object::GetObjectError::is_no_such_key);
                let what = crate::aws::describe(&e);
                if missing {
                    BodyStoreError::Missing(format!("{}: {what}", at.key))
                } else {
                    BodyStoreError::Unavailable(what)
                }
            })?;
        if out
            .content_length
            .is_some_and(|n| u64::try_from(n).ok() != Some(at.size))
        {
            return Err(BodyStoreError::Missing(format!(
                "{}: stored object is not the size its reference names",
                at.key
            )));
        }
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| BodyStoreError::Unavailable(e.to_string()))?;
        Ok(bytes.into_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn client() -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::new()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    #[tokio::test]
    async fn each_functions_store_refuses_the_other_direction_without_calling_s3() {
        let at = body_ref("bucket", b"body");
        let writer = S3BodyWriter::new(client(), "bucket");
        let e = writer.get(&at).await.unwrap_err();
        assert!(matches!(e, BodyStoreError::Unavailable(ref m) if m.contains("does not fetch")));
        let reader = S3BodyReader::new(client(), "bucket");
        let e = reader.put(b"body").await.unwrap_err();
        assert!(matches!(e, BodyStoreError::Unavailable(ref m) if m.contains("does not store")));
    }
}
