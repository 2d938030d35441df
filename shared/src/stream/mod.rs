//! The stream layer: the narrow traits every component uses to write raw events to a stream
//! and to read them back per shard, in our own types (never SDK types).
//!
//! Two backends, chosen by URL ([`StreamUrl`]): `kinesis://STREAM` (Kinesis Data Streams via the
//! AWS SDK) and `file:///DIR` (the embedded on-disk stream, the default for local runs). Both
//! follow Kinesis semantics: records are routed to shards by the MD5 of their partition key,
//! sequence numbers grow per shard, a closed shard ends with `SHARD_END` and names its children.

pub mod batching;
pub mod embedded;
pub mod hashing;
pub mod kinesis;
pub mod producer;
mod url;

pub use url::{StreamUrl, StreamUrlError};

use async_trait::async_trait;
use bytes::Bytes;
use std::sync::Arc;

/// Kinesis limit: data + partition key of one record.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;
/// Kinesis limit: records per PutRecords call.
pub const MAX_BATCH_RECORDS: usize = 500;
/// Kinesis limit: data + partition keys per PutRecords call.
pub const MAX_BATCH_BYTES: usize = 5 * 1024 * 1024;
/// Kinesis limit: partition key length in Unicode characters (we count bytes, stricter).
pub const MAX_PARTITION_KEY_BYTES: usize = 256;

/// One record to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutEntry {
    /// Routes the record to a shard (MD5 → 128-bit hash key).
    pub partition_key: String,
    /// The payload (a raw envelope for the collector).
    pub data: Bytes,
}

impl PutEntry {
    /// Bytes this entry counts against the Kinesis limits.
    pub fn billed_bytes(&self) -> usize {
        self.data.len() + self.partition_key.len()
    }
}

/// What happened to one record of a put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutResult {
    /// Durable in the stream.
    Written {
        /// Shard that took it.
        shard_id: String,
        /// Its sequence number in that shard.
        sequence_number: String,
    },
    /// Not written; `retryable` says whether sending it again may succeed.
    Failed {
        /// Backend error code (e.g. `ProvisionedThroughputExceededException`).
        code: String,
        /// Human-readable reason.
        message: String,
        /// Throttling and internal failures are retryable; a too-large record is not.
        retryable: bool,
    },
}

impl PutResult {
    /// True when the record is durable.
    pub fn is_written(&self) -> bool {
        matches!(self, PutResult::Written { .. })
    }
}

/// A shard as listed by the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shard {
    /// Shard id (`shardId-000000000000` style on both backends).
    pub shard_id: String,
    /// The shard this one was split from, or the first parent of a merge.
    pub parent_shard_id: Option<String>,
    /// The second parent of a merge.
    pub adjacent_parent_shard_id: Option<String>,
    /// First hash key (inclusive) of the shard's range.
    pub hash_key_start: u128,
    /// Last hash key (inclusive).
    pub hash_key_end: u128,
    /// First sequence number of the shard.
    pub starting_sequence_number: String,
    /// Set once the shard is closed (split or merged): no record will follow it.
    pub ending_sequence_number: Option<String>,
}

impl Shard {
    /// A closed shard can be read to its end but takes no more writes.
    pub fn is_closed(&self) -> bool {
        self.ending_sequence_number.is_some()
    }
}

/// A child of a shard that reached its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildShard {
    /// The child's id.
    pub shard_id: String,
    /// All parents of the child (two after a merge).
    pub parent_shards: Vec<String>,
    /// First hash key (inclusive).
    pub hash_key_start: u128,
    /// Last hash key (inclusive).
    pub hash_key_end: u128,
}

/// Where to start reading a shard: the five Kinesis iterator types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartPosition {
    /// The oldest record still retained.
    TrimHorizon,
    /// Only records written after the iterator is opened.
    Latest,
    /// The record with this sequence number, then on.
    AtSequenceNumber(String),
    /// The record after this sequence number (a checkpoint), then on.
    AfterSequenceNumber(String),
    /// The first record that arrived at or after this time (Unix ms).
    AtTimestamp(i64),
}

/// A position to continue reading from: opaque to callers (a shard iterator on Kinesis).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardCursor(pub String);

/// One record read from a shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRecord {
    /// Sequence number within its shard.
    pub sequence_number: String,
    /// Partition key as written.
    pub partition_key: String,
    /// Payload.
    pub data: Bytes,
    /// When the stream accepted it (Unix ms).
    pub arrival_ms: i64,
}

/// The result of one read call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReadBatch {
    /// Records in sequence order (possibly none, even before the end of the shard).
    pub records: Vec<StreamRecord>,
    /// Where to continue; `None` means the shard is closed and fully read (`SHARD_END`).
    pub next: Option<ShardCursor>,
    /// How far behind the tip of the shard this read is.
    pub millis_behind_latest: Option<i64>,
    /// Set at `SHARD_END`: the shards that continue this one.
    pub child_shards: Vec<ChildShard>,
}

impl ReadBatch {
    /// True at `SHARD_END`.
    pub fn is_shard_end(&self) -> bool {
        self.next.is_none()
    }
}

/// Errors of the stream layer.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The backend asked us to slow down (`ProvisionedThroughputExceeded`, `LimitExceeded`).
    #[error("throttled: {0}")]
    Throttled(String),
    /// A shard iterator is too old; open a new one from the last position.
    #[error("shard iterator expired")]
    ExpiredIterator,
    /// Stream or shard does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The request was wrong (a bug or bad configuration): do not retry.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// Network, 5xx, timeouts, a busy embedded database: retry with backoff.
    #[error("transient: {0}")]
    Transient(String),
    /// Anything else the backend said.
    #[error("backend: {0}")]
    Backend(String),
}

impl StreamError {
    /// Whether calling again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StreamError::Throttled(_) | StreamError::Transient(_) | StreamError::ExpiredIterator
        )
    }
}

/// Writes batches of records. One call is one PutRecords: at most [`MAX_BATCH_RECORDS`]
/// records and [`MAX_BATCH_BYTES`] bytes (see [`producer::Producer`] for splitting and retries).
#[async_trait]
pub trait StreamWriter: Send + Sync {
    /// Writes the entries; the result has one outcome per entry, in order. An `Err` means
    /// nothing is known to be written (the whole call failed).
    async fn put_batch(&self, entries: &[PutEntry]) -> Result<Vec<PutResult>, StreamError>;

    /// Cheap check that the stream exists and accepts writes (for readiness probes).
    async fn check_writable(&self) -> Result<(), StreamError>;
}

/// Reads shards.
#[async_trait]
pub trait StreamReader: Send + Sync {
    /// Every shard, open and closed (still retained), with parent links and hash ranges.
    async fn list_shards(&self) -> Result<Vec<Shard>, StreamError>;
    /// A cursor at `from` in `shard_id`.
    async fn open(&self, shard_id: &str, from: &StartPosition) -> Result<ShardCursor, StreamError>;
    /// Up to `limit` records from `cursor`.
    async fn read(&self, cursor: &ShardCursor, limit: usize) -> Result<ReadBatch, StreamError>;
}

/// Stream administration used by tests, local runs and the resharding runbook.
#[async_trait]
pub trait StreamAdmin: Send + Sync {
    /// Creates the stream with `shards` shards if it does not exist; waits until it is usable.
    async fn ensure_stream(&self, shards: u32) -> Result<(), StreamError>;
    /// Splits `shard_id` at `new_starting_hash_key` (the first key of the upper child).
    async fn split_shard(
        &self,
        shard_id: &str,
        new_starting_hash_key: u128,
    ) -> Result<(), StreamError>;
    /// Merges two adjacent shards.
    async fn merge_shards(
        &self,
        shard_id: &str,
        adjacent_shard_id: &str,
    ) -> Result<(), StreamError>;
}

/// A stream opened from a URL: writer, reader and admin of the same backend.
#[derive(Clone)]
pub struct StreamHandle {
    /// Writes.
    pub writer: Arc<dyn StreamWriter>,
    /// Reads.
    pub reader: Arc<dyn StreamReader>,
    /// Administration.
    pub admin: Arc<dyn StreamAdmin>,
}

/// Opens the backend a URL names. `kinesis://` loads the AWS default configuration (credential
/// chain, region, `AWS_ENDPOINT_URL_KINESIS`).
pub async fn open_stream(url: &StreamUrl) -> Result<StreamHandle, StreamError> {
    match url {
        StreamUrl::Kinesis { stream } => {
            let k = Arc::new(kinesis::KinesisStream::from_env(stream).await);
            Ok(StreamHandle {
                writer: k.clone(),
                reader: k.clone(),
                admin: k,
            })
        }
        StreamUrl::File {
            dir,
            shards,
            retention_hours,
            fsync,
        } => {
            let e = Arc::new(embedded::EmbeddedStream::open(dir, *shards)?);
            e.set_fsync(*fsync)?;
            e.set_retention_ms(i64::from(*retention_hours) * 3600 * 1000);
            Ok(StreamHandle {
                writer: e.clone(),
                reader: e.clone(),
                admin: e,
            })
        }
    }
}

/// Orders two decimal sequence numbers. Kinesis' are up to 128 decimal digits (more than a
/// u128 holds), so they compare by length first, then digit by digit.
pub fn compare_sequence(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::compare_sequence;
    use std::cmp::Ordering::*;

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        let big = "49656545436879183045789678425632470245493474357716402178";
        let cases = [
            ("1", "2", Less),
            ("10", "9", Greater),
            ("00000000000000000010", "9", Greater),
            (
                big,
                "49656545436879183045789678425632470245493474357716402179",
                Less,
            ),
            (big, big, Equal),
            ("99", big, Less),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare_sequence(a, b), want, "{a} vs {b}");
        }
    }
}
