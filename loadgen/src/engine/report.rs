//! Outcome counters and the final report.

use super::histogram::Histogram;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Live counters, shared by the workers and read by the progress bar.
#[derive(Debug, Default)]
pub struct Counters {
    /// Requests that got a response or failed (in-flight ones are not counted yet).
    pub sent: AtomicU64,
    /// Events in those requests.
    pub events: AtomicU64,
    /// 2xx responses.
    pub ok: AtomicU64,
    /// 4xx except 429.
    pub client_errors: AtomicU64,
    /// 429.
    pub rate_limited: AtomicU64,
    /// 5xx.
    pub server_errors: AtomicU64,
    /// Of the 5xx, 503 with Retry-After (the collector's buffer was full).
    pub overloaded: AtomicU64,
    /// 1xx and 3xx.
    pub other: AtomicU64,
    /// Connection failures, timeouts, broken responses.
    pub transport_errors: AtomicU64,
    /// Requests that could not be built (invalid URI or header); never sent.
    pub invalid: AtomicU64,
}

/// How a request ended.
#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    /// An HTTP status, and whether a Retry-After header came with it.
    Status(u16, bool),
    /// No usable response.
    Transport,
}

impl Counters {
    /// Counts one finished request carrying `events` events.
    pub fn record(&self, outcome: Outcome, events: u64) {
        self.sent.fetch_add(1, Relaxed);
        self.events.fetch_add(events, Relaxed);
        let counter = match outcome {
            Outcome::Transport => &self.transport_errors,
            Outcome::Status(200..=299, _) => &self.ok,
            Outcome::Status(429, _) => &self.rate_limited,
            Outcome::Status(400..=499, _) => &self.client_errors,
            Outcome::Status(s @ 500..=599, retry_after) => {
                if s == 503 && retry_after {
                    self.overloaded.fetch_add(1, Relaxed);
                }
                &self.server_errors
            }
            Outcome::Status(..) => &self.other,
        };
        counter.fetch_add(1, Relaxed);
    }

    /// A copy of the current values.
    pub fn snapshot(&self) -> Counters {
        let c = |a: &AtomicU64| AtomicU64::new(a.load(Relaxed));
        Counters {
            sent: c(&self.sent),
            events: c(&self.events),
            ok: c(&self.ok),
            client_errors: c(&self.client_errors),
            rate_limited: c(&self.rate_limited),
            server_errors: c(&self.server_errors),
            overloaded: c(&self.overloaded),
            other: c(&self.other),
            transport_errors: c(&self.transport_errors),
            invalid: c(&self.invalid),
        }
    }

    /// Requests that did not get a 2xx.
    pub fn failures(&self) -> u64 {
        self.sent.load(Relaxed) - self.ok.load(Relaxed) + self.invalid.load(Relaxed)
    }
}

/// The final report of a run.
#[derive(Debug)]
pub struct Report {
    /// Title line, e.g. `loadgen send (pixel) -> http://…`.
    pub title: String,
    /// Final counter values.
    pub counters: Counters,
    /// Latency of every finished request (transport errors included).
    pub latency: Histogram,
    /// Wall-clock time from the first request to the last response.
    pub elapsed: Duration,
    /// Extra lines from the request source (e.g. replay's unknown actions).
    pub notes: Vec<String>,
    /// True when the run stopped early (Ctrl-C).
    pub interrupted: bool,
}

impl Report {
    /// Exit code: 0 only when every request got a 2xx.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.counters.failures() > 0 || self.interrupted)
    }
}

fn ms(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Relaxed);
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let (sent, events) = (get(&c.sent), get(&c.events));
        writeln!(f, "{}", self.title)?;
        writeln!(f, "sent:             {sent} requests, {events} events")?;
        writeln!(f, "2xx:              {}", get(&c.ok))?;
        writeln!(
            f,
            "4xx:              {} (429 not included)",
            get(&c.client_errors)
        )?;
        writeln!(f, "429:              {}", get(&c.rate_limited))?;
        writeln!(
            f,
            "5xx:              {} ({} were 503 with Retry-After)",
            get(&c.server_errors),
            get(&c.overloaded)
        )?;
        if get(&c.other) > 0 {
            writeln!(f, "other status:     {}", get(&c.other))?;
        }
        writeln!(f, "transport errors: {}", get(&c.transport_errors))?;
        if get(&c.invalid) > 0 {
            writeln!(f, "not sendable:     {}", get(&c.invalid))?;
        }
        writeln!(
            f,
            "rate:             {:.0} req/s, {:.0} events/s over {:.3} s",
            sent as f64 / secs,
            events as f64 / secs,
            self.elapsed.as_secs_f64()
        )?;
        writeln!(
            f,
            "latency:          p50 {}, p99 {}, max {}",
            ms(self.latency.quantile(0.5)),
            ms(self.latency.quantile(0.99)),
            ms(self.latency.max())
        )?;
        for note in &self.notes {
            writeln!(f, "{note}")?;
        }
        if self.interrupted {
            writeln!(f, "interrupted before the end")?;
        }
        Ok(())
    }
}
