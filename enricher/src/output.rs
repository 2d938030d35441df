//! Grouping enriched records per Hive partition and turning each group into one Parquet file.

use arrow_array::RecordBatch;
use rustc_hash::FxHashMap;
use shared::batch::RecordBatchBuilder;
use shared::parquet_io::{encode_parquet, ParquetOptions};
use shared::partition::PartitionKey;
use shared::record::{EnrichedRecord, EventType};
use shared::time::Date;
use std::hash::{Hash, Hasher};

/// Rows buffered per partition.
pub struct PartitionedBatches {
    /// hash(domain, type, date) → indexes into `parts` (collisions are compared in full).
    index: FxHashMap<u64, Vec<usize>>,
    parts: Vec<(PartitionKey, RecordBatchBuilder)>,
    rows: usize,
}

impl Default for PartitionedBatches {
    fn default() -> Self {
        Self::new()
    }
}

fn key_hash(domain: &str, t: EventType, date: Date) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    domain.hash(&mut h);
    t.hash(&mut h);
    date.hash(&mut h);
    h.finish()
}

impl PartitionedBatches {
    /// Empty.
    pub fn new() -> Self {
        PartitionedBatches {
            index: FxHashMap::default(),
            parts: Vec::new(),
            rows: 0,
        }
    }

    /// Buffered rows, all partitions.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Buffered partitions.
    pub fn partitions(&self) -> usize {
        self.parts.len()
    }

    /// Appends a record to its partition's builder (no allocation once the partition exists).
    pub fn push(&mut self, r: &EnrichedRecord<'_>) {
        let date = Date::from_epoch_ms(r.event_ms);
        let h = key_hash(&r.domain_name, r.event_type, date);
        let candidates = self.index.entry(h).or_default();
        let found = candidates.iter().copied().find(|&i| {
            let k = &self.parts[i].0;
            k.event_type == r.event_type && k.event_date == date && k.domain_name == r.domain_name
        });
        let idx = match found {
            Some(i) => i,
            None => {
                self.parts.push((
                    PartitionKey {
                        domain_name: r.domain_name.to_string(),
                        event_type: r.event_type,
                        event_date: date,
                    },
                    RecordBatchBuilder::with_capacity(1024),
                ));
                candidates.push(self.parts.len() - 1);
                self.parts.len() - 1
            }
        };
        self.parts[idx].1.append(r);
        self.rows += 1;
    }

    /// Takes every partition's rows as Arrow batches, sorted by partition key.
    pub fn take_batches(
        &mut self,
    ) -> Result<Vec<(PartitionKey, RecordBatch)>, arrow_schema::ArrowError> {
        let mut out = Vec::with_capacity(self.parts.len());
        for (key, mut builder) in self.parts.drain(..) {
            out.push((key, builder.finish()?));
        }
        self.index.clear();
        self.rows = 0;
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Takes every partition as an encoded Parquet file.
    pub fn take_parquet(
        &mut self,
        options: &ParquetOptions,
    ) -> Result<Vec<(PartitionKey, Vec<u8>, usize)>, OutputError> {
        self.take_batches()?
            .into_iter()
            .map(|(key, batch)| {
                let rows = batch.num_rows();
                Ok((key, encode_parquet(&[batch], options)?, rows))
            })
            .collect()
    }
}

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
