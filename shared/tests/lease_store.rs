//! The lease-store conformance suite: every backend must give the same conditional semantics.
//! Runs on the embedded store, and on DynamoDB against moto (scripts/test.sh starts it).
#![allow(clippy::unwrap_used)]

use shared::lease::embedded::EmbeddedLeaseStore;
use shared::lease::{
    open_lease_store, Cas, Checkpoint, CheckpointUpdate, Created, HashKeyRange, Lease, LeaseStore,
};
use std::sync::Arc;

/// A lease with every optional field set, so a backend that drops one is caught.
fn full_lease(key: &str) -> Lease {
    let mut l = Lease::new(key, Checkpoint::TrimHorizon);
    l.parent_shard_ids = vec!["shardId-000000000001".into(), "shardId-000000000002".into()];
    l.hash_key_range = Some(HashKeyRange {
        start: 0,
        end: u128::MAX,
    });
    l
}

async fn take(store: &dyn LeaseStore, key: &str, worker: &str) -> Lease {
    let l = store.get(key).await.unwrap().unwrap();
    store
        .take(key, l.lease_owner.as_deref(), l.lease_counter, worker)
        .await
        .unwrap()
        .applied()
        .unwrap()
}

/// The whole suite, on any backend.
pub async fn conformance(store: Arc<dyn LeaseStore>) {
    store.ensure_table().await.unwrap();
    create_is_idempotent_and_round_trips(&*store).await;
    racing_takers_exactly_one_wins(store.clone()).await;
    renew_bumps_the_counter_and_fences(&*store).await;
    stale_counter_cannot_checkpoint(&*store).await;
    release_lets_another_take_at_once(&*store).await;
    delete_is_conditional(&*store).await;
}

async fn create_is_idempotent_and_round_trips(store: &dyn LeaseStore) {
    let l = full_lease("c-1");
    assert_eq!(store.create_if_absent(&l).await.unwrap(), Created::Created);
    let mut other = l.clone();
    other.checkpoint = Checkpoint::Latest;
    assert_eq!(
        store.create_if_absent(&other).await.unwrap(),
        Created::AlreadyExists,
        "a second create must not overwrite"
    );
    assert_eq!(
        store.get("c-1").await.unwrap(),
        Some(l),
        "every field survives"
    );
    assert!(store
        .list()
        .await
        .unwrap()
        .iter()
        .any(|x| x.lease_key == "c-1"));
    assert_eq!(store.get("absent").await.unwrap(), None);
}

async fn racing_takers_exactly_one_wins(store: Arc<dyn LeaseStore>) {
    store
        .create_if_absent(&Lease::new("race", Checkpoint::TrimHorizon))
        .await
        .unwrap();
    // Everybody saw the lease free at counter 0 and tries to take it at once.
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let s = store.clone();
            tokio::spawn(async move { s.take("race", None, 0, &format!("w{i}")).await })
        })
        .collect();
    let mut winners = Vec::new();
    for t in tasks {
        if let Cas::Applied(l) = t.await.unwrap().unwrap() {
            winners.push(*l);
        }
    }
    assert_eq!(winners.len(), 1, "exactly one taker wins");
    let stored = store.get("race").await.unwrap().unwrap();
    assert_eq!(stored, winners[0], "the winner's view is what is stored");
    assert_eq!(stored.lease_counter, 1);
}

async fn renew_bumps_the_counter_and_fences(store: &dyn LeaseStore) {
    store
        .create_if_absent(&Lease::new("renew", Checkpoint::TrimHorizon))
        .await
        .unwrap();
    let held = take(store, "renew", "a").await;
    let fence = held.fence().unwrap();
    let renewed = store
        .renew(&fence, Some(12.5))
        .await
        .unwrap()
        .applied()
        .unwrap();
    assert_eq!(renewed.lease_counter, held.lease_counter + 1, "renew bumps");
    assert_eq!(renewed.throughput_kbps, Some(12.5));
    assert_eq!(
        store.renew(&fence, None).await.unwrap(),
        Cas::Conflict,
        "the old fence is spent"
    );
    let mut wrong_owner = renewed.fence().unwrap();
    wrong_owner.owner = "b".into();
    assert_eq!(
        store.renew(&wrong_owner, None).await.unwrap(),
        Cas::Conflict
    );
}

async fn stale_counter_cannot_checkpoint(store: &dyn LeaseStore) {
    store
        .create_if_absent(&Lease::new("cp", Checkpoint::TrimHorizon))
        .await
        .unwrap();
    let zombie = take(store, "cp", "zombie").await;
    // The zombie stalls; its lease expires and "fresh" takes it over.
    let fresh = store
        .take("cp", Some("zombie"), zombie.lease_counter, "fresh")
        .await
        .unwrap()
        .applied()
        .unwrap();
    let update = CheckpointUpdate::position(Checkpoint::at("100"));
    assert_eq!(
        store
            .checkpoint(&zombie.fence().unwrap(), &update)
            .await
            .unwrap(),
        Cas::Conflict,
        "a worker that lost the lease cannot checkpoint"
    );
    let update = CheckpointUpdate {
        checkpoint: Checkpoint::ShardEnd,
        manifest: Some("_commits/cp/1".into()),
        child_shard_ids: vec!["kid".into()],
    };
    let done = store
        .checkpoint(&fresh.fence().unwrap(), &update)
        .await
        .unwrap()
        .applied()
        .unwrap();
    assert_eq!(done.checkpoint, Checkpoint::ShardEnd);
    assert_eq!(done.child_shard_ids, vec!["kid".to_string()]);
    assert_eq!(done.lease_counter, fresh.lease_counter, "no bump");
    assert_eq!(store.get("cp").await.unwrap(), Some(done));
}

async fn release_lets_another_take_at_once(store: &dyn LeaseStore) {
    store
        .create_if_absent(&Lease::new("rel", Checkpoint::TrimHorizon))
        .await
        .unwrap();
    let held = take(store, "rel", "a").await;
    let free = store
        .release(&held.fence().unwrap())
        .await
        .unwrap()
        .applied()
        .unwrap();
    assert_eq!(free.lease_owner, None);
    let b = store
        .take("rel", None, free.lease_counter, "b")
        .await
        .unwrap()
        .applied()
        .unwrap();
    assert_eq!(b.lease_owner.as_deref(), Some("b"), "taken without waiting");
    assert_eq!(
        store.release(&held.fence().unwrap()).await.unwrap(),
        Cas::Conflict,
        "a stale release cannot evict the new owner"
    );
}

async fn delete_is_conditional(store: &dyn LeaseStore) {
    store
        .create_if_absent(&Lease::new("del", Checkpoint::ShardEnd))
        .await
        .unwrap();
    assert_eq!(store.delete("del", 7).await.unwrap(), Cas::Conflict);
    assert!(matches!(
        store.delete("del", 0).await.unwrap(),
        Cas::Applied(_)
    ));
    assert_eq!(store.get("del").await.unwrap(), None);
    assert_eq!(store.delete("del", 0).await.unwrap(), Cas::Conflict);
}

#[tokio::test]
async fn embedded_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    conformance(open_lease_store(&url).await.unwrap()).await;
}

/// Two processes are two connections: racing takes across connections still give one winner
/// (spawn_blocking runs each connection on its own thread, so they really do race in SQLite).
#[tokio::test]
async fn embedded_store_is_safe_across_connections() {
    let dir = tempfile::tempdir().unwrap();
    let stores: Vec<Arc<dyn LeaseStore>> = (0..4)
        .map(|_| Arc::new(EmbeddedLeaseStore::open(dir.path()).unwrap()) as Arc<dyn LeaseStore>)
        .collect();
    for i in 0..20 {
        stores[0]
            .create_if_absent(&Lease::new(format!("s{i}"), Checkpoint::TrimHorizon))
            .await
            .unwrap();
    }
    let tasks: Vec<_> = stores
        .iter()
        .enumerate()
        .map(|(w, s)| {
            let s = s.clone();
            tokio::spawn(async move {
                let mut won = 0;
                for i in 0..20 {
                    let key = format!("s{i}");
                    if let Cas::Applied(_) = s.take(&key, None, 0, &format!("w{w}")).await.unwrap()
                    {
                        won += 1;
                    }
                }
                won
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    assert_eq!(
        total, 20,
        "every lease taken exactly once across connections"
    );
}

#[tokio::test]
async fn bad_urls_are_refused() {
    assert!(open_lease_store("s3://x").await.is_err());
    assert!(open_lease_store("dynamodb://a b").await.is_err());
}

#[tokio::test]
#[ignore = "needs moto: scripts/test.sh runs it"]
async fn dynamodb_store_conforms() {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok(),
        "needs moto: run scripts/test.sh (it starts the emulators)"
    );
    let table = format!("leases-{}", uuid::Uuid::now_v7().simple());
    conformance(
        open_lease_store(&format!("dynamodb://{table}"))
            .await
            .unwrap(),
    )
    .await;
}
