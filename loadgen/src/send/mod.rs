//! `loadgen send`: the synthetic traffic model, sent to a running collector as the browsers
//! would send it. Visits interleave in arrival order across many concurrent visitors; think time
//! lives in the hits' order and timestamps, not in sleeps, so `--rate` alone sets the pace.

use crate::engine::{self, Job, ProgressMode, Settings};
use crate::synth::requests::{generate_requests, RequestMode, TrafficParams, TrafficStats};
use crate::target::{ConnectionArgs, Headers, RunError};
use std::ops::ControlFlow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Request shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// `GET /hello.gif?…` with the tracker's query, one hit per request.
    Pixel,
    /// `POST /collect` with one GA-style JSON event.
    Collect,
    /// `POST /collect` with `--batch-size` events per request.
    Batch,
}

/// How a batch is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BatchFormat {
    /// A JSON array of objects (`application/json`).
    Array,
    /// One object per line (`application/x-ndjson`).
    Ndjson,
}

/// `loadgen send`: send synthetic traffic to a collector and report what came back.
#[derive(Debug, Clone, clap::Args)]
#[command(group = clap::ArgGroup::new("amount").required(true).args(["events", "duration"]))]
pub struct SendArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// What to send.
    #[arg(long, env = "LOADGEN_MODE", value_enum, default_value_t = Mode::Pixel)]
    pub mode: Mode,
    /// Events per request in batch mode.
    #[arg(long, env = "LOADGEN_BATCH_SIZE", default_value_t = 20)]
    pub batch_size: usize,
    /// Framing of batch bodies.
    #[arg(long, env = "LOADGEN_BATCH_FORMAT", value_enum, default_value_t = BatchFormat::Array)]
    pub batch_format: BatchFormat,
    /// Send exactly this many events, then stop.
    #[arg(long, env = "LOADGEN_EVENTS")]
    pub events: Option<u64>,
    /// Send for this many seconds (fractions allowed), then stop.
    #[arg(long, env = "LOADGEN_DURATION")]
    pub duration: Option<f64>,
    /// Seed of the traffic model: the same seed sends the same requests.
    #[arg(long, env = "LOADGEN_SEED", default_value_t = 42)]
    pub seed: u64,
    /// Number of tracked sites (1–20).
    #[arg(long, env = "LOADGEN_DOMAINS", default_value_t = 12)]
    pub domains: usize,
}

/// Requests handed to a worker at a time (amortises the channel and its lock).
const CHUNK: usize = 32;
/// Events per second of *event time* the model is spread at, at most: the reorder buffer holds
/// the visits in progress, so this bounds memory (about 350k hits) whatever the run length.
const MODEL_DENSITY: u64 = 1000;
/// Upper bound on what one run can send in `--duration` mode without `--rate`.
const UNLIMITED_PER_SECOND: f64 = 200_000.0;
const DAY_MS: i64 = 86_400_000;

impl SendArgs {
    fn validate(&self) -> Result<(TrafficParams, Option<Duration>), RunError> {
        let usage = |m: String| Err(RunError::Usage(m));
        if !(1..=20).contains(&self.domains) {
            return usage(format!(
                "--domains must be between 1 and 20, got {}",
                self.domains
            ));
        }
        if self.mode == Mode::Batch && !(1..=10_000).contains(&self.batch_size) {
            return usage(format!(
                "--batch-size must be between 1 and 10000, got {}",
                self.batch_size
            ));
        }
        let (events, duration) = match (self.events, self.duration) {
            (Some(n), _) => (n, None),
            (None, Some(d)) if d > 0.0 && d.is_finite() && d <= 31_536_000.0 => {
                // Enough events to last the whole duration; sending stops at the deadline.
                let per_second = match self.connection.rate {
                    0 => UNLIMITED_PER_SECOND,
                    r => f64::from(r) * 1.1,
                };
                (
                    (d * per_second) as u64 + 100,
                    Some(Duration::from_secs_f64(d)),
                )
            }
            (None, Some(d)) => return usage(format!("--duration must be positive, got {d}")),
            (None, None) => return usage("give --events or --duration".into()),
        };
        // Event time: a window long enough to keep the model's density realistic, generated on
        // a fixed date (so a seed always gives the same visits) and shifted to end now.
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let window_ms = DAY_MS.max((events / MODEL_DENSITY).saturating_mul(1000) as i64);
        let model_start = crate::synth::parse_start(crate::synth::DEFAULT_DATE).unwrap_or(0);
        let mode = match self.mode {
            Mode::Pixel => RequestMode::Pixel,
            Mode::Collect => RequestMode::Collect,
            Mode::Batch => RequestMode::Batch {
                size: self.batch_size,
                ndjson: self.batch_format == BatchFormat::Ndjson,
            },
        };
        let params = TrafficParams {
            seed: self.seed,
            domains: self.domains,
            events,
            start_ms: model_start,
            end_ms: model_start + window_ms,
            shift_ms: now_ms - (model_start + window_ms),
            mode,
        };
        Ok((params, duration))
    }
}

/// Runs `loadgen send`; returns the report.
pub fn run(args: &SendArgs) -> Result<engine::report::Report, RunError> {
    let target = args.connection.validate()?;
    let (params, duration) = args.validate()?;
    let progress = match (args.connection.no_progress, duration) {
        (true, _) => ProgressMode::Hidden,
        (false, Some(d)) => ProgressMode::Seconds(d.as_secs().max(1)),
        (false, None) => ProgressMode::Events(params.events),
    };
    let mode = format!("{:?}", args.mode).to_lowercase();
    let settings = Settings {
        title: format!(
            "loadgen send ({mode}) -> {}: seed {}, {} domains, concurrency {}, rate {}",
            args.connection.target,
            args.seed,
            args.domains,
            args.connection.concurrency,
            match args.connection.rate {
                0 => "unlimited".to_string(),
                r => format!("{r} events/s"),
            }
        ),
        concurrency: args.connection.concurrency,
        rate: args.connection.rate,
        max_events_per_request: match params.mode {
            RequestMode::Batch { size, .. } => u32::try_from(size).unwrap_or(u32::MAX),
            _ => 1,
        },
        timeout: args.connection.timeout(),
        duration,
        progress,
    };
    let (mut report, (stats, invalid)) = engine::run(settings, move |tx| {
        let mut chunk = Vec::with_capacity(CHUNK);
        let mut invalid = 0u64;
        let stats: TrafficStats = generate_requests(&params, |d| {
            let headers = Headers {
                user_agent: &d.user_agent,
                referer: &d.referer,
                client_ip: &d.client_ip,
                content_type: d.content_type,
            };
            match target.request(d.post, &d.path, &headers, d.body.clone()) {
                Some(request) => chunk.push(Job {
                    request,
                    events: d.events,
                    due: None,
                }),
                None => invalid += 1,
            }
            if chunk.len() >= CHUNK {
                if tx.blocking_send(std::mem::take(&mut chunk)).is_err() {
                    return ControlFlow::Break(());
                }
                chunk.reserve(CHUNK);
            }
            ControlFlow::Continue(())
        });
        if !chunk.is_empty() {
            // Fails only when sending already stopped; nothing left to do then.
            let _ = tx.blocking_send(chunk);
        }
        (stats, invalid)
    })?;
    report
        .counters
        .invalid
        .store(invalid, std::sync::atomic::Ordering::Relaxed);
    report.notes.push(format!(
        "model:            {} visits generated",
        stats.sessions
    ));
    Ok(report)
}
