//! The worker loop of `enricher run` (docs/DESIGN.md §3–§6): every heartbeat it syncs shards
//! into leases, renews what it holds, applies the balancing plan, then reads, enriches and
//! commits each held shard. All decisions come from the pure [`super::balance`] and
//! [`super::lease`]; this module only does the I/O. One task serialises every write to a lease
//! (renew, checkpoint, release), so the worker never races itself on the counter.

use super::balance::{plan, BalanceConfig};
use super::lease::{eligible_for_processing, may_start_reading, observe, Observations};
use super::manifest::sealed_key;
use super::metrics::{self, Health};
use super::shard::{BatchCounts, Buffer, Held, Prefixes};
use super::sync::{leases_to_clean, leases_to_create};
use crate::core::Engine;
use shared::lease::{Cas, Checkpoint, Lease, LeaseStore};
use shared::object_store::ObjectStore;
use shared::parquet_io::ParquetOptions;
use shared::stream::{ChildShard, StartPosition, StreamReader};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

/// Kinesis' GetRecords limit per call.
const MAX_READ: usize = 10_000;
/// Reads per shard per round: Kinesis allows 5 GetRecords/s per shard, a round is ~1 s.
const READS_PER_ROUND: usize = 5;
/// ListShards between rounds: new shards otherwise only arrive through ChildShards.
const SHARD_SYNC: Duration = Duration::from_secs(60);

/// Everything a worker needs; the binary builds it from flags, tests by hand.
pub struct WorkerConfig {
    /// Unique per process start (a restart must re-take, starting a new epoch).
    pub worker_id: String,
    /// Stream name in derived event ids and dead-letter sources.
    pub source: String,
    /// Where records come from.
    pub stream: Arc<dyn StreamReader>,
    /// The lease table.
    pub leases: Arc<dyn LeaseStore>,
    /// Where Parquet and dead letters go.
    pub output: Arc<dyn ObjectStore>,
    /// Enrichment.
    pub engine: Engine,
    /// A lease whose counter stood still this long (our clock) is expired; heartbeat = 1/3.
    pub failover: Duration,
    /// At most this many leases.
    pub max_leases: usize,
    /// Commit a shard's batch at this many records…
    pub flush_records: u64,
    /// …or when its objects reach about this many bytes…
    pub flush_bytes: u64,
    /// …or, worker-wide, when all shards together buffer more records than this: the largest
    /// buffer is committed. This bounds memory whatever the shard count (each buffered record
    /// costs ~1.5 KiB of RSS in builders and pages until its batch is written).
    pub buffer_records: u64,
    /// …or when its oldest record is this old.
    pub flush_age: Duration,
    /// Where new top-level shards start (children always start at TRIM_HORIZON).
    pub initial_position: Checkpoint,
    /// Where data, dead letters, manifests and the raw archive go.
    pub prefixes: Prefixes,
    /// Parquet encoding.
    pub parquet: ParquetOptions,
    /// How long a shutdown may take before leases are left to expire instead.
    pub drain_deadline: Duration,
    /// Read by the health endpoint.
    pub health: Arc<Health>,
    /// A bounded run (backfill): records that arrived after this time (epoch ms) are not
    /// read, and the worker stops once every shard reached it or its tip. One worker per
    /// bounded run, with its own lease table.
    pub stop_at_ms: Option<i64>,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Committed records by outcome.
    pub committed: BatchCounts,
    /// Batches whose checkpoint succeeded.
    pub batches_committed: u64,
    /// Batches written but fenced out at the checkpoint (their objects are deleted again).
    pub batches_fenced: u64,
    /// Leases lost to another worker (renew or checkpoint Conflict).
    pub leases_lost: u64,
    /// Leases taken.
    pub leases_taken: u64,
    /// Shards read to SHARD_END and checkpointed so.
    pub shards_finished: u64,
    /// Leases released at shutdown.
    pub leases_released: u64,
}

struct Worker {
    cfg: WorkerConfig,
    started: Instant,
    observations: Observations,
    held: BTreeMap<String, Held>,
    summary: RunSummary,
    last_sync: Option<Instant>,
    rounds: usize,
    /// Kinesis allows 5 GetRecords calls per second per shard, shared by every consumer of
    /// the shard: stay within it whatever the heartbeat, so we never cause the throttling.
    reads: governor::DefaultKeyedRateLimiter<String>,
    /// Jitter for throttling backoff.
    jitter: shared::stream::batching::Jitter,
}

/// GetRecords calls per second per shard (the Kinesis limit).
pub const READS_PER_SECOND: u32 = 5;

/// Runs a worker until `shutdown` is cancelled, then commits what it buffered and releases
/// its leases. Store and stream errors are logged and retried next round: a worker that can
/// no longer renew stops reading on its own after `failover`, and peers take over.
pub async fn run(cfg: WorkerConfig, shutdown: CancellationToken) -> anyhow::Result<RunSummary> {
    let heartbeat = cfg.failover / 3;
    let mut w = Worker {
        cfg,
        started: Instant::now(),
        observations: Observations::new(),
        held: BTreeMap::new(),
        summary: RunSummary::default(),
        last_sync: None,
        rounds: 0,
        jitter: shared::stream::batching::Jitter::new(u64::from(std::process::id())),
        reads: governor::RateLimiter::keyed(governor::Quota::per_second(
            std::num::NonZeroU32::new(READS_PER_SECOND).unwrap_or(std::num::NonZeroU32::MIN),
        )),
    };
    let mut tick = tokio::time::interval(heartbeat.max(Duration::from_millis(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tracing::info!(worker = %w.cfg.worker_id, "worker started");
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        match w.round(&shutdown).await {
            Ok(true) => {
                tracing::info!("bounded run complete");
                break;
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "round failed; retrying next heartbeat"),
        }
    }
    let deadline = w.cfg.drain_deadline;
    if tokio::time::timeout(deadline, w.drain()).await.is_err() {
        tracing::warn!("drain deadline passed: leases left to expire, uncommitted data is re-read");
    }
    tracing::info!(summary = ?w.summary, "worker stopped");
    Ok(w.summary)
}

impl Worker {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn heartbeat_ms(&self) -> u64 {
        u64::try_from(self.cfg.failover.as_millis() / 3).unwrap_or(u64::MAX)
    }

    /// One heartbeat; `true` when a bounded run has read everything it should.
    async fn round(&mut self, shutdown: &CancellationToken) -> anyhow::Result<bool> {
        if self.last_sync.is_none_or(|t| t.elapsed() >= SHARD_SYNC) {
            self.sync_shards().await?;
            self.last_sync = Some(Instant::now());
        }
        self.renew().await;
        let leases = self.cfg.leases.list().await?;
        let now = self.now_ms();
        observe(&mut self.observations, &leases, now);
        self.rebalance(&leases, now).await;
        let unclaimed = leases
            .iter()
            .filter(|l| l.lease_owner.is_none() && l.checkpoint != Checkpoint::ShardEnd)
            .count();
        metrics::leases(self.held.len(), unclaimed, leases.len());
        // Reading gets at most one heartbeat per round, so renewals stay on time however much
        // data is waiting; the starting shard rotates so a busy first shard cannot starve the rest.
        let round_deadline = Instant::now() + self.cfg.failover / 3;
        let mut keys: Vec<String> = self.held.keys().cloned().collect();
        self.rounds += 1;
        if !keys.is_empty() {
            let start = self.rounds % keys.len();
            keys.rotate_left(start);
        }
        for key in keys {
            if shutdown.is_cancelled() || Instant::now() >= round_deadline {
                break;
            }
            let ready = self.held.get(&key).is_some_and(|h| {
                !h.done
                    && may_start_reading(h.taken_at_ms, self.now_ms(), self.heartbeat_ms())
                    && h.pause_until.is_none_or(|t| Instant::now() >= t)
            });
            // Leases we hold but may not process yet (a child whose parent is unfinished
            // cannot be taken by the plan, but a stale take could race a reshard): wait.
            let eligible = leases
                .iter()
                .find(|l| l.lease_key == key)
                .is_none_or(|l| eligible_for_processing(l, &leases));
            if ready && eligible {
                let span = tracing::info_span!("shard", shard = %key);
                if let Err(e) = self.pump(&key, round_deadline).instrument(span).await {
                    tracing::warn!(shard = %key, error = %e, "shard read failed; retrying");
                }
            }
        }
        let oldest = self
            .held
            .values()
            .filter_map(|h| h.buffer.started())
            .map(|t| metrics::wall_ms() - i64::try_from(t.elapsed().as_millis()).unwrap_or(0))
            .min();
        self.cfg.health.round_done(oldest);
        let bounded_done = self.cfg.stop_at_ms.is_some()
            && leases.iter().all(|l| {
                l.checkpoint == Checkpoint::ShardEnd
                    || self.held.get(&l.lease_key).is_some_and(|h| h.done)
            });
        Ok(bounded_done)
    }

    /// Creates a lease for every listed shard that has none (parents before children), and
    /// cleans up finished parents whose children progressed (docs/DESIGN.md §5).
    async fn sync_shards(&mut self) -> anyhow::Result<()> {
        let shards = self.cfg.stream.list_shards().await?;
        let leases = self.cfg.leases.list().await?;
        for lease in leases_to_create(&shards, &leases, &self.cfg.initial_position) {
            let _ = self.cfg.leases.create_if_absent(&lease).await?;
        }
        for l in leases_to_clean(&leases) {
            // Seal first: the chain must stay reachable once the lease that named it is gone.
            if let Some(head) = &l.checkpoint_manifest {
                let seal = sealed_key(&self.cfg.prefixes.data, &l.lease_key);
                self.cfg
                    .output
                    .put_if_absent(&seal, head.clone().into_bytes().into())
                    .await?;
            }
            if let Cas::Applied(_) = self
                .cfg
                .leases
                .delete(&l.lease_key, l.lease_counter)
                .await?
            {
                tracing::info!(shard = %l.lease_key, "finished lease cleaned up");
            }
        }
        Ok(())
    }

    async fn renew(&mut self) {
        let now = self.now_ms();
        let failover = u64::try_from(self.cfg.failover.as_millis()).unwrap_or(u64::MAX);
        let keys: Vec<String> = self.held.keys().cloned().collect();
        for key in keys {
            let Some(h) = self.held.get_mut(&key) else {
                continue;
            };
            match self.cfg.leases.renew(&h.fence, None).await {
                Ok(Cas::Applied(l)) => {
                    h.fence.counter = l.lease_counter;
                    h.renewed_at_ms = now;
                }
                Ok(Cas::Conflict) => self.lose(&key, "renew conflict"),
                Err(e) if now.saturating_sub(h.renewed_at_ms) >= failover => {
                    // We can no longer know we hold it; peers may already have taken it.
                    tracing::warn!(shard = %key, error = %e, "no renewal for failover: stopping");
                    self.lose(&key, "renewals failing");
                }
                Err(e) => tracing::warn!(shard = %key, error = %e, "renew failed; retrying"),
            }
        }
    }

    /// Forgets a lease we no longer hold, with its uncommitted rows (the new owner re-reads).
    fn lose(&mut self, key: &str, why: &str) {
        if self.held.remove(key).is_some() {
            tracing::info!(shard = %key, why, "lease lost; dropped its buffer");
            self.summary.leases_lost += 1;
        }
    }

    async fn rebalance(&mut self, leases: &[Lease], now: u64) {
        let cfg = BalanceConfig {
            failover_ms: u64::try_from(self.cfg.failover.as_millis()).unwrap_or(u64::MAX),
            max_leases: self.cfg.max_leases,
            max_steal: 1,
        };
        let p = plan(now, &self.cfg.worker_id, leases, &self.observations, &cfg);
        for key in p.take_expired.iter().chain(&p.steal) {
            let Some(l) = leases.iter().find(|l| &l.lease_key == key) else {
                continue;
            };
            let taken = self
                .cfg
                .leases
                .take(
                    key,
                    l.lease_owner.as_deref(),
                    l.lease_counter,
                    &self.cfg.worker_id,
                )
                .await;
            match taken {
                Ok(Cas::Applied(l)) => self.adopt(*l, now),
                Ok(Cas::Conflict) => tracing::debug!(shard = %key, "take lost a race"),
                Err(e) => tracing::warn!(shard = %key, error = %e, "take failed"),
            }
        }
    }

    fn adopt(&mut self, l: Lease, now: u64) {
        let (Some(fence), Ok(buffer)) = (l.fence(), self.new_buffer()) else {
            return;
        };
        tracing::info!(shard = %l.lease_key, epoch = l.lease_counter, "lease taken");
        self.summary.leases_taken += 1;
        self.held.insert(
            l.lease_key.clone(),
            Held {
                fence,
                epoch: l.lease_counter,
                taken_at_ms: now,
                renewed_at_ms: now,
                checkpoint: l.checkpoint,
                cursor: None,
                read_to: None,
                buffer,
                manifest: l.checkpoint_manifest,
                pause_until: None,
                throttles: 0,
                done: false,
            },
        );
    }

    fn new_buffer(&self) -> Result<Buffer, crate::output::OutputError> {
        Buffer::new(&self.cfg.parquet, self.cfg.prefixes.raw.is_some())
    }
}

#[path = "worker_io.rs"]
mod io;

/// Where a checkpoint says reading continues; `None` for a finished shard.
fn start_position(checkpoint: &Checkpoint) -> Option<StartPosition> {
    match checkpoint {
        Checkpoint::TrimHorizon => Some(StartPosition::TrimHorizon),
        Checkpoint::Latest => Some(StartPosition::Latest),
        Checkpoint::AtTimestamp(t) => Some(StartPosition::AtTimestamp(*t)),
        Checkpoint::Sequence {
            sequence_number, ..
        } => Some(StartPosition::AfterSequenceNumber(sequence_number.clone())),
        Checkpoint::ShardEnd => None,
    }
}

/// The lease of a child shard announced at SHARD_END.
fn child_lease(c: &ChildShard) -> Lease {
    let mut l = Lease::new(&c.shard_id, Checkpoint::TrimHorizon);
    l.parent_shard_ids = c.parent_shards.clone();
    l.hash_key_range = Some(shared::lease::HashKeyRange {
        start: c.hash_key_start,
        end: c.hash_key_end,
    });
    l
}
