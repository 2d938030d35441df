//! `enricher run` end to end on the embedded backends: two in-process workers share a 4-shard
//! stream, a lease store and an output directory. Every test is bounded by a deadline.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use common::{stop, Fleet, DEADLINE};
use shared::lease::{Checkpoint, LeaseStore};
use shared::object_store::ObjectStore;
use shared::stream::{StreamAdmin, StreamReader};
use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

fn assert_path(key: &str) {
    let name = key.rsplit('/').next().unwrap();
    assert!(
        name.starts_with("shardId-")
            && name.contains("-e")
            && Path::new(name).extension().is_some(),
        "unexpected key {key}"
    );
}

#[tokio::test]
async fn two_workers_commit_every_event_exactly_once() {
    let mut fleet = Fleet::new();
    let ids = fleet.write(400, 6).await;
    let token = CancellationToken::new();
    let handles = vec![fleet.worker("w1", &token), fleet.worker("w2", &token)];
    fleet.wait_caught_up().await;
    // Balancing converges to 2/2 within a few heartbeats; wait for it so that the check below
    // does not depend on how fast the first worker drained everything.
    let started = Instant::now();
    loop {
        let owners: HashSet<String> = fleet
            .leases
            .list()
            .await
            .unwrap()
            .into_iter()
            .filter_map(|l| l.lease_owner)
            .collect();
        if owners.len() == 2 {
            break;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "leases never spread: {owners:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let summaries = stop(&token, handles).await;

    let (rows, dead) = fleet.output().await;
    let total: usize = rows.values().sum();
    let dupes: Vec<_> = rows.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dupes.is_empty(), "duplicated event ids: {dupes:?}");
    assert_eq!(rows.keys().cloned().collect::<HashSet<_>>(), ids);
    assert_eq!(total, 400, "rows = events - dead letters - dropped");
    assert_eq!(dead, 6, "every corrupt record is a dead letter");
    let committed: u64 = summaries.iter().map(|s| s.committed.ok).sum();
    assert_eq!(committed, 400, "{summaries:?}");
    assert!(
        summaries.iter().all(|s| s.leases_taken > 0),
        "both workers worked: {summaries:?}"
    );
    for o in fleet.output.list("").await.unwrap() {
        if !o.key.contains("/_commits/") {
            assert_path(&o.key);
        }
    }
    assert_eq!(fleet.orphans().await, 0, "a clean run leaves no orphans");
    for l in fleet.leases.list().await.unwrap() {
        assert_eq!(l.lease_owner, None, "released at shutdown: {l:?}");
    }
}

#[tokio::test]
async fn survivor_takes_over_a_crashed_worker() {
    let mut fleet = Fleet::new();
    let mut ids = fleet.write(200, 0).await;
    let token = CancellationToken::new();
    let crashing = CancellationToken::new();
    let w1 = fleet.worker("w1", &crashing);
    let w2 = fleet.worker("w2", &token);
    fleet.wait_caught_up().await;
    // Wait until the two workers share the shards, so the crash orphans some leases.
    let started = std::time::Instant::now();
    while !fleet
        .leases
        .list()
        .await
        .unwrap()
        .iter()
        .any(|l| l.lease_owner.as_deref() == Some("w1"))
    {
        assert!(started.elapsed() < DEADLINE, "w1 holds nothing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    w1.abort(); // a crash: no flush, no release
    let _ = w1.await;
    ids.extend(fleet.write(200, 0).await);
    fleet.wait_caught_up().await;
    let summaries = stop(&token, vec![w2]).await;

    let (rows, _) = fleet.output().await;
    assert_eq!(
        rows.keys().cloned().collect::<HashSet<_>>(),
        ids,
        "lost events"
    );
    assert!(summaries[0].leases_taken >= 2, "{summaries:?}");
    for l in fleet.leases.list().await.unwrap() {
        assert_eq!(l.lease_owner, None, "released at shutdown: {l:?}");
    }
}

#[tokio::test]
async fn split_parent_is_finished_before_its_children() {
    let mut fleet = Fleet::new();
    let mut ids = fleet.write(200, 0).await;
    let token = CancellationToken::new();
    let w1 = fleet.worker("w1", &token);
    fleet.wait_caught_up().await;
    let parent = fleet.stream.list_shards().await.unwrap()[0].clone();
    let mid = parent.hash_key_start + (parent.hash_key_end - parent.hash_key_start) / 2;
    fleet
        .stream
        .split_shard(&parent.shard_id, mid)
        .await
        .unwrap();
    ids.extend(fleet.write(200, 0).await);
    fleet.wait_caught_up().await;
    let summaries = stop(&token, vec![w1]).await;

    let (rows, _) = fleet.output().await;
    assert_eq!(
        rows.keys().cloned().collect::<HashSet<_>>(),
        ids,
        "lost events"
    );
    assert!(rows.values().all(|n| *n == 1), "duplicates");
    assert_eq!(summaries[0].shards_finished, 1, "{summaries:?}");
    let leases = fleet.leases.list().await.unwrap();
    let p = leases
        .iter()
        .find(|l| l.lease_key == parent.shard_id)
        .unwrap();
    assert_eq!(p.checkpoint, Checkpoint::ShardEnd);
    assert_eq!(p.child_shard_ids.len(), 2, "{p:?}");
    for child in &p.child_shard_ids {
        let c = leases.iter().find(|l| &l.lease_key == child).unwrap();
        assert_eq!(c.parent_shard_ids, vec![parent.shard_id.clone()]);
    }
}
