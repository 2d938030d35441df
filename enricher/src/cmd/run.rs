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
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
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
            flush_age: Duration::from_secs(args.flush_age_secs),
            initial_position: match args.initial_position {
                InitialPosition::TrimHorizon => Checkpoint::TrimHorizon,
                InitialPosition::Latest => Checkpoint::Latest,
            },
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
