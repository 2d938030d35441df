//! `enricher run`: one worker of the fleet (docs/DESIGN.md). Flags build a
//! [`WorkerConfig`]; the loop itself is the library's [`enricher::fleet::worker::run`], which
//! the integration tests drive in-process.

use super::common::EngineArgs;
use anyhow::Context as _;
use enricher::fleet::metrics::Health;
use enricher::fleet::shard::Prefixes;
use enricher::fleet::worker::{run as run_worker, WorkerConfig};
use shared::lease::{open_lease_store, Checkpoint};
use shared::object_store::open_store;
use shared::parquet_io::ParquetOptions;
use shared::stream::{open_stream, StreamUrl};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Where shards without a lease start.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum InitialPosition {
    /// The oldest retained record.
    TrimHorizon,
    /// Only records written from now on.
    Latest,
}

/// Flags of `run`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Stream: `file:///DIR` (embedded) or `kinesis://STREAM`.
    #[arg(long, env = "ENRICHER_STREAM", default_value = "file://data/stream")]
    pub stream: String,
    /// Lease table: `file:///DIR` (embedded) or `dynamodb://TABLE`.
    #[arg(long, env = "ENRICHER_LEASES", default_value = "file://data/leases")]
    pub leases: String,
    /// Create the lease table if absent (DynamoDB: PAY_PER_REQUEST).
    #[arg(long, env = "ENRICHER_CREATE_LEASE_TABLE")]
    pub create_lease_table: bool,
    /// Output: `s3://BUCKET/PREFIX` or a directory (`file:///DIR` or a path).
    #[arg(long, env = "ENRICHER_OUTPUT", default_value = "data/lake")]
    pub output: String,
    /// Worker id; must be unique per process start (default `host:pid:uuid7`).
    #[arg(long, env = "ENRICHER_WORKER_ID")]
    pub worker_id: Option<String>,
    /// A lease whose counter stands still this long is expired; heartbeat = failover / 3.
    #[arg(long, env = "ENRICHER_FAILOVER_MS", default_value_t = 3_000)]
    pub failover_ms: u64,
    /// At most this many leases per worker.
    #[arg(long, env = "ENRICHER_MAX_LEASES", default_value_t = usize::MAX)]
    pub max_leases: usize,
    /// Commit a shard's batch at this many records.
    #[arg(long, env = "ENRICHER_FLUSH_RECORDS", default_value_t = 100_000)]
    pub flush_records: u64,
    /// Commit a shard's batch when its objects reach about this many MiB (encoded).
    #[arg(long, env = "ENRICHER_FLUSH_MIB", default_value_t = 64)]
    pub flush_mib: u64,
    /// Worker-wide budget: when all shards together buffer more records than this, the
    /// largest batch is committed early (bounds memory; ~1.5 KiB RSS per buffered record).
    #[arg(long, env = "ENRICHER_BUFFER_RECORDS", default_value_t = 80_000)]
    pub buffer_records: u64,
    /// Commit a shard's batch when its oldest record is this old.
    #[arg(long, env = "ENRICHER_FLUSH_AGE_SECS", default_value_t = 60)]
    pub flush_age_secs: u64,
    /// Where shards without a lease start (children of a reshard always start at the beginning).
    #[arg(
        long,
        env = "ENRICHER_INITIAL_POSITION",
        value_enum,
        default_value = "trim-horizon"
    )]
    pub initial_position: InitialPosition,
    /// Key prefix of the enriched table.
    #[arg(long, env = "ENRICHER_PREFIX", default_value = "incoming")]
    pub prefix: String,
    /// Key prefix of dead letters.
    #[arg(long, env = "ENRICHER_ERRORS_PREFIX", default_value = "errors")]
    pub errors_prefix: String,
    /// Also archive each committed batch's raw records (gzipped JSON lines) for replays after
    /// the stream's retention.
    #[arg(long, env = "ENRICHER_RAW_ARCHIVE")]
    pub raw_archive: bool,
    /// Key prefix of the raw archive.
    #[arg(long, env = "ENRICHER_RAW_PREFIX", default_value = "raw")]
    pub raw_prefix: String,
    /// Serve /healthz, /readyz and /metrics here (e.g. 0.0.0.0:9102); off when absent.
    #[arg(long, env = "ENRICHER_HTTP_LISTEN")]
    pub http_listen: Option<SocketAddr>,
    /// Backfill: shards without a lease start at this time (epoch ms, `YYYY-MM-DD` or
    /// `YYYY-MM-DDTHH:MM:SSZ`) instead of --initial-position.
    #[arg(long, env = "ENRICHER_FROM", value_parser = parse_time)]
    pub from: Option<i64>,
    /// Backfill: stop reading records that arrived after this time, commit, and exit once
    /// every shard got there. Use with its own --leases and --prefix (docs/operations.md).
    #[arg(long, env = "ENRICHER_TO", value_parser = parse_time, conflicts_with = "to_tip")]
    pub to: Option<i64>,
    /// Backfill: like --to, with the time this run started (the stream's tip).
    #[arg(long, env = "ENRICHER_TO_TIP")]
    pub to_tip: bool,
    /// /readyz turns red when a record waits unwritten (or no round ends) this long; default
    /// twice the flush age plus a minute.
    #[arg(long, env = "ENRICHER_UNREADY_AFTER_SECS")]
    pub unready_after_secs: Option<u64>,
    /// Shutdown budget for the final commit and release (below ECS' 30 s stop timeout).
    #[arg(long, env = "ENRICHER_DRAIN_SECS", default_value_t = 25)]
    pub drain_secs: u64,
    #[command(flatten)]
    pub engine: EngineArgs,
}

fn default_worker_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    // The uuid makes it unique per process start even where every container is pid 1.
    format!("{host}:{}:{}", std::process::id(), uuid::Uuid::now_v7())
}

/// Runs the command until SIGTERM/SIGINT.
pub fn run(args: Args) -> anyhow::Result<()> {
    let rt = super::common::runtime()?;
    rt.block_on(async move {
        let url: StreamUrl = args.stream.parse()?;
        let source = match &url {
            StreamUrl::Kinesis { stream } => stream.clone(),
            StreamUrl::File { dir, .. } => dir.display().to_string(),
        };
        let stream = open_stream(&url).await.context("opening the stream")?;
        let leases = open_lease_store(&args.leases)
            .await
            .context("opening the lease store")?;
        if args.create_lease_table || args.leases.starts_with("file://") {
            leases.ensure_table().await?;
        }
        let output = open_store(&args.output)
            .await
            .context("opening the output store")?;
        let shutdown = shared::telemetry::shutdown_on_signals();
        let health = Arc::new(Health::default());
        if let Some(addr) = args.http_listen {
            let threshold = Duration::from_secs(
                args.unready_after_secs
                    .unwrap_or(args.flush_age_secs.saturating_mul(2) + 60),
            );
            super::http::serve(addr, health.clone(), threshold, shutdown.clone()).await?;
        }
        let cfg = WorkerConfig {
            worker_id: args.worker_id.clone().unwrap_or_else(default_worker_id),
            source,
            stream: stream.reader,
            leases,
            output,
            engine: args.engine.engine()?,
            failover: Duration::from_millis(args.failover_ms.max(3)),
            max_leases: args.max_leases,
            flush_records: args.flush_records.max(1),
            flush_bytes: args.flush_mib.max(1) << 20,
            buffer_records: args.buffer_records.max(1),
            flush_age: Duration::from_secs(args.flush_age_secs),
            initial_position: match (args.from, args.initial_position) {
                (Some(ms), _) => Checkpoint::AtTimestamp(ms),
                (None, InitialPosition::TrimHorizon) => Checkpoint::TrimHorizon,
                (None, InitialPosition::Latest) => Checkpoint::Latest,
            },
            stop_at_ms: args
                .to
                .or_else(|| args.to_tip.then(enricher::fleet::metrics::wall_ms)),
            prefixes: Prefixes {
                data: args.prefix.clone(),
                errors: args.errors_prefix.clone(),
                raw: args.raw_archive.then(|| args.raw_prefix.clone()),
            },
            health,
            parquet: ParquetOptions::default(),
            drain_deadline: Duration::from_secs(args.drain_secs),
        };
        let summary = run_worker(cfg, shutdown).await?;
        println!("{summary:?}");
        Ok(())
    })
}

/// Epoch ms, a day (`YYYY-MM-DD`, its midnight UTC) or `YYYY-MM-DDTHH:MM:SS[.mmm]Z`.
fn parse_time(s: &str) -> Result<i64, String> {
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    let bad = || format!("{s:?} is not epoch ms, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
    let (day, time) = s.split_once('T').unwrap_or((s, "00:00:00Z"));
    let date = shared::time::Date::parse(day).ok_or_else(bad)?;
    let time = time.strip_suffix('Z').ok_or_else(bad)?;
    let (hms, millis) = time.split_once('.').unwrap_or((time, "0"));
    let parts: Vec<i64> = hms
        .split(':')
        .map(|p| p.parse::<i64>().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let [h, m, sec] = parts[..] else {
        return Err(bad());
    };
    let millis: i64 = format!("{millis:0<3}")[..3].parse().map_err(|_| bad())?;
    if h > 23 || m > 59 || sec > 60 {
        return Err(bad());
    }
    Ok(date.start_ms() + ((h * 60 + m) * 60 + sec) * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn times() {
        assert_eq!(parse_time("1700000000123"), Ok(1_700_000_000_123));
        assert_eq!(parse_time("2023-11-14"), Ok(1_699_920_000_000));
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Ok(1_700_000_000_000));
        assert_eq!(parse_time("2023-11-14T22:13:20.5Z"), Ok(1_700_000_000_500));
        for bad in [
            "",
            "yesterday",
            "2023-11-14T25:00:00Z",
            "2023-11-14T22:13:20",
            "2023-13-01",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }
}
