//! The operations commands on a lake the in-process fleet wrote: `vacuum` deletes a zombie's
//! orphan but keeps committed objects and a batch that may still be in flight;
//! `dead-letters list|redrive` and `replay-raw` re-enrich into their own prefix, idempotently,
//! with the same event ids as the original run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use arrow_array::{Array, StringArray};
use common::{stop, Fleet};
use enricher::fleet::manifest::parse_batch_name;
use shared::object_store::ObjectStore;
use shared::parquet_io::decode_parquet;
use std::collections::HashSet;
use std::process::Command;
use tokio_util::sync::CancellationToken;

fn enricher(fleet: &Fleet, args: &[&str]) -> String {
    let lake = fleet.dir.path().join("lake");
    let leases = format!("file://{}", fleet.dir.path().join("leases").display());
    let out = Command::new(env!("CARGO_BIN_EXE_enricher"))
        .args(args)
        .env("ENRICHER_OUTPUT", &lake)
        .env("ENRICHER_LEASES", &leases)
        .env("ENRICHER_SALT_SECRET", "test-secret-0123456789")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "enricher {args:?}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

async fn event_ids(store: &dyn ObjectStore, prefix: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for o in store.list(prefix).await.unwrap() {
        if !o.key.ends_with(".parquet") {
            continue;
        }
        for b in decode_parquet(store.get(&o.key).await.unwrap().unwrap()).unwrap() {
            let col = b.column_by_name("event_id").unwrap();
            let a = col.as_any().downcast_ref::<StringArray>().unwrap();
            ids.extend((0..a.len()).map(|i| a.value(i).to_string()));
        }
    }
    ids.sort();
    ids
}

#[tokio::test]
async fn vacuum_redrive_and_replay() {
    let mut fleet = Fleet::new();
    let ids = fleet.write(300, 5).await;
    let token = CancellationToken::new();
    let w = fleet.worker("w1", &token);
    fleet.wait_caught_up().await;
    stop(&token, vec![w]).await;
    let store = fleet.output.clone();

    // Plant a zombie's orphan (a committed batch re-written under an older epoch) and a batch
    // past the checkpoint (as if a live owner were writing it right now).
    let committed = store.list("incoming/").await.unwrap();
    let data = committed
        .iter()
        .find(|o| o.key.ends_with(".parquet"))
        .unwrap()
        .key
        .clone();
    let n = parse_batch_name(&data).unwrap();
    let dir = data.rsplit_once('/').unwrap().0;
    let zombie = format!("{dir}/{}-{}-{}-e0.parquet", n.shard, n.first, n.last);
    let in_flight = format!(
        "{dir}/{}-{}9-{}9-e{}.parquet",
        n.shard, n.last, n.last, n.epoch
    );
    let body = store.get(&data).await.unwrap().unwrap();
    store.put(&zombie, body.clone()).await.unwrap();
    store.put(&in_flight, body).await.unwrap();
    assert_eq!(fleet.orphans().await, 2);

    let dry = enricher(&fleet, &["vacuum", "--dry-run"]);
    assert!(dry.contains(&format!("would delete {zombie}")), "{dry}");
    assert!(
        store.get(&zombie).await.unwrap().is_some(),
        "dry run deletes nothing"
    );
    let out = enricher(&fleet, &["vacuum"]);
    assert!(out.contains("orphans_deleted=1"), "{out}");
    assert!(
        store.get(&zombie).await.unwrap().is_none(),
        "zombie orphan deleted"
    );
    assert!(
        store.get(&in_flight).await.unwrap().is_some(),
        "in-flight batch kept"
    );
    store.delete(&in_flight).await.unwrap();
    let (rows, dead) = fleet.output().await;
    assert_eq!(rows.len(), 300, "committed view intact after vacuum");
    assert_eq!(dead, 5);

    // Dead letters: listed by reason, re-driven (they still fail) twice without duplicates.
    let listed = enricher(&fleet, &["dead-letters", "list"]);
    assert!(listed.contains("total 5"), "{listed}");
    for _ in 0..2 {
        let out = enricher(&fleet, &["dead-letters", "redrive"]);
        assert!(out.contains("failed: 5"), "{out}");
    }
    let redriven: usize = {
        let mut n = 0;
        for o in store.list("redrive/errors/").await.unwrap() {
            let b = store.get(&o.key).await.unwrap().unwrap();
            n += b.iter().filter(|c| **c == b'\n').count();
        }
        n
    };
    assert_eq!(redriven, 5, "a second re-drive overwrites the first");

    // Replay from the raw archive: the same events, with the same ids.
    for _ in 0..2 {
        let out = enricher(
            &fleet,
            &[
                "replay-raw",
                "--to-prefix",
                "replay/incoming",
                "--errors-to",
                "replay/errors",
            ],
        );
        assert!(out.contains("ok: 300"), "{out}");
    }
    let replayed = event_ids(&*store, "replay/incoming/").await;
    assert_eq!(
        replayed.len(),
        300,
        "idempotent: no duplicates after two replays"
    );
    assert_eq!(replayed.into_iter().collect::<HashSet<_>>(), ids);
}

#[tokio::test]
async fn bounded_backfill_stops_at_the_tip_by_itself() {
    let mut fleet = Fleet::new();
    let ids = fleet.write(200, 0).await;
    let dir = fleet.dir.path();
    let mut child = Command::new(env!("CARGO_BIN_EXE_enricher"))
        .args([
            "run",
            "--to-tip",
            "--flush-age-secs",
            "1",
            "--failover-ms",
            "600",
        ])
        .args([
            "--prefix",
            "backfill/b1/incoming",
            "--errors-prefix",
            "backfill/b1/errors",
        ])
        .arg(format!("--stream=file://{}", dir.join("stream").display()))
        .arg(format!(
            "--leases=file://{}",
            dir.join("backfill-b1").display()
        ))
        .arg(format!("--output={}", dir.join("lake").display()))
        .env("ENRICHER_SALT_SECRET", "test-secret-0123456789")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > common::DEADLINE {
            child.kill().unwrap();
            panic!("backfill did not stop by itself");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(status.success());
    let got = event_ids(&*fleet.output, "backfill/b1/incoming/").await;
    assert_eq!(got.len(), 200, "each event once");
    assert_eq!(got.into_iter().collect::<HashSet<_>>(), ids);
    assert!(
        fleet.output.list("incoming/").await.unwrap().is_empty(),
        "production prefix untouched"
    );
}
