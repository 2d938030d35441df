//! `loadgen replay`: replays the Coveo SIGIR eCom 2021 `browsing_train.csv` against the
//! collector as `/collect` events, keeping the original gaps between rows scaled by `--speed`.
//! Malformed rows are skipped and reported; unknown actions are sent as generic events and
//! counted. The file is streamed, so the 36-million-row original needs no memory to speak of.

pub mod coveo;

use crate::engine::{self, Job, ProgressMode, Settings};
use crate::target::{ConnectionArgs, Headers, RunError};
use coveo::{collect_json, kind, parse_line, session_ip, Kind, Parsed, ACTIONS};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `loadgen replay`: replay a Coveo browsing log as `/collect` events.
#[derive(Debug, Clone, clap::Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// The `browsing_train.csv` file (header row optional).
    #[arg(long, env = "LOADGEN_INPUT")]
    pub input: String,
    /// Time scale: 60 replays one original minute per second; 0 sends without waiting.
    #[arg(long, env = "LOADGEN_SPEED", default_value_t = 60.0)]
    pub speed: f64,
    /// Read at most this many rows (after the header).
    #[arg(long, env = "LOADGEN_LIMIT")]
    pub limit: Option<u64>,
    /// Host name of the replayed shop (`dl` is `https://<domain>/<hashed_url>`).
    #[arg(
        long,
        env = "LOADGEN_REPLAY_DOMAIN",
        default_value = "shop.coveo-replay.example"
    )]
    pub domain: String,
}

/// A desktop Chrome: the data set has no user agents, and a bot-like one would be filtered.
const USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";
/// Rows per hand-over: small, because every row waits for its own time.
const CHUNK: usize = 8;
/// Distinct unknown actions listed by name; the rest are only counted.
const MAX_UNKNOWN_NAMES: usize = 20;
/// Malformed rows quoted in the report.
const MAX_EXAMPLES: usize = 5;

/// What the file held.
#[derive(Debug, Default)]
pub struct ReplayStats {
    /// Data rows read (header excluded).
    pub rows: u64,
    /// Rows turned into requests.
    pub events: u64,
    /// Pageviews.
    pub pageviews: u64,
    /// Per [`ACTIONS`].
    pub actions: [u64; ACTIONS.len()],
    /// Rows with an unknown event type or action, by name.
    pub unknown: BTreeMap<String, u64>,
    /// All unknown rows.
    pub unknown_total: u64,
    /// Rows skipped as malformed.
    pub malformed: u64,
    /// The first few, as `line N: reason`.
    pub malformed_examples: Vec<String>,
    /// Rows whose request could not be built.
    pub invalid: u64,
    /// Reading the file failed part-way.
    pub read_error: Option<String>,
}

impl ReplayStats {
    fn notes(&self) -> Vec<String> {
        let mut actions = format!("pageview {}", self.pageviews);
        for (name, n) in ACTIONS.iter().zip(self.actions) {
            actions.push_str(&format!(", {name} {n}"));
        }
        let names: Vec<String> = self
            .unknown
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        actions.push_str(&format!(
            ", unknown {} ({})",
            self.unknown_total,
            names.join(", ")
        ));
        let mut notes = vec![
            format!(
                "rows:             {} read, {} sent as events, {} malformed skipped",
                self.rows, self.events, self.malformed
            ),
            format!("actions:          {actions}"),
        ];
        for e in &self.malformed_examples {
            notes.push(format!("malformed:        {e}"));
        }
        if let Some(e) = &self.read_error {
            notes.push(format!("read error:       {e}"));
        }
        notes
    }
}

/// Runs `loadgen replay`; returns the report.
pub fn run(args: &ReplayArgs) -> Result<engine::report::Report, RunError> {
    let target = args.connection.validate()?;
    if !(args.speed >= 0.0 && args.speed.is_finite()) {
        return Err(RunError::Usage(format!(
            "--speed must be 0 or positive, got {}",
            args.speed
        )));
    }
    let file = std::fs::File::open(&args.input)
        .map_err(|e| RunError::Usage(format!("cannot open --input {}: {e}", args.input)))?;
    let settings = Settings {
        title: format!(
            "loadgen replay {} -> {}: speed {}, concurrency {}",
            args.input, args.connection.target, args.speed, args.connection.concurrency
        ),
        concurrency: args.connection.concurrency,
        rate: args.connection.rate,
        max_events_per_request: 1,
        timeout: args.connection.timeout(),
        duration: None,
        progress: match (args.connection.no_progress, args.limit) {
            (false, Some(n)) => ProgressMode::Events(n),
            _ => ProgressMode::Hidden,
        },
    };
    let source = Source {
        speed: args.speed,
        limit: args.limit.unwrap_or(u64::MAX),
        referer: format!("https://{}/", args.domain),
        domain: args.domain.clone(),
        target,
    };
    let (mut report, stats) = engine::run(settings, move |tx| source.produce(file, &tx))?;
    report
        .counters
        .invalid
        .store(stats.invalid, std::sync::atomic::Ordering::Relaxed);
    report.notes.extend(stats.notes());
    Ok(report)
}

/// Everything the producer thread needs.
struct Source {
    speed: f64,
    limit: u64,
    domain: String,
    referer: String,
    target: crate::target::Target,
}

impl Source {
    /// Reads the file and hands requests to the engine until the end, the limit, or until
    /// sending stops.
    fn produce(&self, file: std::fs::File, tx: &engine::JobSender) -> ReplayStats {
        let mut stats = ReplayStats::default();
        // Client time: the replay's own clock, so `tm` agrees with when the event arrives.
        let start_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let (mut buf, mut json) = (Vec::new(), String::new());
        let mut chunk = Vec::with_capacity(CHUNK);
        let mut first_ts = None;
        let mut line_no = 0u64;
        while stats.rows < self.limit {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) => break,
                Ok(_) => line_no += 1,
                Err(e) => {
                    stats.read_error = Some(e.to_string());
                    break;
                }
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let parsed = std::str::from_utf8(&buf)
                .map_err(|_| "not UTF-8".to_string())
                .and_then(parse_line);
            let line = match parsed {
                Ok(Parsed::Header) if line_no == 1 => continue,
                Ok(Parsed::Row(line)) => Ok(line),
                Ok(Parsed::Header) => Err("a second header row".to_string()),
                Err(e) => Err(e),
            };
            stats.rows += 1;
            let line = match line {
                Ok(line) => line,
                Err(e) => {
                    stats.malformed += 1;
                    if stats.malformed_examples.len() < MAX_EXAMPLES {
                        stats
                            .malformed_examples
                            .push(format!("line {line_no}: {e}"));
                    }
                    continue;
                }
            };
            let row = line.row();
            let kind = kind(&row);
            match kind {
                Kind::Pageview => stats.pageviews += 1,
                Kind::Action(i) => stats.actions[i] += 1,
                Kind::Unknown => {
                    stats.unknown_total += 1;
                    let name = if row.action.is_empty() {
                        row.event_type
                    } else {
                        row.action
                    };
                    if let Some(n) = stats.unknown.get_mut(name) {
                        *n += 1;
                    } else if stats.unknown.len() < MAX_UNKNOWN_NAMES {
                        stats.unknown.insert(name.to_string(), 1);
                    }
                }
            }
            let t0 = *first_ts.get_or_insert(row.ts_ms);
            // Rows earlier than the first one (an unsorted file) go out at once.
            let offset_ms = if self.speed > 0.0 {
                (row.ts_ms.saturating_sub(t0)).max(0) as f64 / self.speed
            } else {
                0.0
            };
            collect_json(
                &row,
                kind,
                &self.domain,
                start_ms + offset_ms as i64,
                &mut json,
            );
            let ip = session_ip(row.session);
            let headers = Headers {
                user_agent: USER_AGENT,
                referer: &self.referer,
                client_ip: &ip,
                content_type: "application/json",
            };
            let Some(request) =
                self.target
                    .request(true, "/collect", &headers, json.as_bytes().to_vec())
            else {
                stats.invalid += 1;
                continue;
            };
            stats.events += 1;
            chunk.push(Job {
                request,
                events: 1,
                due: (self.speed > 0.0).then(|| Duration::from_secs_f64(offset_ms / 1000.0)),
            });
            if chunk.len() >= CHUNK && tx.blocking_send(std::mem::take(&mut chunk)).is_err() {
                return stats;
            }
        }
        if !chunk.is_empty() {
            // Fails only when sending already stopped; nothing left to do then.
            let _ = tx.blocking_send(chunk);
        }
        stats
    }
}
