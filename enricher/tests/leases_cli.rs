//! `enricher leases show|reset` as an operator runs them: the real binary against the embedded
//! lease store (and DynamoDB on moto, ignored without it), including a reset under a running
//! `enricher run` that must fence the owner out and make the fleet re-read from the new
//! position. Every wait is bounded by a deadline.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use arrow_array::{Array, StringArray};
use shared::lease::embedded::EmbeddedLeaseStore;
use shared::lease::{open_lease_store, Cas, Checkpoint, CheckpointUpdate, Lease, LeaseStore};
use shared::object_store::{LocalStore, ObjectStore};
use shared::parquet_io::decode_parquet;
use shared::stream::embedded::EmbeddedStream;
use shared::stream::StreamWriter;
use std::collections::HashMap;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(60);

/// Runs `enricher ARGS` to completion (off the runtime thread: the CLI may wait on a lease
/// store the test also uses).
async fn enricher(args: &[String]) -> Output {
    let args = args.to_vec();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_enricher"))
            .args(&args)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Two owned leases with sequence checkpoints, as a running fleet leaves them.
async fn seed(store: &dyn LeaseStore) -> Vec<Lease> {
    let mut held = Vec::new();
    for (key, owner) in [
        ("shardId-000000000000", "w1"),
        ("shardId-000000000001", "w2"),
    ] {
        store
            .create_if_absent(&Lease::new(key, Checkpoint::TrimHorizon))
            .await
            .unwrap();
        let l = store
            .take(key, None, 0, owner)
            .await
            .unwrap()
            .applied()
            .unwrap();
        let cp = CheckpointUpdate {
            manifest: Some(format!("incoming/_commits/{key}/1-500-e1.json")),
            ..CheckpointUpdate::position(Checkpoint::at("500"))
        };
        let Cas::Applied(l) = store.checkpoint(&l.fence().unwrap(), &cp).await.unwrap() else {
            panic!("seed checkpoint")
        };
        held.push(*l);
    }
    held
}

/// The reset contract on any store: new checkpoint, lease free, the old owner fenced out.
async fn reset_contract(url: &str, store: Arc<dyn LeaseStore>) {
    let held = seed(store.as_ref()).await;
    let out = enricher(&strings(&[
        "leases",
        "--leases",
        url,
        "reset",
        "--shards",
        "shardId-000000000000",
        "--to",
        "sequence:42",
    ]))
    .await;
    assert!(out.status.success(), "{out:?}");
    let after = store.get("shardId-000000000000").await.unwrap().unwrap();
    assert_eq!(after.checkpoint, Checkpoint::at("42"));
    assert_eq!(after.lease_owner, None, "released for any worker to take");
    assert_eq!(
        after.lease_counter,
        held[0].lease_counter + 2,
        "take + release"
    );
    let stale = CheckpointUpdate::position(Checkpoint::at("900"));
    let old = store
        .checkpoint(&held[0].fence().unwrap(), &stale)
        .await
        .unwrap();
    assert_eq!(
        old,
        Cas::Conflict,
        "the previous owner can no longer checkpoint"
    );
    let untouched = store.get("shardId-000000000001").await.unwrap().unwrap();
    assert_eq!(untouched, held[1], "only the named shard moves");

    let out = enricher(&strings(&[
        "leases",
        "--leases",
        url,
        "reset",
        "--all",
        "--to",
        "at-timestamp:2026-11-24T10:00:00Z",
    ]))
    .await;
    assert!(out.status.success(), "{out:?}");
    for l in store.list().await.unwrap() {
        assert_eq!(
            l.checkpoint,
            Checkpoint::AtTimestamp(1_795_514_400_000),
            "{l:?}"
        );
        assert_eq!(l.lease_owner, None);
    }

    let out = enricher(&strings(&["leases", "--leases", url, "show", "--json"])).await;
    assert!(out.status.success(), "{out:?}");
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys: Vec<&str> = shown
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["leaseKey"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["shardId-000000000000", "shardId-000000000001"]);
    assert_eq!(shown[0]["checkpoint"], "AT_TIMESTAMP");
    assert_eq!(shown[0]["checkpointTimestampMs"], 1_795_514_400_000_i64);

    let out = enricher(&strings(&[
        "leases",
        "--leases",
        url,
        "reset",
        "--shards",
        "nope",
        "--to",
        "trim-horizon",
    ]))
    .await;
    assert!(!out.status.success(), "an unknown lease is an error");
    let out = enricher(&strings(&[
        "leases",
        "--leases",
        url,
        "reset",
        "--all",
        "--to",
        "sequence:x",
    ]))
    .await;
    assert!(
        !out.status.success(),
        "a bad position is refused before any write"
    );
}

#[tokio::test]
async fn reset_fences_and_releases_on_the_embedded_store() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", dir.path().display());
    let store = Arc::new(EmbeddedLeaseStore::open(dir.path()).unwrap());
    reset_contract(&url, store).await;
}

#[tokio::test]
#[ignore = "needs moto: scripts/test.sh runs it"]
async fn reset_fences_and_releases_on_dynamodb() {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok(),
        "needs moto: run scripts/test.sh (it starts the emulators)"
    );
    let url = format!("dynamodb://leases-cli-{}", uuid::Uuid::now_v7().simple());
    let store = open_lease_store(&url).await.unwrap();
    store.ensure_table().await.unwrap();
    reset_contract(&url, store).await;
}

/// Valid pixel envelopes into `stream`; returns how many.
async fn write_events(stream: &EmbeddedStream, n: usize) -> usize {
    let (entries, _) = common::entries(n, 0);
    for chunk in entries.chunks(500) {
        stream.put_batch(chunk).await.unwrap();
    }
    n
}

/// Event id → rows, over every Parquet object.
async fn rows_by_id(output: &LocalStore) -> HashMap<String, usize> {
    let mut rows = HashMap::new();
    // Nothing listed before the worker wrote its first object (the directory is absent).
    for o in output.list("incoming/").await.unwrap_or_default() {
        // Only finished objects: the store's temp files live next to them while written.
        if !o.key.ends_with(".parquet") {
            continue;
        }
        // A fenced-out object may be deleted between list and get.
        let Ok(Some(bytes)) = output.get(&o.key).await else {
            continue;
        };
        for batch in decode_parquet(bytes).unwrap() {
            let col = batch.column_by_name("event_id").unwrap();
            let ids = col.as_any().downcast_ref::<StringArray>().unwrap();
            for i in 0..ids.len() {
                *rows.entry(ids.value(i).to_string()).or_insert(0) += 1;
            }
        }
    }
    rows
}

async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn reset_under_a_running_worker_makes_it_re_read() {
    let dir = tempfile::tempdir().unwrap();
    let stream = EmbeddedStream::open(&dir.path().join("stream"), 2).unwrap();
    let n = write_events(&stream, 300).await;
    let leases_url = format!("file://{}", dir.path().join("leases").display());
    let store = EmbeddedLeaseStore::open(&dir.path().join("leases")).unwrap();
    let output = LocalStore::new(dir.path().join("lake"));
    let worker = Command::new(env!("CARGO_BIN_EXE_enricher"))
        .args(["run", "--worker-id", "w1", "--failover-ms", "600"])
        .args(["--flush-records", "50", "--flush-age-secs", "1"])
        .arg("--stream")
        .arg(format!("file://{}", dir.path().join("stream").display()))
        .arg("--leases")
        .arg(&leases_url)
        .arg("--output")
        .arg(dir.path().join("lake"))
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap();
    let _worker = KillOnDrop(worker);

    wait_for("the first pass", async || {
        let rows = rows_by_id(&output).await;
        rows.len() == n
    })
    .await;
    let before: Vec<Lease> = store.list().await.unwrap();
    assert!(before
        .iter()
        .all(|l| l.lease_owner.as_deref() == Some("w1")));

    let out = enricher(&strings(&[
        "leases",
        "--leases",
        &leases_url,
        "reset",
        "--all",
        "--to",
        "trim-horizon",
    ]))
    .await;
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.matches("previous owner w1 fenced").count(),
        2,
        "{text}"
    );

    // The worker re-takes the released leases (a new epoch) and writes every event again.
    wait_for("the second pass", async || {
        let rows = rows_by_id(&output).await;
        rows.len() == n && rows.values().all(|&c| c >= 2)
    })
    .await;
    let after = store.list().await.unwrap();
    for (b, a) in before.iter().zip(&after) {
        assert!(a.lease_counter > b.lease_counter + 2, "{a:?}");
    }
}

/// Kills the worker however the test ends: a panicking test must not leave it running (it
/// would also hold the test's stdout open).
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
