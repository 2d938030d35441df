//! The lease store: who processes which shard, and how far it got, with compare-and-swap
//! semantics on owner and counter (the fencing token). See docs/DESIGN.md for the protocol.
//!
//! Backends: the embedded SQLite store (`file:///DIR` → `DIR/leases.db`) and DynamoDB
//! (`dynamodb://TABLE`, KCL-compatible attribute names). Both implement the same transitions
//! as [`model`] (the embedded store by calling them, DynamoDB as conditional `UpdateItem`s), and
//! one conformance suite (shared/tests/lease_store.rs) runs on both.
//!
//! "Someone else holds it now" is an expected outcome ([`Cas::Conflict`]), not an error.

pub mod dynamodb;
pub mod embedded;
mod item;
pub mod model;

pub use model::{Checkpoint, CheckpointUpdate, Fence, HashKeyRange, Lease};

use async_trait::async_trait;

/// Failures of a lease store (never "lost the lease": that is [`Cas::Conflict`]).
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    /// The table or lease does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// Throttling (DynamoDB `ProvisionedThroughputExceeded`, `RequestLimitExceeded`).
    #[error("throttled: {0}")]
    Throttled(String),
    /// Network, 5xx, a busy embedded database: retry with backoff.
    #[error("transient: {0}")]
    Transient(String),
    /// A stored item we cannot read (hand-edited, or written by something else).
    #[error("corrupt lease {key}: {reason}")]
    Corrupt {
        /// The lease key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// Anything else the backend said.
    #[error("backend: {0}")]
    Backend(String),
}

impl LeaseError {
    /// Whether calling again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, LeaseError::Throttled(_) | LeaseError::Transient(_))
    }
}

/// Result of a conditional write.
#[derive(Debug, Clone, PartialEq)]
#[must_use = "a Conflict means the lease is no longer ours"]
pub enum Cas {
    /// The condition held; this is the lease as stored now (boxed: `Conflict` is the small,
    /// frequent case in a fleet).
    Applied(Box<Lease>),
    /// Owner or counter differed from what the caller expected (or the lease is gone).
    Conflict,
}

impl Cas {
    /// The stored lease when applied.
    pub fn applied(self) -> Option<Lease> {
        match self {
            Cas::Applied(l) => Some(*l),
            Cas::Conflict => None,
        }
    }
}

/// Result of [`LeaseStore::create_if_absent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// The lease was created.
    Created,
    /// A lease with that key existed; it was left untouched.
    AlreadyExists,
}

/// The lease table. Every owner-sensitive write is conditional on owner **and** counter.
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Creates the table if absent (DynamoDB: PAY_PER_REQUEST; embedded: the schema).
    async fn ensure_table(&self) -> Result<(), LeaseError>;
    /// Every lease (a consistent read: balancing decisions need the latest counters).
    async fn list(&self) -> Result<Vec<Lease>, LeaseError>;
    /// One lease, if present.
    async fn get(&self, lease_key: &str) -> Result<Option<Lease>, LeaseError>;
    /// Creates `lease` unless its key exists (shard discovery races between workers).
    async fn create_if_absent(&self, lease: &Lease) -> Result<Created, LeaseError>;
    /// Takes a lease: applied only if owner and counter are still `expected_*` (`None` owner
    /// = free). Sets the owner to `new_owner` and bumps the counter.
    async fn take(
        &self,
        lease_key: &str,
        expected_owner: Option<&str>,
        expected_counter: u64,
        new_owner: &str,
    ) -> Result<Cas, LeaseError>;
    /// Heartbeat: bumps the counter, optionally records throughput.
    async fn renew(&self, fence: &Fence, throughput_kbps: Option<f64>) -> Result<Cas, LeaseError>;
    /// Writes a checkpoint while `fence` still holds (the counter is not bumped).
    async fn checkpoint(&self, fence: &Fence, update: &CheckpointUpdate)
        -> Result<Cas, LeaseError>;
    /// Clears the owner (graceful release, or operator eviction with the owner's fence).
    async fn release(&self, fence: &Fence) -> Result<Cas, LeaseError>;
    /// Deletes a lease if its counter is still `expected_counter` (cleanup after resharding).
    async fn delete(&self, lease_key: &str, expected_counter: u64) -> Result<Cas, LeaseError>;
}

/// Opens the lease store a URL names: `file:///DIR` → `DIR/leases.db`, `dynamodb://TABLE`
/// (AWS default configuration; the table is not created here: call
/// [`LeaseStore::ensure_table`] when the operator asked for it).
pub async fn open_lease_store(url: &str) -> Result<std::sync::Arc<dyn LeaseStore>, LeaseError> {
    if let Some(dir) = url.strip_prefix("file://").filter(|d| !d.is_empty()) {
        let dir = dir.split_once('?').map_or(dir, |(d, _)| d);
        return Ok(std::sync::Arc::new(embedded::EmbeddedLeaseStore::open(
            std::path::Path::new(dir),
        )?));
    }
    if let Some(table) = url.strip_prefix("dynamodb://") {
        let table = table.trim_end_matches('/');
        // AWS: 3–255 characters of [a-zA-Z0-9_.-].
        let valid = (3..=255).contains(&table.len())
            && table
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !valid {
            return Err(LeaseError::Backend(format!(
                "bad lease table name in {url:?}: 3-255 of [a-zA-Z0-9_.-]"
            )));
        }
        return Ok(std::sync::Arc::new(
            dynamodb::DynamoLeaseStore::from_env(table).await,
        ));
    }
    Err(LeaseError::Backend(format!(
        "unsupported lease store URL {url:?}: expected file:///DIR or dynamodb://TABLE"
    )))
}
