//! Command-line arguments of `loadgen synth` and their validation.

use super::SynthError;
use shared::time::{Date, MS_PER_DAY};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// CloudFront real-time log lines (ownstats' 12 TAB-separated fields), one per line.
    Cloudfront,
    /// Collector envelopes in a record file (`CSREC01`).
    Envelope,
}

/// `loadgen synth`: write a realistic, deterministic clickstream input file.
#[derive(Debug, Clone, clap::Args)]
pub struct SynthArgs {
    /// Number of records to write (lines or envelopes), exactly.
    #[arg(long, env = "LOADGEN_EVENTS", default_value_t = 10_000)]
    pub events: u64,
    /// Seed: equal arguments and seed give byte-identical output.
    #[arg(long, env = "LOADGEN_SEED", default_value_t = 42)]
    pub seed: u64,
    /// Output format.
    #[arg(long, env = "LOADGEN_FORMAT", value_enum, default_value_t = Format::Cloudfront)]
    pub format: Format,
    /// Fraction of envelopes that are `/collect` JSON events (envelope format only).
    #[arg(long, env = "LOADGEN_COLLECT_SHARE", default_value_t = 0.3)]
    pub collect_share: f64,
    /// Start of the time window, RFC 3339 UTC (e.g. 2026-11-20T00:00:00Z).
    #[arg(long, env = "LOADGEN_START", conflicts_with = "date")]
    pub start: Option<String>,
    /// Start of the time window as a UTC date (midnight); default 2026-11-20.
    #[arg(long, env = "LOADGEN_DATE")]
    pub date: Option<String>,
    /// Length of the time window in days.
    #[arg(long, env = "LOADGEN_DAYS", default_value_t = 1)]
    pub days: u32,
    /// Output file, `-` for stdout.
    #[arg(long, env = "LOADGEN_OUTPUT", default_value = "-")]
    pub output: String,
    /// Fraction of CloudFront lines that are script requests (`/go.js`, `/versions/hello-….js`).
    #[arg(long, env = "LOADGEN_NONPIXEL_SHARE", default_value_t = 0.01)]
    pub nonpixel_share: f64,
    /// Fraction of CloudFront pixel lines deliberately broken (11 fields, `ts=abc`, bad `%`).
    #[arg(long, env = "LOADGEN_BROKEN_SHARE", default_value_t = 0.001)]
    pub broken_share: f64,
    /// Fraction of `/collect` purchases sent twice (same transaction id, new hit id).
    #[arg(long, env = "LOADGEN_DUPLICATE_PURCHASE_SHARE", default_value_t = 0.04)]
    pub duplicate_purchase_share: f64,
    /// Number of tracked sites (1–20), Zipf-skewed traffic.
    #[arg(long, env = "LOADGEN_DOMAINS", default_value_t = 12)]
    pub domains: usize,
}

/// Default window start when neither `--start` nor `--date` is given.
pub const DEFAULT_DATE: &str = "2026-11-20";

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Records to write.
    pub events: u64,
    /// Seed.
    pub seed: u64,
    /// Format.
    pub format: Format,
    /// Collect share (0 for CloudFront).
    pub collect_share: f64,
    /// Window start, epoch ms.
    pub start_ms: i64,
    /// Window end (exclusive), epoch ms.
    pub end_ms: i64,
    /// Script-request share (0 for envelopes).
    pub nonpixel_share: f64,
    /// Broken-line share (0 for envelopes).
    pub broken_share: f64,
    /// Double-fired purchase share.
    pub duplicate_purchase_share: f64,
    /// Number of sites.
    pub domains: usize,
    /// Output path.
    pub output: String,
}

fn share(name: &str, v: f64) -> Result<f64, SynthError> {
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(SynthError::InvalidArgument(format!(
            "--{name} must be between 0 and 1, got {v}"
        )))
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff](Z|+00:00)` or a bare date into epoch ms.
pub fn parse_start(s: &str) -> Result<i64, SynthError> {
    let bad = || {
        SynthError::InvalidArgument(format!(
            "--start must be RFC 3339 UTC like 2026-11-20T00:00:00Z, got {s:?}"
        ))
    };
    let date = Date::parse(s.get(..10).ok_or_else(bad)?).ok_or_else(bad)?;
    let rest = &s[10..];
    if rest.is_empty() {
        return Ok(date.start_ms());
    }
    let time = rest.strip_prefix(['T', 't', ' ']).ok_or_else(bad)?;
    let time = time
        .strip_suffix(['Z', 'z'])
        .or_else(|| time.strip_suffix("+00:00"))
        .ok_or_else(bad)?;
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let parts: Vec<i64> = hms
        .split(':')
        .map(|p| if p.len() == 2 { p.parse().ok() } else { None })
        .collect::<Option<_>>()
        .ok_or_else(bad)?;
    let [h, m, sec] = parts[..] else {
        return Err(bad());
    };
    if h > 23 || m > 59 || sec > 59 || frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let ms = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<3}").parse::<i64>().map_err(|_| bad())?
    };
    Ok(date.start_ms() + ((h * 60 + m) * 60 + sec) * 1000 + ms)
}

impl SynthArgs {
    /// Checks ranges and resolves the time window.
    pub fn validate(&self) -> Result<Config, SynthError> {
        let start_ms = match (&self.start, &self.date) {
            (Some(s), _) => parse_start(s)?,
            (None, Some(d)) => Date::parse(d)
                .ok_or_else(|| {
                    SynthError::InvalidArgument(format!("--date must be YYYY-MM-DD, got {d:?}"))
                })?
                .start_ms(),
            (None, None) => Date::parse(DEFAULT_DATE).map(Date::start_ms).unwrap_or(0),
        };
        if !(1..=3660).contains(&self.days) {
            return Err(SynthError::InvalidArgument(format!(
                "--days must be between 1 and 3660, got {}",
                self.days
            )));
        }
        if !(1..=super::sites::MAX_SITES).contains(&self.domains) {
            return Err(SynthError::InvalidArgument(format!(
                "--domains must be between 1 and {}, got {}",
                super::sites::MAX_SITES,
                self.domains
            )));
        }
        let cloudfront = self.format == Format::Cloudfront;
        Ok(Config {
            events: self.events,
            seed: self.seed,
            format: self.format,
            collect_share: if cloudfront {
                0.0
            } else {
                share("collect-share", self.collect_share)?
            },
            start_ms,
            end_ms: start_ms + i64::from(self.days) * MS_PER_DAY,
            nonpixel_share: if cloudfront {
                share("nonpixel-share", self.nonpixel_share)?
            } else {
                0.0
            },
            broken_share: if cloudfront {
                share("broken-share", self.broken_share)?
            } else {
                0.0
            },
            duplicate_purchase_share: share(
                "duplicate-purchase-share",
                self.duplicate_purchase_share,
            )?,
            domains: self.domains,
            output: self.output.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_formats() {
        let day = Date::parse("2026-11-20").unwrap().start_ms();
        assert_eq!(parse_start("2026-11-20T00:00:00Z").unwrap(), day);
        assert_eq!(parse_start("2026-11-20").unwrap(), day);
        assert_eq!(
            parse_start("2026-11-20T01:02:03.5+00:00").unwrap(),
            day + 3_723_500
        );
        for bad in [
            "2026-11-20T25:00:00Z",
            "2026-11-20T00:00:00",
            "2026-11-20T00:00Z",
            "20261120",
            "2026-02-30T00:00:00Z",
            "2026-11-20T00:00:00+01:00",
        ] {
            assert!(parse_start(bad).is_err(), "{bad}");
        }
    }
}
