//! The behaviour every stream backend must have, run against the embedded stream and against
//! kinesis-mock with the same code.

use bytes::Bytes;
use shared::stream::compare_sequence;
use shared::stream::producer::{Producer, ProducerConfig};
use shared::stream::{
    PutEntry, ShardCursor, StartPosition, StreamHandle, StreamReader, StreamRecord,
};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// Reads a shard from `from` until SHARD_END or until a read returns nothing at the tip.
pub async fn read_shard(
    reader: &dyn StreamReader,
    shard: &str,
    from: StartPosition,
) -> (Vec<StreamRecord>, bool) {
    let mut cursor: ShardCursor = reader.open(shard, &from).await.unwrap();
    let mut out = Vec::new();
    for _ in 0..10_000 {
        let batch = reader.read(&cursor, 1000).await.unwrap();
        let empty = batch.records.is_empty();
        out.extend(batch.records);
        match batch.next {
            None => return (out, true),
            Some(next) => cursor = next,
        }
        if empty && batch.millis_behind_latest.unwrap_or(0) == 0 {
            return (out, false);
        }
    }
    panic!("shard {shard} did not end or reach its tip");
}

/// Every record of the stream, by shard, following children after SHARD_END (parents first).
pub async fn read_everything(h: &StreamHandle) -> BTreeMap<String, Vec<StreamRecord>> {
    let shards = h.reader.list_shards().await.unwrap();
    let mut out = BTreeMap::new();
    for s in &shards {
        let (records, _) =
            read_shard(h.reader.as_ref(), &s.shard_id, StartPosition::TrimHorizon).await;
        out.insert(s.shard_id.clone(), records);
    }
    out
}

fn entry(key: &str, payload: String) -> PutEntry {
    PutEntry {
        partition_key: key.to_string(),
        data: Bytes::from(payload),
    }
}

fn producer(h: &StreamHandle) -> Producer {
    Producer::new(h.writer.clone(), ProducerConfig::default())
}

/// Writes `n` records with distinct keys and reads every one back, exactly once.
pub async fn write_and_read_back_across_shards(h: &StreamHandle, n: usize) {
    let entries: Vec<PutEntry> = (0..n)
        .map(|i| entry(&format!("k{i}"), format!("payload-{i}")))
        .collect();
    let results = producer(h).put_all(&entries).await;
    assert!(
        results.iter().all(|r| r.is_written()),
        "{:?}",
        results.iter().find(|r| !r.is_written())
    );
    let all = read_everything(h).await;
    let used: Vec<_> = all.iter().filter(|(_, r)| !r.is_empty()).collect();
    assert!(used.len() >= 2, "records spread over several shards");
    let mut seen = HashSet::new();
    for (shard, records) in &all {
        assert!(
            records.windows(2).all(|w| compare_sequence(
                &w[0].sequence_number,
                &w[1].sequence_number
            )
            .is_lt()),
            "sequence numbers grow in {shard}"
        );
        for r in records {
            assert!(seen.insert(r.data.clone()), "record read twice");
            assert!(r.arrival_ms > 1_600_000_000_000);
        }
    }
    for e in &entries {
        assert!(seen.contains(&e.data), "record missing");
    }
}

/// LATEST, AT/AFTER_SEQUENCE_NUMBER and AT_TIMESTAMP on one shard.
pub async fn start_positions(h: &StreamHandle) {
    let key = "same-key";
    let p = producer(h);
    let first = p
        .put_all(&[entry(key, "a".into()), entry(key, "b".into())])
        .await;
    let (shard, seq_a) = match &first[0] {
        shared::stream::PutResult::Written {
            shard_id,
            sequence_number,
        } => (shard_id.clone(), sequence_number.clone()),
        other => panic!("{other:?}"),
    };
    let reader = h.reader.as_ref();
    let latest = reader.open(&shard, &StartPosition::Latest).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    p.put_all(&[entry(key, "c".into())]).await;
    let data = |rs: &[StreamRecord]| {
        rs.iter()
            .map(|r| String::from_utf8(r.data.to_vec()).unwrap())
            .collect::<Vec<_>>()
    };
    let after_latest = reader.read(&latest, 100).await.unwrap();
    assert_eq!(
        data(&after_latest.records),
        ["c"],
        "LATEST sees only later records"
    );
    let (at, _) = read_shard(
        reader,
        &shard,
        StartPosition::AtSequenceNumber(seq_a.clone()),
    )
    .await;
    assert_eq!(
        data(&at)[..3],
        ["a", "b", "c"],
        "AT_SEQUENCE_NUMBER includes the record"
    );
    let (after, _) = read_shard(reader, &shard, StartPosition::AfterSequenceNumber(seq_a)).await;
    assert_eq!(
        data(&after)[..2],
        ["b", "c"],
        "AFTER_SEQUENCE_NUMBER skips it"
    );
    let (ts, _) = read_shard(reader, &shard, StartPosition::AtTimestamp(t)).await;
    assert_eq!(
        data(&ts),
        ["c"],
        "AT_TIMESTAMP starts at the first later arrival"
    );
}

/// Splits a shard under writes: the parent ends with SHARD_END and names its children, and
/// one key's records stay in order across parent → child.
pub async fn split_keeps_order(h: &StreamHandle) {
    let p = producer(h);
    let key = "visitor-42";
    let before: Vec<PutEntry> = (0..20).map(|i| entry(key, format!("{i:03}"))).collect();
    let r = p.put_all(&before).await;
    let shard = match &r[0] {
        shared::stream::PutResult::Written { shard_id, .. } => shard_id.clone(),
        other => panic!("{other:?}"),
    };
    let shards = h.reader.list_shards().await.unwrap();
    let s = shards.iter().find(|s| s.shard_id == shard).unwrap();
    let mid = s.hash_key_start + (s.hash_key_end - s.hash_key_start) / 2;
    h.admin.split_shard(&shard, mid).await.unwrap();
    let after: Vec<PutEntry> = (20..40).map(|i| entry(key, format!("{i:03}"))).collect();
    assert!(p.put_all(&after).await.iter().all(|r| r.is_written()));

    let shards = h.reader.list_shards().await.unwrap();
    let parent = shards.iter().find(|s| s.shard_id == shard).unwrap();
    assert!(parent.is_closed(), "the split parent is closed");
    let children: Vec<_> = shards
        .iter()
        .filter(|s| s.parent_shard_id.as_deref() == Some(&shard))
        .collect();
    assert_eq!(children.len(), 2, "two children listed with their parent");

    // Read the parent to its end, then the child that covers the key.
    let mut cursor = h
        .reader
        .open(&shard, &StartPosition::TrimHorizon)
        .await
        .unwrap();
    let mut got = Vec::new();
    let ended = loop {
        let b = h.reader.read(&cursor, 7).await.unwrap();
        got.extend(
            b.records
                .iter()
                .map(|r| String::from_utf8(r.data.to_vec()).unwrap()),
        );
        match b.next {
            Some(n) => cursor = n,
            None => break b,
        }
    };
    assert_eq!(ended.child_shards.len(), 2, "SHARD_END names the children");
    let hk = shared::stream::hashing::hash_key(key);
    let child = ended
        .child_shards
        .iter()
        .find(|c| c.hash_key_start <= hk && hk <= c.hash_key_end)
        .unwrap();
    assert_eq!(child.parent_shards, vec![shard.clone()]);
    let (rest, _) = read_shard(
        h.reader.as_ref(),
        &child.shard_id,
        StartPosition::TrimHorizon,
    )
    .await;
    got.extend(
        rest.iter()
            .map(|r| String::from_utf8(r.data.to_vec()).unwrap()),
    );
    let want: Vec<String> = (0..40).map(|i| format!("{i:03}")).collect();
    assert_eq!(got, want, "one key's records in order across the split");
}

/// Big records are split into calls of at most 5 MiB and 500 records.
pub async fn batching_limits(h: &StreamHandle, counting: Arc<super::fault::Counting>) {
    let p = Producer::new(counting.clone(), ProducerConfig::default());
    let big: Vec<PutEntry> = (0..12)
        .map(|i| entry(&format!("b{i}"), "x".repeat(900 * 1024)))
        .collect();
    assert!(p.put_all(&big).await.iter().all(|r| r.is_written()));
    let calls = counting.calls();
    assert_eq!(
        calls.iter().map(|c| c.0).collect::<Vec<_>>(),
        [5, 5, 2],
        "5 MiB per call"
    );
    assert!(calls.iter().all(|c| c.1 <= 5 * 1024 * 1024));
    counting.reset();
    let many: Vec<PutEntry> = (0..1100)
        .map(|i| entry(&format!("m{i}"), "y".into()))
        .collect();
    assert!(p.put_all(&many).await.iter().all(|r| r.is_written()));
    assert_eq!(
        counting.calls().iter().map(|c| c.0).collect::<Vec<_>>(),
        [500, 500, 100]
    );
    let too_big = entry("z", "z".repeat(1024 * 1024));
    let r = p.put_all(&[too_big]).await;
    assert!(
        matches!(
            &r[0],
            shared::stream::PutResult::Failed {
                retryable: false,
                ..
            }
        ),
        "over 1 MiB is refused up front"
    );
    let _ = h;
}
