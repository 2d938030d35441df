//! The embedded stream: Kinesis semantics in a SQLite database on local disk, with the record
//! bytes in append-only segment files beside it.
//!
//! Why SQLite (rusqlite, bundled): it gives multi-process safety for free (a collector process
//! writes while enricher processes read; WAL mode lets readers run during a write), atomic
//! multi-record appends, crash safety, and an index for the five start positions, in a
//! library that is among the most tested in existence. The segment files borrow all of that:
//! they are appended only inside SQLite's write transaction and read only through its
//! committed rows, so they need no locking or recovery of their own.
//!
//! Layout: `shards` (id, parents, hash range, closing sequence number) and `chunks` (the
//! records of one put for one shard: a byte range of an append-only segment file beside the
//! database; see `chunks` and `segments` for why the bytes left SQLite). Sequence numbers
//! come from one counter per stream, so they grow within a shard and children's numbers follow
//! their parents'.
//! Durability: with `sync=full` a write is fsynced (segment, then WAL) before it is acknowledged; by default
//! (`synchronous=NORMAL` in WAL mode) it is in the operating system's page cache, so it survives
//! a crash or kill -9 of the writing process but not a power loss of the machine.

mod checkpoint;
mod chunks;
mod migrate;
mod read;
mod segments;
mod write;

use super::hashing::even_ranges;
use super::{ReadBatch, Shard, ShardCursor, StartPosition, StreamAdmin, StreamError, StreamReader};
use crate::sqlite_conn::{open_wal_paged, SharedConn};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Default retention, as Kinesis: 24 hours.
pub const DEFAULT_RETENTION_MS: i64 = 24 * 3600 * 1000;
/// Width of printed sequence numbers: zero-padded so they also sort as strings.
const SEQ_WIDTH: usize = 20;

fn seq_text(seq: i64) -> String {
    format!("{seq:0width$}", width = SEQ_WIDTH)
}

fn shard_name(id: i64) -> String {
    format!("shardId-{id:012}")
}

fn shard_number(name: &str) -> Result<i64, StreamError> {
    name.strip_prefix("shardId-")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| StreamError::NotFound(format!("shard {name}")))
}

fn parse_seq(s: &str) -> Result<i64, StreamError> {
    s.parse()
        .map_err(|_| StreamError::Invalid(format!("bad sequence number {s:?}")))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn db_err(e: rusqlite::Error) -> StreamError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            StreamError::Transient(e.to_string())
        }
        _ => StreamError::Backend(format!("embedded stream: {e}")),
    }
}

/// A shard row.
#[derive(Debug, Clone)]
struct ShardRow {
    id: i64,
    parent: Option<i64>,
    adjacent: Option<i64>,
    start: u128,
    end: u128,
    first_seq: i64,
    closed_seq: Option<i64>,
}

/// The embedded stream in `DIR/stream.db`.
pub struct EmbeddedStream {
    conn: SharedConn,
    path: PathBuf,
    retention_ms: std::sync::atomic::AtomicI64,
    /// Unix ms of the last retention pass (one per minute at most, done by writers).
    last_trim_ms: Arc<std::sync::atomic::AtomicI64>,
    /// Puts committed; the background checkpoint thread (started by the first put) follows it.
    commits: Arc<checkpoint::Commits>,
    checkpointer: std::sync::Once,
    segments: Arc<segments::Segments>,
}

impl EmbeddedStream {
    /// Opens (creating if needed, with `shards` shards) the stream in `dir`.
    pub fn open(dir: &Path, shards: u32) -> Result<Self, StreamError> {
        // 1 KiB pages: since the record bytes moved to segments, a commit's WAL images are the
        // index leaves (one per shard written), `meta` and the header page, ~30-byte rows in
        // each; at 4 KiB pages those images were most of what a put wrote (+4.5 % req/s
        // measured, BENCHMARKS.md 2026-11-24 late). Existing streams keep their page size.
        let (path, conn) = open_wal_paged(dir, "stream.db", "NORMAL", Some(1024), db_err)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS shards(
                 id INTEGER PRIMARY KEY, parent INTEGER, adjacent INTEGER,
                 hash_start TEXT NOT NULL, hash_end TEXT NOT NULL,
                 first_seq INTEGER NOT NULL, closed_seq INTEGER, closed_ms INTEGER);",
        )
        .map_err(db_err)?;
        conn.pragma_update(
            None,
            "wal_autocheckpoint",
            checkpoint::WRITER_AUTOCHECKPOINT_PAGES,
        )
        .map_err(db_err)?;
        let segments = Arc::new(segments::Segments::open(dir)?);
        let mut conn = conn;
        migrate::migrate(&mut conn, &segments)?;
        let stream = EmbeddedStream {
            conn: SharedConn::new(conn, "embedded stream"),
            path,
            retention_ms: std::sync::atomic::AtomicI64::new(DEFAULT_RETENTION_MS),
            last_trim_ms: Arc::new(std::sync::atomic::AtomicI64::new(now_ms())),
            commits: Arc::default(),
            checkpointer: std::sync::Once::new(),
            segments,
        };
        stream.conn.with(|c| create_if_empty(c, shards))?;
        Ok(stream)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `true`: fsync every commit before acknowledging it (`PRAGMA synchronous=FULL`).
    pub fn set_fsync(&self, fsync: bool) -> Result<(), StreamError> {
        let mode = if fsync { "FULL" } else { "NORMAL" };
        self.segments.set_fsync(fsync);
        self.conn
            .with(|c| c.pragma_update(None, "synchronous", mode).map_err(db_err))
    }

    /// Sets the retention period writers enforce.
    pub fn set_retention_ms(&self, ms: i64) {
        self.retention_ms
            .store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    /// Deletes records older than `retention_ms` and fully drained closed shards; returns the
    /// number of records removed. Writers call it once a minute with the configured retention
    /// (as Kinesis expires records on its own); tests call it directly.
    pub async fn trim(&self, retention_ms: i64) -> Result<usize, StreamError> {
        let segs = self.segments.clone();
        self.conn
            .blocking(move |c| trim(c, &segs, now_ms() - retention_ms))
            .await
    }
}

fn trim(c: &Connection, segs: &segments::Segments, cutoff: i64) -> Result<usize, StreamError> {
    let mut removed = 0;
    for s in load_shards(c)? {
        removed += chunks::trim_shard(c, s.id, cutoff)?;
    }
    c.execute(
        "DELETE FROM shards WHERE closed_ms < ?1
           AND NOT EXISTS (SELECT 1 FROM chunks r WHERE r.shard = shards.id)",
        [cutoff],
    )
    .map_err(db_err)?;
    segs.remove_below(chunks::oldest_segment(c)?)?;
    Ok(removed)
}

/// Cached statement: every put reads `next_seq` (compiling the SQL each time was ~1.2 % of the
/// durable collector's CPU).
fn meta_get(c: &Connection, key: &str) -> Result<Option<i64>, StreamError> {
    c.prepare_cached("SELECT value FROM meta WHERE key = ?1")
        .and_then(|mut st| st.query_row([key], |r| r.get(0)).optional())
        .map_err(db_err)
}

fn create_if_empty(c: &mut Connection, shards: u32) -> Result<(), StreamError> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    if meta_get(&tx, "next_seq")?.is_none() {
        for (i, (start, end)) in even_ranges(shards).into_iter().enumerate() {
            tx.execute(
                "INSERT INTO shards(id, hash_start, hash_end, first_seq) VALUES (?1, ?2, ?3, 1)",
                params![i as i64, start.to_string(), end.to_string()],
            )
            .map_err(db_err)?;
        }
        tx.execute("INSERT INTO meta VALUES ('next_seq', 1)", [])
            .map_err(db_err)?;
        tx.execute(
            "INSERT INTO meta VALUES ('next_shard', ?1)",
            [i64::from(shards)],
        )
        .map_err(db_err)?;
    }
    tx.commit().map_err(db_err)
}

fn load_shards(c: &Connection) -> Result<Vec<ShardRow>, StreamError> {
    let mut st = c
        .prepare_cached(
            "SELECT id, parent, adjacent, hash_start, hash_end, first_seq, closed_seq
             FROM shards ORDER BY id",
        )
        .map_err(db_err)?;
    let rows = st
        .query_map([], |r| {
            let start: String = r.get(3)?;
            let end: String = r.get(4)?;
            Ok(ShardRow {
                id: r.get(0)?,
                parent: r.get(1)?,
                adjacent: r.get(2)?,
                start: start.parse().unwrap_or(0),
                end: end.parse().unwrap_or(u128::MAX),
                first_seq: r.get(5)?,
                closed_seq: r.get(6)?,
            })
        })
        .map_err(db_err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
}

fn to_shard(r: &ShardRow) -> Shard {
    Shard {
        shard_id: shard_name(r.id),
        parent_shard_id: r.parent.map(shard_name),
        adjacent_parent_shard_id: r.adjacent.map(shard_name),
        hash_key_start: r.start,
        hash_key_end: r.end,
        starting_sequence_number: seq_text(r.first_seq),
        ending_sequence_number: r.closed_seq.map(|s| seq_text(s - 1)),
    }
}

fn shard_row(c: &Connection, id: i64) -> Result<ShardRow, StreamError> {
    load_shards(c)?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| StreamError::NotFound(format!("shard {}", shard_name(id))))
}

/// Closes `parents` and opens `children` (hash ranges) atomically.
fn reshard(
    c: &mut Connection,
    parents: &[i64],
    children: &[(u128, u128)],
) -> Result<(), StreamError> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let seq = meta_get(&tx, "next_seq")?.unwrap_or(1);
    let mut next_shard = meta_get(&tx, "next_shard")?.unwrap_or(0);
    for &p in parents {
        let n = tx
            .execute(
                "UPDATE shards SET closed_seq = ?1, closed_ms = ?2 WHERE id = ?3 AND closed_seq IS NULL",
                params![seq, now_ms(), p],
            )
            .map_err(db_err)?;
        if n != 1 {
            return Err(StreamError::Invalid(format!(
                "{} is not an open shard",
                shard_name(p)
            )));
        }
    }
    for &(start, end) in children {
        tx.execute(
            "INSERT INTO shards(id, parent, adjacent, hash_start, hash_end, first_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                next_shard,
                parents.first(),
                parents.get(1),
                start.to_string(),
                end.to_string(),
                seq
            ],
        )
        .map_err(db_err)?;
        next_shard += 1;
    }
    tx.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'next_shard'",
        [next_shard],
    )
    .map_err(db_err)?;
    tx.commit().map_err(db_err)
}

#[async_trait]
impl StreamReader for EmbeddedStream {
    async fn list_shards(&self) -> Result<Vec<Shard>, StreamError> {
        self.conn
            .blocking(|c| Ok(load_shards(c)?.iter().map(to_shard).collect()))
            .await
    }

    async fn open(&self, shard_id: &str, from: &StartPosition) -> Result<ShardCursor, StreamError> {
        let (shard_id, from) = (shard_id.to_string(), from.clone());
        self.conn
            .blocking(move |c| read::open_cursor(c, &shard_id, &from))
            .await
    }

    async fn read(&self, cursor: &ShardCursor, limit: usize) -> Result<ReadBatch, StreamError> {
        let cursor = cursor.clone();
        let segs = self.segments.clone();
        self.conn
            .blocking(move |c| read::read(c, &segs, &cursor, limit))
            .await
    }
}

#[async_trait]
impl StreamAdmin for EmbeddedStream {
    async fn ensure_stream(&self, shards: u32) -> Result<(), StreamError> {
        self.conn
            .blocking(move |c| create_if_empty(c, shards))
            .await
    }

    async fn split_shard(
        &self,
        shard_id: &str,
        new_starting_hash_key: u128,
    ) -> Result<(), StreamError> {
        let id = shard_number(shard_id)?;
        self.conn
            .blocking(move |c| {
                let row = shard_row(c, id)?;
                if new_starting_hash_key <= row.start || new_starting_hash_key > row.end {
                    return Err(StreamError::Invalid(
                        "split key outside the shard's range".into(),
                    ));
                }
                reshard(
                    c,
                    &[id],
                    &[
                        (row.start, new_starting_hash_key - 1),
                        (new_starting_hash_key, row.end),
                    ],
                )
            })
            .await
    }

    async fn merge_shards(
        &self,
        shard_id: &str,
        adjacent_shard_id: &str,
    ) -> Result<(), StreamError> {
        let (a, b) = (shard_number(shard_id)?, shard_number(adjacent_shard_id)?);
        self.conn
            .blocking(move |c| {
                let (ra, rb) = (shard_row(c, a)?, shard_row(c, b)?);
                let (lo, hi) = if ra.start < rb.start {
                    (&ra, &rb)
                } else {
                    (&rb, &ra)
                };
                if lo.end.checked_add(1) != Some(hi.start) {
                    return Err(StreamError::Invalid("shards are not adjacent".into()));
                }
                reshard(c, &[a, b], &[(lo.start, hi.end)])
            })
            .await
    }
}
