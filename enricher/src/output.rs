//! Grouping enriched records per Hive partition, encoding each group into one Parquet file.
//!
//! Rows are encoded *as they arrive*: each partition appends to a small Arrow builder, and every
//! [`CHUNK_ROWS`] rows the chunk goes into that partition's open Parquet writer, which keeps only
//! encoded, compressed pages. Memory per flush is therefore about the size of the output files,
//! not of the raw columns (≈10× larger), and the builders' memory is reused chunk after chunk
//! instead of being faulted in fresh for every flush — the largest cost when whole flushes were
//! buffered as Arrow arrays (BENCHMARKS.md).

use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use rustc_hash::FxHashMap;
use shared::batch::RecordBatchBuilder;
use shared::parquet_io::ParquetOptions;
use shared::partition::PartitionKey;
use shared::record::{EnrichedRecord, EventType};
use shared::schema::file_schema;
use shared::time::Date;
use std::hash::{Hash, Hasher};

/// Rows a partition buffers as Arrow columns before handing them to its Parquet writer.
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
    builder: RecordBatchBuilder,
    writer: Option<ArrowWriter<Vec<u8>>>,
    rows: usize,
}

impl Part {
    /// Moves the builder's rows into the Parquet writer. `more` when rows will follow (a full
    /// chunk): the builder is then sized for another chunk, once the batch's memory is free.
    fn spill(&mut self, props: &WriterProperties, more: bool) -> Result<(), OutputError> {
        if self.builder.is_empty() {
            return Ok(());
        }
        let batch = self.builder.finish()?;
        let writer = match &mut self.writer {
            Some(w) => w,
            None => self.writer.insert(ArrowWriter::try_new(
                Vec::with_capacity(1 << 16),
                file_schema(),
                Some(props.clone()),
            )?),
        };
        writer.write(&batch)?;
        drop(batch);
        if more {
            self.builder.reserve_like_last();
        }
        Ok(())
    }
}

/// Rows buffered per partition until the next flush.
pub struct PartitionedBatches {
    props: WriterProperties,
    /// hash(domain, type, date) → indexes into `parts` (collisions are compared in full).
    index: FxHashMap<u64, Vec<usize>>,
    parts: Vec<Part>,
    rows: usize,
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
            props: options.writer_properties()?,
            index: FxHashMap::default(),
            parts: Vec::new(),
            rows: 0,
        })
    }

    /// Buffered rows, all partitions.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Estimated size of the files so far: bytes already encoded plus the encoded estimate
    /// of rows still in progress (the "size" flush trigger, Firehose style).
    pub fn encoded_bytes(&self) -> usize {
        self.parts
            .iter()
            .filter_map(|p| p.writer.as_ref())
            .map(|w| w.bytes_written() + w.in_progress_size())
            .sum()
    }

    /// Buffered partitions.
    pub fn partitions(&self) -> usize {
        self.parts.len()
    }

    /// Appends a record to its partition (no allocation once the partition exists, apart from
    /// the periodic hand-over of a chunk to the Parquet writer).
    pub fn push(&mut self, r: &EnrichedRecord<'_>) -> Result<(), OutputError> {
        let date = Date::from_epoch_ms(r.event_ms);
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
                    builder: RecordBatchBuilder::with_capacity(256),
                    writer: None,
                    rows: 0,
                });
                candidates.push(self.parts.len() - 1);
                self.parts.len() - 1
            }
        };
        let part = &mut self.parts[idx];
        part.builder.append(r);
        part.rows += 1;
        self.rows += 1;
        if part.builder.len() >= CHUNK_ROWS {
            part.spill(&self.props, true)?;
        }
        Ok(())
    }

    /// Closes every partition's file: `(partition, Parquet bytes, rows)`, sorted by partition.
    pub fn take_parquet(&mut self) -> Result<Vec<(PartitionKey, Vec<u8>, usize)>, OutputError> {
        let mut out = Vec::with_capacity(self.parts.len());
        for mut part in self.parts.drain(..) {
            part.spill(&self.props, false)?;
            if let Some(writer) = part.writer {
                out.push((part.key, writer.into_inner()?, part.rows));
            }
        }
        self.index.clear();
        self.rows = 0;
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}
