//! The stream conformance suite on both backends, plus injected faults.
//! Kinesis tests need kinesis-mock (started by scripts/test.sh, which runs ignored tests too).
#![allow(clippy::unwrap_used)]

mod support;

use bytes::Bytes;
use shared::stream::producer::{Producer, ProducerConfig};
use shared::stream::{open_stream, PutEntry, StreamHandle, StreamUrl};
use std::collections::HashSet;
use support::fault::{Counting, Fault, Flaky};
use support::suite;

fn embedded(dir: &tempfile::TempDir, shards: u32) -> StreamUrl {
    format!("file://{}?shards={shards}", dir.path().display())
        .parse()
        .unwrap()
}

async fn kinesis(shards: u32) -> StreamHandle {
    assert!(
        std::env::var("AWS_ENDPOINT_URL_KINESIS").is_ok(),
        "needs kinesis-mock: run scripts/test.sh (it starts the emulators)"
    );
    let name = format!("test-{}", uuid::Uuid::now_v7().simple());
    let h = open_stream(&StreamUrl::Kinesis { stream: name })
        .await
        .unwrap();
    h.admin.ensure_stream(shards).await.unwrap();
    h
}

async fn faults_are_retried_exactly_once(h: StreamHandle) {
    let flaky = Flaky::new(
        h.writer.clone(),
        &[
            Fault::Throttle,
            Fault::FailEveryNth(3),
            Fault::ServerError,
            Fault::FailEveryNth(2),
        ],
    );
    let fast = ProducerConfig {
        max_attempts: 10,
        backoff: shared::stream::batching::Backoff {
            base: std::time::Duration::from_millis(1),
            cap: std::time::Duration::from_millis(20),
        },
    };
    let p = Producer::new(flaky.clone(), fast);
    let entries: Vec<PutEntry> = (0..300)
        .map(|i| PutEntry {
            partition_key: format!("f{i}"),
            data: Bytes::from(format!("fault-{i}")),
        })
        .collect();
    let results = p.put_all(&entries).await;
    assert!(
        results.iter().all(|r| r.is_written()),
        "every record written in the end"
    );
    assert!(
        *flaky.injected_entry_failures.lock().unwrap() > 100,
        "partial failures were injected"
    );
    let all = suite::read_everything(&h).await;
    let got: Vec<Bytes> = all.values().flatten().map(|r| r.data.clone()).collect();
    let unique: HashSet<_> = got.iter().cloned().collect();
    assert_eq!(got.len(), unique.len(), "no record written twice");
    assert_eq!(unique.len(), 300, "no record lost");
}

#[tokio::test]
async fn embedded_write_and_read_back_across_shards() {
    let dir = tempfile::tempdir().unwrap();
    let h = open_stream(&embedded(&dir, 4)).await.unwrap();
    suite::write_and_read_back_across_shards(&h, 1500).await;
}

#[tokio::test]
async fn embedded_start_positions() {
    let dir = tempfile::tempdir().unwrap();
    suite::start_positions(&open_stream(&embedded(&dir, 2)).await.unwrap()).await;
}

#[tokio::test]
async fn embedded_split_keeps_order() {
    let dir = tempfile::tempdir().unwrap();
    suite::split_keeps_order(&open_stream(&embedded(&dir, 2)).await.unwrap()).await;
}

#[tokio::test]
async fn embedded_batching_limits() {
    let dir = tempfile::tempdir().unwrap();
    let h = open_stream(&embedded(&dir, 2)).await.unwrap();
    let counting = Counting::new(h.writer.clone());
    suite::batching_limits(&h, counting).await;
}

#[tokio::test]
async fn embedded_faults_are_retried_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    faults_are_retried_exactly_once(open_stream(&embedded(&dir, 3)).await.unwrap()).await;
}

#[tokio::test]
async fn embedded_is_shared_between_handles_like_processes() {
    // Two independent opens of one directory (two connections, as two processes would have).
    let dir = tempfile::tempdir().unwrap();
    let a = open_stream(&embedded(&dir, 2)).await.unwrap();
    let b = open_stream(&embedded(&dir, 7)).await.unwrap();
    assert_eq!(
        b.reader.list_shards().await.unwrap().len(),
        2,
        "an existing stream keeps its shards"
    );
    let e = PutEntry {
        partition_key: "k".into(),
        data: Bytes::from_static(b"from-a"),
    };
    assert!(Producer::new(a.writer.clone(), ProducerConfig::default())
        .put_all(&[e])
        .await[0]
        .is_written());
    let all = suite::read_everything(&b).await;
    assert_eq!(all.values().flatten().count(), 1);
}

#[tokio::test]
#[ignore = "needs kinesis-mock: scripts/test.sh runs it"]
async fn kinesis_write_and_read_back_across_shards() {
    suite::write_and_read_back_across_shards(&kinesis(4).await, 600).await;
}

#[tokio::test]
#[ignore = "needs kinesis-mock: scripts/test.sh runs it"]
async fn kinesis_start_positions() {
    suite::start_positions(&kinesis(2).await).await;
}

#[tokio::test]
#[ignore = "needs kinesis-mock: scripts/test.sh runs it"]
async fn kinesis_split_keeps_order() {
    suite::split_keeps_order(&kinesis(2).await).await;
}

#[tokio::test]
#[ignore = "needs kinesis-mock: scripts/test.sh runs it"]
async fn kinesis_batching_limits() {
    let h = kinesis(2).await;
    let counting = Counting::new(h.writer.clone());
    suite::batching_limits(&h, counting).await;
}

#[tokio::test]
#[ignore = "needs kinesis-mock: scripts/test.sh runs it"]
async fn kinesis_faults_are_retried_exactly_once() {
    faults_are_retried_exactly_once(kinesis(3).await).await;
}

#[tokio::test]
async fn embedded_retention_moves_the_trim_horizon() {
    let dir = tempfile::tempdir().unwrap();
    let stream = shared::stream::embedded::EmbeddedStream::open(dir.path(), 2).unwrap();
    let p = Producer::new(std::sync::Arc::new(stream), ProducerConfig::default());
    let old: Vec<PutEntry> = (0..50)
        .map(|i| PutEntry {
            partition_key: format!("o{i}"),
            data: Bytes::from(format!("old-{i}")),
        })
        .collect();
    assert!(p.put_all(&old).await.iter().all(|r| r.is_written()));
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let reopened = shared::stream::embedded::EmbeddedStream::open(dir.path(), 2).unwrap();
    assert_eq!(
        reopened.trim(10).await.unwrap(),
        50,
        "records older than the retention are deleted"
    );
    let newer = PutEntry {
        partition_key: "n".into(),
        data: Bytes::from_static(b"new"),
    };
    assert!(p.put_all(&[newer]).await[0].is_written());
    let h = open_stream(&embedded(&dir, 2)).await.unwrap();
    let all: Vec<_> = suite::read_everything(&h)
        .await
        .into_values()
        .flatten()
        .collect();
    assert_eq!(
        all.len(),
        1,
        "TRIM_HORIZON now starts after the expired records"
    );
    assert_eq!(&all[0].data[..], b"new");
}
