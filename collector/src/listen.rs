//! The accept loop: HTTP/1.1 connections served by hyper, the pixel's `GET` answered directly,
//! every other request through the axum router.
//!
//! Why not `axum::serve`: on the pixel, the hit every browser sends, the router's layers
//! (boxed service clones, boxed futures, the extensions map for `ConnectInfo`, URL-parameter
//! bookkeeping, HTTP/2 preface sniffing) were about ten allocations and as many `poll` layers
//! per request, more than the handler's own work. The router still serves everything else,
//! including `HEAD /hello.gif`, with the same handler.
//!
//! Slow clients: a connection must send each request head within the header timeout (see
//! `Config::header_timeout_secs`), or hyper closes it.
//!
//! Graceful shutdown as in `axum::serve`: once `stop` resolves, no connection is accepted; each
//! open connection finishes the request in progress and closes; the loop returns when all have.

use crate::app::{pixel_hit, AppState};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request};
use axum::response::Response;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_service::Service;

/// Serves `listener` until `stop` resolves, then waits for the open connections to finish.
/// `header_timeout`: longest wait for a request head (`None`: unbounded).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    router: Router,
    header_timeout: Option<Duration>,
    stop: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    // Without a timer hyper ignores the timeout; an explicit `None` keeps it off.
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let closing = CancellationToken::new();
    // Every connection task holds a clone; the loop ends when the last one is dropped.
    let (done_tx, mut done_rx) = tokio::sync::mpsc::channel::<()>(1);
    tokio::pin!(stop);
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        // As nginx does on keep-alive connections: a response leaves at once.
        let _ = io.set_nodelay(true);
        let (state, router, closing, done, http) = (
            state.clone(),
            router.clone(),
            closing.clone(),
            done_tx.clone(),
            http.clone(),
        );
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                dispatch(state.clone(), router.clone(), peer, req)
            });
            let conn = http.serve_connection(TokioIo::new(io), svc);
            tokio::pin!(conn);
            let result = tokio::select! {
                r = conn.as_mut() => r,
                _ = closing.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = result {
                tracing::trace!(error = %e, %peer, "connection ended with an error");
            }
            drop(done);
        });
    }
    drop(listener);
    closing.cancel();
    drop(done_tx);
    let _ = done_rx.recv().await;
}

async fn dispatch(
    state: AppState,
    mut router: Router,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response, Infallible> {
    if req.method() == Method::GET && req.uri().path() == "/hello.gif" {
        let (parts, _) = req.into_parts();
        return Ok(pixel_hit(&state, peer, &parts).await);
    }
    let mut req = req.map(Body::new);
    req.extensions_mut().insert(ConnectInfo(peer));
    std::future::poll_fn(|cx| Service::<Request<Body>>::poll_ready(&mut router, cx)).await?;
    router.call(req).await
}

/// Errors of `accept` that concern one connection are skipped; the others (out of file
/// descriptors, mostly) are logged and retried after a pause rather than spinning.
async fn accept_error(e: std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
