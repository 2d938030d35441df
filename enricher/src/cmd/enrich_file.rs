//! `enricher enrich-file`: a file of CloudFront lines or envelopes → Hive-partitioned Parquet
//! under `<output>/<prefix>/`, plus dead letters under `<output>/errors/`. Also the backfill
//! path for raw archives. Output names are deterministic (`<source>-<flush>.parquet`), so
//! re-running the same input overwrites instead of duplicating.

use super::common::{AllowListWatcher, EngineArgs};
use super::input::{InputKind, InputReader, Item};
use anyhow::Context as _;
use bytes::Bytes;
use enricher::core::{Origin, Outcome};
use enricher::fleet::shard::ENRICH_BATCH;
use enricher::output::PartitionedBatches;
use shared::deadletter::DeadLetter;
use shared::object_store::{LocalStore, ObjectStore};
use shared::parquet_io::ParquetOptions;
use shared::partition::{escape_value, object_key};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

/// Flags of `enrich-file`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input file (`-` = stdin): CloudFront real-time log lines, or a record file of envelopes.
    #[arg(long, env = "ENRICHER_INPUT")]
    pub input: PathBuf,
    /// Output directory (the embedded object store).
    #[arg(long, env = "ENRICHER_OUTPUT")]
    pub output: PathBuf,
    /// Key prefix of the enriched table inside the output.
    #[arg(long, env = "ENRICHER_PREFIX", default_value = "incoming")]
    pub prefix: String,
    /// Key prefix of dead letters.
    #[arg(long, env = "ENRICHER_ERRORS_PREFIX", default_value = "errors")]
    pub errors_prefix: String,
    /// Name of this input in derived event ids and file names (default: the file name). Keep
    /// it stable across re-runs so a replay overwrites and de-duplicates.
    #[arg(long, env = "ENRICHER_SOURCE_ID")]
    pub source_id: Option<String>,
    /// Write the buffered partitions every this many rows (bounds memory).
    #[arg(long, env = "ENRICHER_FLUSH_ROWS", default_value_t = 1_000_000)]
    pub flush_rows: usize,
    /// zstd level of the Parquet files.
    #[arg(long, env = "ENRICHER_ZSTD_LEVEL", default_value_t = 1)]
    pub zstd_level: i32,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// Inputs read but not yet enriched: their bytes back to back, and each one's span and position.
#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    spans: Vec<(std::ops::Range<usize>, u64)>,
}

impl Pending {
    fn add(&mut self, input: &[u8], position: u64) {
        let at = self.bytes.len();
        self.bytes.extend_from_slice(input);
        self.spans.push((at..self.bytes.len(), position));
    }

    fn iter(&self) -> impl Iterator<Item = (&[u8], u64)> {
        self.spans
            .iter()
            .map(|(span, position)| (&self.bytes[span.clone()], *position))
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.spans.clear();
    }
}

#[derive(Default)]
struct Counts {
    ok: u64,
    dropped: u64,
    failed: u64,
    files: u64,
    rows_written: u64,
    dropped_reasons: BTreeMap<String, u64>,
    failed_reasons: BTreeMap<String, u64>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let rt = super::common::runtime()?;
    let store = LocalStore::new(&args.output);
    let source = args.source_id.clone().unwrap_or_else(|| {
        args.input
            .file_name()
            .map_or_else(|| "stdin".to_string(), |n| n.to_string_lossy().into_owned())
    });
    let file_stem = escape_value(&source);
    let options = ParquetOptions {
        zstd_level: args.zstd_level,
        ..ParquetOptions::default()
    };
    let mut engine = args.engine.engine()?;
    let mut watcher = args.engine.allow_list.clone().map(AllowListWatcher::new);
    let mut reader = InputReader::open(&args.input)
        .with_context(|| format!("opening {}", args.input.display()))?;
    let mut batches = PartitionedBatches::new(&options)?;
    let mut dead = Vec::new();
    let mut counts = Counts::default();
    let mut flushes = 0u32;

    let mut flush = |batches: &mut PartitionedBatches, counts: &mut Counts| -> anyhow::Result<()> {
        for (key, bytes, rows) in batches.take_parquet()? {
            let name = format!("{file_stem}-{flushes:05}.parquet");
            let object = object_key(&args.prefix, &key, &name);
            rt.block_on(store.put(&object, Bytes::from(bytes)))?;
            counts.files += 1;
            counts.rows_written += rows as u64;
        }
        flushes += 1;
        Ok(())
    };

    // Inputs are enriched a batch at a time, as a worker does with a stream read (see
    // `Engine::enrich_batch`); the batch's bytes are copied out of the reader's buffer.
    let mut pending = Pending::default();
    let mut seen = 0u64;
    loop {
        let item = reader.next_item()?;
        let end = item.is_none();
        match item {
            Some(Item::Record(bytes, position)) => pending.add(bytes, position),
            Some(Item::Corrupt(rest, offset)) => {
                counts.failed += 1;
                *counts
                    .failed_reasons
                    .entry("record file: truncated or corrupt frame".into())
                    .or_default() += 1;
                DeadLetter::new(
                    "record file: truncated or corrupt frame",
                    &source,
                    offset,
                    &rest,
                    now_ms(),
                )
                .write_json_line(&mut dead);
            }
            None => {}
        }
        if !end {
            seen += 1;
            if seen.is_multiple_of(10_000) {
                if let Some(w) = watcher.as_mut() {
                    w.poll(&mut engine);
                }
            }
        }
        if pending.spans.len() >= ENRICH_BATCH || (end && !pending.spans.is_empty()) {
            let outcomes = engine.enrich_batch(pending.iter().map(|(bytes, position)| {
                let origin = Origin {
                    source: &source,
                    position,
                };
                (bytes, origin)
            }));
            for ((bytes, position), outcome) in pending.iter().zip(outcomes) {
                match outcome {
                    Outcome::Ok(record) => {
                        counts.ok += 1;
                        batches.push(&record)?;
                    }
                    Outcome::Dropped(why) => {
                        counts.dropped += 1;
                        *counts.dropped_reasons.entry(why.into_owned()).or_default() += 1;
                    }
                    Outcome::Failed(why) => {
                        counts.failed += 1;
                        DeadLetter::new(why.as_ref(), &source, position, bytes, now_ms())
                            .write_json_line(&mut dead);
                        *counts.failed_reasons.entry(why.into_owned()).or_default() += 1;
                    }
                }
            }
            pending.clear();
            if batches.rows() >= args.flush_rows {
                flush(&mut batches, &mut counts)?;
            }
        }
        if end {
            break;
        }
    }
    flush(&mut batches, &mut counts)?;
    let dead_key = format!(
        "{}/{file_stem}.jsonl",
        args.errors_prefix.trim_end_matches('/')
    );
    if !dead.is_empty() {
        rt.block_on(store.put(&dead_key, Bytes::from(dead)))?;
    }

    let kind = match reader.kind() {
        InputKind::Lines => "CloudFront lines",
        InputKind::Records => "envelopes",
    };
    let (hits, misses) = engine.ua_cache_stats();
    println!("input: {} ({kind}, {seen} records)", args.input.display());
    println!(
        "output: {} files, {} rows under {}/{}",
        counts.files,
        counts.rows_written,
        args.output.display(),
        args.prefix
    );
    for (why, n) in &counts.dropped_reasons {
        println!("  dropped {n:>8}  {why}");
    }
    for (why, n) in &counts.failed_reasons {
        println!("  failed  {n:>8}  {why}");
    }
    if counts.failed > 0 {
        println!("dead letters: {}/{dead_key}", args.output.display());
    }
    println!(
        "ua cache: {hits} hits, {misses} misses; elapsed {:.2}s",
        started.elapsed().as_secs_f64()
    );
    println!(
        "ok={} dropped={} failed={}",
        counts.ok, counts.dropped, counts.failed
    );
    Ok(())
}
