//! Command line and environment of the collector (every flag is also a `COLLECTOR_…` variable).

use crate::sink::AckMode;
use shared::stream::StreamUrl;
use std::net::SocketAddr;

/// How records are spread over shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PartitionKeyMode {
    /// The event id: even spread, no ordering between a visitor's hits.
    Random,
    /// A hash of client IP + User-Agent + site: one visitor's hits stay in order on one shard.
    Visitor,
}

/// The collector's settings.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "collector",
    version,
    about = "Accepts tracking hits over HTTP and writes them to the stream"
)]
pub struct Config {
    /// Address to listen on (0.0.0.0:8080 in a container).
    #[arg(long, env = "COLLECTOR_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Stream URL: kinesis://STREAM or file:///DIR (the embedded stream).
    #[arg(long, env = "COLLECTOR_STREAM", default_value = "file://data/stream")]
    pub stream: String,
    /// Create the Kinesis stream with this many shards if it does not exist (0: never).
    #[arg(long, env = "COLLECTOR_CREATE_STREAM_SHARDS", default_value_t = 0)]
    pub create_stream_shards: u32,
    /// When to answer: after the stream acknowledged (durable) or once buffered.
    #[arg(long, env = "COLLECTOR_ACK_MODE", value_enum, default_value_t = AckMode::Durable)]
    pub ack_mode: AckMode,
    /// Records the in-memory buffer holds before requests get 503.
    #[arg(long, env = "COLLECTOR_BUFFER_RECORDS", default_value_t = 50_000)]
    pub buffer_records: usize,
    /// Readiness fails above this share of the buffer (percent).
    #[arg(long, env = "COLLECTOR_HIGH_WATER_PERCENT", default_value_t = 80)]
    pub high_water_percent: u8,
    /// Buffered mode: longest wait for a fuller PutRecords batch, in ms.
    #[arg(long, env = "COLLECTOR_LINGER_MS", default_value_t = 100)]
    pub linger_ms: u64,
    /// Concurrent PutRecords calls. Default: 1 for the embedded stream, whose puts take one
    /// write lock in turn anyway (one at a time, each takes every record queued meanwhile: a
    /// group commit); 4 for Kinesis, whose calls take tens of milliseconds each.
    #[arg(long, env = "COLLECTOR_MAX_IN_FLIGHT")]
    pub max_in_flight: Option<usize>,
    /// Longest accepted query string (414 beyond).
    #[arg(long, env = "COLLECTOR_MAX_QUERY_BYTES", default_value_t = 8192)]
    pub max_query_bytes: usize,
    /// Longest accepted body (413 beyond).
    #[arg(long, env = "COLLECTOR_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Most events in one batch request (413 beyond).
    #[arg(long, env = "COLLECTOR_MAX_BATCH_EVENTS", default_value_t = 500)]
    pub max_batch_events: usize,
    /// Trusted proxy hops in front of the collector (1 behind an ALB, 2 behind CloudFront + ALB);
    /// 0 uses the socket peer and ignores X-Forwarded-For.
    #[arg(long, env = "COLLECTOR_TRUSTED_HOPS", default_value_t = 0)]
    pub trusted_hops: usize,
    /// Requests per second allowed per client IP (0: no limit).
    #[arg(long, env = "COLLECTOR_RATE_LIMIT_PER_IP", default_value_t = 0)]
    pub rate_limit_per_ip: u32,
    /// Burst allowed per client IP above the rate.
    #[arg(long, env = "COLLECTOR_RATE_LIMIT_BURST", default_value_t = 100)]
    pub rate_limit_burst: u32,
    /// Partition key of the records.
    #[arg(long, env = "COLLECTOR_PARTITION_KEY", value_enum, default_value_t = PartitionKeyMode::Random)]
    pub partition_key: PartitionKeyMode,
    /// Name of this instance, written into every envelope (default: $HOSTNAME).
    #[arg(long, env = "COLLECTOR_ID")]
    pub collector_id: Option<String>,
    /// Point-of-presence code written into envelopes in place of a CloudFront edge.
    #[arg(long, env = "COLLECTOR_POP", default_value = "LOCAL")]
    pub pop: String,
    /// After SIGTERM, keep serving (with /readyz failing) this long so the load balancer
    /// deregisters the task first.
    #[arg(long, env = "COLLECTOR_DRAIN_DELAY_SECS", default_value_t = 0)]
    pub drain_delay_secs: u64,
    /// After SIGTERM, the longest wait for in-flight requests and the buffer to drain.
    #[arg(long, env = "COLLECTOR_SHUTDOWN_DEADLINE_SECS", default_value_t = 20)]
    pub shutdown_deadline_secs: u64,
    /// A connection that has not sent a complete request head within this many seconds is
    /// closed: counted from the connection's start, and on a keep-alive connection from the
    /// end of the previous response (hyper times both with one timer). This bounds slow or
    /// silent clients (slowloris), which otherwise hold a task and a socket for ever. Keep it
    /// above the load balancer's idle timeout (ALB: 60 s by default), so the balancer closes
    /// idle connections first and never sends a request on one we just closed (a 502).
    /// 0 disables.
    #[arg(long, env = "COLLECTOR_HEADER_TIMEOUT_SECS", default_value_t = 75)]
    pub header_timeout_secs: u64,
    /// Seconds suggested in Retry-After when refusing with 503 or 429.
    #[arg(long, env = "COLLECTOR_RETRY_AFTER_SECS", default_value_t = 1)]
    pub retry_after_secs: u32,
    /// Runtime threads: 0 = one per core, 1 = a single-threaded event loop (no cross-thread
    /// wake-ups; measured faster on small tasks, see BENCHMARKS.md).
    #[arg(long, env = "COLLECTOR_WORKER_THREADS", default_value_t = 0)]
    pub worker_threads: usize,
    /// Log as JSON lines.
    #[arg(long, env = "COLLECTOR_LOG_JSON")]
    pub log_json: bool,
}

impl Config {
    /// Instance name.
    pub fn collector_id(&self) -> String {
        self.collector_id
            .clone()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| format!("collector-{}", std::process::id()))
    }

    /// Concurrent puts: the flag, or the default of the stream's backend.
    pub fn max_in_flight(&self) -> usize {
        let embedded = matches!(self.stream.parse(), Ok(StreamUrl::File { .. }));
        self.max_in_flight
            .unwrap_or(if embedded { 1 } else { 4 })
            .max(1)
    }

    /// The header timeout, `None` when disabled.
    pub fn header_timeout(&self) -> Option<std::time::Duration> {
        (self.header_timeout_secs > 0)
            .then(|| std::time::Duration::from_secs(self.header_timeout_secs))
    }

    /// Buffer size above which readiness fails.
    pub fn high_water(&self) -> usize {
        (self.buffer_records * usize::from(self.high_water_percent.min(100)) / 100).max(1)
    }
}
