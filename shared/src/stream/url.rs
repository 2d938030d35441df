//! Stream URLs: `kinesis://STREAM` or `file:///DIR[?shards=N]`.

use std::path::PathBuf;

/// Default shard count of a new embedded stream.
pub const DEFAULT_EMBEDDED_SHARDS: u32 = 4;
/// Default retention of the embedded stream, as Kinesis: 24 hours.
pub const DEFAULT_RETENTION_HOURS: u32 = 24;

/// A parsed stream URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamUrl {
    /// Kinesis Data Streams, by stream name.
    Kinesis {
        /// Stream name.
        stream: String,
    },
    /// The embedded stream in a local directory.
    File {
        /// Directory holding the stream database.
        dir: PathBuf,
        /// Shards to create when the stream does not exist yet.
        shards: u32,
        /// Records older than this are deleted (Kinesis' retention period).
        retention_hours: u32,
        /// `sync=full`: fsync every write before acknowledging it (survives power loss).
        /// Default `sync=normal`: a write survives a crash of the writing process, and the
        /// operating system flushes it shortly after (see docs/collector.md for the trade).
        fsync: bool,
    },
}

/// A URL we cannot use.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StreamUrlError {
    /// Neither `kinesis://` nor `file://`.
    #[error("unsupported stream URL {0:?}: expected kinesis://STREAM or file:///DIR")]
    Scheme(String),
    /// Something after the scheme is wrong.
    #[error("bad stream URL {url:?}: {reason}")]
    Bad {
        /// The URL.
        url: String,
        /// Why.
        reason: &'static str,
    },
}

impl std::str::FromStr for StreamUrl {
    type Err = StreamUrlError;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        let bad = |reason| StreamUrlError::Bad {
            url: url.to_string(),
            reason,
        };
        if let Some(name) = url.strip_prefix("kinesis://") {
            let name = name.trim_end_matches('/');
            // AWS: 1–128 characters of [a-zA-Z0-9_.-].
            let valid = !name.is_empty()
                && name.len() <= 128
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
            if !valid {
                return Err(bad("stream name must be 1-128 of [a-zA-Z0-9_.-]"));
            }
            return Ok(StreamUrl::Kinesis {
                stream: name.to_string(),
            });
        }
        if let Some(rest) = url.strip_prefix("file://") {
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            if path.is_empty() {
                return Err(bad("missing directory"));
            }
            let mut shards = DEFAULT_EMBEDDED_SHARDS;
            let mut retention_hours = DEFAULT_RETENTION_HOURS;
            let mut fsync = false;
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                match pair.split_once('=') {
                    Some(("shards", n)) => {
                        shards = n
                            .parse()
                            .ok()
                            .filter(|n| (1..=1024).contains(n))
                            .ok_or_else(|| bad("shards must be 1..=1024"))?;
                    }
                    Some(("retention_hours", n)) => {
                        retention_hours = n
                            .parse()
                            .ok()
                            .filter(|n| (1..=8760).contains(n))
                            .ok_or_else(|| bad("retention_hours must be 1..=8760"))?;
                    }
                    Some(("sync", "full")) => fsync = true,
                    Some(("sync", "normal")) => fsync = false,
                    Some(("sync", _)) => return Err(bad("sync must be full or normal")),
                    _ => return Err(bad(
                        "unknown query parameter (shards=N, retention_hours=H, sync=full|normal)",
                    )),
                }
            }
            return Ok(StreamUrl::File {
                dir: PathBuf::from(path),
                shards,
                retention_hours,
                fsync,
            });
        }
        Err(StreamUrlError::Scheme(url.to_string()))
    }
}

impl std::fmt::Display for StreamUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StreamUrl::Kinesis { stream } => write!(f, "kinesis://{stream}"),
            StreamUrl::File {
                dir,
                shards,
                retention_hours,
                fsync,
            } => write!(
                f,
                "file://{}?shards={shards}&retention_hours={retention_hours}&sync={}",
                dir.display(),
                if *fsync { "full" } else { "normal" }
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_two_schemes_and_rejects_the_rest() {
        let cases: &[(&str, Result<StreamUrl, ()>)] = &[
            (
                "kinesis://clicks",
                Ok(StreamUrl::Kinesis {
                    stream: "clicks".into(),
                }),
            ),
            (
                "kinesis://clicks-prod_1.a/",
                Ok(StreamUrl::Kinesis {
                    stream: "clicks-prod_1.a".into(),
                }),
            ),
            ("kinesis://", Err(())),
            ("kinesis://a/b", Err(())),
            (
                "file:///tmp/s",
                Ok(StreamUrl::File {
                    dir: "/tmp/s".into(),
                    shards: 4,
                    retention_hours: 24,
                    fsync: false,
                }),
            ),
            (
                "file:///tmp/s?shards=2",
                Ok(StreamUrl::File {
                    dir: "/tmp/s".into(),
                    shards: 2,
                    retention_hours: 24,
                    fsync: false,
                }),
            ),
            (
                "file://rel/dir",
                Ok(StreamUrl::File {
                    dir: "rel/dir".into(),
                    shards: 4,
                    retention_hours: 24,
                    fsync: false,
                }),
            ),
            ("file:///tmp/s?shards=0", Err(())),
            ("file:///tmp/s?color=red", Err(())),
            (
                "file:///tmp/s?shards=2&retention_hours=48",
                Ok(StreamUrl::File {
                    dir: "/tmp/s".into(),
                    shards: 2,
                    retention_hours: 48,
                    fsync: false,
                }),
            ),
            ("file:///tmp/s?retention_hours=0", Err(())),
            ("file:///tmp/s?sync=fast", Err(())),
            ("file://", Err(())),
            ("s3://bucket", Err(())),
        ];
        for (url, want) in cases {
            let got = url.parse::<StreamUrl>().map_err(|_| ());
            assert_eq!(&got, want, "{url}");
        }
    }

    #[test]
    fn display_round_trips() {
        for url in [
            "kinesis://clicks",
            "file:///tmp/s?shards=3&retention_hours=2&sync=full",
        ] {
            let parsed: StreamUrl = url.parse().unwrap();
            assert_eq!(parsed.to_string().parse::<StreamUrl>().unwrap(), parsed);
        }
    }
}
