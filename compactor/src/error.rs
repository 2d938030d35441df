//! The compactor's one error type.

use shared::object_store::StoreError;

/// Why a compaction run failed.
#[derive(Debug, thiserror::Error)]
pub enum CompactError {
    /// The object store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A Parquet file could not be read or written.
    #[error("parquet {what}: {source}")]
    Parquet {
        /// File or table involved.
        what: String,
        /// Cause.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// Arrow kernel failure (schema mismatch between input files).
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// Scratch-space I/O.
    #[error("scratch I/O on {path}: {source}")]
    Scratch {
        /// Path involved.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// An input file does not have the enriched schema.
    #[error("input {key}: {reason}")]
    BadInput {
        /// Object key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// A manifest could not be decoded.
    #[error("manifest {key}: {source}")]
    Manifest {
        /// Object key.
        key: String,
        /// Cause.
        #[source]
        source: serde_json::Error,
    },
    /// A worker thread panicked or went away.
    #[error("internal: {0}")]
    Internal(String),
}

impl CompactError {
    /// Worth retrying the whole unit (transient storage trouble).
    pub fn is_retryable(&self) -> bool {
        match self {
            CompactError::Store(e) => e.is_retryable(),
            CompactError::Scratch { .. } => true,
            _ => false,
        }
    }

    pub(crate) fn parquet(
        what: impl Into<String>,
    ) -> impl FnOnce(parquet::errors::ParquetError) -> Self {
        let what = what.into();
        move |source| CompactError::Parquet { what, source }
    }

    pub(crate) fn scratch(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| CompactError::Scratch {
            path: path.display().to_string(),
            source,
        }
    }
}
