//! How much of the collector's per-request CPU is the HTTP layer? Serves the 43-byte pixel on
//! one current-thread event loop (like `collector --worker-threads 1`), doing nothing else,
//! either through axum (hyper underneath, as the collector does) or through a bare keep-alive
//! loop over `httparse`. Load it with the `wrk` command of scripts/bench-collector.sh and read
//! the process's CPU time per request (BENCHMARKS.md, 2026-11-24 night).
//!
//! `cargo run --release -p collector --example raw_http_ceiling -- axum|raw PORT`

use collector::core::PIXEL_GIF;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let port: u16 = args.next().unwrap_or_default().parse()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        match mode.as_str() {
            "axum" => {
                let app = axum::Router::new().route(
                    "/hello.gif",
                    axum::routing::get(|| async { PIXEL_GIF.as_slice() }),
                );
                axum::serve(listener, app).await?;
            }
            "raw" => loop {
                let (stream, _) = listener.accept().await?;
                // wrk resets its connections when it stops: errors just end the connection.
                tokio::spawn(async move { serve_raw(stream).await.ok() });
            },
            other => anyhow::bail!("mode must be axum or raw, not {other:?}"),
        }
        Ok(())
    })
}

/// Parses whole requests out of the read buffer and answers each with the pixel; answers of
/// one read go out in one write.
async fn serve_raw(mut stream: TcpStream) -> anyhow::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; 16 * 1024];
    let mut have = 0;
    let mut out = Vec::with_capacity(1024);
    loop {
        let n = stream.read(&mut buf[have..]).await?;
        if n == 0 {
            return Ok(());
        }
        have += n;
        let mut used = 0;
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut req = httparse::Request::new(&mut headers);
            match req.parse(&buf[used..have])? {
                httparse::Status::Complete(len) => {
                    std::hint::black_box(&req);
                    used += len;
                    out.extend_from_slice(
                        b"HTTP/1.1 200 OK\r\ncontent-type: image/gif\r\ncontent-length: 43\r\n\r\n",
                    );
                    out.extend_from_slice(PIXEL_GIF.as_slice());
                }
                httparse::Status::Partial => break,
            }
        }
        buf.copy_within(used..have, 0);
        have -= used;
        anyhow::ensure!(have < buf.len(), "request head larger than the buffer");
        if !out.is_empty() {
            stream.write_all(&out).await?;
            out.clear();
        }
    }
}
