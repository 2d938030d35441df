//! Record storage of the embedded stream: one row ("chunk") per shard per put, holding that
//! put's records for the shard framed in one blob.
//!
//! Why chunks and not a row per record: SQLite's cost is per row (a B-tree insert and the WAL
//! images of ~1 KB rows), measured at 4–6 µs per record, which was most of the collector's time
//! to persist a request. A chunk costs one insert per shard per commit, and each record inside
//! is a copy into a buffer. Sequence numbers stay per record: a put gives each shard's records
//! consecutive numbers, so a chunk holds `first_seq .. first_seq + count`, and every start
//! position and cursor still names a single record.
//!
//! Frame of one record: partition key length (u16 LE), key bytes, data length (u32 LE), data.

use super::{db_err, load_shards, meta_get, now_ms, seq_text, shard_name, ShardRow};
use crate::stream::hashing::hash_key;
use crate::stream::{PutEntry, PutResult, StreamError};
use bytes::Bytes;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

/// Tables and index of the record store.
pub(super) const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS chunks(
        shard INTEGER NOT NULL, first_seq INTEGER NOT NULL, count INTEGER NOT NULL,
        arrival_ms INTEGER NOT NULL, data BLOB NOT NULL);
    CREATE UNIQUE INDEX IF NOT EXISTS chunks_at ON chunks(shard, first_seq, count, arrival_ms);";

/// One decoded record of a chunk.
pub(super) struct Stored {
    pub seq: i64,
    pub partition_key: String,
    pub data: Bytes,
    pub arrival_ms: i64,
}

fn corrupt(what: &str) -> StreamError {
    StreamError::Backend(format!("embedded stream: corrupt chunk ({what})"))
}

/// Appends the frame of one record.
fn encode(out: &mut Vec<u8>, key: &str, data: &[u8]) -> Result<(), StreamError> {
    let klen = u16::try_from(key.len()).map_err(|_| corrupt("partition key too long"))?;
    let dlen = u32::try_from(data.len()).map_err(|_| corrupt("record too large"))?;
    out.extend_from_slice(&klen.to_le_bytes());
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(&dlen.to_le_bytes());
    out.extend_from_slice(data);
    Ok(())
}

/// Splits one frame off `buf`: `(key, data, rest)`.
fn decode(buf: &[u8]) -> Result<(&str, &[u8], &[u8]), StreamError> {
    let (klen, rest) = buf.split_first_chunk::<2>().ok_or(corrupt("key length"))?;
    let (key, rest) = rest
        .split_at_checked(usize::from(u16::from_le_bytes(*klen)))
        .ok_or(corrupt("key"))?;
    let key = std::str::from_utf8(key).map_err(|_| corrupt("key is not UTF-8"))?;
    let (dlen, rest) = rest
        .split_first_chunk::<4>()
        .ok_or(corrupt("data length"))?;
    let dlen = usize::try_from(u32::from_le_bytes(*dlen)).map_err(|_| corrupt("data length"))?;
    let (data, rest) = rest.split_at_checked(dlen).ok_or(corrupt("data"))?;
    Ok((key, data, rest))
}

/// Appends `entries` to the open shards their keys hash to, in one transaction.
pub(super) fn put(c: &mut Connection, entries: &[PutEntry]) -> Result<Vec<PutResult>, StreamError> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    // Re-read inside the write lock: another process may have resharded.
    let open: Vec<ShardRow> = load_shards(&tx)?
        .into_iter()
        .filter(|s| s.closed_seq.is_none())
        .collect();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); open.len()];
    for (i, e) in entries.iter().enumerate() {
        let h = hash_key(&e.partition_key);
        let Some(s) = open.iter().position(|s| s.start <= h && h <= s.end) else {
            return Err(StreamError::Backend(
                "no open shard covers a hash key".into(),
            ));
        };
        members[s].push(i);
    }
    let mut seq = meta_get(&tx, "next_seq")?.unwrap_or(1);
    let arrival = now_ms();
    let mut out: Vec<Option<PutResult>> = vec![None; entries.len()];
    let mut buf = Vec::new();
    {
        let mut ins = tx
            .prepare_cached(
                "INSERT INTO chunks(shard, first_seq, count, arrival_ms, data)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(db_err)?;
        for (shard, idx) in open.iter().zip(&members) {
            if idx.is_empty() {
                continue;
            }
            buf.clear();
            let first = seq;
            let name = shard_name(shard.id);
            for &i in idx {
                encode(&mut buf, &entries[i].partition_key, &entries[i].data)?;
                out[i] = Some(PutResult::Written {
                    shard_id: name.clone(),
                    sequence_number: seq_text(seq),
                });
                seq += 1;
            }
            ins.execute(params![
                shard.id,
                first,
                idx.len() as i64,
                arrival,
                &buf[..]
            ])
            .map_err(db_err)?;
        }
    }
    tx.prepare_cached("UPDATE meta SET value = ?1 WHERE key = 'next_seq'")
        .and_then(|mut st| st.execute([seq]))
        .map_err(db_err)?;
    tx.commit().map_err(db_err)?;
    out.into_iter()
        .map(|r| r.ok_or_else(|| StreamError::Backend("record left unrouted".into())))
        .collect()
}

/// Up to `limit` records of `shard` from sequence number `from` on.
pub(super) fn read(
    c: &Connection,
    shard: i64,
    from: i64,
    limit: usize,
) -> Result<Vec<Stored>, StreamError> {
    // The chunk holding `from` (the last one starting at or before it), then those after.
    let mut st = c
        .prepare_cached(
            "SELECT first_seq, count, arrival_ms, data FROM chunks
             WHERE shard = ?1 AND first_seq >= coalesce(
                 (SELECT max(first_seq) FROM chunks WHERE shard = ?1 AND first_seq <= ?2), ?2)
             ORDER BY first_seq",
        )
        .map_err(db_err)?;
    let mut rows = st.query(params![shard, from]).map_err(db_err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(db_err)? {
        let first: i64 = row.get(0).map_err(db_err)?;
        let count: i64 = row.get(1).map_err(db_err)?;
        let arrival_ms: i64 = row.get(2).map_err(db_err)?;
        let mut rest = row
            .get_ref(3)
            .and_then(|v| v.as_blob().map_err(Into::into))
            .map_err(db_err)?;
        for seq in first..first + count {
            let (key, data, tail) = decode(rest)?;
            rest = tail;
            if seq < from {
                continue;
            }
            out.push(Stored {
                seq,
                partition_key: key.to_string(),
                data: Bytes::copy_from_slice(data),
                arrival_ms,
            });
            if out.len() >= limit {
                return Ok(out);
            }
        }
        if !rest.is_empty() {
            return Err(corrupt("more frames than its count"));
        }
    }
    Ok(out)
}

/// Sequence number and arrival of the newest record of `shard`.
pub(super) fn newest(c: &Connection, shard: i64) -> Result<Option<(i64, i64)>, StreamError> {
    c.query_row(
        "SELECT first_seq + count - 1, arrival_ms FROM chunks
         WHERE shard = ?1 ORDER BY first_seq DESC LIMIT 1",
        [shard],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
    .map_err(db_err)
}

/// First sequence number of `shard` written at or after `ms`.
pub(super) fn first_at(c: &Connection, shard: i64, ms: i64) -> Result<Option<i64>, StreamError> {
    c.query_row(
        "SELECT min(first_seq) FROM chunks WHERE shard = ?1 AND arrival_ms >= ?2",
        params![shard, ms],
        |r| r.get(0),
    )
    .map_err(db_err)
}

/// Deletes the chunks of `shard` that arrived before `cutoff` (chunks are in arrival order
/// within a shard, so this touches only what it deletes); returns the records removed.
pub(super) fn trim_shard(c: &Connection, shard: i64, cutoff: i64) -> Result<usize, StreamError> {
    const OLD: &str = "shard = ?1 AND first_seq < coalesce(
        (SELECT first_seq FROM chunks WHERE shard = ?1 AND arrival_ms >= ?2 ORDER BY first_seq LIMIT 1),
        (SELECT max(first_seq) + 1 FROM chunks WHERE shard = ?1))";
    let records: i64 = c
        .query_row(
            &format!("SELECT coalesce(sum(count), 0) FROM chunks WHERE {OLD}"),
            params![shard, cutoff],
            |r| r.get(0),
        )
        .map_err(db_err)?;
    c.execute(
        &format!("DELETE FROM chunks WHERE {OLD}"),
        params![shard, cutoff],
    )
    .map_err(db_err)?;
    Ok(usize::try_from(records).unwrap_or(0))
}

/// Moves the records of a database written by an earlier version (a row per record in
/// `records`) into chunks of one record each, so an upgrade keeps every unread event.
pub(super) fn migrate_rows(c: &mut Connection) -> Result<(), StreamError> {
    let exists: bool = c
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'records'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(db_err)?
        > 0;
    if !exists {
        return Ok(());
    }
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    {
        let mut sel = tx
            .prepare("SELECT shard, seq, pkey, data, arrival_ms FROM records ORDER BY shard, seq")
            .map_err(db_err)?;
        let mut ins = tx
            .prepare(
                "INSERT INTO chunks(shard, first_seq, count, arrival_ms, data)
                 VALUES (?1, ?2, 1, ?3, ?4)",
            )
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
            ins.execute(params![shard, seq, arrival, &buf[..]])
                .map_err(db_err)?;
        }
    }
    tx.execute_batch("DROP TABLE records").map_err(db_err)?;
    tx.commit().map_err(db_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_truncations_are_errors() {
        let mut buf = Vec::new();
        encode(&mut buf, "k1", b"hello").unwrap();
        encode(&mut buf, "", b"").unwrap();
        encode(&mut buf, "ключ", &[0u8; 300]).unwrap();
        let (k, d, rest) = decode(&buf).unwrap();
        assert_eq!((k, d), ("k1", &b"hello"[..]));
        let (k, d, rest) = decode(rest).unwrap();
        assert_eq!((k, d.len()), ("", 0));
        let (k, d, rest) = decode(rest).unwrap();
        assert_eq!((k, d.len(), rest.len()), ("ключ", 300, 0));
        // Every strict prefix of a frame is an error, never a panic or a short record.
        let mut one = Vec::new();
        encode(&mut one, "key", b"data").unwrap();
        for cut in 0..one.len() {
            assert!(decode(&one[..cut]).is_err(), "prefix {cut}");
        }
    }

    #[test]
    fn a_database_of_the_row_per_record_layout_is_migrated_without_loss() {
        let dir = tempfile::tempdir().unwrap();
        {
            let c = Connection::open(dir.path().join("stream.db")).unwrap();
            c.execute_batch(
                "CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                 CREATE TABLE shards(id INTEGER PRIMARY KEY, parent INTEGER, adjacent INTEGER,
                     hash_start TEXT NOT NULL, hash_end TEXT NOT NULL,
                     first_seq INTEGER NOT NULL, closed_seq INTEGER, closed_ms INTEGER);
                 CREATE TABLE records(shard INTEGER NOT NULL, seq INTEGER NOT NULL,
                     pkey TEXT NOT NULL, data BLOB NOT NULL, arrival_ms INTEGER NOT NULL,
                     PRIMARY KEY(shard, seq)) WITHOUT ROWID;
                 INSERT INTO meta VALUES ('next_seq', 4), ('next_shard', 1);
                 INSERT INTO shards VALUES (0, NULL, NULL, '0',
                     '340282366920938463463374607431768211455', 1, NULL, NULL);
                 INSERT INTO records VALUES (0, 1, 'a', x'01', 10), (0, 2, 'b', x'0202', 11),
                     (0, 3, 'c', x'', 12);",
            )
            .unwrap();
        }
        let stream = super::super::EmbeddedStream::open(dir.path(), 1).unwrap();
        let got = stream.conn.with(|c| read(c, 0, 2, 10)).unwrap();
        let got: Vec<_> = got
            .iter()
            .map(|r| {
                (
                    r.seq,
                    r.partition_key.as_str(),
                    r.data.to_vec(),
                    r.arrival_ms,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![(2, "b", vec![2, 2], 11), (3, "c", vec![], 12)],
            "records and their sequence numbers survive the upgrade"
        );
        let entry = PutEntry {
            partition_key: "d".into(),
            data: Bytes::from_static(b"new"),
        };
        let put = stream.conn.with(|c| put(c, &[entry])).unwrap();
        assert_eq!(
            put,
            vec![PutResult::Written {
                shard_id: shard_name(0),
                sequence_number: seq_text(4)
            }]
        );
    }
}
