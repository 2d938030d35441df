//! Reading enriched Parquet inputs: the key columns of a whole file, and selected rows of all
//! columns. Files are read through `std::fs::File` (local inputs in place, remote ones staged
//! to scratch), so only the pages a selection needs are read and decoded.

use crate::core::order::{event_id_bits, KeyRow};
use crate::error::CompactError;
use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMillisecondType;
use arrow_array::RecordBatch;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection,
};
use parquet::arrow::ProjectionMask;
use parquet::file::metadata::PageIndexPolicy;
use std::fs::File;
use std::path::PathBuf;

/// One input file, opened, with its footer parsed once.
pub struct InputFile {
    /// Object key (for messages and the manifest).
    pub key: String,
    file: File,
    meta: ArrowReaderMetadata,
    /// First row of each row group.
    rg_start: Vec<usize>,
    /// Rows in the file.
    pub rows: usize,
}

impl InputFile {
    /// Opens `path` and reads its footer and page index.
    pub fn open(key: String, path: PathBuf) -> Result<InputFile, CompactError> {
        let file = File::open(&path).map_err(CompactError::scratch(&path))?;
        let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Optional);
        let meta =
            ArrowReaderMetadata::load(&file, options).map_err(CompactError::parquet(&key))?;
        let schema = shared::schema::file_schema();
        if meta.schema().fields() != schema.fields() {
            return Err(CompactError::BadInput {
                key,
                reason: "schema differs from the enriched record's file schema".into(),
            });
        }
        let mut rg_start = Vec::new();
        let mut rows = 0usize;
        for rg in meta.metadata().row_groups() {
            rg_start.push(rows);
            rows += rg.num_rows() as usize;
        }
        if u32::try_from(rows).is_err() {
            return Err(CompactError::BadInput {
                key,
                reason: "more than 2^32 rows".into(),
            });
        }
        Ok(InputFile {
            key,
            file,
            meta,
            rg_start,
            rows,
        })
    }

    fn builder(&self) -> Result<ParquetRecordBatchReaderBuilder<File>, CompactError> {
        let f = self.file.try_clone().map_err(|e| CompactError::Scratch {
            path: self.key.clone(),
            source: e,
        })?;
        Ok(ParquetRecordBatchReaderBuilder::new_with_metadata(
            f,
            self.meta.clone(),
        ))
    }

    /// Appends one [`KeyRow`] per row (event_timestamp, daily_visitor_id, event_id), interning
    /// visitors into `visitors`.
    pub fn read_keys(
        &self,
        file_idx: u32,
        out: &mut Vec<KeyRow>,
        visitors: &mut Interner,
    ) -> Result<(), CompactError> {
        let schema = self.meta.parquet_schema();
        let idx = |name: &str| crate::cols::index(name);
        let mask = ProjectionMask::roots(
            schema,
            [
                idx("event_timestamp"),
                idx("daily_visitor_id"),
                idx("event_id"),
            ],
        );
        let reader = self
            .builder()?
            .with_projection(mask)
            .with_batch_size(64 * 1024)
            .build()
            .map_err(CompactError::parquet(&self.key))?;
        let mut row = 0u32;
        for batch in reader {
            let batch = batch?;
            // Projected columns come back in file-schema order.
            let ts = batch.column(0).as_primitive::<TimestampMillisecondType>();
            let visitor = batch.column(1).as_string::<i32>();
            let event = batch.column(2).as_string::<i32>();
            for i in 0..batch.num_rows() {
                out.push(KeyRow {
                    ts: ts.value(i),
                    visitor: visitors.intern(visitor.value(i)),
                    event_id: event_id_bits(event.value(i)),
                    file: file_idx,
                    row,
                });
                row += 1;
            }
        }
        Ok(())
    }

    /// All columns of the given rows (ascending, unique), in that order.
    pub fn read_rows(&self, rows: &[u32]) -> Result<RecordBatch, CompactError> {
        let (Some(&first), Some(&last)) = (rows.first(), rows.last()) else {
            return Ok(RecordBatch::new_empty(self.meta.schema().clone()));
        };
        // Only the row groups that hold selected rows; the selection is relative to them.
        let rg_of = |r: u32| self.rg_start.partition_point(|&s| s <= r as usize) - 1;
        let (rg_lo, rg_hi) = (rg_of(first), rg_of(last));
        let base = self.rg_start[rg_lo];
        let end = self.rg_start.get(rg_hi + 1).copied().unwrap_or(self.rows);
        let mut ranges = Vec::new();
        let mut i = 0;
        while i < rows.len() {
            let start = rows[i] as usize;
            let mut stop = start + 1;
            i += 1;
            while i < rows.len() && rows[i] as usize == stop {
                stop += 1;
                i += 1;
            }
            ranges.push(start - base..stop - base);
        }
        let selection = RowSelection::from_consecutive_ranges(ranges.into_iter(), end - base);
        let reader = self
            .builder()?
            .with_row_groups((rg_lo..=rg_hi).collect())
            .with_row_selection(selection)
            .with_batch_size(rows.len())
            .build()
            .map_err(CompactError::parquet(&self.key))?;
        let mut batches = reader.collect::<Result<Vec<_>, _>>()?;
        // One batch is the normal case (batch size = selected rows); concatenating it anyway
        // would copy every buffer once more.
        if batches.len() == 1 {
            if let Some(b) = batches.pop() {
                return Ok(b);
            }
        }
        Ok(arrow_select::concat::concat_batches(
            self.meta.schema(),
            &batches,
        )?)
    }
}

pub use crate::core::intern::Interner;
