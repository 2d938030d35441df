//! [`S3Store`]: the only code that touches aws-sdk-s3. Keys are relative to a prefix, so one
//! bucket can hold the cleaned, raw, errors and curated areas side by side.
//!
//! Big bodies go up as multipart uploads (S3 caps a single PUT at 5 GiB and a slow single PUT
//! of a few hundred MB is the one request most likely to time out); a failed multipart upload
//! is aborted so no invisible parts keep costing storage.

use super::{ObjectMeta, ObjectStore, PutOutcome, StoreError};
use async_trait::async_trait;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use bytes::Bytes;

/// Bodies at least this big are uploaded in parts.
const MULTIPART_THRESHOLD: usize = 16 * 1024 * 1024;
/// Part size (S3's minimum is 5 MiB for all but the last part).
const PART_SIZE: usize = 8 * 1024 * 1024;

/// An S3 bucket and key prefix.
pub struct S3Store {
    client: Client,
    bucket: String,
    /// Empty, or ends with `/`.
    prefix: String,
}

fn service_error<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    StoreError::Service(format!(
        "{}",
        aws_smithy_types::error::display::DisplayErrorContext(&e)
    ))
}

fn status_of<E>(e: &SdkError<E, HttpResponse>) -> Option<u16> {
    // The HTTP status tells "exists" (412) and "absent" (404) apart even where S3 omits the
    // error code (HEAD-like responses carry no body).
    e.raw_response().map(|r| r.status().as_u16())
}

impl S3Store {
    /// Connects with the AWS default configuration (credential chain, region,
    /// `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`). Path-style addressing is used whenever a
    /// custom endpoint is set, since emulators and most S3-compatible stores need it.
    pub async fn connect(bucket: &str, prefix: &str) -> Self {
        S3Store::new(Self::client_from_env().await, bucket, prefix)
    }

    /// The S3 client `connect` uses: AWS default configuration, path-style addressing when a
    /// custom endpoint is set. Public so tests and scripts address the emulator the same way.
    pub async fn client_from_env() -> Client {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let custom = std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
            || std::env::var_os("AWS_ENDPOINT_URL").is_some();
        let s3 = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(custom)
            .build();
        Client::from_conf(s3)
    }

    /// Over an existing client.
    pub fn new(client: Client, bucket: &str, prefix: &str) -> Self {
        let prefix = prefix.trim_matches('/');
        S3Store {
            client,
            bucket: bucket.to_string(),
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
        }
    }

    fn full(&self, key: &str) -> Result<String, StoreError> {
        super::validate_key(key)?;
        Ok(format!("{}{key}", self.prefix))
    }

    async fn put_multipart(&self, key: &str, body: Bytes) -> Result<(), StoreError> {
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(service_error)?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| StoreError::Service("CreateMultipartUpload without an id".into()))?
            .to_string();
        let result = self.upload_parts(key, &upload_id, body).await;
        if result.is_err() {
            // Best effort: a bucket lifecycle rule for incomplete uploads is the backstop.
            let _ = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(&upload_id)
                .send()
                .await;
        }
        result
    }

    async fn upload_parts(
        &self,
        key: &str,
        upload_id: &str,
        body: Bytes,
    ) -> Result<(), StoreError> {
        let mut parts = Vec::new();
        let mut offset = 0;
        let mut number = 1;
        while offset < body.len() {
            let end = (offset + PART_SIZE).min(body.len());
            let out = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(body.slice(offset..end)))
                .send()
                .await
                .map_err(service_error)?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(out.e_tag().map(str::to_string))
                    .build(),
            );
            offset = end;
            number += 1;
        }
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(service_error)?;
        Ok(())
    }
}

#[async_trait]
impl ObjectStore for S3Store {
    async fn put(&self, key: &str, body: Bytes) -> Result<(), StoreError> {
        let key = self.full(key)?;
        if body.len() >= MULTIPART_THRESHOLD {
            return self.put_multipart(&key, body).await;
        }
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(service_error)?;
        Ok(())
    }

    async fn put_if_absent(&self, key: &str, body: Bytes) -> Result<PutOutcome, StoreError> {
        let key = self.full(key)?;
        // S3 conditional writes (2024): the PUT fails with 412 if the key exists, atomically.
        match self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .if_none_match("*")
            .body(ByteStream::from(body))
            .send()
            .await
        {
            Ok(_) => Ok(PutOutcome::Created),
            Err(e) if status_of(&e) == Some(412) => Ok(PutOutcome::AlreadyExists),
            Err(e) => Err(service_error(e)),
        }
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        let key = self.full(key)?;
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) if status_of(&e) == Some(404) => return Ok(None),
            Err(e) => return Err(service_error(e)),
        };
        let body =
            out.body.collect().await.map_err(|e| {
                StoreError::Service(format!("reading s3://{}/{key}: {e}", self.bucket))
            })?;
        Ok(Some(body.into_bytes()))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        let full_prefix = format!("{}{prefix}", self.prefix);
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&full_prefix)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(service_error)?;
            for obj in page.contents() {
                let Some(key) = obj.key() else { continue };
                let Some(rel) = key.strip_prefix(&self.prefix) else {
                    continue;
                };
                out.push(ObjectMeta {
                    key: rel.to_string(),
                    size: obj.size().unwrap_or(0).max(0) as u64,
                });
            }
        }
        // S3 lists in UTF-8 byte order already; sorting keeps the trait's promise regardless.
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let key = self.full(key)?;
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(&key)
            .send()
            .await
            .map_err(service_error)?;
        Ok(())
    }
}
