//! A collector on 127.0.0.1:0 over a chosen stream, and a small HTTP client.
#![allow(dead_code, clippy::unwrap_used)]

use async_trait::async_trait;
use bytes::Bytes;
use clap::Parser;
use collector::config::Config;
use collector::server::{serve, RunSummary};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use shared::envelope::Envelope;
use shared::stream::{PutEntry, PutResult, StreamError, StreamHandle, StreamWriter};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub struct Running {
    pub addr: SocketAddr,
    pub shutdown: CancellationToken,
    pub task: tokio::task::JoinHandle<anyhow::Result<RunSummary>>,
}

pub async fn start(args: &[&str], writer: Arc<dyn StreamWriter>) -> Running {
    let mut argv = vec!["collector", "--listen", "127.0.0.1:0"];
    argv.extend_from_slice(args);
    let config = Config::try_parse_from(argv).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(serve(config, listener, writer, shutdown.clone()));
    Running {
        addr,
        shutdown,
        task,
    }
}

/// A 2-shard embedded stream in a fresh directory (kept alive by the returned guard).
pub async fn embedded() -> (tempfile::TempDir, StreamHandle) {
    let dir = tempfile::tempdir().unwrap();
    let url: shared::stream::StreamUrl = format!("file://{}?shards=2", dir.path().display())
        .parse()
        .unwrap();
    let h = shared::stream::open_stream(&url).await.unwrap();
    (dir, h)
}

/// Status of a `GET`.
pub async fn status(url: &str) -> u16 {
    request("GET", url, &[], "").await.status
}

pub struct Reply {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

pub async fn request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Reply {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut req = hyper::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = client
        .request(req.body(Full::new(body.into())).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body,
    }
}

/// Every record of the stream, decoded; owned copies of the raw bytes.
pub async fn stored(h: &StreamHandle) -> Vec<Bytes> {
    let mut out = Vec::new();
    for s in h.reader.list_shards().await.unwrap() {
        let mut cursor = h
            .reader
            .open(&s.shard_id, &shared::stream::StartPosition::TrimHorizon)
            .await
            .unwrap();
        loop {
            let b = h.reader.read(&cursor, 1000).await.unwrap();
            let empty = b.records.is_empty();
            out.extend(b.records.into_iter().map(|r| r.data));
            match b.next {
                Some(n) if !(empty && b.millis_behind_latest.unwrap_or(0) == 0) => cursor = n,
                _ => break,
            }
        }
    }
    out
}

pub fn decode(b: &Bytes) -> Envelope<'_> {
    Envelope::decode(b).unwrap()
}

/// Tests number their hits by `ts = 1_700_000_000_000 + i`; the `i` of every stored pixel hit.
pub async fn stored_hit_numbers(h: &StreamHandle) -> Vec<u64> {
    stored(h)
        .await
        .iter()
        .map(|r| {
            let e = decode(r);
            let ts: u64 = e
                .query
                .split('&')
                .find_map(|p| p.strip_prefix("ts="))
                .unwrap()
                .parse()
                .unwrap();
            ts - 1_700_000_000_000
        })
        .collect()
}

/// A writer that can be stalled: calls wait while stalled, as when Kinesis hangs.
pub struct Stall {
    inner: Arc<dyn StreamWriter>,
    pub stalled: AtomicBool,
}

impl Stall {
    pub fn new(inner: Arc<dyn StreamWriter>) -> Arc<Self> {
        Arc::new(Stall {
            inner,
            stalled: AtomicBool::new(false),
        })
    }
}

#[async_trait]
impl StreamWriter for Stall {
    async fn put_batch(&self, entries: &[PutEntry]) -> Result<Vec<PutResult>, StreamError> {
        while self.stalled.load(Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        self.inner.put_batch(entries).await
    }
    async fn check_writable(&self) -> Result<(), StreamError> {
        if self.stalled.load(Ordering::SeqCst) {
            return Err(StreamError::Transient("stalled".into()));
        }
        self.inner.check_writable().await
    }
}
