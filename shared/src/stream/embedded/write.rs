//! The writer side of the embedded stream: where a put runs.
//!
//! A put is a short write into the page cache (one segment `pwrite`, a few index rows, a WAL
//! append; ~0.1–0.2 ms for a batch of a few dozen records). Handing it to tokio's blocking pool
//! cost more than the work itself at the collector's rates: two cross-thread wake-ups and a
//! context switch per batch, and cold caches on the other thread (−8 % CPU per request and
//! +6–8 % req/s running it in place, BENCHMARKS.md 2026-11-24 night). So a put runs on the
//! calling thread when that cannot wait: the connection is free right now and SQLite's write
//! lock is taken without waiting (busy timeout off for the `BEGIN`). Everything that may wait
//! or take long goes to the blocking pool as before: a contended lock (another process is
//! writing), `sync=full` (an fdatasync per put), and the retention pass.

use super::{chunks, db_err, now_ms, trim, EmbeddedStream};
use crate::sqlite_conn::BUSY_TIMEOUT;
use crate::stream::{PutEntry, PutResult, StreamError, StreamWriter};
use async_trait::async_trait;
use rusqlite::{Connection, ErrorCode, TransactionBehavior};
use std::sync::atomic::Ordering;
use std::time::Duration;

#[async_trait]
impl StreamWriter for EmbeddedStream {
    async fn put_batch(&self, entries: &[PutEntry]) -> Result<Vec<PutResult>, StreamError> {
        let now = now_ms();
        let due = self.last_trim_ms.load(Ordering::Relaxed) + 60_000 <= now;
        self.checkpointer.call_once(|| {
            if let Err(e) = super::checkpoint::start(self.path.clone(), &self.commits) {
                // The writer's own (rarer) automatic checkpoints still bound the WAL.
                tracing::warn!(error = %e, "no background checkpoints for the embedded stream");
            }
        });
        if !due && !self.segments.fsync() {
            let segs = &self.segments;
            if let Some(written) = self.conn.try_now(|c| try_put(c, segs, entries)) {
                if written.is_ok() {
                    self.commits.add();
                }
                return written;
            }
        }
        let entries = entries.to_vec();
        let retention = self.retention_ms.load(Ordering::Relaxed);
        let last_trim = self.last_trim_ms.clone();
        let commits = self.commits.clone();
        let segs = self.segments.clone();
        self.conn
            .blocking(move |c| {
                if due {
                    last_trim.store(now, Ordering::Relaxed);
                    trim(c, &segs, now - retention)?;
                }
                let written = chunks::put(c, &segs, &entries)?;
                commits.add();
                Ok(written)
            })
            .await
    }

    async fn check_writable(&self) -> Result<(), StreamError> {
        self.conn
            .blocking(|c| super::meta_get(c, "next_seq").map(|_| ()))
            .await
    }
}

/// A put that does not wait for the write lock: `None` (nothing written) when another
/// connection holds it.
fn try_put(
    c: &mut Connection,
    segs: &super::segments::Segments,
    entries: &[PutEntry],
) -> Option<Result<Vec<PutResult>, StreamError>> {
    if let Err(e) = c.busy_timeout(Duration::ZERO) {
        return Some(Err(db_err(e)));
    }
    let (busy, result) = match c.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => match tx.busy_timeout(BUSY_TIMEOUT) {
            Ok(()) => (false, chunks::put_in(tx, segs, entries)),
            Err(e) => (false, Err(db_err(e))),
        },
        Err(e) => (
            matches!(
                e.sqlite_error_code(),
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
            ),
            Err(db_err(e)),
        ),
    };
    if busy || result.is_err() {
        // Restore the timeout on every path out (a failed BEGIN never reached the line above).
        if let Err(e) = c.busy_timeout(BUSY_TIMEOUT) {
            return Some(Err(db_err(e)));
        }
    }
    (!busy).then_some(result)
}

#[cfg(test)]
mod tests {
    use crate::stream::embedded::EmbeddedStream;
    use crate::stream::{PutEntry, StreamWriter};
    use bytes::Bytes;
    use std::time::Duration;

    fn entries(n: usize) -> Vec<PutEntry> {
        (0..n)
            .map(|i| PutEntry {
                partition_key: format!("k{i}"),
                data: Bytes::from(vec![b'x'; 50]),
            })
            .collect()
    }

    /// Another process holding the write lock sends the put to the blocking pool: the runtime
    /// thread (a current-thread runtime here) stays free, and the put lands once the lock is
    /// released. If the put waited in place, the sleep below could not end before SQLite's
    /// 10 s busy timeout and the put would fail.
    #[tokio::test(flavor = "current_thread")]
    async fn a_put_against_a_held_write_lock_waits_off_the_runtime_and_lands() {
        let dir = tempfile::tempdir().unwrap();
        let stream = std::sync::Arc::new(EmbeddedStream::open(dir.path(), 2).unwrap());
        assert!(stream.put_batch(&entries(3)).await.unwrap()[0].is_written());
        let other = rusqlite::Connection::open(dir.path().join("stream.db")).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let put = tokio::spawn({
            let stream = stream.clone();
            async move { stream.put_batch(&entries(5)).await }
        });
        let started = std::time::Instant::now();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "runtime was blocked"
        );
        assert!(
            !put.is_finished(),
            "the put cannot have committed under the lock"
        );
        other.execute_batch("COMMIT").unwrap();
        let out = put.await.unwrap().unwrap();
        assert_eq!(out.len(), 5);
        assert!(out.iter().all(|r| r.is_written()));
        // The in-place path works again afterwards, and its busy timeout is the normal one.
        assert!(stream.put_batch(&entries(2)).await.unwrap()[1].is_written());
        let timeout_ms: i64 = stream
            .conn
            .with(|c| {
                c.query_row("PRAGMA busy_timeout", [], |r| r.get(0))
                    .map_err(super::db_err)
            })
            .unwrap();
        assert_eq!(timeout_ms, 10_000);
        let count: i64 = other
            .query_row("SELECT sum(count) FROM chunks", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 10);
    }
}
