//! Grouping enriched records per Hive partition, encoding each group into one Parquet file.
//!
//! Rows are encoded *as they arrive*: each partition has a [`FileEncoder`] that writes every
//! field straight into the data page of its column and compresses a page as soon as it is full
//! (`shared::pages`). Memory per flush is therefore about the size of the output files, not of
//! the raw columns (≈10× larger). Until 2026-11-25 rows went through Arrow builders and
//! `ArrowWriter`, which copied and hashed every value twice more (BENCHMARKS.md).

use rustc_hash::FxHashMap;
use shared::pages::{FileEncoder, Layout};
use shared::parquet_io::ParquetOptions;
use shared::partition::PartitionKey;
use shared::record::{EnrichedRecord, EventType};
use shared::time::Date;
use std::hash::{Hash, Hasher};

/// Rows the Arrow path (`encode_cost`, the compactor) buffers per partition before handing
/// them to a Parquet writer.
pub const CHUNK_ROWS: usize = 8192;

/// Errors turning rows into files.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Arrow rejected a batch (schema drift: a bug).
    #[error("arrow: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// Parquet encoding failed.
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
}

struct Part {
    key: PartitionKey,
    file: FileEncoder,
    rows: usize,
}

/// Rows buffered per partition until the next flush.
pub struct PartitionedBatches {
    layout: Layout,
    /// hash(domain, type, date) → indexes into `parts` (collisions are compared in full).
    index: FxHashMap<u64, Vec<usize>>,
    parts: Vec<Part>,
    rows: usize,
    dates: shared::time::DateMemo,
}

fn key_hash(domain: &str, t: EventType, date: Date) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    domain.hash(&mut h);
    t.hash(&mut h);
    date.hash(&mut h);
    h.finish()
}

impl PartitionedBatches {
    /// Empty, writing files with `options`.
    pub fn new(options: &ParquetOptions) -> Result<Self, OutputError> {
        Ok(PartitionedBatches {
            layout: Layout::new(options.writer_properties()?)?,
            index: FxHashMap::default(),
            parts: Vec::new(),
            rows: 0,
            dates: Default::default(),
        })
    }

    /// Buffered rows, all partitions.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Estimated size of the files so far: bytes already encoded plus the encoded estimate
    /// of rows still in progress (the "size" flush trigger, Firehose style).
    pub fn encoded_bytes(&self) -> usize {
        self.parts.iter().map(|p| p.file.encoded_bytes()).sum()
    }

    /// Buffered partitions.
    pub fn partitions(&self) -> usize {
        self.parts.len()
    }

    /// Appends a record to its partition (no allocation once the partition exists, apart from
    /// new dictionary entries and closing full pages).
    pub fn push(&mut self, r: &EnrichedRecord<'_>) -> Result<(), OutputError> {
        let date = self.dates.date(r.event_ms);
        let h = key_hash(&r.domain_name, r.event_type, date);
        let candidates = self.index.entry(h).or_default();
        let found = candidates.iter().copied().find(|&i| {
            let k = &self.parts[i].key;
            k.event_type == r.event_type && k.event_date == date && k.domain_name == r.domain_name
        });
        let idx = match found {
            Some(i) => i,
            None => {
                self.parts.push(Part {
                    key: PartitionKey {
                        domain_name: r.domain_name.to_string(),
                        event_type: r.event_type,
                        event_date: date,
                    },
                    file: FileEncoder::new(&self.layout)?,
                    rows: 0,
                });
                candidates.push(self.parts.len() - 1);
                self.parts.len() - 1
            }
        };
        let part = &mut self.parts[idx];
        part.file.append(r, &mut self.layout)?;
        part.rows += 1;
        self.rows += 1;
        Ok(())
    }

    /// Closes every partition's file: `(partition, Parquet bytes, rows)`, sorted by partition.
    pub fn take_parquet(&mut self) -> Result<Vec<(PartitionKey, Vec<u8>, usize)>, OutputError> {
        let mut out = Vec::with_capacity(self.parts.len());
        for mut part in self.parts.drain(..) {
            let data = part.file.finish(&mut self.layout)?;
            out.push((part.key, data, part.rows));
        }
        self.index.clear();
        self.rows = 0;
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}
