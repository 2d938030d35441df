//! Reading the committed view (docs/DESIGN.md §6): for every shard, the chain of manifests
//! linked by `prev` from the lease's `checkpointManifest`, or from the `_sealed` copy once a
//! finished lease was cleaned up. Used by vacuum, the admin commands and the tests.

use super::manifest::{commits_root, Manifest, SEALED};
use shared::lease::LeaseStore;
use shared::object_store::ObjectStore;
use std::collections::{BTreeMap, BTreeSet};

/// Every committed manifest, per shard, newest first.
pub async fn committed_manifests(
    store: &dyn ObjectStore,
    leases: &dyn LeaseStore,
    prefix: &str,
) -> anyhow::Result<BTreeMap<String, Vec<Manifest>>> {
    let mut heads: BTreeMap<String, String> = BTreeMap::new();
    for l in leases.list().await? {
        if let Some(m) = l.checkpoint_manifest {
            heads.insert(l.lease_key, m);
        }
    }
    // Seals of shards whose lease is gone.
    for o in store.list(&commits_root(prefix)).await? {
        if !o.key.ends_with(&format!("/{SEALED}")) {
            continue;
        }
        let Some(head) = store.get(&o.key).await? else {
            continue;
        };
        let head = String::from_utf8(head.to_vec())?;
        if let Some(m) = read(store, &head).await? {
            heads.entry(m.shard.clone()).or_insert(head);
        }
    }
    let mut out = BTreeMap::new();
    for (shard, head) in heads {
        let mut chain = Vec::new();
        let mut seen = BTreeSet::new();
        let mut next = Some(head);
        while let Some(key) = next {
            anyhow::ensure!(seen.insert(key.clone()), "manifest cycle at {key}");
            let m = read(store, &key)
                .await?
                .ok_or_else(|| anyhow::anyhow!("committed manifest {key} is missing"))?;
            next = m.prev.clone();
            chain.push(m);
        }
        out.insert(shard, chain);
    }
    Ok(out)
}

async fn read(store: &dyn ObjectStore, key: &str) -> anyhow::Result<Option<Manifest>> {
    match store.get(key).await? {
        Some(b) => Ok(Some(serde_json::from_slice(&b)?)),
        None => Ok(None),
    }
}
