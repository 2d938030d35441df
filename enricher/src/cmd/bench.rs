//! `enricher bench`: single-threaded enrichment speed on a file held in memory.
//!
//! Two timed passes per run, each with a fresh engine (cold UA cache, as a new worker has):
//! (a) enrich only, one input at a time; (b) enrich + Parquet encode into memory (zstd, flushed
//! every `--flush-rows` rows), as a worker does it: `--batch` inputs enriched together, then
//! their rows encoded. Engine construction (UA regex compilation) and
//! file reading are outside the timings. The last line is machine-readable.

use super::common::EngineArgs;
use super::input::{read_all, InputKind};
use enricher::core::{Origin, Outcome};
use enricher::output::PartitionedBatches;
use shared::parquet_io::ParquetOptions;
use std::path::PathBuf;
use std::time::Instant;

/// Flags of `bench`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input file (CloudFront lines or a record file of envelopes).
    #[arg(long)]
    pub input: PathBuf,
    /// Runs of both passes; medians are reported.
    #[arg(long, default_value_t = 1)]
    pub runs: usize,
    /// Rows per encoded flush in pass (b).
    #[arg(long, default_value_t = 1_000_000)]
    pub flush_rows: usize,
    /// Inputs enriched together before their records are encoded in pass (b) (as a worker
    /// handles one stream read).
    #[arg(long, default_value_t = enricher::fleet::shard::ENRICH_BATCH)]
    pub batch: usize,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// Seconds this thread has spent on a CPU (Linux `schedstat`), `None` elsewhere. On a shared
/// 2-core machine the wall clock also counts time other processes held the CPU; the on-CPU
/// rate is printed next to it so A/B comparisons survive a noisy neighbour.
fn thread_cpu_secs() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Runs the benchmark.
pub fn run(args: Args) -> anyhow::Result<()> {
    let (kind, inputs) = read_all(&args.input)?;
    let n = inputs.len() as f64;
    let kind = if kind == InputKind::Lines {
        "cloudfront-lines"
    } else {
        "envelopes"
    };
    eprintln!(
        "bench: {} records ({kind}) from {}",
        inputs.len(),
        args.input.display()
    );
    let options = ParquetOptions::default();
    let (mut enrich_rates, mut full_rates, mut hit_rates) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..args.runs.max(1) {
        // (a) enrich only.
        let mut engine = args.engine.engine()?;
        let t = Instant::now();
        let mut ok = 0u64;
        for (i, bytes) in inputs.iter().enumerate() {
            let out = engine.enrich(
                bytes,
                Origin {
                    source: "bench",
                    position: i as u64,
                },
            );
            ok += u64::from(matches!(std::hint::black_box(&out), Outcome::Ok(_)));
        }
        let enrich_secs = t.elapsed().as_secs_f64();

        // (b) enrich + encode.
        let mut engine = args.engine.engine()?;
        let mut batches = PartitionedBatches::new(&options)?;
        let (mut files, mut bytes_out) = (0usize, 0usize);
        let mut encode_secs = 0.0;
        let cpu = thread_cpu_secs();
        let t = Instant::now();
        let size = args.batch.max(1);
        for (b, chunk) in inputs.chunks(size).enumerate() {
            let first = (b * size) as u64;
            let outcomes = engine.enrich_batch(chunk.iter().enumerate().map(|(i, bytes)| {
                let origin = Origin {
                    source: "bench",
                    position: first + i as u64,
                };
                (bytes.as_slice(), origin)
            }));
            for out in &outcomes {
                if let Outcome::Ok(record) = out {
                    batches.push(record)?;
                }
            }
            if batches.rows() >= args.flush_rows {
                let te = Instant::now();
                for (_, data, _) in batches.take_parquet()? {
                    files += 1;
                    bytes_out += std::hint::black_box(data).len();
                }
                encode_secs += te.elapsed().as_secs_f64();
            }
        }
        let te = Instant::now();
        for (_, data, _) in batches.take_parquet()? {
            files += 1;
            bytes_out += std::hint::black_box(data).len();
        }
        encode_secs += te.elapsed().as_secs_f64();
        let full_secs = t.elapsed().as_secs_f64();
        let full_cpu = thread_cpu_secs().zip(cpu).map(|(b, a)| b - a);
        let (hits, misses) = engine.ua_cache_stats();
        let hit_rate = hits as f64 / (hits + misses).max(1) as f64;
        eprintln!(
            "run {}: enrich_only {:.0}/s, enrich+encode {:.0}/s (on-CPU {:.0}/s; of which Parquet encoding {:.2}s; {ok} ok, {files} parquet files, {:.1} MB), ua cache {hits} hits / {misses} misses",
            run + 1,
            n / enrich_secs,
            n / full_secs,
            full_cpu.map_or(0.0, |c| n / c),
            encode_secs,
            bytes_out as f64 / 1e6
        );
        enrich_rates.push(n / enrich_secs);
        full_rates.push(n / full_secs);
        hit_rates.push(hit_rate);
    }
    println!(
        "lines_per_sec={:.0} enrich_only_lines_per_sec={:.0} ua_cache_hit_rate={:.4}",
        median(&mut full_rates),
        median(&mut enrich_rates),
        median(&mut hit_rates)
    );
    Ok(())
}
