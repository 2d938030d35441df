//! Record payloads of the embedded stream: append-only segment files beside the database
//! (`DIR/segments/<id>.seg`), with only an index row per chunk in SQLite.
//!
//! Why not blobs in SQLite (the layout before 2026-11-24 late): a put of ~20 pixel records
//! (~14 KB) across 4 shards wrote ~13 WAL pages (the blobs' overflow pages, partly filled
//! leaves, index and meta pages), ~1.3 `pwrite` calls per request, and the checkpoint then
//! copied every page once more: ~200 MB/s of disk writes for 45 MB/s of records. Here a put
//! writes its records once, in one `pwrite`, and a few small rows to SQLite. Measured: +19 %
//! collector requests per second (BENCHMARKS.md, 2026-11-24 late).
//!
//! Consistency without a second lock: segments are appended only inside the database's write
//! transaction (`BEGIN IMMEDIATE`: one writer at a time, across processes), at the committed
//! end kept in `meta` (`seg_id`, `seg_end`). A writer that dies between its append and its
//! commit leaves bytes past the committed end, which the next writer overwrites; readers read
//! only the ranges of committed rows. With `sync=full` the segment is `fdatasync`ed before the
//! commit, so a committed row never points at bytes a power loss could take.

use crate::stream::StreamError;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// A segment is closed once it holds this much; the next put starts a new file. Retention
/// deletes whole segments, so this is also the granularity of freed disk space.
const SEGMENT_BYTES: u64 = 64 << 20;

fn io_err(what: &str, path: &Path, e: std::io::Error) -> StreamError {
    StreamError::Backend(format!("embedded stream: {what} {}: {e}", path.display()))
}

/// The segment directory of one stream.
pub(super) struct Segments {
    dir: PathBuf,
    fsync: AtomicBool,
    segment_bytes: u64,
    /// The segment this process appends to, kept open between puts.
    writer: Mutex<Option<(i64, File)>>,
}

impl Segments {
    /// The segments of the stream whose database is in `db_dir` (created if needed).
    pub(super) fn open(db_dir: &Path) -> Result<Self, StreamError> {
        let dir = db_dir.join("segments");
        std::fs::create_dir_all(&dir).map_err(|e| io_err("create", &dir, e))?;
        Ok(Segments {
            dir,
            fsync: AtomicBool::new(false),
            segment_bytes: SEGMENT_BYTES,
            writer: Mutex::new(None),
        })
    }

    /// Size at which a segment is closed.
    pub(super) fn segment_bytes(&self) -> u64 {
        self.segment_bytes
    }

    /// Closes segments at `bytes` instead (tests: rotation without writing 64 MiB).
    #[cfg(test)]
    pub(super) fn with_segment_bytes(mut self, bytes: u64) -> Self {
        self.segment_bytes = bytes;
        self
    }

    fn path(&self, id: i64) -> PathBuf {
        self.dir.join(format!("{id:016}.seg"))
    }

    /// `true`: appends are `fdatasync`ed before they return.
    pub(super) fn fsync(&self) -> bool {
        self.fsync.load(Ordering::Relaxed)
    }

    pub(super) fn set_fsync(&self, on: bool) {
        self.fsync.store(on, Ordering::Relaxed);
    }

    /// Writes `data` at `offset` of segment `id`. Call only inside the write transaction.
    pub(super) fn append(&self, id: i64, offset: u64, data: &[u8]) -> Result<(), StreamError> {
        let mut writer = self
            .writer
            .lock()
            .map_err(|_| StreamError::Backend("embedded stream: segment lock poisoned".into()))?;
        if writer.as_ref().map(|(open, _)| *open) != Some(id) {
            // Another process may have moved to a newer segment: follow the database.
            let path = self.path(id);
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|e| io_err("open", &path, e))?;
            *writer = Some((id, file));
        }
        let Some((_, file)) = writer.as_ref() else {
            return Err(StreamError::Backend("embedded stream: no segment".into()));
        };
        let result = file.write_all_at(data, offset).and_then(|()| {
            if self.fsync.load(Ordering::Relaxed) {
                file.sync_data()
            } else {
                Ok(())
            }
        });
        if let Err(e) = result {
            let path = self.path(id);
            *writer = None; // reopen next time rather than trust a file in an unknown state
            return Err(io_err("write", &path, e));
        }
        Ok(())
    }

    /// A reader that keeps the last segment it read open.
    pub(super) fn reader(&self) -> SegmentReader<'_> {
        SegmentReader {
            segments: self,
            open: None,
        }
    }

    /// Deletes the segments numbered below `id` (retention: no row refers to them any more).
    pub(super) fn remove_below(&self, id: i64) -> Result<usize, StreamError> {
        let entries = std::fs::read_dir(&self.dir).map_err(|e| io_err("list", &self.dir, e))?;
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(n) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".seg"))
                .and_then(|n| n.parse::<i64>().ok())
            else {
                continue;
            };
            if n < id {
                let path = entry.path();
                match std::fs::remove_file(&path) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_err("remove", &path, e)),
                }
            }
        }
        Ok(removed)
    }
}

/// Reads byte ranges of committed chunks.
pub(super) struct SegmentReader<'a> {
    segments: &'a Segments,
    open: Option<(i64, File)>,
}

impl SegmentReader<'_> {
    /// The `len` bytes at `offset` of segment `id`.
    pub(super) fn read(
        &mut self,
        id: i64,
        offset: u64,
        len: usize,
    ) -> Result<Vec<u8>, StreamError> {
        let path = self.segments.path(id);
        if self.open.as_ref().map(|(open, _)| *open) != Some(id) {
            let file = File::open(&path).map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    // Retention removed it after this reader's snapshot listed the chunk: the
                    // next read no longer sees the chunk.
                    StreamError::Transient(format!("segment {} was trimmed", path.display()))
                } else {
                    io_err("open", &path, e)
                }
            })?;
            self.open = Some((id, file));
        }
        let Some((_, file)) = self.open.as_ref() else {
            return Err(StreamError::Backend("embedded stream: no segment".into()));
        };
        let mut buf = vec![0u8; len];
        file.read_exact_at(&mut buf, offset)
            .map_err(|e| io_err("read", &path, e))?;
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::super::chunks::{self, Tail};
    use super::super::{now_ms, trim, EmbeddedStream};
    use super::Segments;
    use crate::stream::PutEntry;
    use bytes::Bytes;

    fn entries(round: usize, n: usize, size: usize) -> Vec<PutEntry> {
        (0..n)
            .map(|i| PutEntry {
                partition_key: format!("k{round}-{i}"),
                data: Bytes::from(vec![(round * 4 + i) as u8; size]),
            })
            .collect()
    }

    fn segment_files(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir.join("segments")).unwrap().count()
    }

    /// Every record of `shard`, as (seq, first data byte, data length), checking that each
    /// record's data is the one written under its key.
    fn all(stream: &EmbeddedStream, segs: &Segments, shard: i64) -> Vec<(i64, u8, usize)> {
        let got = stream
            .conn
            .with(|c| chunks::read(c, segs, shard, 0, 10_000))
            .unwrap();
        got.iter()
            .map(|r| {
                let (round, i) = r.partition_key[1..].split_once('-').unwrap();
                let n: usize = round.parse::<usize>().unwrap() * 4 + i.parse::<usize>().unwrap();
                assert!(
                    r.data.iter().all(|&b| b == n as u8),
                    "data of {}",
                    r.partition_key
                );
                (r.seq, r.data[0], r.data.len())
            })
            .collect()
    }

    #[test]
    fn segments_rotate_read_back_and_retention_deletes_them() {
        let dir = tempfile::tempdir().unwrap();
        let stream = EmbeddedStream::open(dir.path(), 2).unwrap();
        let segs = Segments::open(dir.path()).unwrap().with_segment_bytes(4096);
        segs.set_fsync(true); // also exercises the fdatasync path
        for round in 0..50 {
            let batch = entries(round, 4, 300);
            stream.conn.with(|c| chunks::put(c, &segs, &batch)).unwrap();
        }
        assert!(
            segment_files(dir.path()) > 10,
            "puts of ~1.2 KB rotate 4 KiB segments"
        );
        let (a, b) = (all(&stream, &segs, 0), all(&stream, &segs, 1));
        assert_eq!(a.len() + b.len(), 200);
        let mut seqs: Vec<i64> = a.iter().chain(&b).map(|r| r.0).collect();
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=200).collect::<Vec<i64>>(), "every record once");
        assert!(a.iter().chain(&b).all(|r| r.2 == 300));

        let removed = stream
            .conn
            .with(|c| trim(c, &segs, now_ms() + 1_000))
            .unwrap();
        assert_eq!(removed, 200);
        assert_eq!(
            segment_files(dir.path()),
            1,
            "only the current segment is left"
        );
        let batch = entries(49, 1, 10);
        stream.conn.with(|c| chunks::put(c, &segs, &batch)).unwrap();
        let left: Vec<_> = [0, 1]
            .iter()
            .flat_map(|&s| all(&stream, &segs, s))
            .collect();
        assert_eq!(left, vec![(201, 196, 10)]);
    }

    #[test]
    fn a_new_stream_uses_small_pages() {
        let dir = tempfile::tempdir().unwrap();
        let stream = EmbeddedStream::open(dir.path(), 1).unwrap();
        let page: i64 = stream
            .conn
            .with(|c| {
                c.query_row("PRAGMA page_size", [], |r| r.get(0))
                    .map_err(super::super::db_err)
            })
            .unwrap();
        assert_eq!(page, 1024);
    }

    #[test]
    fn bytes_a_crashed_writer_left_past_the_committed_end_are_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let stream = EmbeddedStream::open(dir.path(), 1).unwrap();
        let segs = Segments::open(dir.path()).unwrap();
        let first = entries(1, 1, 50);
        stream.conn.with(|c| chunks::put(c, &segs, &first)).unwrap();
        // A writer appended and died before its commit: the database still ends before it.
        let tail = stream.conn.with(|c| Tail::load(c)).unwrap();
        segs.append(tail.seg, tail.end, &[0xEE; 500]).unwrap();
        let second = entries(2, 1, 20);
        stream
            .conn
            .with(|c| chunks::put(c, &segs, &second))
            .unwrap();
        assert_eq!(all(&stream, &segs, 0), vec![(1, 4, 50), (2, 8, 20)]);
    }
}
