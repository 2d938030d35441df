//! Parquet encoding of enriched batches: zstd, column statistics, dictionary encoding.

use arrow_array::RecordBatch;
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterPropertiesBuilder};
use parquet::schema::types::ColumnPath;

/// Columns whose values are (nearly) unique per row: a dictionary never pays off, and trying
/// one costs a hash-table insert per value until the dictionary page overflows.
/// (`daily_page_view_id` is not one: a fifth of its values repeat, every hit of a page view
/// sharing it. Since the direct encoder keys its dictionary by the 32-byte digest and writes
/// the dictionary page without libzstd, a dictionary there is 2 % faster in enrich + encode
/// for 0.2–0.5 % larger files; BENCHMARKS.md 2026-11-25, midday.)
pub const HIGH_CARDINALITY_COLUMNS: &[&str] = &[
    "event_timestamp",
    "arrival_timestamp",
    "arrival_delay_ms",
    "request_query_string",
    "page_view_id",
    "event_id",
];

/// Integer time columns written DELTA_BINARY_PACKED and without zstd. Rows reach a file in
/// arrival order, so consecutive values differ by a few milliseconds: delta bit-packing alone
/// stores them about as small as plain + zstd did (cf400k.log: 6.73 → 7.02 bytes a row for the
/// three, +0.2 % on the whole file), without a compression context per column chunk or a pass of
/// zstd over 24 bytes a row (`encode_cost`: −0.05 µs a row; BENCHMARKS.md 2026-11-24 night).
/// pyarrow and DuckDB read them back identically.
pub const DELTA_COLUMNS: &[&str] = &["event_timestamp", "arrival_timestamp", "arrival_delay_ms"];

/// Columns whose min/max can never prune a row group: random hashes and free text, in files
/// ordered by time (enricher: arrival; compactor: event time). parquet-rs compares every value
/// against the running min and max, ~0.13 µs per row for these five (`encode_cost`,
/// BENCHMARKS.md 2026-11-24 evening), for statistics no query can use. (URL and path were
/// measured too, 2026-11-24 night: ~0.01 µs per row, not worth losing their statistics.)
pub const NO_STATISTICS_COLUMNS: &[&str] = &[
    "request_query_string",
    "page_view_id",
    "daily_page_view_id",
    "daily_visitor_id",
    "event_data",
];

/// Text columns whose min/max a streaming (hot-tier) file keeps only when
/// [`ParquetOptions::text_statistics`] is on. The enricher's files hold rows in arrival order,
/// so a column chunk's range of names, URLs, versions or random ids spans nearly every value and
/// prunes nothing; time filters prune by partition and by the timestamp statistics, which stay,
/// as do `event_id` (UUIDv7, time-ordered), `source` and every number. parquet-rs compares each
/// value against the running min and max: 0.13 µs a row for these 32 (`encode_cost`, cf400k,
/// BENCHMARKS.md 2026-11-25). The compactor's files, sorted and kept for good, keep them all.
pub const TEXT_STATISTICS_COLUMNS: &[&str] = &[
    "edge_city",
    "edge_state",
    "edge_country",
    "edge_country_code",
    "edge_id",
    "referrer",
    "referrer_domain_name",
    "browser_name",
    "browser_version",
    "browser_os_name",
    "browser_os_version",
    "browser_timezone",
    "browser_language",
    "device_type",
    "device_vendor",
    "device_outer_resolution",
    "device_inner_resolution",
    "device_platform",
    "utm_source",
    "utm_campaign",
    "utm_medium",
    "utm_content",
    "utm_term",
    "request_url",
    "request_path",
    "request_cache_status",
    "event_name",
    "client_id",
    "user_id",
    "product_action",
    "transaction_id",
    "currency_code",
];

/// Low-cardinality columns: dictionary + RLE already shrink them to a few bytes per page, so
/// zstd would add nothing but a compression context per column chunk (whose set-up dominates
/// the cost of writing many small partition files: each zstd context probes the CPU with
/// `cpuid`, ~4 µs per instruction in a VM, BENCHMARKS.md 2026-11-24 afternoon). Nested leaves
/// are written as dotted paths.
pub const UNCOMPRESSED_COLUMNS: &[&str] = &[
    "event_year",
    "event_month",
    "event_day",
    "edge_state",
    "edge_country",
    "edge_country_code",
    "edge_id",
    "browser_name",
    "browser_os_name",
    "device_type",
    "device_vendor",
    "device_color_depth",
    "device_platform",
    "device_memory",
    "device_cores",
    "request_status_code",
    "request_cache_status",
    "request_is_bot",
    "source",
    "product_action",
    "currency_code",
    "transaction_tax",
    "transaction_shipping",
    // zstd saved at most ~0.03 MB of 63 MB on each of these (cf400k.log; +0.3 % in all).
    "edge_city",
    "edge_latitude",
    "edge_longitude",
    "browser_timezone",
    "browser_language",
    "device_outer_resolution",
    "utm_source",
    "utm_medium",
    "request_asn",
    "event_name",
    "transaction_revenue",
    "products.list.item.price",
    "products.list.item.quantity",
    "products.list.item.position",
    // Rare or repetitive text and one small integer, which dictionary + RLE already store small
    // (zstd off: +0.2 % bytes on CloudFront lines, +0.5 % on envelopes with 30 % `/collect`;
    // `client_id` keeps zstd, +0.9 % alone). Every zstd column chunk creates a compression and a
    // decompression context, ~20 µs a pair in a VM (`cpuid` traps), so these 12 saved ~0.25 ms
    // per partition file (BENCHMARKS.md 2026-11-25).
    "referrer_domain_name",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "request_bytes",
    "user_id",
    "transaction_id",
    "products.list.item.id",
    "products.list.item.name",
    "products.list.item.brand",
    "products.list.item.category",
    "products.list.item.variant",
];

/// `a.b.c` → the path of a nested leaf (`ColumnPath::from` would keep the dots in one part,
/// which matches no column).
fn column_path(dotted: &str) -> ColumnPath {
    ColumnPath::new(dotted.split('.').map(str::to_string).collect())
}

/// Writer settings for enriched files.
#[derive(Debug, Clone)]
pub struct ParquetOptions {
    /// zstd level; 1 is the streaming default (fast, small enough; the compactor re-encodes).
    pub zstd_level: i32,
    /// Rows per row group.
    pub row_group_rows: usize,
    /// Min/max statistics on [`TEXT_STATISTICS_COLUMNS`] too (compacted files); off for the
    /// streaming writer's arrival-ordered files, where they cannot prune.
    pub text_statistics: bool,
}

impl Default for ParquetOptions {
    fn default() -> Self {
        ParquetOptions {
            zstd_level: 1,
            row_group_rows: 128 * 1024,
            text_statistics: false,
        }
    }
}

impl ParquetOptions {
    /// The `parquet` crate properties for these options.
    pub fn writer_properties(&self) -> Result<WriterProperties, ParquetError> {
        Ok(self.writer_properties_builder()?.build())
    }

    /// [`ParquetOptions::writer_properties`] before `build`, for callers (benchmarks) that
    /// vary one setting.
    pub fn writer_properties_builder(&self) -> Result<WriterPropertiesBuilder, ParquetError> {
        let mut b = WriterProperties::builder();
        for c in HIGH_CARDINALITY_COLUMNS {
            b = b.set_column_dictionary_enabled(column_path(c), false);
        }
        for c in UNCOMPRESSED_COLUMNS {
            b = b.set_column_compression(column_path(c), Compression::UNCOMPRESSED);
        }
        for c in NO_STATISTICS_COLUMNS {
            b = b.set_column_statistics_enabled(column_path(c), EnabledStatistics::None);
        }
        if !self.text_statistics {
            for c in TEXT_STATISTICS_COLUMNS {
                b = b.set_column_statistics_enabled(column_path(c), EnabledStatistics::None);
            }
        }
        for c in DELTA_COLUMNS {
            b = b
                .set_column_encoding(column_path(c), Encoding::DELTA_BINARY_PACKED)
                .set_column_compression(column_path(c), Compression::UNCOMPRESSED);
        }
        Ok(
            b.set_compression(Compression::ZSTD(ZstdLevel::try_new(self.zstd_level)?))
                .set_dictionary_enabled(true)
                .set_statistics_enabled(EnabledStatistics::Chunk)
                .set_max_row_group_row_count(Some(self.row_group_rows))
                .set_created_by(concat!("clickstream ", env!("CARGO_PKG_VERSION")).to_string()),
        )
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

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::arrow::ArrowSchemaConverter;

    #[test]
    fn per_column_settings_name_existing_leaves() {
        let descr = ArrowSchemaConverter::new()
            .convert(&crate::schema::file_schema())
            .expect("schema converts");
        let leaves: Vec<ColumnPath> = descr.columns().iter().map(|c| c.path().clone()).collect();
        let named = HIGH_CARDINALITY_COLUMNS
            .iter()
            .chain(UNCOMPRESSED_COLUMNS)
            .chain(NO_STATISTICS_COLUMNS)
            .chain(TEXT_STATISTICS_COLUMNS)
            .chain(DELTA_COLUMNS);
        for c in named {
            assert!(leaves.contains(&column_path(c)), "{c} is not a leaf column");
        }
        let props = ParquetOptions::default()
            .writer_properties()
            .expect("properties");
        let price = column_path("products.list.item.price");
        assert_eq!(props.compression(&price), Compression::UNCOMPRESSED);
        let query = column_path("request_query_string");
        assert!(matches!(props.compression(&query), Compression::ZSTD(_)));
        assert_eq!(props.statistics_enabled(&query), EnabledStatistics::None);
        let ts = column_path("event_timestamp");
        assert_eq!(props.statistics_enabled(&ts), EnabledStatistics::Chunk);
        assert_eq!(props.encoding(&ts), Some(Encoding::DELTA_BINARY_PACKED));
        assert_eq!(props.compression(&ts), Compression::UNCOMPRESSED);
        assert!(
            !props.dictionary_enabled(&ts),
            "delta needs the dictionary off"
        );
        let path = column_path("request_path");
        let id = column_path("event_id");
        assert_eq!(props.statistics_enabled(&path), EnabledStatistics::None);
        assert_eq!(props.statistics_enabled(&id), EnabledStatistics::Chunk);
        let compacted = ParquetOptions {
            text_statistics: true,
            ..ParquetOptions::default()
        }
        .writer_properties()
        .expect("properties");
        assert_eq!(
            compacted.statistics_enabled(&path),
            EnabledStatistics::Chunk
        );
        assert_eq!(
            compacted.statistics_enabled(&query),
            EnabledStatistics::None
        );
    }
}
