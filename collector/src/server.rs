//! Running the collector: open the stream, serve, and drain on shutdown.
//!
//! Shutdown order (one token, cancelled by SIGTERM): readiness turns red → keep serving for
//! the drain delay (the load balancer deregisters us) → stop accepting connections and finish
//! in-flight requests → the buffer drains into the stream → exit. If the deadline passes first,
//! buffered-mode retries give up (counted as lost) and the process exits anyway, before ECS's
//! SIGKILL.

use crate::app::{app, AppState};
use crate::config::Config;
use crate::sink::{Sink, SinkConfig, SinkStats};
use shared::stream::producer::{Producer, ProducerConfig};
use shared::stream::{open_stream, StreamUrl, StreamWriter};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// What happened, for the exit log and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    /// Records the stream acknowledged.
    pub written: u64,
    /// Durable mode: records reported as failed to senders.
    pub failed: u64,
    /// Buffered mode: acknowledged records lost at the deadline.
    pub lost: u64,
}

/// Opens the configured stream's writer (creating a Kinesis stream when asked).
pub async fn open_writer(config: &Config) -> anyhow::Result<Arc<dyn StreamWriter>> {
    let url: StreamUrl = config.stream.parse()?;
    let handle = open_stream(&url).await?;
    if config.create_stream_shards > 0 {
        handle
            .admin
            .ensure_stream(config.create_stream_shards)
            .await?;
    }
    Ok(handle.writer)
}

/// Serves on `listener` until `shutdown` is cancelled, then drains.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    writer: Arc<dyn StreamWriter>,
    shutdown: CancellationToken,
) -> anyhow::Result<RunSummary> {
    let hard_stop = CancellationToken::new();
    let producer = Arc::new(Producer::new(writer.clone(), ProducerConfig::default()));
    let sink_config = SinkConfig {
        mode: config.ack_mode,
        capacity: config.buffer_records,
        high_water: config.high_water(),
        linger: Duration::from_millis(config.linger_ms),
        max_in_flight: config.max_in_flight(),
    };
    let (sink, writer_task) = Sink::start(producer, sink_config, hard_stop.clone());
    let stats: Arc<SinkStats> = sink.stats().clone();
    let drain_delay = Duration::from_secs(config.drain_delay_secs);
    let deadline = Duration::from_secs(config.shutdown_deadline_secs);
    let header_timeout = config.header_timeout();
    let state = AppState::new(config, sink, shared::telemetry::prometheus());
    let (draining, stream_ok) = (state.draining.clone(), state.stream_ok.clone());

    // Readiness includes "the stream is writable": checked in the background, not per probe.
    let probe = {
        let (writer, stream_ok, stop) = (writer.clone(), stream_ok.clone(), shutdown.clone());
        tokio::spawn(async move {
            loop {
                let ok = writer.check_writable().await.is_ok();
                if stream_ok.swap(ok, Ordering::Relaxed) != ok {
                    tracing::warn!(writable = ok, "stream writability changed");
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                    _ = stop.cancelled() => break,
                }
            }
        })
    };

    // Limiter memory stays bounded: forget idle clients every minute.
    if let Some(limiter) = state.limiter.clone() {
        let stop = shutdown.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(60)) => {}
                    _ = stop.cancelled() => break,
                }
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        });
    }

    tracing::info!(addr = %listener.local_addr()?, "collector listening");
    let graceful = {
        let shutdown = shutdown.clone();
        async move {
            shutdown.cancelled().await;
            draining.store(true, Ordering::Relaxed);
            tokio::time::sleep(drain_delay).await;
            tracing::info!("no longer accepting connections; finishing in-flight requests");
        }
    };
    let router = app(state.clone());
    let served = tokio::spawn(crate::listen::serve(
        listener,
        state,
        router,
        header_timeout,
        graceful,
    ));
    shutdown.cancelled().await;
    let hard = tokio::time::sleep(drain_delay + deadline);
    tokio::pin!(hard);
    let mut served = served;
    let mut writer_task = writer_task;
    let finished = tokio::select! {
        r = &mut served => { r?; true }
        _ = &mut hard => false,
    };
    let drained = finished
        && tokio::select! {
            _ = &mut writer_task => true,
            _ = &mut hard => false,
        };
    if !drained {
        tracing::error!("shutdown deadline reached before the buffer drained");
        hard_stop.cancel();
        served.abort();
        let _ = tokio::time::timeout(Duration::from_secs(2), writer_task).await;
    }
    probe.abort();
    let summary = RunSummary {
        written: stats.written.load(Ordering::Relaxed),
        failed: stats.failed.load(Ordering::Relaxed),
        lost: stats.lost.load(Ordering::Relaxed),
    };
    tracing::info!(?summary, "collector stopped");
    Ok(summary)
}
