//! One held shard inside a worker: its fence, read position and the buffer of enriched rows
//! not yet committed. Flushing writes the batch's objects under keys that carry the shard, the
//! first and last sequence numbers and the lease epoch (docs/DESIGN.md §6), so a retry within a
//! tenure overwrites and a zombie's objects never collide with the new owner's.

use super::manifest::{ManifestCounts, ManifestObject, ObjectKind};
use crate::core::{Engine, Origin, Outcome};
use crate::output::{OutputError, PartitionedBatches};
use bytes::Bytes;
use shared::deadletter::DeadLetter;
use shared::lease::{Checkpoint, Fence};
use shared::object_store::{ObjectStore, StoreError};
use shared::parquet_io::ParquetOptions;
use shared::partition::{escape_value, object_key};
use shared::raw_archive::RawArchiveWriter;
use shared::stream::{ShardCursor, StreamRecord};
use shared::time::Date;
use std::collections::BTreeMap;
use tokio::time::Instant;

/// Records enriched together before their rows are encoded (`Engine::enrich_batch`): each
/// side then runs over many records with its code and tables in cache.
pub const ENRICH_BATCH: usize = 512;

/// Counters of one batch (and, summed, of a run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchCounts {
    /// Records read from the stream.
    pub read: u64,
    /// Enriched rows.
    pub ok: u64,
    /// Dropped on purpose (bots, not allow-listed…).
    pub dropped: u64,
    /// Dead letters.
    pub failed: u64,
}

impl BatchCounts {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &BatchCounts) {
        self.read += other.read;
        self.ok += other.ok;
        self.dropped += other.dropped;
        self.failed += other.failed;
    }

    /// As written into a manifest.
    pub fn manifest(&self) -> ManifestCounts {
        ManifestCounts {
            read: self.read,
            ok: self.ok,
            dropped: self.dropped,
            failed: self.failed,
        }
    }
}

/// Where a batch's objects go.
#[derive(Debug, Clone)]
pub struct Prefixes {
    /// Enriched Parquet (and its `_commits/`).
    pub data: String,
    /// Dead letters.
    pub errors: String,
    /// Raw archive, when enabled.
    pub raw: Option<String>,
}

/// Rows read since the last commit of one shard.
pub struct Buffer {
    batches: PartitionedBatches,
    /// Dead-letter JSON lines per reason kind (one object per kind and batch).
    dead: BTreeMap<String, Vec<u8>>,
    first_seq: Option<String>,
    last_seq: Option<String>,
    started: Option<Instant>,
    counts: BatchCounts,
    /// The raw records, when the archive is on.
    raw: Option<RawArchiveWriter>,
}

/// A batch written to the object store, not yet committed by a checkpoint.
pub struct Written {
    /// Every object written (deleted again if the checkpoint is fenced out).
    pub objects: Vec<ManifestObject>,
    /// First sequence number of the batch.
    pub first_seq: String,
    /// Last sequence number of the batch: the checkpoint to write.
    pub last_seq: String,
    /// What the batch held.
    pub counts: BatchCounts,
}

impl Buffer {
    /// Empty.
    pub fn new(options: &ParquetOptions, raw_archive: bool) -> Result<Self, OutputError> {
        Ok(Buffer {
            batches: PartitionedBatches::new(options)?,
            dead: BTreeMap::new(),
            first_seq: None,
            last_seq: None,
            started: None,
            counts: BatchCounts::default(),
            raw: raw_archive.then(RawArchiveWriter::default),
        })
    }

    /// Records buffered (all outcomes: a batch of only drops still moves the checkpoint).
    pub fn records(&self) -> u64 {
        self.counts.read
    }

    /// Estimated bytes of the batch's objects (Parquet encoded so far, dead letters, raw).
    pub fn bytes(&self) -> u64 {
        let raw = self
            .raw
            .as_ref()
            .map_or(0, RawArchiveWriter::uncompressed_len);
        let dead: usize = self.dead.values().map(Vec::len).sum();
        (self.batches.encoded_bytes() + dead + raw) as u64
    }

    /// When the oldest buffered record was read.
    pub fn started(&self) -> Option<Instant> {
        self.started
    }

    /// Enriches records of one stream read into the buffer, in order. `source` names the
    /// stream in derived event ids.
    pub fn push(
        &mut self,
        engine: &mut Engine,
        source: &str,
        shard: &str,
        records: &[StreamRecord],
    ) -> Result<(), OutputError> {
        for chunk in records.chunks(ENRICH_BATCH) {
            // CloudFront lines carry no id: derive it from (stream, shard, sequence), which a
            // re-read or a replay reproduces, so the compactor can always de-duplicate. The
            // sequence goes into the source text: Kinesis sequence numbers exceed a u64.
            let origins: Vec<String> = chunk
                .iter()
                .map(|r| stream_origin(source, shard, &r.sequence_number))
                .collect();
            let outcomes = engine.enrich_batch(chunk.iter().zip(&origins).map(|(r, o)| {
                let origin = Origin {
                    source: o,
                    position: 0,
                };
                (&r.data[..], origin)
            }));
            for (record, outcome) in chunk.iter().zip(outcomes) {
                self.take(outcome, source, shard, record)?;
            }
        }
        Ok(())
    }

    /// Buffers the outcome of one record.
    fn take(
        &mut self,
        outcome: Outcome<'_>,
        source: &str,
        shard: &str,
        record: &StreamRecord,
    ) -> Result<(), OutputError> {
        self.counts.read += 1;
        if let Some(raw) = &mut self.raw {
            raw.push(source, shard, record);
        }
        match outcome {
            Outcome::Ok(r) => {
                self.counts.ok += 1;
                self.batches.push(&r)?;
            }
            Outcome::Dropped(_) => self.counts.dropped += 1,
            Outcome::Failed(why) => {
                self.counts.failed += 1;
                // The stable prefix of a reason names its kind (docs/DESIGN.md §8).
                let kind = why
                    .split(':')
                    .next()
                    .unwrap_or("unknown")
                    .trim()
                    .to_string();
                let out = self.dead.entry(kind).or_default();
                DeadLetter::new(
                    why.as_ref(),
                    &format!("{source}/{shard}"),
                    &record.sequence_number,
                    &record.data,
                    record.arrival_ms,
                )
                .write_json_line(out);
            }
        }
        if self.first_seq.is_none() {
            self.first_seq = Some(record.sequence_number.clone());
            self.started = Some(Instant::now());
        }
        self.last_seq = Some(record.sequence_number.clone());
        Ok(())
    }

    /// Writes the buffered batch and empties the buffer; `None` when nothing was read.
    pub async fn write(
        &mut self,
        store: &dyn ObjectStore,
        prefixes: &Prefixes,
        shard: &str,
        epoch: u64,
    ) -> Result<Option<Written>, FlushError> {
        let (Some(first), Some(last)) = (self.first_seq.take(), self.last_seq.take()) else {
            return Ok(None);
        };
        let name = |ext: &str| format!("{}-{first}-{last}-e{epoch}.{ext}", escape_value(shard));
        let day = Date::from_epoch_ms(now_ms());
        let mut objects = Vec::new();
        let mut put = async |key: String, body: Vec<u8>, kind, rows| {
            let size = body.len() as u64;
            store.put(&key, Bytes::from(body)).await?;
            objects.push(ManifestObject {
                key,
                kind,
                size,
                rows,
            });
            Ok::<_, FlushError>(())
        };
        for (partition, bytes, rows) in self.batches.take_parquet()? {
            let key = object_key(&prefixes.data, &partition, &name("parquet"));
            put(key, bytes, ObjectKind::Data, rows as u64).await?;
        }
        for (kind, lines) in std::mem::take(&mut self.dead) {
            let key = format!(
                "{}/reason={}/dt={day}/{}",
                prefixes.errors.trim_end_matches('/'),
                escape_value(&kind),
                name("jsonl")
            );
            let rows = memchr::memchr_iter(b'\n', &lines).count() as u64;
            put(key, lines, ObjectKind::Errors, rows).await?;
        }
        if let (Some(raw), Some(prefix)) = (&mut self.raw, &prefixes.raw) {
            let rows = raw.count();
            let key = format!(
                "{}/{}/dt={day}/{}",
                prefix.trim_end_matches('/'),
                escape_value(shard),
                name("jsonl.gz")
            );
            put(key, raw.finish(), ObjectKind::Raw, rows).await?;
        }
        let counts = std::mem::take(&mut self.counts);
        self.started = None;
        Ok(Some(Written {
            objects,
            first_seq: first,
            last_seq: last,
            counts,
        }))
    }
}

/// The origin text of a stream record in derived event ids. CloudFront lines carry no id, so
/// the id comes from (stream, shard, sequence): a re-read, a replay from the raw archive or a
/// dead-letter re-drive reproduces it. The sequence goes into the text: Kinesis sequence
/// numbers exceed a u64.
pub fn stream_origin(stream: &str, shard: &str, sequence_number: &str) -> String {
    format!("{stream}\0{shard}\0{sequence_number}")
}

/// Why a flush failed (the batch stays uncommitted and is re-read later).
#[derive(Debug, thiserror::Error)]
pub enum FlushError {
    /// Encoding.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// Writing.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A lease this worker holds.
pub struct Held {
    /// Presented with every renew, checkpoint and release; the counter follows our renewals.
    pub fence: Fence,
    /// The counter our take returned: in every object key of this tenure.
    pub epoch: u64,
    /// When we took it (our clock, ms): reading starts one heartbeat later.
    pub taken_at_ms: u64,
    /// Last successful renewal (our clock, ms): without one for `failover` we stop reading.
    pub renewed_at_ms: u64,
    /// Last committed position.
    pub checkpoint: Checkpoint,
    /// Where reading continues; `None` until opened (or after an expired iterator).
    pub cursor: Option<ShardCursor>,
    /// Last record read (buffered or committed), to reopen after an expired iterator.
    pub read_to: Option<String>,
    /// Uncommitted rows.
    pub buffer: Buffer,
    /// Head of this shard's committed manifest chain: `prev` of our next manifest.
    pub manifest: Option<String>,
    /// Reads paused until then (throttled).
    pub pause_until: Option<Instant>,
    /// Consecutive throttled reads.
    pub throttles: u32,
    /// A bounded run (backfill) read everything it should from this shard.
    pub done: bool,
}
