//! Reading enriched Parquet inputs: the key columns of a whole file, then all columns front to
//! back. Files are read through `std::fs::File` (local inputs in place, remote ones staged to
//! scratch).

use crate::core::order::{event_id_bits, hex_visitor, KeyRow};
use crate::error::CompactError;
use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMillisecondType;
use arrow_array::RecordBatch;
use arrow_schema::ArrowError;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReader,
    ParquetRecordBatchReaderBuilder, RowSelection,
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
        let rows: usize = meta
            .metadata()
            .row_groups()
            .iter()
            .map(|rg| rg.num_rows() as usize)
            .sum();
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

    /// Fills `out` (exactly [`InputFile::rows`] long) with one [`KeyRow`] per row
    /// (event_timestamp, daily_visitor_id, event_id). Visitors are parsed as hex
    /// ([`hex_visitor`]) without `visitors`, or interned into it (the caller maps ids to
    /// ranks); returns false, with `out` partly filled, when a visitor is not hex and no
    /// interner was given.
    pub fn read_keys(
        &self,
        file_idx: u32,
        out: &mut [KeyRow],
        mut visitors: Option<&mut Interner>,
    ) -> Result<bool, CompactError> {
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
        let short = || CompactError::BadInput {
            key: self.key.clone(),
            reason: "row count differs from the footer's".into(),
        };
        for batch in reader {
            let batch = batch?;
            // Projected columns come back in file-schema order.
            let ts = batch.column(0).as_primitive::<TimestampMillisecondType>();
            let visitor = batch.column(1).as_string::<i32>();
            let event = batch.column(2).as_string::<i32>();
            for i in 0..batch.num_rows() {
                let v = visitor.value(i);
                let visitor = match visitors.as_deref_mut() {
                    Some(interner) => [0, 0, 0, u64::from(interner.intern(v))],
                    None => match hex_visitor(v) {
                        Some(key) => key,
                        None => return Ok(false),
                    },
                };
                *out.get_mut(row as usize).ok_or_else(short)? = KeyRow {
                    ts: ts.value(i),
                    visitor,
                    event_id: event_id_bits(event.value(i)),
                    file: file_idx,
                    row,
                };
                row += 1;
            }
        }
        if row as usize != out.len() {
            return Err(short());
        }
        Ok(true)
    }

    /// All rows, all columns, in file order, decoded once front to back in batches (with
    /// selected-row reads when the merge needs them, see [`crate::merge::Source`]).
    pub fn read_all(&self, batch_rows: usize) -> Result<FileSource<'_>, CompactError> {
        let reader = self
            .builder()?
            .with_batch_size(batch_rows)
            .build()
            .map_err(CompactError::parquet(&self.key))?;
        Ok(FileSource { file: self, reader })
    }

    /// All columns of the given rows (ascending, unique), in that order: only the row groups
    /// and pages holding them are decoded.
    pub fn read_rows(&self, rows: &[u32]) -> Result<RecordBatch, ArrowError> {
        let (Some(&first), Some(&last)) = (rows.first(), rows.last()) else {
            return Ok(RecordBatch::new_empty(self.meta.schema().clone()));
        };
        let mut rg_start = Vec::new();
        let mut at = 0usize;
        for rg in self.meta.metadata().row_groups() {
            rg_start.push(at);
            at += rg.num_rows() as usize;
        }
        // Only the row groups that hold selected rows; the selection is relative to them.
        let rg_of = |r: u32| {
            rg_start
                .partition_point(|&s| s <= r as usize)
                .saturating_sub(1)
        };
        let (rg_lo, rg_hi) = (rg_of(first), rg_of(last));
        let base = rg_start[rg_lo];
        let end = rg_start.get(rg_hi + 1).copied().unwrap_or(self.rows);
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
            .builder()
            .map_err(|e| ArrowError::ExternalError(Box::new(e)))?
            .with_row_groups((rg_lo..=rg_hi).collect())
            .with_row_selection(selection)
            .with_batch_size(rows.len())
            .build()?;
        let batches = reader.collect::<Result<Vec<_>, _>>()?;
        arrow_select::concat::concat_batches(self.meta.schema(), &batches)
    }
}

/// [`InputFile::read_all`]: a sequential reader plus random access to the same file.
pub struct FileSource<'a> {
    file: &'a InputFile,
    reader: ParquetRecordBatchReader,
}

impl crate::merge::Source for FileSource<'_> {
    fn next_batch(&mut self) -> Option<Result<RecordBatch, ArrowError>> {
        self.reader.next()
    }

    fn read_rows(&self, rows: &[u32]) -> Result<RecordBatch, ArrowError> {
        self.file.read_rows(rows)
    }
}

pub use crate::core::intern::Interner;
