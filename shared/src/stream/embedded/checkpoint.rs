//! WAL checkpoints of the embedded stream, off the write path.
//!
//! Why: with SQLite's automatic checkpoint (every 1,000 WAL pages) the commit that crosses the
//! threshold copies the WAL into the database file and fsyncs both, inside the writer's lock.
//! Measured on 64-record commits of ~1 KB records: 520–570 µs per commit with automatic
//! checkpoints, 130–190 µs without — the copy and its fsync were three quarters of a put, and
//! every request of a durable collector waits for a put. So a writer's connection checkpoints
//! only as a safety valve ([`WRITER_AUTOCHECKPOINT_PAGES`]), and a background thread with its
//! own connection checkpoints while puts keep coming (see [`run`] for the two modes it uses).

use super::db_err;
use crate::stream::StreamError;
use rusqlite::Connection;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// The writer's own checkpoint threshold (16 MiB of WAL at the stream's 1 KiB pages): reached only if the
/// background checkpoints cannot keep up, so the WAL stays bounded.
pub(super) const WRITER_AUTOCHECKPOINT_PAGES: u32 = 16_384;

/// WAL frames above which a checkpoint also rewinds the WAL: 1 MiB at 1 KiB pages.
const RESTART_FRAMES: i64 = 1024;

/// How often the background thread looks for new commits to checkpoint.
const PERIOD: Duration = Duration::from_millis(100);

/// Commits since open; the background thread checkpoints when it moved.
#[derive(Default)]
pub(super) struct Commits(AtomicU64);

impl Commits {
    pub(super) fn add(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Starts the checkpoint thread for the database at `path`. It stops once `commits` (owned by
/// the stream) is dropped.
pub(super) fn start(path: PathBuf, commits: &Arc<Commits>) -> Result<(), StreamError> {
    let conn = Connection::open(&path).map_err(db_err)?;
    // Short: a RESTART that waits (for the writer's commit, or for enricher processes' reads
    // to move to the newest snapshot) holds new writers off meanwhile. Better to give up and
    // try again next period than to stall the collector's puts.
    conn.busy_timeout(Duration::from_millis(20))
        .map_err(db_err)?;
    let commits: Weak<Commits> = Arc::downgrade(commits);
    std::thread::Builder::new()
        .name("stream-checkpoint".into())
        .spawn(move || run(&conn, &commits))
        .map_err(|e| StreamError::Backend(format!("checkpoint thread: {e}")))?;
    Ok(())
}

fn run(conn: &Connection, commits: &Weak<Commits>) {
    let mut seen = 0;
    loop {
        std::thread::sleep(PERIOD);
        let Some(now) = commits.upgrade().map(|c| c.0.load(Ordering::Relaxed)) else {
            return; // the stream is gone
        };
        if now == seen {
            continue;
        }
        // PASSIVE copies what no reader still needs and never waits for a lock. But while
        // puts keep coming it never catches up with the WAL's end, and SQLite only rewinds a
        // WAL that is fully copied: the WAL would grow to the writer's threshold and the
        // writer would then checkpoint inline (measured: 60–200 ms stalls every second at 65k
        // records/s). So once the WAL is large, a RESTART follows: it holds writers off only
        // for the frames written since the passive pass, then the next put rewinds the WAL.
        // A failure (a busy database) is retried next period, new commits or not.
        let result = conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1))
            .and_then(|frames| {
                if frames > RESTART_FRAMES {
                    conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))
                } else {
                    Ok(())
                }
            });
        match result {
            Ok(()) => seen = now,
            Err(e) => tracing::debug!(error = %e, "embedded stream checkpoint deferred"),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::stream::embedded::EmbeddedStream;
    use crate::stream::{PutEntry, StreamWriter};
    use bytes::Bytes;

    #[tokio::test]
    async fn puts_reach_the_database_file_without_the_writer_checkpointing() {
        let dir = tempfile::tempdir().unwrap();
        let stream = EmbeddedStream::open(dir.path(), 2).unwrap();
        let db = dir.path().join("stream.db");
        let before = std::fs::metadata(&db).unwrap().len();
        // 1,500 puts: 3,000 chunk rows (~100 KB of index pages), far below the writer's own
        // threshold. (The records themselves go to segment files, not through the WAL.)
        for round in 0..1500 {
            let entries: Vec<PutEntry> = (0..4)
                .map(|i| PutEntry {
                    partition_key: format!("k{round}-{i}"),
                    data: Bytes::from(vec![b'x'; 100]),
                })
                .collect();
            let out = stream.put_batch(&entries).await.unwrap();
            assert!(out.iter().all(|r| r.is_written()));
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let size = std::fs::metadata(&db).unwrap().len();
            if size >= before + 40_000 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the background checkpoint never copied the WAL ({size} bytes)"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}
