//! Reading enriched Parquet inputs: the key columns of a whole file, then all columns front to
//! back. Files are read through `std::fs::File` (local inputs in place, remote ones staged to
//! scratch).

use crate::core::order::{event_id_bits, hex_visitor, KeyRow};
use crate::error::CompactError;
use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMillisecondType;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
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

    /// All rows, all columns, in file order, decoded once front to back in batches.
    pub fn read_all(
        &self,
        batch_rows: usize,
    ) -> Result<parquet::arrow::arrow_reader::ParquetRecordBatchReader, CompactError> {
        self.builder()?
            .with_batch_size(batch_rows)
            .build()
            .map_err(CompactError::parquet(&self.key))
    }
}

pub use crate::core::intern::Interner;
