//! `loadgen synth`: a deterministic generator of realistic clickstream input, either CloudFront
//! real-time log lines (the ownstats input) or collector envelopes in a record file.
//!
//! Layout: a static model (sites, regions, user agents, visitors), visit generators (tracker
//! visits, shopping visits), a time-ordered merge, and encoders for the two wire formats.

mod args;
mod clock;
mod cloudfront;
mod collect;
mod device;
mod envelope;
mod generate;
mod hit;
mod model;
mod pages;
mod percent;
mod regions;
mod reorder;
pub(crate) mod requests;
mod rng;
mod session;
mod shopper;
mod sites;
mod stats;
mod stream;
mod tracker;
mod traffic;
mod ua;
mod ua_data;
mod visitors;
mod writer;

pub use args::{parse_start, Format, SynthArgs, DEFAULT_DATE};
pub use stats::Stats;

use std::time::Instant;

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A flag is out of range or malformed.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// Writing the output failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// Output path (`-` for stdout).
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

/// Result of a run, for the summary line.
#[derive(Debug)]
pub struct Summary {
    /// Counters.
    pub stats: Stats,
    /// Output format.
    pub format: Format,
    /// Wall-clock time of the run.
    pub elapsed: std::time::Duration,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.elapsed.as_secs_f64();
        let format = match self.format {
            Format::Cloudfront => "cloudfront",
            Format::Envelope => "envelope",
        };
        write!(
            f,
            "loadgen synth ({format}): {} | {:.2} s ({:.0} records/s)",
            self.stats,
            secs,
            self.stats.records as f64 / secs.max(1e-9)
        )
    }
}

/// Runs `loadgen synth`.
pub fn run(args: &SynthArgs) -> Result<Summary, SynthError> {
    let started = Instant::now();
    let config = args.validate()?;
    let mut out = writer::Output::open(&config.output, config.format == Format::Envelope)?;
    let mut stats = generate::generate(&config, &mut out)?;
    stats.bytes = out.finish()?;
    Ok(Summary {
        stats,
        format: config.format,
        elapsed: started.elapsed(),
    })
}
