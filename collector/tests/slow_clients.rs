//! Slow and silent clients are cut off after the header timeout; prompt ones are served.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection; the bytes read and when it closed.
async fn until_closed(s: &mut TcpStream, limit: Duration) -> (Vec<u8>, Instant) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = tokio::time::timeout(limit, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return Instant::now(),
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .expect("the server kept the connection open past the limit");
    (got, closed)
}

#[tokio::test]
async fn slow_silent_and_idle_connections_are_closed_after_the_header_timeout() {
    let (_dir, h) = embedded().await;
    let c = start(&["--header-timeout-secs", "1"], h.writer.clone()).await;
    let limit = Duration::from_secs(10);

    // Silent: connects and sends nothing.
    let t = Instant::now();
    let mut silent = TcpStream::connect(c.addr).await.unwrap();
    // Slowloris: half a request head, then nothing.
    let mut slow = TcpStream::connect(c.addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n")
        .await
        .unwrap();
    // Prompt, then idle on keep-alive.
    let mut idle = TcpStream::connect(c.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();

    for (name, s, served) in [
        ("silent", &mut silent, false),
        ("slow", &mut slow, false),
        ("idle", &mut idle, true),
    ] {
        let (got, closed) = until_closed(s, limit).await;
        let waited = closed - t;
        assert!(
            waited >= Duration::from_millis(900),
            "{name}: closed after {waited:?}, before the timeout"
        );
        assert!(
            waited < Duration::from_secs(5),
            "{name}: closed only after {waited:?}"
        );
        let text = String::from_utf8_lossy(&got);
        assert_eq!(
            text.starts_with("HTTP/1.1 200"),
            served,
            "{name}: got {text:?}"
        );
    }

    // The collector still serves new clients.
    assert_eq!(status(&format!("http://{}/healthz", c.addr)).await, 200);
    c.shutdown.cancel();
    c.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_client_that_finishes_its_head_in_time_is_served() {
    let (_dir, h) = embedded().await;
    let c = start(&["--header-timeout-secs", "2"], h.writer.clone()).await;
    let mut s = TcpStream::connect(c.addr).await.unwrap();
    // A head sent in pieces, well within the timeout, then the connection closed by us.
    for part in [
        &b"GET /healthz HTTP/1.1\r\n"[..],
        b"Host: x\r\n",
        b"Connection: close\r\n\r\n",
    ] {
        s.write_all(part).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let (got, _) = until_closed(&mut s, Duration::from_secs(10)).await;
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 200"), "{text:?}");
    c.shutdown.cancel();
    c.task.await.unwrap().unwrap();
}
