//! Commit manifests (docs/DESIGN.md §6), pure: naming, contents, and the orphan rule vacuum
//! applies. A manifest is written last, with put-if-absent, and becomes committed only when a
//! fenced checkpoint names it; the committed view of a shard is the chain of manifests linked
//! by `prev` from the lease's `checkpointManifest` (or the `_sealed` copy after cleanup).

use serde::{Deserialize, Serialize};
use shared::partition::escape_value;
use shared::stream::compare_sequence;
use std::cmp::Ordering;

/// Folder of the manifests, under the data prefix so a backfill prefix is self-contained.
pub const COMMITS: &str = "_commits";
/// Name of the copy of a finished shard's last manifest key, written before its lease is
/// deleted, so the chain outlives the lease.
pub const SEALED: &str = "_sealed";

/// What a committed object holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// Enriched Parquet.
    Data,
    /// Dead-letter JSON lines.
    Errors,
    /// Gzipped raw records (the optional archive).
    Raw,
}

/// One object of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestObject {
    /// Key in the output store.
    pub key: String,
    /// What it holds.
    pub kind: ObjectKind,
    /// Bytes.
    pub size: u64,
    /// Rows (Parquet) or lines (dead letters, raw records).
    pub rows: u64,
}

/// Record counts of a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestCounts {
    /// Read from the stream.
    pub read: u64,
    /// Enriched.
    pub ok: u64,
    /// Dropped on purpose.
    pub dropped: u64,
    /// Dead letters.
    pub failed: u64,
}

/// One committed (or, until its checkpoint, candidate) batch of one shard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version.
    pub version: u32,
    /// Shard id.
    pub shard: String,
    /// Lease epoch of the tenure that wrote it.
    pub epoch: u64,
    /// Worker id.
    pub owner: String,
    /// First sequence number of the batch.
    pub first: String,
    /// Last sequence number of the batch (the checkpoint it commits).
    pub last: String,
    /// Previous manifest of the chain, `None` for the shard's first batch (or after a reset
    /// that carried no manifest).
    pub prev: Option<String>,
    /// Wall clock at writing, epoch ms (informative).
    pub written_at_ms: i64,
    /// Counts.
    pub counts: ManifestCounts,
    /// Every object of the batch.
    pub objects: Vec<ManifestObject>,
}

/// Key of a manifest. Sequence numbers and epoch make it unique per batch and tenure, so a
/// retry of the same batch in the same tenure finds its own manifest, never another's.
pub fn manifest_key(prefix: &str, shard: &str, first: &str, last: &str, epoch: u64) -> String {
    format!(
        "{}/{first}-{last}-e{epoch}.json",
        commits_dir(prefix, shard)
    )
}

/// Folder of every shard's manifests, with a trailing `/`.
pub fn commits_root(prefix: &str) -> String {
    let p = prefix.trim_end_matches('/');
    if p.is_empty() {
        format!("{COMMITS}/")
    } else {
        format!("{p}/{COMMITS}/")
    }
}

/// Folder of one shard's manifests.
pub fn commits_dir(prefix: &str, shard: &str) -> String {
    format!("{}{}", commits_root(prefix), escape_value(shard))
}

/// Key of a finished shard's seal.
pub fn sealed_key(prefix: &str, shard: &str) -> String {
    format!("{}/{SEALED}", commits_dir(prefix, shard))
}

/// Batch position parsed back from an object's file name `<shard>-<first>-<last>-e<epoch>.<ext>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchName {
    /// Escaped shard id.
    pub shard: String,
    /// First sequence number.
    pub first: String,
    /// Last sequence number.
    pub last: String,
    /// Epoch.
    pub epoch: u64,
}

/// Parses an object key's file name; `None` for names the worker does not produce.
pub fn parse_batch_name(key: &str) -> Option<BatchName> {
    let file = key.rsplit('/').next()?;
    let stem = file.split_once('.')?.0;
    let (rest, epoch) = stem.rsplit_once("-e")?;
    let epoch = epoch.parse().ok()?;
    let (rest, last) = rest.rsplit_once('-')?;
    let (shard, first) = rest.rsplit_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(first) && digits(last) && !shard.is_empty()).then(|| BatchName {
        shard: shard.to_string(),
        first: first.to_string(),
        last: last.to_string(),
        epoch,
    })
}

/// How far a shard's committed chain reaches, as vacuum sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Committed up to and including this sequence number.
    Through(String),
    /// Finished (SHARD_END or sealed): no batch of it is in flight.
    Finished,
    /// Nothing committed yet.
    Nothing,
}

/// An object no committed manifest names is an orphan that can never become committed once
/// the shard's committed position is at or past its last record: the live owner only ever
/// writes batches that start after the checkpoint. That rule needs no clock, so vacuum never
/// races a batch in flight.
pub fn is_dead_orphan(name: &BatchName, progress: &Progress) -> bool {
    match progress {
        Progress::Finished => true,
        Progress::Nothing => false,
        Progress::Through(seq) => compare_sequence(&name.last, seq) != Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_round_trip() {
        let key = "incoming/domain_name=a/event_type=pageview/event_date=2026-11-24/shardId-000000000001-495-497-e12.parquet";
        assert_eq!(
            parse_batch_name(key),
            Some(BatchName {
                shard: "shardId-000000000001".into(),
                first: "495".into(),
                last: "497".into(),
                epoch: 12
            })
        );
        for bad in [
            "x/y.parquet",
            "a-b-c-e1.parquet",
            "s-1-2-ex.json",
            "s-1-2-e3",
        ] {
            assert_eq!(parse_batch_name(bad), None, "{bad}");
        }
        assert_eq!(
            manifest_key("incoming/", "shard-1", "5", "9", 3),
            "incoming/_commits/shard-1/5-9-e3.json"
        );
        assert_eq!(sealed_key("", "s"), "_commits/s/_sealed");
    }

    #[test]
    fn orphan_rule() {
        let name = |last: &str| parse_batch_name(&format!("p/s-100-{last}-e1.parquet")).unwrap();
        let table = [
            ("150", Progress::Nothing, false),
            ("150", Progress::Through("149".into()), false),
            ("150", Progress::Through("150".into()), true),
            ("150", Progress::Through("1000".into()), true),
            // 56-digit Kinesis sequences compare numerically, not as text.
            ("99", Progress::Through("100".into()), true),
            ("150", Progress::Finished, true),
        ];
        for (last, progress, dead) in table {
            assert_eq!(
                is_dead_orphan(&name(last), &progress),
                dead,
                "{last} {progress:?}"
            );
        }
    }
}
