//! `enricher run`'s AWS code paths end to end against the emulators: Kinesis (kinesis-mock),
//! the DynamoDB lease table and S3 output (single-threaded moto). Two workers, a SplitShard in
//! the middle, and the committed view must hold every event exactly once. scripts/test.sh
//! starts the emulators and runs this with --include-ignored.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{committed_rows, entries, stop, worker_config};
use enricher::fleet::worker::run;
use shared::lease::{open_lease_store, Checkpoint};
use shared::object_store::open_store;
use shared::stream::{open_stream, PutResult, StreamUrl};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[tokio::test]
#[ignore = "needs kinesis-mock and moto: scripts/test.sh runs it"]
async fn two_workers_on_kinesis_dynamodb_and_s3_through_a_split() {
    for var in [
        "AWS_ENDPOINT_URL_KINESIS",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_ENDPOINT_URL_S3",
    ] {
        assert!(
            std::env::var(var).is_ok(),
            "{var} unset: run scripts/test.sh"
        );
    }
    let run_id = uuid::Uuid::now_v7().simple().to_string();
    let stream = open_stream(&StreamUrl::Kinesis {
        stream: format!("clicks-{run_id}"),
    })
    .await
    .unwrap();
    stream.admin.ensure_stream(2).await.unwrap();
    let leases = open_lease_store(&format!("dynamodb://leases-{run_id}"))
        .await
        .unwrap();
    leases.ensure_table().await.unwrap();
    let s3 = shared::object_store::S3Store::client_from_env().await;
    let bucket = format!("lake-{run_id}");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let output = open_store(&format!("s3://{bucket}/cleaned")).await.unwrap();

    let write = |good, bad| {
        let w = stream.writer.clone();
        async move {
            let (es, ids) = entries(good, bad);
            for chunk in es.chunks(200) {
                for r in w.put_batch(chunk).await.unwrap() {
                    assert!(matches!(r, PutResult::Written { .. }), "{r:?}");
                }
            }
            ids
        }
    };
    let mut ids = write(150, 4).await;
    let token = CancellationToken::new();
    let handles: Vec<_> = ["w1", "w2"]
        .into_iter()
        .map(|id| {
            let cfg = worker_config(id, stream.reader.clone(), leases.clone(), output.clone());
            let t = token.clone();
            tokio::spawn(async move { run(cfg, t).await.unwrap() })
        })
        .collect();

    // Split the first shard once the workers have started committing.
    let started = Instant::now();
    loop {
        let committed = leases
            .list()
            .await
            .unwrap()
            .iter()
            .any(|l| matches!(l.checkpoint, Checkpoint::Sequence { .. }));
        if committed {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "nothing committed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let shards = stream.reader.list_shards().await.unwrap();
    let s = &shards[0];
    let mid = s.hash_key_start + (s.hash_key_end - s.hash_key_start) / 2;
    stream.admin.split_shard(&s.shard_id, mid).await.unwrap();
    ids.extend(write(150, 2).await);

    // Everything committed: all written events in the committed view.
    let started = Instant::now();
    let (rows, dead) = loop {
        let (rows, dead) = committed_rows(&*output, &*leases).await;
        if rows.len() >= ids.len() && dead >= 6 {
            break (rows, dead);
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "only {} of {} events committed",
            rows.len(),
            ids.len()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let summaries = stop(&token, handles).await;
    assert_eq!(rows.keys().cloned().collect::<HashSet<_>>(), ids);
    assert!(rows.values().all(|n| *n == 1), "an event committed twice");
    assert_eq!(dead, 6);
    let finished: u64 = summaries.iter().map(|s| s.shards_finished).sum();
    assert_eq!(
        finished, 1,
        "the split parent was read to SHARD_END: {summaries:?}"
    );
    let l = leases.list().await.unwrap();
    assert!(l.len() >= 3, "child leases created: {l:?}");
}
