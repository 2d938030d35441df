//! Flags and helpers shared by `send` and `replay`: the target URL, the connection and pacing
//! settings, and the error type that decides the exit code.

use crate::engine::HttpRequest;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE, REFERER, USER_AGENT};
use hyper::{Method, Uri};
use std::time::Duration;

/// Why a run failed before or outside sending.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad flags or unusable input (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// The runtime could not start (exit code 1).
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Flags common to the commands that send.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectionArgs {
    /// Base URL of the collector, e.g. http://127.0.0.1:8080 (plain HTTP).
    #[arg(long, env = "LOADGEN_TARGET")]
    pub target: String,
    /// Events per second (governor-paced, small bursts); 0 = as fast as possible.
    #[arg(long, env = "LOADGEN_RATE", default_value_t = 0)]
    pub rate: u32,
    /// Requests in flight at once, each on its own keep-alive connection.
    #[arg(long, env = "LOADGEN_CONCURRENCY", default_value_t = 32)]
    pub concurrency: usize,
    /// Per-request timeout in milliseconds (connect to the last byte of the response).
    #[arg(long, env = "LOADGEN_TIMEOUT_MS", default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// No progress bar (it is also hidden when stderr is not a terminal).
    #[arg(long, env = "LOADGEN_NO_PROGRESS")]
    pub no_progress: bool,
}

impl ConnectionArgs {
    /// Checks the flags; returns the target base (scheme, authority, path prefix).
    pub fn validate(&self) -> Result<Target, RunError> {
        if !(1..=10_000).contains(&self.concurrency) {
            return Err(RunError::Usage(format!(
                "--concurrency must be between 1 and 10000, got {}",
                self.concurrency
            )));
        }
        if self.timeout_ms == 0 {
            return Err(RunError::Usage("--timeout-ms must be positive".into()));
        }
        Target::parse(&self.target)
    }

    /// The timeout as a duration.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}

/// The collector's base URL, ready to have paths appended.
#[derive(Debug, Clone)]
pub struct Target {
    base: String,
}

impl Target {
    /// Accepts `http://host[:port][/prefix]`; HTTPS is not supported (the client has no TLS).
    pub fn parse(s: &str) -> Result<Target, RunError> {
        let bad = |why: &str| RunError::Usage(format!("--target {s:?}: {why}"));
        let uri: Uri = s.parse().map_err(|_| bad("not a URL"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => return Err(bad("https is not supported; use http://")),
            _ => return Err(bad("must start with http://")),
        }
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        if uri.query().is_some() {
            return Err(bad("must not have a query"));
        }
        let prefix = uri.path().trim_end_matches('/');
        Ok(Target {
            base: format!("http://{authority}{prefix}"),
        })
    }

    /// A request to `path_and_query` (starting with `/`). `None` if the URI or a header value
    /// is not valid HTTP.
    pub fn request(
        &self,
        post: bool,
        path_and_query: &str,
        h: &Headers<'_>,
        body: Vec<u8>,
    ) -> Option<HttpRequest> {
        let uri = Uri::try_from(format!("{}{path_and_query}", self.base)).ok()?;
        let mut b = hyper::Request::builder()
            .method(if post { Method::POST } else { Method::GET })
            .uri(uri);
        let xff = HeaderName::from_static("x-forwarded-for");
        for (name, value) in [
            (USER_AGENT, h.user_agent),
            (REFERER, h.referer),
            (xff, h.client_ip),
            (CONTENT_TYPE, h.content_type),
        ] {
            if !value.is_empty() {
                b = b.header(name, HeaderValue::from_bytes(value.as_bytes()).ok()?);
            }
        }
        b.body(Full::new(Bytes::from(body))).ok()
    }
}

/// Request headers; empty values are left out.
#[derive(Debug, Default)]
pub struct Headers<'a> {
    /// `User-Agent`.
    pub user_agent: &'a str,
    /// `Referer`.
    pub referer: &'a str,
    /// `X-Forwarded-For`.
    pub client_ip: &'a str,
    /// `Content-Type`.
    pub content_type: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = Target::parse("http://127.0.0.1:8080/").unwrap();
        let h = Headers {
            user_agent: "Mozilla/5.0",
            ..Headers::default()
        };
        let r = t
            .request(
                false,
                "/hello.gif?t=pv&u=https%3A%2F%2Fa.example%2F",
                &h,
                Vec::new(),
            )
            .unwrap();
        assert_eq!(
            r.uri().to_string(),
            "http://127.0.0.1:8080/hello.gif?t=pv&u=https%3A%2F%2Fa.example%2F"
        );
        assert_eq!(r.headers().len(), 1);
        let t = Target::parse("http://localhost/prefix/").unwrap();
        let r = t.request(true, "/collect", &h, b"{}".to_vec()).unwrap();
        assert_eq!(r.uri().to_string(), "http://localhost/prefix/collect");
        for bad in ["https://x", "127.0.0.1:80", "http://x/?a=1", "nope"] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
        assert!(t.request(false, "/a b", &h, Vec::new()).is_none());
    }
}
