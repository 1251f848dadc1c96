//! The S3 implementation of the body store (claim check for bodies over the queue's limit).

use crate::bodies::{body_ref, BodyReader, BodyStoreError, BodyWriter};
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
/// encryption at rest and expiry matching the events' retention. Ingest holds it as a
/// [`BodyWriter`], the processor as a [`BodyReader`], so each links only its own S3 call.
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
impl BodyWriter for S3BodyStore {
    async fn put(&self, body: &[u8]) -> Result<BodyRef, BodyStoreError> {
        self.put_object(body).await
    }
}

#[async_trait]
impl BodyReader for S3BodyStore {
    async fn get(&self, at: &BodyRef) -> Result<Vec<u8>, BodyStoreError> {
        self.get_object(at).await
    }
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
