//! Parquet encoding cost of enriched rows under writer-setting variants (BENCHMARKS.md).
//!
//! `cargo run --release -p enricher --example encode_cost -- <cloudfront.log> [lines]`
//! enriches the first `lines` lines once, keeps them as 8192-row Arrow chunks per partition
//! (as `PartitionedBatches` does), then times re-encoding all partitions with each variant
//! (median of at least 5 repetitions, each starting from another variant; see the timing loop) and prints µs/row and MB.
//!
//! Environment: `PER_COLUMN=1` adds one variant per zstd column written uncompressed;
//! `UNCOMP=a,b,…` one variant with those leaves (dotted paths) uncompressed, and `SNAPPY=…`
//! one with those in Snappy on top of `UNCOMP`; `NOSTATS=…` one without statistics and
//! `DICT=…` / `NODICT=…` one with dictionary encoding on / off on those leaves; `ONLY_BASE=1` runs the current
//! settings only (for `perf record`).

use enricher::core::ids::SecretDailySalt;
use enricher::core::{Engine, EngineConfig, Origin, Outcome};
use enricher::output::CHUNK_ROWS;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterPropertiesBuilder};
use parquet::schema::types::ColumnPath;
use rustc_hash::FxHashMap;
use shared::batch::RecordBatchBuilder;
use shared::parquet_io::ParquetOptions;
use shared::schema::file_schema;
use std::io::BufRead;
use std::time::Instant;

/// The delta-encoded time columns (`shared::parquet_io::DELTA_COLUMNS`) written as before
/// 2026-11-24 night: plain, dictionary off, zstd.
fn plain_zstd_times(mut b: WriterPropertiesBuilder) -> WriterPropertiesBuilder {
    for c in shared::parquet_io::DELTA_COLUMNS {
        b = b
            .set_column_encoding(ColumnPath::from(*c), parquet::basic::Encoding::PLAIN)
            .set_column_compression(
                ColumnPath::from(*c),
                Compression::ZSTD(ZstdLevel::try_new(1).expect("level")),
            );
    }
    b
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).map_or("/tmp/bench/cf100k.log", String::as_str);
    let limit: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let reader = std::io::BufReader::new(std::fs::File::open(path)?);
    let lines: Vec<Vec<u8>> = reader.split(b'\n').take(limit).collect::<Result<_, _>>()?;
    let mut engine = Engine::new(
        Box::new(SecretDailySalt::new(b"encode-cost-example-secret").map_err(anyhow::Error::msg)?),
        EngineConfig::default(),
    )?;
    let mut parts: FxHashMap<String, (RecordBatchBuilder, Vec<arrow_array::RecordBatch>)> =
        FxHashMap::default();
    let mut rows = 0usize;
    for (i, line) in lines.iter().enumerate() {
        let origin = Origin {
            source: "x",
            position: i as u64,
        };
        if let Outcome::Ok(r) = engine.enrich(line, origin) {
            let key = format!(
                "{}/{:?}/{}",
                r.domain_name,
                r.event_type,
                r.event_ms / 86_400_000
            );
            let (b, done) = parts
                .entry(key)
                .or_insert_with(|| (RecordBatchBuilder::default(), vec![]));
            b.append(&r);
            rows += 1;
            if b.len() >= CHUNK_ROWS {
                done.push(b.finish()?);
            }
        }
    }
    let parts: Vec<Vec<arrow_array::RecordBatch>> = parts
        .into_values()
        .map(|(mut b, mut done)| {
            if !b.is_empty() {
                done.push(b.finish().expect("schema"));
            }
            done
        })
        .collect();
    eprintln!("{rows} rows in {} partitions", parts.len());

    let q = || ColumnPath::from("request_query_string");
    type Variant = (
        &'static str,
        Box<dyn Fn(WriterPropertiesBuilder) -> WriterPropertiesBuilder>,
    );
    let mut variants: Vec<Variant> = vec![
        ("base", Box::new(|b| b)),
        (
            "q zstd -1",
            Box::new(move |b| {
                b.set_column_compression(
                    q(),
                    Compression::ZSTD(ZstdLevel::try_new(-1).expect("level")),
                )
            }),
        ),
        (
            "q zstd -5",
            Box::new(move |b| {
                b.set_column_compression(
                    q(),
                    Compression::ZSTD(ZstdLevel::try_new(-5).expect("level")),
                )
            }),
        ),
        (
            "q snappy",
            Box::new(move |b| b.set_column_compression(q(), Compression::SNAPPY)),
        ),
        (
            "q none",
            Box::new(move |b| b.set_column_compression(q(), Compression::UNCOMPRESSED)),
        ),
        (
            "q no stats",
            Box::new(move |b| b.set_column_statistics_enabled(q(), EnabledStatistics::None)),
        ),
        (
            "no stats",
            Box::new(|b| b.set_statistics_enabled(EnabledStatistics::None)),
        ),
        (
            "page 256k",
            Box::new(|b| b.set_data_page_size_limit(256 << 10)),
        ),
        ("page 4M", Box::new(|b| b.set_data_page_size_limit(4 << 20))),
        ("batch 8192", Box::new(|b| b.set_write_batch_size(8192))),
        ("time plain+zstd", Box::new(plain_zstd_times)),
        (
            "all none",
            Box::new(|b| b.set_compression(Compression::UNCOMPRESSED)),
        ),
    ];
    if std::env::var_os("PER_COLUMN").is_some() {
        variants.truncate(1);
        // Each zstd-compressed leaf column, written uncompressed instead.
        for f in file_schema().fields() {
            let name: &'static str = f.name().clone().leak();
            if shared::parquet_io::UNCOMPRESSED_COLUMNS.contains(&name) {
                continue;
            }
            variants.push((
                name,
                Box::new(move |b| {
                    b.set_column_compression(ColumnPath::from(name), Compression::UNCOMPRESSED)
                }),
            ));
        }
    }
    if std::env::var_os("UNCOMP").is_some() || std::env::var_os("SNAPPY").is_some() {
        variants.truncate(1);
    }
    for (var, codec) in [
        ("UNCOMP", Compression::UNCOMPRESSED),
        ("SNAPPY", Compression::SNAPPY),
    ] {
        // `UNCOMP=a,b` / `SNAPPY=a,b`: one more variant with these columns in that codec.
        if let Ok(cols) = std::env::var(var) {
            let mut cols: Vec<(&'static str, Compression)> =
                cols.leak().split(',').map(|c| (c, codec)).collect();
            if var == "SNAPPY" {
                // On top of the UNCOMP list, if any.
                if let Ok(u) = std::env::var("UNCOMP") {
                    cols.extend(u.leak().split(',').map(|c| (c, Compression::UNCOMPRESSED)));
                }
            }
            variants.push((
                var,
                Box::new(move |mut b| {
                    for (c, codec) in &cols {
                        let path = ColumnPath::new(c.split('.').map(str::to_string).collect());
                        b = b.set_column_compression(path, *codec);
                    }
                    b
                }),
            ));
        }
    }
    // `NOSTATS=a,b` / `DICT=a,b`: one more variant with that setting on these leaves.
    type Setter = fn(WriterPropertiesBuilder, ColumnPath) -> WriterPropertiesBuilder;
    let per_leaf: [(&'static str, Setter); 3] = [
        ("NOSTATS", |b, p| {
            b.set_column_statistics_enabled(p, EnabledStatistics::None)
        }),
        ("DICT", |b, p| b.set_column_dictionary_enabled(p, true)),
        ("NODICT", |b, p| b.set_column_dictionary_enabled(p, false)),
    ];
    for (var, set) in per_leaf {
        if let Ok(cols) = std::env::var(var) {
            let cols: Vec<&'static str> = cols.leak().split(',').collect();
            variants.push((
                var,
                Box::new(move |mut b| {
                    for c in &cols {
                        b = set(
                            b,
                            ColumnPath::new(c.split('.').map(str::to_string).collect()),
                        );
                    }
                    b
                }),
            ));
        }
    }
    if std::env::var_os("ONLY_BASE").is_some() {
        variants.truncate(1); // for `perf record`
    }
    // Each repetition times every variant once, starting from a different one: within a
    // pass, later encodes ran faster (the same `base` listed 1st, 3rd and 6th measured 1.60,
    // 1.57 and 1.54 µs/row), so a fixed order favoured whatever came last. Rotating the start
    // puts every variant at every position; the median over the rotations is reported.
    let base = ParquetOptions::default();
    let props: Vec<_> = variants
        .iter()
        .map(|(_, f)| Ok(f(base.writer_properties_builder()?).build()))
        .collect::<anyhow::Result<_>>()?;
    let reps = variants.len().max(5);
    let mut secs = vec![Vec::with_capacity(reps); variants.len()];
    let mut bytes = vec![0usize; variants.len()];
    for rep in 0..reps {
        for k in 0..variants.len() {
            let v = (rep + k) % variants.len();
            let t = Instant::now();
            bytes[v] = 0;
            for batches in &parts {
                let mut w =
                    ArrowWriter::try_new(Vec::new(), file_schema(), Some(props[v].clone()))?;
                for b in batches {
                    w.write(b)?;
                }
                bytes[v] += w.into_inner()?.len();
            }
            secs[v].push(t.elapsed().as_secs_f64());
        }
    }
    for (v, (name, _)) in variants.iter().enumerate() {
        secs[v].sort_by(f64::total_cmp);
        println!(
            "{name:>12}: {:.3} µs/row (median of {reps}), {:.1} MB",
            secs[v][reps / 2] * 1e6 / rows as f64,
            bytes[v] as f64 / 1e6
        );
    }
    Ok(())
}
