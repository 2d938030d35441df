//! The enricher's small HTTP side: `/healthz` (process alive), `/readyz` (the worker finishes
//! rounds and no record waits unwritten past the threshold — the ECS container health check)
//! and `/metrics` (Prometheus). Off unless `--http-listen` is set.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use enricher::fleet::metrics::Health;
use metrics_exporter_prometheus::PrometheusHandle;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
struct AppState {
    health: Arc<Health>,
    threshold: Duration,
    metrics: PrometheusHandle,
}

/// Serves until `shutdown`; returns the bound address (port 0 picks one).
pub async fn serve(
    addr: SocketAddr,
    health: Arc<Health>,
    threshold: Duration,
    shutdown: CancellationToken,
) -> anyhow::Result<SocketAddr> {
    let state = AppState {
        health,
        threshold,
        metrics: shared::telemetry::prometheus(),
    };
    let app = axum::Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tracing::info!(%bound, "health and metrics endpoint listening");
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
        if let Err(e) = served {
            tracing::warn!(error = %e, "health endpoint stopped");
        }
    });
    Ok(bound)
}

async fn readyz(State(s): State<AppState>) -> Response {
    match s.health.ready(s.threshold) {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {why}\n"),
        )
            .into_response(),
    }
}

async fn render(State(s): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
        .into_response()
}
