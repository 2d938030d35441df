//! The bounded buffer between HTTP handlers and the stream, and the writer task that drains it.
//!
//! Two acknowledgement modes:
//! - `durable` (default): a handler answers 2xx only after the stream acknowledged every record
//!   of its request; if the producer gives up, the handler answers 503 and the sender retries.
//! - `buffered`: a handler answers once its records are in the buffer. The writer then never
//!   gives up on them: failed records are retried until written, or until the hard-stop deadline
//!   of a shutdown (the only way buffered events can be lost; counted and logged as ERROR).
//!
//! In both modes a full buffer makes handlers answer 503 + Retry-After instead of accepting,
//! which is the back-pressure Snowplow's collector lacks.

use shared::stream::producer::Producer;
use shared::stream::PutEntry;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// When handlers may answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AckMode {
    /// After the stream acknowledged the records.
    Durable,
    /// After the records are buffered.
    Buffered,
}

/// Buffer and writer settings.
#[derive(Debug, Clone, Copy)]
pub struct SinkConfig {
    /// Acknowledgement mode.
    pub mode: AckMode,
    /// Records the buffer holds; beyond it handlers answer 503.
    pub capacity: usize,
    /// Readiness fails above this many buffered records (below `capacity`, so the load
    /// balancer moves traffic away before requests are refused).
    pub high_water: usize,
    /// Buffered mode: how long a record may wait for a fuller batch.
    pub linger: Duration,
    /// Concurrent PutRecords calls.
    pub max_in_flight: usize,
}

/// Why records were not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The buffer is full (stream slow or down): retry later.
    Full,
    /// Durable mode: the stream did not take the records.
    NotWritten,
    /// Shutting down.
    Closed,
}

struct Item {
    entry: PutEntry,
    ack: Option<oneshot::Sender<bool>>,
}

/// State shared by handlers, the writer and readiness checks.
#[derive(Default)]
pub struct SinkStats {
    /// Records accepted into the buffer and not yet written (or given up).
    pub queued: AtomicUsize,
    /// Set when the last flush failed, cleared when one succeeds.
    pub failing: AtomicBool,
    /// Records acknowledged by the stream.
    pub written: AtomicU64,
    /// Durable mode: records reported failed to their senders.
    pub failed: AtomicU64,
    /// Buffered mode: acknowledged records dropped at the hard stop.
    pub lost: AtomicU64,
}

/// Handle used by the HTTP handlers.
#[derive(Clone)]
pub struct Sink {
    tx: mpsc::Sender<Item>,
    config: SinkConfig,
    stats: Arc<SinkStats>,
    /// `collector_buffer_records`, looked up once instead of per request.
    buffered: metrics::Gauge,
}

impl Sink {
    /// Starts the writer task. It ends when every `Sink` clone is dropped and the buffer is
    /// drained; `hard_stop` makes buffered-mode retries give up.
    pub fn start(
        producer: Arc<Producer>,
        config: SinkConfig,
        hard_stop: CancellationToken,
    ) -> (Sink, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(config.capacity.max(1));
        let stats = Arc::new(SinkStats::default());
        let writer = tokio::spawn(write_loop(rx, producer, config, stats.clone(), hard_stop));
        let buffered = metrics::gauge!("collector_buffer_records");
        (
            Sink {
                tx,
                config,
                stats,
                buffered,
            },
            writer,
        )
    }

    /// Counters (tests, metrics, readiness).
    pub fn stats(&self) -> &Arc<SinkStats> {
        &self.stats
    }

    /// True while the buffer is below its high-water mark and the stream is not failing.
    pub fn ready(&self) -> bool {
        self.stats.queued.load(Ordering::Relaxed) < self.config.high_water
            && !self.stats.failing.load(Ordering::Relaxed)
    }

    /// Buffers the entries of one request, all or none; in durable mode waits for the stream.
    pub async fn submit(&self, entries: Vec<PutEntry>) -> Result<(), Refused> {
        self.submit_iter(entries.into_iter()).await
    }

    /// [`Sink::submit`] for the one entry of a pixel hit, without the vectors.
    pub async fn submit_one(&self, entry: PutEntry) -> Result<(), Refused> {
        self.submit_iter(std::iter::once(entry)).await
    }

    async fn submit_iter(
        &self,
        entries: impl ExactSizeIterator<Item = PutEntry>,
    ) -> Result<(), Refused> {
        let n = entries.len();
        // The bound is on records not yet written, wherever they are (channel or an in-flight
        // PutRecords), so a stalled stream cannot hide records in flight batches.
        let before = self.stats.queued.fetch_add(n, Ordering::AcqRel);
        if before + n > self.config.capacity {
            self.stats.queued.fetch_sub(n, Ordering::AcqRel);
            return Err(Refused::Full);
        }
        let permits = match self.tx.try_reserve_many(n) {
            Ok(p) => p,
            Err(e) => {
                self.stats.queued.fetch_sub(n, Ordering::AcqRel);
                return Err(match e {
                    mpsc::error::TrySendError::Full(()) => Refused::Full,
                    mpsc::error::TrySendError::Closed(()) => Refused::Closed,
                });
            }
        };
        self.buffered.increment(n as f64);
        match self.config.mode {
            AckMode::Buffered => {
                for (permit, entry) in permits.zip(entries) {
                    permit.send(Item { entry, ack: None });
                }
                Ok(())
            }
            AckMode::Durable => {
                // The first wait outside the vector: a one-event request allocates none.
                let (mut first, mut rest) = (None, Vec::new());
                for (permit, entry) in permits.zip(entries) {
                    let (tx, rx) = oneshot::channel();
                    permit.send(Item {
                        entry,
                        ack: Some(tx),
                    });
                    match first {
                        None => first = Some(rx),
                        Some(_) => rest.push(rx),
                    }
                }
                let mut all = true;
                for w in first.into_iter().chain(rest) {
                    all &= w.await.unwrap_or(false);
                }
                if all {
                    Ok(())
                } else {
                    Err(Refused::NotWritten)
                }
            }
        }
    }
}

async fn write_loop(
    mut rx: mpsc::Receiver<Item>,
    producer: Arc<Producer>,
    config: SinkConfig,
    stats: Arc<SinkStats>,
    hard_stop: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(config.max_in_flight.max(1)));
    loop {
        // A free slot first, then the records: while every slot is busy, records pile up in the
        // channel and the next batch takes them all (fewer, larger transactions).
        let Ok(permit) = slots.clone().acquire_owned().await else {
            break;
        };
        // One turn of the runtime first: the requests already readable on their sockets get
        // parsed and join this batch instead of the next one.
        tokio::task::yield_now().await;
        let mut items = Vec::with_capacity(500);
        if rx.recv_many(&mut items, 500).await == 0 {
            break; // every sender dropped and the buffer is empty
        }
        if config.mode == AckMode::Buffered {
            // Wait a little for a fuller batch: fewer, larger PutRecords calls.
            let deadline = Instant::now() + config.linger;
            while items.len() < 500 {
                let room = 500 - items.len();
                match tokio::time::timeout_at(deadline, rx.recv_many(&mut items, room)).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        }
        let (producer, stats, hard_stop) = (producer.clone(), stats.clone(), hard_stop.clone());
        tokio::spawn(async move {
            flush(items, &producer, config.mode, &stats, &hard_stop).await;
            drop(permit);
        });
    }
    // Wait for the flushes still running.
    let _ = slots.acquire_many(config.max_in_flight.max(1) as u32).await;
}

async fn flush(
    items: Vec<Item>,
    producer: &Producer,
    mode: AckMode,
    stats: &SinkStats,
    hard_stop: &CancellationToken,
) {
    let total = items.len();
    let started = Instant::now();
    let mut round = 0u32;
    // Entries and acknowledgements apart: the entries go to the stream as they are, no copy.
    let (mut entries, mut acks): (Vec<PutEntry>, Vec<Option<oneshot::Sender<bool>>>) =
        items.into_iter().map(|i| (i.entry, i.ack)).unzip();
    loop {
        let results = producer.put_all(&entries).await;
        let mut retry = Vec::new();
        let mut any_failed = false;
        for ((entry, ack), result) in entries.into_iter().zip(acks).zip(results) {
            let ok = result.is_written();
            any_failed |= !ok;
            if ok {
                stats.written.fetch_add(1, Ordering::Relaxed);
            }
            match (ok, mode, ack) {
                (true, _, Some(ack)) => {
                    let _ = ack.send(true);
                }
                (false, AckMode::Durable, ack) => {
                    stats.failed.fetch_add(1, Ordering::Relaxed);
                    if let Some(ack) = ack {
                        let _ = ack.send(false);
                    }
                }
                (false, AckMode::Buffered, ack) => retry.push((entry, ack)),
                (true, _, None) => {}
            }
        }
        // Readiness turns red while the stream refuses records, green after a clean flush.
        stats.failing.store(any_failed, Ordering::Relaxed);
        if retry.is_empty() {
            break;
        }
        if hard_stop.is_cancelled() {
            stats.lost.fetch_add(retry.len() as u64, Ordering::Relaxed);
            tracing::error!(
                records = retry.len(),
                "shutdown deadline reached: buffered events not written to the stream are lost"
            );
            break;
        }
        round += 1;
        tracing::warn!(
            records = retry.len(),
            round,
            "stream did not take buffered records; retrying"
        );
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(250 * u64::from(round.min(20)))) => {}
            _ = hard_stop.cancelled() => {}
        }
        (entries, acks) = retry.into_iter().unzip();
    }
    stats.queued.fetch_sub(total, Ordering::Relaxed);
    metrics::gauge!("collector_buffer_records").decrement(total as f64);
    metrics::histogram!("collector_flush_seconds").record(started.elapsed().as_secs_f64());
}
