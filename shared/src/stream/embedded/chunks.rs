//! Record storage of the embedded stream: one row ("chunk") per shard per put, naming the
//! byte range of a segment file that holds that put's records for the shard, framed (the
//! bytes themselves are in [`super::segments`]).
//!
//! Why chunks and not a row per record: SQLite's cost is per row (a B-tree insert and the WAL
//! images of ~1 KB rows), measured at 4–6 µs per record, which was most of the collector's time
//! to persist a request. A chunk costs one insert per shard per commit, and each record inside
//! is a copy into a buffer. Sequence numbers stay per record: a put gives each shard's records
//! consecutive numbers, so a chunk holds `first_seq .. first_seq + count`, and every start
//! position and cursor still names a single record.
//!
//! Frame of one record: partition key length (u16 LE), key bytes, data length (u32 LE), data.

use super::segments::Segments;
use super::{db_err, load_shards, meta_get, now_ms, seq_text, shard_name, ShardRow};
use crate::stream::hashing::hash_key;
use crate::stream::{PutEntry, PutResult, StreamError};
use bytes::Bytes;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

/// The chunk index. Clustered by (shard, first_seq), which every query names: one B-tree, whose
/// rows (seven integers) a put adds one per shard.
pub(super) const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS chunks(
        shard INTEGER NOT NULL, first_seq INTEGER NOT NULL, count INTEGER NOT NULL,
        arrival_ms INTEGER NOT NULL, seg INTEGER NOT NULL, off INTEGER NOT NULL,
        len INTEGER NOT NULL, PRIMARY KEY(shard, first_seq)) WITHOUT ROWID;";

/// The committed end of the segment files (`meta`: `seg_id`, `seg_end`), advanced by a put.
pub(super) struct Tail {
    pub(super) seg: i64,
    pub(super) end: u64,
}

impl Tail {
    pub(super) fn load(c: &Connection) -> Result<Self, StreamError> {
        Ok(Tail {
            seg: meta_get(c, "seg_id")?.unwrap_or(1),
            end: meta_get(c, "seg_end")?
                .and_then(|e| u64::try_from(e).ok())
                .unwrap_or(0),
        })
    }

    /// Where `len` bytes go: after the committed end, or at the start of a new segment once
    /// the current one would pass `segment_bytes`.
    fn reserve(&mut self, len: usize, segment_bytes: u64) -> (i64, u64) {
        if self.end > 0 && self.end + len as u64 > segment_bytes {
            self.seg += 1;
            self.end = 0;
        }
        let at = (self.seg, self.end);
        self.end += len as u64;
        at
    }

    /// Writes `frames` (`count` records from `first_seq`, one shard) and indexes them.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn append_chunk(
        &mut self,
        c: &Connection,
        segs: &Segments,
        shard: i64,
        first_seq: i64,
        count: i64,
        arrival_ms: i64,
        frames: &[u8],
    ) -> Result<(), StreamError> {
        let (seg, off) = self.reserve(frames.len(), segs.segment_bytes());
        segs.append(seg, off, frames)?;
        insert_chunk(
            c,
            shard,
            first_seq,
            count,
            arrival_ms,
            seg,
            off,
            frames.len(),
        )
    }

    pub(super) fn store(&self, c: &Connection, next_seq: Option<i64>) -> Result<(), StreamError> {
        let end = i64::try_from(self.end).map_err(|_| corrupt("segment offset"))?;
        let mut st = c
            .prepare_cached(
                "INSERT INTO meta(key, value) VALUES ('seg_id', ?1), ('seg_end', ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            )
            .map_err(db_err)?;
        st.execute([self.seg, end]).map_err(db_err)?;
        if let Some(seq) = next_seq {
            c.prepare_cached("UPDATE meta SET value = ?1 WHERE key = 'next_seq'")
                .and_then(|mut st| st.execute([seq]))
                .map_err(db_err)?;
        }
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
fn insert_chunk(
    c: &Connection,
    shard: i64,
    first_seq: i64,
    count: i64,
    arrival_ms: i64,
    seg: i64,
    off: u64,
    len: usize,
) -> Result<(), StreamError> {
    let off = i64::try_from(off).map_err(|_| corrupt("segment offset"))?;
    let len = i64::try_from(len).map_err(|_| corrupt("chunk length"))?;
    c.prepare_cached(
        "INSERT INTO chunks(shard, first_seq, count, arrival_ms, seg, off, len)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut st| st.execute(params![shard, first_seq, count, arrival_ms, seg, off, len]))
    .map_err(db_err)?;
    Ok(())
}

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
pub(super) fn encode(out: &mut Vec<u8>, key: &str, data: &[u8]) -> Result<(), StreamError> {
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

/// Appends `entries` to the open shards their keys hash to, in one transaction: the records of
/// every shard back to back in one segment write, then a chunk row per shard.
pub(super) fn put(
    c: &mut Connection,
    segs: &Segments,
    entries: &[PutEntry],
) -> Result<Vec<PutResult>, StreamError> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    put_in(tx, segs, entries)
}

/// [`put`] inside a write transaction already begun (`BEGIN IMMEDIATE`); commits it.
pub(super) fn put_in(
    tx: rusqlite::Transaction<'_>,
    segs: &Segments,
    entries: &[PutEntry],
) -> Result<Vec<PutResult>, StreamError> {
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
    let size = entries
        .iter()
        .map(|e| 6 + e.partition_key.len() + e.data.len())
        .sum();
    let mut buf = Vec::with_capacity(size);
    // (shard, first_seq, count, start in buf, length)
    let mut spans = Vec::with_capacity(open.len());
    for (shard, idx) in open.iter().zip(&members) {
        if idx.is_empty() {
            continue;
        }
        let (first, start) = (seq, buf.len());
        let name = shard_name(shard.id);
        for &i in idx {
            encode(&mut buf, &entries[i].partition_key, &entries[i].data)?;
            out[i] = Some(PutResult::Written {
                shard_id: name.clone(),
                sequence_number: seq_text(seq),
            });
            seq += 1;
        }
        spans.push((shard.id, first, idx.len() as i64, start, buf.len() - start));
    }
    let mut tail = Tail::load(&tx)?;
    let (seg, at) = tail.reserve(buf.len(), segs.segment_bytes());
    segs.append(seg, at, &buf)?;
    for (shard, first, count, start, len) in spans {
        insert_chunk(
            &tx,
            shard,
            first,
            count,
            arrival,
            seg,
            at + start as u64,
            len,
        )?;
    }
    tail.store(&tx, Some(seq))?;
    tx.commit().map_err(db_err)?;
    out.into_iter()
        .map(|r| r.ok_or_else(|| StreamError::Backend("record left unrouted".into())))
        .collect()
}

/// Up to `limit` records of `shard` from sequence number `from` on.
pub(super) fn read(
    c: &Connection,
    segs: &Segments,
    shard: i64,
    from: i64,
    limit: usize,
) -> Result<Vec<Stored>, StreamError> {
    // The chunk holding `from` (the last one starting at or before it), then those after.
    let mut st = c
        .prepare_cached(
            "SELECT first_seq, count, arrival_ms, seg, off, len FROM chunks
             WHERE shard = ?1 AND first_seq >= coalesce(
                 (SELECT max(first_seq) FROM chunks WHERE shard = ?1 AND first_seq <= ?2), ?2)
             ORDER BY first_seq",
        )
        .map_err(db_err)?;
    let mut rows = st.query(params![shard, from]).map_err(db_err)?;
    let mut out = Vec::new();
    let mut reader = segs.reader();
    while let Some(row) = rows.next().map_err(db_err)? {
        let first: i64 = row.get(0).map_err(db_err)?;
        let count: i64 = row.get(1).map_err(db_err)?;
        let arrival_ms: i64 = row.get(2).map_err(db_err)?;
        let (seg, off, len): (i64, i64, i64) = (
            row.get(3).map_err(db_err)?,
            row.get(4).map_err(db_err)?,
            row.get(5).map_err(db_err)?,
        );
        let (Ok(off), Ok(len)) = (u64::try_from(off), usize::try_from(len)) else {
            return Err(corrupt("negative offset or length"));
        };
        let bytes = reader.read(seg, off, len)?;
        let mut rest = &bytes[..];
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

/// The lowest segment a chunk still points into (retention deletes those below it); the
/// current segment when no chunk is left.
pub(super) fn oldest_segment(c: &Connection) -> Result<i64, StreamError> {
    // Per shard, its first chunk (the primary key's order): no scan of the whole index.
    let oldest: Option<i64> = c
        .query_row(
            "SELECT min((SELECT seg FROM chunks WHERE shard = shards.id
                         ORDER BY first_seq LIMIT 1)) FROM shards",
            [],
            |r| r.get(0),
        )
        .map_err(db_err)?;
    match oldest {
        Some(s) => Ok(s),
        None => Ok(Tail::load(c)?.seg),
    }
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
}
