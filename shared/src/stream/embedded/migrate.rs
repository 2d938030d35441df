//! Upgrades of the embedded stream's on-disk layout, run when a stream is opened.

use super::chunks::{encode, Tail, SCHEMA};
use super::db_err;
use super::segments::Segments;
use crate::stream::StreamError;
use rusqlite::{Connection, TransactionBehavior};

/// Brings a database of an earlier layout to this one, in one write transaction, keeping every
/// unread record and its sequence number: chunks whose blob was inside SQLite (`chunks.data`,
/// before 2026-11-24 late) and the first layout's row per record (`records`) move into
/// segments. Creates the chunk table of a new stream.
pub(super) fn migrate(c: &mut Connection, segs: &Segments) -> Result<(), StreamError> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let exists = |sql: &str| -> Result<bool, StreamError> {
        tx.query_row(sql, [], |r| r.get::<_, i64>(0))
            .map(|n| n > 0)
            .map_err(db_err)
    };
    let blob_chunks =
        exists("SELECT count(*) FROM pragma_table_info('chunks') WHERE name = 'data'")?;
    let rows =
        exists("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'records'")?;
    if blob_chunks {
        tx.execute_batch(
            "DROP INDEX IF EXISTS chunks_at; ALTER TABLE chunks RENAME TO chunks_blob;",
        )
        .map_err(db_err)?;
    }
    tx.execute_batch(SCHEMA).map_err(db_err)?;
    let mut tail = Tail::load(&tx)?;
    if blob_chunks {
        let mut sel = tx
            .prepare("SELECT shard, first_seq, count, arrival_ms, data FROM chunks_blob ORDER BY shard, first_seq")
            .map_err(db_err)?;
        let mut rows = sel.query([]).map_err(db_err)?;
        while let Some(r) = rows.next().map_err(db_err)? {
            let (shard, first, count, arrival): (i64, i64, i64, i64) = (
                r.get(0).map_err(db_err)?,
                r.get(1).map_err(db_err)?,
                r.get(2).map_err(db_err)?,
                r.get(3).map_err(db_err)?,
            );
            let data = r
                .get_ref(4)
                .and_then(|v| v.as_blob().map_err(Into::into))
                .map_err(db_err)?;
            tail.append_chunk(&tx, segs, shard, first, count, arrival, data)?;
        }
        drop(rows);
        drop(sel);
        tx.execute_batch("DROP TABLE chunks_blob").map_err(db_err)?;
    }
    if rows {
        let mut sel = tx
            .prepare("SELECT shard, seq, pkey, data, arrival_ms FROM records ORDER BY shard, seq")
            .map_err(db_err)?;
        let mut rows = sel.query([]).map_err(db_err)?;
        let mut buf = Vec::new();
        while let Some(r) = rows.next().map_err(db_err)? {
            let (shard, seq, arrival): (i64, i64, i64) = (
                r.get(0).map_err(db_err)?,
                r.get(1).map_err(db_err)?,
                r.get(4).map_err(db_err)?,
            );
            let key: String = r.get(2).map_err(db_err)?;
            let data: Vec<u8> = r.get(3).map_err(db_err)?;
            buf.clear();
            encode(&mut buf, &key, &data)?;
            tail.append_chunk(&tx, segs, shard, seq, 1, arrival, &buf)?;
        }
        drop(rows);
        drop(sel);
        tx.execute_batch("DROP TABLE records").map_err(db_err)?;
    }
    tail.store(&tx, None)?;
    tx.commit().map_err(db_err)
}

#[cfg(test)]
mod tests {
    use super::super::chunks::{put, read};
    use super::super::{seq_text, shard_name, EmbeddedStream};
    use crate::stream::{PutEntry, PutResult};
    use bytes::Bytes;
    use rusqlite::Connection;

    /// A database of an earlier version: one shard, `next_seq` 4, and `tables` (the layout
    /// under test, with its records).
    fn old_database(dir: &std::path::Path, tables: &str) -> Connection {
        let c = Connection::open(dir.join("stream.db")).unwrap();
        c.execute_batch(&format!(
            "CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
             CREATE TABLE shards(id INTEGER PRIMARY KEY, parent INTEGER, adjacent INTEGER,
                 hash_start TEXT NOT NULL, hash_end TEXT NOT NULL,
                 first_seq INTEGER NOT NULL, closed_seq INTEGER, closed_ms INTEGER);
             INSERT INTO meta VALUES ('next_seq', 4), ('next_shard', 1);
             INSERT INTO shards VALUES (0, NULL, NULL, '0',
                 '340282366920938463463374607431768211455', 1, NULL, NULL);
             {tables}"
        ))
        .unwrap();
        c
    }

    /// Records of shard 0 from `from` on, as (seq, key, data, arrival).
    fn records(stream: &EmbeddedStream, from: i64) -> Vec<(i64, String, Vec<u8>, i64)> {
        let got = stream
            .conn
            .with(|c| read(c, &stream.segments, 0, from, 10))
            .unwrap();
        got.iter()
            .map(|r| {
                (
                    r.seq,
                    r.partition_key.clone(),
                    r.data.to_vec(),
                    r.arrival_ms,
                )
            })
            .collect()
    }

    /// A put after the upgrade continues the sequence at 4.
    fn put_continues_the_sequence(stream: &EmbeddedStream) {
        let entry = PutEntry {
            partition_key: "d".into(),
            data: Bytes::from_static(b"new"),
        };
        let put = stream
            .conn
            .with(|c| put(c, &stream.segments, &[entry]))
            .unwrap();
        assert_eq!(
            put,
            vec![PutResult::Written {
                shard_id: shard_name(0),
                sequence_number: seq_text(4)
            }]
        );
    }

    #[test]
    fn a_database_of_the_row_per_record_layout_is_migrated_without_loss() {
        let dir = tempfile::tempdir().unwrap();
        old_database(
            dir.path(),
            "CREATE TABLE records(shard INTEGER NOT NULL, seq INTEGER NOT NULL,
                 pkey TEXT NOT NULL, data BLOB NOT NULL, arrival_ms INTEGER NOT NULL,
                 PRIMARY KEY(shard, seq)) WITHOUT ROWID;
             INSERT INTO records VALUES (0, 1, 'a', x'01', 10), (0, 2, 'b', x'0202', 11),
                 (0, 3, 'c', x'', 12);",
        );
        let stream = EmbeddedStream::open(dir.path(), 1).unwrap();
        assert_eq!(
            records(&stream, 2),
            vec![(2, "b".into(), vec![2, 2], 11), (3, "c".into(), vec![], 12)],
            "records and their sequence numbers survive the upgrade"
        );
        put_continues_the_sequence(&stream);
    }

    #[test]
    fn a_database_with_blobs_in_its_chunks_is_migrated_without_loss() {
        let dir = tempfile::tempdir().unwrap();
        let c = old_database(
            dir.path(),
            "CREATE TABLE chunks(shard INTEGER NOT NULL, first_seq INTEGER NOT NULL,
                 count INTEGER NOT NULL, arrival_ms INTEGER NOT NULL, data BLOB NOT NULL);
             CREATE UNIQUE INDEX chunks_at ON chunks(shard, first_seq, count, arrival_ms);",
        );
        // Two chunks, as the previous version wrote them: records 1–2, then record 3.
        let (mut one, mut two) = (Vec::new(), Vec::new());
        super::encode(&mut one, "a", b"first").unwrap();
        super::encode(&mut one, "b", b"second").unwrap();
        super::encode(&mut two, "c", b"third").unwrap();
        c.execute(
            "INSERT INTO chunks VALUES (0, 1, 2, 10, ?1), (0, 3, 1, 11, ?2)",
            rusqlite::params![one, two],
        )
        .unwrap();
        drop(c);
        let stream = EmbeddedStream::open(dir.path(), 1).unwrap();
        assert_eq!(
            records(&stream, 1),
            vec![
                (1, "a".into(), b"first".to_vec(), 10),
                (2, "b".into(), b"second".to_vec(), 10),
                (3, "c".into(), b"third".to_vec(), 11)
            ]
        );
        put_continues_the_sequence(&stream);
        drop(stream);
        // Opening again finds nothing left to migrate and keeps all four records.
        let stream = EmbeddedStream::open(dir.path(), 1).unwrap();
        assert_eq!(records(&stream, 1).len(), 4);
    }
}
