//! The lease record, in KCL vocabulary, and the pure state transitions every store applies.
//!
//! Keeping the transitions here (not in each backend) is what makes "the embedded store has
//! exactly the same semantics" checkable: a backend only has to make check-then-apply atomic.

use serde::{Deserialize, Serialize};

/// KCL sentinel text for the oldest retained record.
pub const TRIM_HORIZON: &str = "TRIM_HORIZON";
/// KCL sentinel text for "only new records".
pub const LATEST: &str = "LATEST";
/// KCL sentinel text for "from a timestamp" (the time itself is kept next to it).
pub const AT_TIMESTAMP: &str = "AT_TIMESTAMP";
/// KCL sentinel text for "the shard was read to its end".
pub const SHARD_END: &str = "SHARD_END";

/// Where a shard's processing stands: a sentinel or the last fully committed record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Checkpoint {
    /// Start from the oldest retained record (new leases, children after a reshard).
    TrimHorizon,
    /// Start from records written after the first read.
    Latest,
    /// Start from the first record that arrived at or after this Unix time in ms.
    AtTimestamp(i64),
    /// Everything up to and including this record is committed.
    Sequence {
        /// Kinesis sequence number (decimal digits).
        sequence_number: String,
        /// Index inside a KPL-aggregated record (0 when not aggregated).
        sub_sequence_number: u64,
    },
    /// The shard is closed and was read and committed to its last record.
    ShardEnd,
}

impl Checkpoint {
    /// A plain sequence-number checkpoint (no KPL sub-record).
    pub fn at(sequence_number: impl Into<String>) -> Self {
        Checkpoint::Sequence {
            sequence_number: sequence_number.into(),
            sub_sequence_number: 0,
        }
    }

    /// The text KCL stores in the `checkpoint` attribute.
    pub fn kcl_text(&self) -> &str {
        match self {
            Checkpoint::TrimHorizon => TRIM_HORIZON,
            Checkpoint::Latest => LATEST,
            Checkpoint::AtTimestamp(_) => AT_TIMESTAMP,
            Checkpoint::Sequence {
                sequence_number, ..
            } => sequence_number,
            Checkpoint::ShardEnd => SHARD_END,
        }
    }

    /// Parses KCL's `checkpoint` + `checkpointSubSequenceNumber`; `timestamp_ms` is our extra
    /// attribute for AT_TIMESTAMP (KCL keeps the time in its config instead). `None` for text
    /// that is neither a sentinel nor decimal digits.
    pub fn from_kcl(
        text: &str,
        sub_sequence_number: u64,
        timestamp_ms: Option<i64>,
    ) -> Option<Self> {
        match text {
            TRIM_HORIZON => Some(Checkpoint::TrimHorizon),
            LATEST => Some(Checkpoint::Latest),
            AT_TIMESTAMP => timestamp_ms.map(Checkpoint::AtTimestamp),
            SHARD_END => Some(Checkpoint::ShardEnd),
            s if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                Some(Checkpoint::Sequence {
                    sequence_number: s.to_string(),
                    sub_sequence_number,
                })
            }
            _ => None,
        }
    }

    /// True once the shard is finished (children may start).
    pub fn is_shard_end(&self) -> bool {
        matches!(self, Checkpoint::ShardEnd)
    }
}

/// A shard's hash-key range, inclusive on both ends (KCL `startingHashKey`/`endingHashKey`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashKeyRange {
    /// First hash key.
    pub start: u128,
    /// Last hash key.
    pub end: u128,
}

/// One row of the lease table: who processes a shard and how far it got.
///
/// DynamoDB attribute names are KCL's (`leaseKey`, `leaseOwner`, `leaseCounter`, `checkpoint`,
/// `checkpointSubSequenceNumber`, `ownerSwitchesSinceCheckpoint`, `parentShardId` — singular
/// in KCL although it is a set —, `childShardIds`, `checkpointOwner`, `pendingCheckpoint`,
/// `startingHashKey`/`endingHashKey`, `throughputKBps`) so KCL tooling can read our table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lease {
    /// The shard id (single-stream mode, as KCL).
    pub lease_key: String,
    /// The worker holding the lease; `None` when free (new, released or evicted).
    pub lease_owner: Option<String>,
    /// Heartbeat and fencing token: bumped by every take, renew and release.
    pub lease_counter: u64,
    /// Last committed position.
    pub checkpoint: Checkpoint,
    /// Takes since the last checkpoint (diagnostic: a high value means a lease ping-pongs).
    pub owner_switches_since_checkpoint: u64,
    /// Parents (one after a split, two after a merge); empty for original shards.
    pub parent_shard_ids: Vec<String>,
    /// Children, written with the SHARD_END checkpoint.
    pub child_shard_ids: Vec<String>,
    /// Graceful handoff: the old owner while `lease_owner` already names the new one.
    pub checkpoint_owner: Option<String>,
    /// A position the old owner was about to commit (two-phase checkpoint, KCL).
    pub pending_checkpoint: Option<Checkpoint>,
    /// Key of the commit manifest the checkpoint names (our extension, see docs/DESIGN.md).
    pub checkpoint_manifest: Option<String>,
    /// The shard's hash range.
    pub hash_key_range: Option<HashKeyRange>,
    /// Moving average of the shard's throughput, written at renewal.
    pub throughput_kbps: Option<f64>,
}

impl Lease {
    /// A fresh, unowned lease for a shard.
    pub fn new(lease_key: impl Into<String>, checkpoint: Checkpoint) -> Self {
        Lease {
            lease_key: lease_key.into(),
            lease_owner: None,
            lease_counter: 0,
            checkpoint,
            owner_switches_since_checkpoint: 0,
            parent_shard_ids: Vec::new(),
            child_shard_ids: Vec::new(),
            checkpoint_owner: None,
            pending_checkpoint: None,
            checkpoint_manifest: None,
            hash_key_range: None,
            throughput_kbps: None,
        }
    }

    /// The fence to present for owner-sensitive writes, if the lease is owned.
    pub fn fence(&self) -> Option<Fence> {
        self.lease_owner.as_ref().map(|owner| Fence {
            lease_key: self.lease_key.clone(),
            owner: owner.clone(),
            counter: self.lease_counter,
        })
    }

    /// True when `fence` still describes this lease (same owner, same counter).
    pub fn matches(&self, fence: &Fence) -> bool {
        self.lease_key == fence.lease_key
            && self.lease_owner.as_deref() == Some(fence.owner.as_str())
            && self.lease_counter == fence.counter
    }

    /// Take: expects `expected_owner`/`expected_counter`; new owner, counter + 1.
    pub fn apply_take(
        &self,
        expected_owner: Option<&str>,
        expected_counter: u64,
        new_owner: &str,
    ) -> Option<Lease> {
        if self.lease_owner.as_deref() != expected_owner || self.lease_counter != expected_counter {
            return None;
        }
        let mut next = self.clone();
        if self.lease_owner.as_deref() != Some(new_owner) {
            next.owner_switches_since_checkpoint += 1;
        }
        next.lease_owner = Some(new_owner.to_string());
        next.lease_counter += 1;
        // A hard take ends any handoff in progress: the new owner reads the checkpoint itself.
        next.checkpoint_owner = None;
        Some(next)
    }

    /// Renew: the heartbeat, counter + 1, only by the holder of `fence`.
    pub fn apply_renew(&self, fence: &Fence, throughput_kbps: Option<f64>) -> Option<Lease> {
        if !self.matches(fence) {
            return None;
        }
        let mut next = self.clone();
        next.lease_counter += 1;
        if throughput_kbps.is_some() {
            next.throughput_kbps = throughput_kbps;
        }
        Some(next)
    }

    /// Checkpoint: only by the holder of `fence`; the counter is not bumped, so a checkpoint
    /// never invalidates the fence the worker's renewer holds.
    pub fn apply_checkpoint(&self, fence: &Fence, update: &CheckpointUpdate) -> Option<Lease> {
        if !self.matches(fence) {
            return None;
        }
        let mut next = self.clone();
        next.checkpoint = update.checkpoint.clone();
        next.checkpoint_manifest = update.manifest.clone();
        next.pending_checkpoint = None;
        next.owner_switches_since_checkpoint = 0;
        if !update.child_shard_ids.is_empty() {
            next.child_shard_ids = update.child_shard_ids.clone();
        }
        Some(next)
    }

    /// Release (by the owner on shutdown) or evict (by an operator): owner cleared, counter
    /// + 1, so peers can take it at once without waiting for expiry.
    pub fn apply_release(&self, fence: &Fence) -> Option<Lease> {
        if !self.matches(fence) {
            return None;
        }
        let mut next = self.clone();
        next.lease_owner = None;
        next.checkpoint_owner = None;
        next.lease_counter += 1;
        Some(next)
    }
}

/// What a worker believes it holds: every owner-sensitive write is conditional on all of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    /// The lease.
    pub lease_key: String,
    /// The owner the write expects (the writer itself).
    pub owner: String,
    /// The counter the write expects.
    pub counter: u64,
}

/// A checkpoint write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointUpdate {
    /// The new position.
    pub checkpoint: Checkpoint,
    /// The commit manifest that made it durable (None for admin resets and SHARD_END of an
    /// empty tail).
    pub manifest: Option<String>,
    /// Children from `ChildShards`, written together with SHARD_END; empty otherwise.
    pub child_shard_ids: Vec<String>,
}

impl CheckpointUpdate {
    /// A plain position, no manifest, no children.
    pub fn position(checkpoint: Checkpoint) -> Self {
        CheckpointUpdate {
            checkpoint,
            manifest: None,
            child_shard_ids: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn kcl_text_round_trips() {
        let cases = [
            Checkpoint::TrimHorizon,
            Checkpoint::Latest,
            Checkpoint::AtTimestamp(1_700_000_000_000),
            Checkpoint::ShardEnd,
            Checkpoint::Sequence {
                sequence_number: "4959".into(),
                sub_sequence_number: 3,
            },
        ];
        for c in cases {
            let (sub, ts) = match &c {
                Checkpoint::Sequence {
                    sub_sequence_number,
                    ..
                } => (*sub_sequence_number, None),
                Checkpoint::AtTimestamp(t) => (0, Some(*t)),
                _ => (0, None),
            };
            assert_eq!(Checkpoint::from_kcl(c.kcl_text(), sub, ts), Some(c.clone()));
        }
        assert_eq!(Checkpoint::from_kcl("12a", 0, None), None, "not digits");
        assert_eq!(Checkpoint::from_kcl(AT_TIMESTAMP, 0, None), None, "no time");
    }

    #[test]
    fn transitions_are_fenced() {
        let l = Lease::new("s-0", Checkpoint::TrimHorizon);
        assert!(l.apply_take(Some("a"), 0, "b").is_none(), "wrong owner");
        let a = l.apply_take(None, 0, "a").unwrap();
        assert_eq!((a.lease_counter, a.owner_switches_since_checkpoint), (1, 1));
        let fence = a.fence().unwrap();
        let renewed = a.apply_renew(&fence, Some(3.5)).unwrap();
        assert_eq!(renewed.lease_counter, 2);
        let cp = CheckpointUpdate::position(Checkpoint::at("7"));
        assert!(
            renewed.apply_checkpoint(&fence, &cp).is_none(),
            "stale counter"
        );
        let done = renewed
            .apply_checkpoint(&renewed.fence().unwrap(), &cp)
            .unwrap();
        assert_eq!(done.lease_counter, 2, "checkpoint keeps the counter");
        assert_eq!(done.owner_switches_since_checkpoint, 0);
        let free = done.apply_release(&done.fence().unwrap()).unwrap();
        assert_eq!((free.lease_owner.as_deref(), free.lease_counter), (None, 3));
    }
}
