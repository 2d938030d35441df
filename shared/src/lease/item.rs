//! The DynamoDB item codec for [`Lease`]: KCL attribute names and types (docs/DESIGN.md §2.1).
//! Pure, so the mapping is unit-tested without a service.

use super::{Checkpoint, HashKeyRange, Lease, LeaseError};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

/// A DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// Number attribute.
pub fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// String attribute.
pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// Puts the checkpoint's three attributes (`prefix` = `checkpoint` or `pendingCheckpoint`).
fn put_checkpoint(item: &mut Item, prefix: &str, cp: &Checkpoint) {
    item.insert(prefix.to_string(), s(cp.kcl_text()));
    let sub = match cp {
        Checkpoint::Sequence {
            sub_sequence_number,
            ..
        } => *sub_sequence_number,
        _ => 0,
    };
    item.insert(format!("{prefix}SubSequenceNumber"), n(sub));
    if let Checkpoint::AtTimestamp(ms) = cp {
        item.insert(format!("{prefix}Timestamp"), n(ms));
    }
}

/// The full item for a new lease (attributes with no value are omitted, as KCL does; string
/// sets cannot be empty in DynamoDB anyway).
pub fn to_item(l: &Lease) -> Item {
    let mut item = Item::new();
    item.insert("leaseKey".into(), s(&l.lease_key));
    if let Some(o) = &l.lease_owner {
        item.insert("leaseOwner".into(), s(o));
    }
    item.insert("leaseCounter".into(), n(l.lease_counter));
    put_checkpoint(&mut item, "checkpoint", &l.checkpoint);
    item.insert(
        "ownerSwitchesSinceCheckpoint".into(),
        n(l.owner_switches_since_checkpoint),
    );
    if !l.parent_shard_ids.is_empty() {
        item.insert(
            "parentShardId".into(),
            AttributeValue::Ss(l.parent_shard_ids.clone()),
        );
    }
    if !l.child_shard_ids.is_empty() {
        item.insert(
            "childShardIds".into(),
            AttributeValue::Ss(l.child_shard_ids.clone()),
        );
    }
    if let Some(o) = &l.checkpoint_owner {
        item.insert("checkpointOwner".into(), s(o));
    }
    if let Some(p) = &l.pending_checkpoint {
        put_checkpoint(&mut item, "pendingCheckpoint", p);
    }
    if let Some(m) = &l.checkpoint_manifest {
        item.insert("checkpointManifest".into(), s(m));
    }
    if let Some(r) = l.hash_key_range {
        item.insert("startingHashKey".into(), s(r.start.to_string()));
        item.insert("endingHashKey".into(), s(r.end.to_string()));
    }
    if let Some(t) = l.throughput_kbps {
        item.insert("throughputKBps".into(), n(t));
    }
    item
}

struct Reader<'a> {
    key: String,
    item: &'a Item,
}

impl Reader<'_> {
    fn corrupt(&self, reason: String) -> LeaseError {
        LeaseError::Corrupt {
            key: self.key.clone(),
            reason,
        }
    }

    fn s(&self, name: &str) -> Result<Option<String>, LeaseError> {
        match self.item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(v)) => Ok(Some(v.clone())),
            Some(_) => Err(self.corrupt(format!("{name} is not a string"))),
        }
    }

    fn num<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, LeaseError> {
        match self.item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::N(v)) => v
                .parse()
                .map(Some)
                .map_err(|_| self.corrupt(format!("{name} is not a valid number: {v}"))),
            Some(_) => Err(self.corrupt(format!("{name} is not a number"))),
        }
    }

    fn ss(&self, name: &str) -> Result<Vec<String>, LeaseError> {
        match self.item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(Vec::new()),
            Some(AttributeValue::Ss(v)) => {
                let mut v = v.clone();
                // DynamoDB sets are unordered; sorted makes round trips compare equal.
                v.sort();
                Ok(v)
            }
            // KCL 1 wrote a single parent as a plain string.
            Some(AttributeValue::S(v)) => Ok(vec![v.clone()]),
            Some(_) => Err(self.corrupt(format!("{name} is not a string set"))),
        }
    }

    fn checkpoint(&self, prefix: &str) -> Result<Option<Checkpoint>, LeaseError> {
        let Some(text) = self.s(prefix)? else {
            return Ok(None);
        };
        let sub = self
            .num(&format!("{prefix}SubSequenceNumber"))?
            .unwrap_or(0);
        let ts = self.num(&format!("{prefix}Timestamp"))?;
        Checkpoint::from_kcl(&text, sub, ts)
            .map(Some)
            .ok_or_else(|| self.corrupt(format!("{prefix} {text:?} is not a checkpoint")))
    }
}

/// Decodes an item written by us or by KCL.
pub fn from_item(item: &Item) -> Result<Lease, LeaseError> {
    let key = match item.get("leaseKey") {
        Some(AttributeValue::S(k)) => k.clone(),
        _ => {
            return Err(LeaseError::Corrupt {
                key: "?".into(),
                reason: "no leaseKey".into(),
            })
        }
    };
    let r = Reader { key, item };
    let hash_key_range = match (r.s("startingHashKey")?, r.s("endingHashKey")?) {
        (Some(a), Some(b)) => Some(HashKeyRange {
            start: a
                .parse()
                .map_err(|_| r.corrupt("bad startingHashKey".into()))?,
            end: b
                .parse()
                .map_err(|_| r.corrupt("bad endingHashKey".into()))?,
        }),
        _ => None,
    };
    Ok(Lease {
        lease_key: r.key.clone(),
        lease_owner: r.s("leaseOwner")?,
        lease_counter: r.num("leaseCounter")?.unwrap_or(0),
        checkpoint: r
            .checkpoint("checkpoint")?
            .unwrap_or(Checkpoint::TrimHorizon),
        owner_switches_since_checkpoint: r.num("ownerSwitchesSinceCheckpoint")?.unwrap_or(0),
        parent_shard_ids: r.ss("parentShardId")?,
        child_shard_ids: r.ss("childShardIds")?,
        checkpoint_owner: r.s("checkpointOwner")?,
        pending_checkpoint: r.checkpoint("pendingCheckpoint")?,
        checkpoint_manifest: r.s("checkpointManifest")?,
        hash_key_range,
        throughput_kbps: r.num("throughputKBps")?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trips_with_kcl_names() {
        let mut l = Lease::new("shardId-000000000003", Checkpoint::AtTimestamp(1_700_000));
        l.lease_owner = Some("w1".into());
        l.lease_counter = 42;
        l.parent_shard_ids = vec!["a".into(), "b".into()];
        l.child_shard_ids = vec!["c".into()];
        l.pending_checkpoint = Some(Checkpoint::Sequence {
            sequence_number: "77".into(),
            sub_sequence_number: 2,
        });
        l.checkpoint_manifest = Some("_commits/x".into());
        l.hash_key_range = Some(HashKeyRange {
            start: 1,
            end: u128::MAX,
        });
        l.throughput_kbps = Some(1.5);
        let item = to_item(&l);
        for name in [
            "leaseKey",
            "leaseOwner",
            "leaseCounter",
            "checkpoint",
            "parentShardId",
        ] {
            assert!(item.contains_key(name), "KCL attribute {name}");
        }
        assert_eq!(from_item(&item).unwrap(), l);
        let bare = Lease::new("k", Checkpoint::TrimHorizon);
        assert_eq!(from_item(&to_item(&bare)).unwrap(), bare, "absent options");
    }

    #[test]
    fn reads_a_kcl_written_item() {
        let mut item = Item::new();
        item.insert("leaseKey".into(), s("shardId-1"));
        item.insert("leaseCounter".into(), n(9));
        item.insert("checkpoint".into(), s("SHARD_END"));
        item.insert("parentShardId".into(), s("shardId-0"));
        let l = from_item(&item).unwrap();
        assert_eq!(l.checkpoint, Checkpoint::ShardEnd);
        assert_eq!(l.parent_shard_ids, vec!["shardId-0".to_string()]);
        item.insert("leaseCounter".into(), s("x"));
        assert!(
            from_item(&item).is_err(),
            "wrong type is corrupt, not guessed"
        );
    }
}
