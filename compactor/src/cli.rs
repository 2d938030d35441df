//! Command line (every flag is also a `COMPACTOR_…` environment variable).

use crate::run::RunConfig;
use crate::unit::Options;
use shared::time::Date;
use std::path::PathBuf;

/// Compaction of the enriched table and the analytics tables.
#[derive(clap::Parser, Debug)]
#[command(name = "compactor", version, about)]
pub struct Cli {
    /// Log as JSON lines.
    #[arg(long, env = "COMPACTOR_LOG_JSON", global = true)]
    pub log_json: bool,
    /// Command.
    #[command(subcommand)]
    pub command: Command,
}

/// Commands.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Compact days and compute their tables; publish each domain-day atomically.
    Run(RunArgs),
    /// Print the live files of a table (resolved through the manifests).
    Live(LiveArgs),
}

/// Flags of `run`.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Enriched table root: `s3://BUCKET/incoming`, `file:///DIR/incoming` or a path.
    #[arg(long, env = "COMPACTOR_INPUT")]
    pub input: String,
    /// Curated root (tables and manifests are written below it).
    #[arg(long, env = "COMPACTOR_OUTPUT")]
    pub output: String,
    /// One day, YYYY-MM-DD.
    #[arg(long, env = "COMPACTOR_DATE", conflicts_with_all = ["from", "to"])]
    pub date: Option<String>,
    /// First day of a range (with --to, inclusive).
    #[arg(long, env = "COMPACTOR_FROM", requires = "to")]
    pub from: Option<String>,
    /// Last day of a range, inclusive.
    #[arg(long, env = "COMPACTOR_TO", requires = "from")]
    pub to: Option<String>,
    /// Only these domains (comma-separated); default: every domain with input or a manifest.
    #[arg(long, env = "COMPACTOR_DOMAINS", value_delimiter = ',')]
    pub domains: Vec<String>,
    /// The day is still open: default day is today (UTC); the next run after the day closed
    /// recomputes it.
    #[arg(long, env = "COMPACTOR_INTRADAY")]
    pub intraday: bool,
    /// Recompute even when the input listing equals the one in the manifest.
    #[arg(long, env = "COMPACTOR_FORCE")]
    pub force: bool,
    /// Seconds a replaced version stays readable before it is deleted.
    #[arg(long, env = "COMPACTOR_GRACE_SECS", default_value_t = 3600)]
    pub grace_secs: u64,
    /// zstd level of the output files. 1 by default: on the 5M-event benchmark day level 3
    /// made the output only 1 % smaller (1.027 vs 1.017 GB) for ~3 s more CPU (BENCHMARKS.md).
    #[arg(long, env = "COMPACTOR_ZSTD_LEVEL", default_value_t = 1)]
    pub zstd_level: i32,
    /// Rows per row group.
    #[arg(long, env = "COMPACTOR_ROW_GROUP_ROWS", default_value_t = 128 * 1024)]
    pub row_group_rows: usize,
    /// Target size of a compacted file, MiB.
    #[arg(long, env = "COMPACTOR_TARGET_FILE_MB", default_value_t = 128)]
    pub target_file_mb: u64,
    /// Rows gathered per step (memory ≈ 4 × this × ~1.5 KB decoded).
    #[arg(long, env = "COMPACTOR_CHUNK_ROWS", default_value_t = 8 * 1024)]
    pub chunk_rows: usize,
    /// Decoded input rows kept waiting for their place in the output at most (~1.3 KB each);
    /// rows further ahead are read on their own, slower. The 5M-event benchmark day needs
    /// 173k for its largest partition.
    #[arg(long, env = "COMPACTOR_MAX_HELD_ROWS", default_value_t = 256 * 1024)]
    pub max_held_rows: usize,
    /// Scratch directory for output files before upload (and staged S3 inputs).
    #[arg(long, env = "COMPACTOR_SCRATCH")]
    pub scratch: Option<PathBuf>,
    /// Test fail point: stop after this many uploads, before the manifest switch.
    #[arg(long, env = "COMPACTOR_TEST_PAUSE_AFTER_UPLOADS", hide = true)]
    pub test_pause_after_uploads: Option<usize>,
}

/// Flags of `live`.
#[derive(clap::Args, Debug)]
pub struct LiveArgs {
    /// Curated root.
    #[arg(long, env = "COMPACTOR_OUTPUT")]
    pub output: String,
    /// compacted, sessions, stats, events, overview_1h or overview_1d.
    #[arg(long)]
    pub table: String,
    /// Only this day.
    #[arg(long)]
    pub date: Option<String>,
    /// Only this domain.
    #[arg(long)]
    pub domain: Option<String>,
    /// `lines` (one path per line), `sql` (a quoted, comma-separated list for read_parquet) or
    /// `athena` (ALTER TABLE statements pointing each partition at its live version).
    #[arg(long, default_value = "lines")]
    pub format: String,
}

fn parse_date(flag: &str, s: &str) -> Result<Date, String> {
    Date::parse(s).ok_or_else(|| format!("--{flag} must be YYYY-MM-DD, got {s:?}"))
}

impl RunArgs {
    /// Validates the flags into a run configuration; `today` is the current UTC day.
    pub fn config(&self, today: Date) -> Result<RunConfig, String> {
        let dates = match (&self.date, &self.from, &self.to) {
            (Some(d), _, _) => vec![parse_date("date", d)?],
            (None, Some(f), Some(t)) => {
                let (f, t) = (parse_date("from", f)?, parse_date("to", t)?);
                if f > t {
                    return Err(format!("--from {f} is after --to {t}"));
                }
                if t.to_days() - f.to_days() > 3660 {
                    return Err("a range is at most 3660 days".into());
                }
                (f.to_days()..=t.to_days()).map(Date::from_days).collect()
            }
            (None, None, None) if self.intraday => vec![today],
            _ => return Err("give --date, --from/--to, or --intraday".into()),
        };
        if !(1..=22).contains(&self.zstd_level) {
            return Err(format!(
                "--zstd-level must be 1..=22, got {}",
                self.zstd_level
            ));
        }
        if self.row_group_rows == 0 || self.chunk_rows == 0 || self.target_file_mb == 0 {
            return Err("--row-group-rows, --chunk-rows and --target-file-mb must be > 0".into());
        }
        Ok(RunConfig {
            input: self.input.clone(),
            output: self.output.clone(),
            dates,
            domains: self
                .domains
                .iter()
                .filter(|d| !d.is_empty())
                .cloned()
                .collect(),
            intraday: self.intraday,
            force: self.force,
            grace_ms: (self.grace_secs as i64).saturating_mul(1000),
            pause_after_uploads: self.test_pause_after_uploads,
            options: Options {
                zstd_level: self.zstd_level,
                row_group_rows: self.row_group_rows,
                target_file_bytes: self.target_file_mb * 1024 * 1024,
                chunk_rows: self.chunk_rows,
                max_held_rows: self.max_held_rows,
                scratch: self.scratch.clone().unwrap_or_else(std::env::temp_dir),
            },
        })
    }
}
