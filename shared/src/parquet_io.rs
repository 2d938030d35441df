//! Parquet encoding of enriched batches: zstd, column statistics, dictionary encoding.

use arrow_array::RecordBatch;
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::properties::{EnabledStatistics, WriterProperties};

/// Writer settings for enriched files.
#[derive(Debug, Clone)]
pub struct ParquetOptions {
    /// zstd level; 1 is the streaming default (fast, small enough; the compactor re-encodes).
    pub zstd_level: i32,
    /// Rows per row group.
    pub row_group_rows: usize,
}

impl Default for ParquetOptions {
    fn default() -> Self {
        ParquetOptions {
            zstd_level: 1,
            row_group_rows: 128 * 1024,
        }
    }
}

impl ParquetOptions {
    /// The `parquet` crate properties for these options.
    pub fn writer_properties(&self) -> Result<WriterProperties, ParquetError> {
        Ok(WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(self.zstd_level)?))
            .set_dictionary_enabled(true)
            .set_statistics_enabled(EnabledStatistics::Chunk)
            .set_max_row_group_row_count(Some(self.row_group_rows))
            .set_created_by(concat!("clickstream ", env!("CARGO_PKG_VERSION")).to_string())
            .build())
    }
}

/// Encodes batches (all of one schema) into one in-memory Parquet file.
pub fn encode_parquet(
    batches: &[RecordBatch],
    options: &ParquetOptions,
) -> Result<Vec<u8>, ParquetError> {
    let Some(first) = batches.first() else {
        return Err(ParquetError::General("no batch to encode".into()));
    };
    let mut out = Vec::with_capacity(64 * 1024);
    let mut writer =
        ArrowWriter::try_new(&mut out, first.schema(), Some(options.writer_properties()?))?;
    for b in batches {
        writer.write(b)?;
    }
    writer.close()?;
    Ok(out)
}

/// Decodes a whole in-memory Parquet file (tests, compactor).
pub fn decode_parquet(data: Bytes) -> Result<Vec<RecordBatch>, ParquetError> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(data)?
        .with_batch_size(64 * 1024)
        .build()?;
    reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ParquetError::External(Box::new(e)))
}
