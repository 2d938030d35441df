//! The object-store capability: put / get / list / delete of whole objects by key.
//!
//! Implementations: [`LocalStore`] (the embedded default: a directory) and [`S3Store`]
//! (aws-sdk-s3), chosen by URL with [`open_store`]. Keys are `/`-separated relative paths. Writes are atomic: a reader sees the
//! old object, the new object, or nothing — never a torn one (local: temp file, fsync, rename,
//! fsync directory; S3: PutObject semantics). `put_if_absent` exists for commit manifests,
//! which must be created exactly once (local: hard link, which fails if the name exists; S3:
//! `If-None-Match: *`).

use async_trait::async_trait;
use bytes::Bytes;
use std::sync::Arc;

/// Errors of an object store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The key is empty, absolute, or has `.`/`..`/empty segments.
    #[error("invalid object key {0:?}")]
    InvalidKey(String),
    /// Local filesystem failure.
    #[error("I/O error on {key}: {source}")]
    Io {
        /// Key involved.
        key: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The URL names no store we know.
    #[error("invalid object store URL {0:?} (want s3://BUCKET/PREFIX or file:///DIR)")]
    InvalidUrl(String),
    /// Remote service failure (S3 adapter).
    #[error("object store service error: {0}")]
    Service(String),
}

impl StoreError {
    /// Worth retrying (transient).
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Service(_) | StoreError::Io { .. })
    }
}

/// Result of a conditional create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// The object was created.
    Created,
    /// An object with that key already existed; nothing was written.
    AlreadyExists,
}

/// Listing entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Full key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
}

/// Whole-object storage.
#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// Creates or replaces `key`.
    async fn put(&self, key: &str, body: Bytes) -> Result<(), StoreError>;
    /// Creates `key` only if it does not exist.
    async fn put_if_absent(&self, key: &str, body: Bytes) -> Result<PutOutcome, StoreError>;
    /// Reads `key`; `None` when absent.
    async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError>;
    /// All keys starting with `prefix`, sorted.
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError>;
    /// Removes `key` (absent is fine).
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
}

/// Checks that a key is a plain relative path (no traversal out of the store's root).
pub fn validate_key(key: &str) -> Result<(), StoreError> {
    let bad = key.is_empty()
        || key.starts_with('/')
        || key.contains('\\')
        || key.contains('\0')
        || key
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..");
    if bad {
        Err(StoreError::InvalidKey(key.to_string()))
    } else {
        Ok(())
    }
}

mod local;
mod s3;

pub use local::LocalStore;
pub use s3::S3Store;

/// Opens the store a URL names: `s3://BUCKET[/PREFIX]` (aws-sdk-s3, default credential chain,
/// `AWS_ENDPOINT_URL_S3` honoured), `file:///DIR`, `file://REL/DIR`, or a plain directory path.
/// Keys given to the returned store are relative to the prefix/directory.
pub async fn open_store(url: &str) -> Result<Arc<dyn ObjectStore>, StoreError> {
    match StoreUrl::parse(url)? {
        StoreUrl::Local(dir) => Ok(Arc::new(LocalStore::new(dir))),
        StoreUrl::S3 { bucket, prefix } => Ok(Arc::new(S3Store::connect(&bucket, &prefix).await)),
    }
}

/// A parsed object-store URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// A local directory.
    Local(std::path::PathBuf),
    /// An S3 bucket and key prefix (no leading or trailing `/`; may be empty).
    S3 {
        /// Bucket name.
        bucket: String,
        /// Key prefix inside the bucket.
        prefix: String,
    },
}

impl StoreUrl {
    /// Parses `s3://…`, `file://…` or a bare path.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(StoreError::InvalidUrl(url.to_string()));
            }
            let prefix = prefix.trim_matches('/').to_string();
            if !prefix.is_empty() {
                validate_key(&prefix).map_err(|_| StoreError::InvalidUrl(url.to_string()))?;
            }
            return Ok(StoreUrl::S3 {
                bucket: bucket.to_string(),
                prefix,
            });
        }
        let path = url.strip_prefix("file://").unwrap_or(url);
        if path.is_empty() || url.contains("://") && !url.starts_with("file://") {
            return Err(StoreError::InvalidUrl(url.to_string()));
        }
        Ok(StoreUrl::Local(path.into()))
    }
}

#[cfg(test)]
mod url_tests {
    use super::StoreUrl;

    #[test]
    fn parses_the_three_forms() {
        let s3 = |b: &str, p: &str| StoreUrl::S3 {
            bucket: b.into(),
            prefix: p.into(),
        };
        let table: &[(&str, Option<StoreUrl>)] = &[
            ("s3://bkt", Some(s3("bkt", ""))),
            ("s3://bkt/", Some(s3("bkt", ""))),
            ("s3://bkt/cleaned/v1/", Some(s3("bkt", "cleaned/v1"))),
            ("file:///tmp/out", Some(StoreUrl::Local("/tmp/out".into()))),
            ("file://data/out", Some(StoreUrl::Local("data/out".into()))),
            ("data/out", Some(StoreUrl::Local("data/out".into()))),
            ("s3://", None),
            ("s3://bkt/a/../b", None),
            ("gs://bkt/x", None),
            ("", None),
        ];
        for (url, want) in table {
            assert_eq!(StoreUrl::parse(url).ok(), *want, "{url}");
        }
    }
}
