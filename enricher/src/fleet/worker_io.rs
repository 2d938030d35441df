//! The reading and committing half of the worker: pump a shard, commit a batch (objects first,
//! then the fenced checkpoint), finish a shard at SHARD_END, drain on shutdown.

use super::{child_lease, start_position, Worker, MAX_READ, READS_PER_ROUND};
use shared::stream::batching::Backoff;
use std::time::Duration;

/// Backoff after a throttled read: 200 ms doubling to 10 s, full jitter.
const THROTTLE_BACKOFF: Backoff = Backoff {
    base: Duration::from_millis(200),
    cap: Duration::from_secs(10),
};
use crate::fleet::manifest::{manifest_key, Manifest};
use crate::fleet::metrics;
use shared::lease::{Cas, Checkpoint, CheckpointUpdate, Fence, Lease, LeaseStore};
use shared::object_store::{ObjectStore, PutOutcome};
use shared::stream::{ChildShard, StartPosition, StreamError};
use tokio::time::Instant;

/// What committing a shard's buffer came to.
enum Commit {
    /// Checkpointed (or nothing to commit).
    Done,
    /// Fenced out: the lease is gone and so is the buffer.
    Lost,
}

impl Worker {
    /// Reads up to [`READS_PER_ROUND`] batches of one shard, enriching into its buffer, and
    /// commits when the buffer is full, old, or the shard ended.
    pub(super) async fn pump(&mut self, key: &str, deadline: Instant) -> anyhow::Result<()> {
        for _ in 0..READS_PER_ROUND {
            if Instant::now() >= deadline {
                break;
            }
            if self.reads.check_key(&key.to_string()).is_err() {
                break; // this shard's read budget is spent: continue next round
            }
            let Some(h) = self.held.get_mut(key) else {
                return Ok(());
            };
            let cursor = match &h.cursor {
                Some(c) => c.clone(),
                None => {
                    // After an expired iterator, continue after what is already buffered.
                    let from = match &h.read_to {
                        Some(seq) => Some(StartPosition::AfterSequenceNumber(seq.clone())),
                        None => start_position(&h.checkpoint),
                    };
                    let Some(from) = from else {
                        // Checkpointed SHARD_END (e.g. by us before a crash): nothing to read.
                        return self.finish(key, Vec::new()).await;
                    };
                    let c = self.cfg.stream.open(key, &from).await?;
                    if h.read_to.is_none() {
                        // Failover is "until the shard is read again": log when that starts.
                        let now =
                            u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
                        let since_take = now.saturating_sub(h.taken_at_ms);
                        tracing::info!(shard = %key, since_take_ms = since_take, checkpoint = ?h.checkpoint, "reading from the checkpoint");
                    }
                    h.cursor = Some(c.clone());
                    c
                }
            };
            let room = self
                .cfg
                .flush_records
                .saturating_sub(h.buffer.records())
                .max(1);
            let limit = usize::try_from(room).unwrap_or(MAX_READ).min(MAX_READ);
            let batch = match self.cfg.stream.read(&cursor, limit).await {
                Ok(b) => b,
                Err(StreamError::ExpiredIterator) => {
                    h.cursor = None;
                    continue;
                }
                Err(StreamError::Throttled(why)) => {
                    // Another consumer shares the shard's 5 reads/s: back off with full
                    // jitter so throttled workers do not retry in lockstep.
                    metrics::throttled();
                    h.throttles = h.throttles.saturating_add(1);
                    let wait = THROTTLE_BACKOFF.delay(h.throttles, self.jitter.unit());
                    h.pause_until = Some(Instant::now() + wait);
                    tracing::debug!(shard = %key, ?wait, why, "read throttled");
                    return Ok(());
                }
                Err(e) => return Err(e.into()),
            };
            h.throttles = 0;
            if let Some(ms) = batch.millis_behind_latest {
                metrics::millis_behind(key, ms);
            }
            // A bounded backfill stops at the first record past its end, in this shard.
            let past_end = self
                .cfg
                .stop_at_ms
                .and_then(|stop| batch.records.iter().position(|r| r.arrival_ms > stop));
            if past_end.is_some() {
                h.done = true;
            }
            let upto = past_end.unwrap_or(batch.records.len());
            let records = &batch.records[..upto];
            if let Err(e) = h
                .buffer
                .push(&mut self.cfg.engine, &self.cfg.source, key, records)
            {
                self.rewind(key);
                return Err(e.into());
            }
            if let Some(last) = records.last() {
                h.read_to = Some(last.sequence_number.clone());
            }
            let at_tip = batch.records.is_empty() && batch.millis_behind_latest == Some(0);
            if self.cfg.stop_at_ms.is_some() && (h.done || at_tip) {
                h.done = true;
                self.commit(key).await?;
                return Ok(());
            }
            h.cursor = batch.next.clone();
            if batch.is_shard_end() {
                return self.finish(key, batch.child_shards).await;
            }
            let full = h.buffer.records() >= self.cfg.flush_records
                || h.buffer.bytes() >= self.cfg.flush_bytes;
            if full || self.aged(key) {
                if let Commit::Lost = self.commit(key).await? {
                    return Ok(());
                }
            }
            if batch.records.is_empty() {
                // Caught up: wait for the next round instead of polling an idle shard.
                break;
            }
        }
        if self.aged(key) {
            self.commit(key).await?;
        }
        self.enforce_budget().await
    }

    /// Commits the largest buffer while all buffers together exceed the worker's budget.
    async fn enforce_budget(&mut self) -> anyhow::Result<()> {
        loop {
            let total: u64 = self.held.values().map(|h| h.buffer.records()).sum();
            if total <= self.cfg.buffer_records {
                return Ok(());
            }
            let Some(largest) = self
                .held
                .iter()
                .max_by_key(|(_, h)| h.buffer.records())
                .map(|(k, _)| k.clone())
            else {
                return Ok(());
            };
            tracing::debug!(shard = %largest, total, "buffer budget reached: committing the largest batch");
            metrics::budget_flush();
            if let Commit::Lost = self.commit(&largest).await? {
                continue; // its buffer is gone with the lease
            }
        }
    }

    /// Forgets everything read after the last committed checkpoint, so the next round reads it
    /// again: the buffer was consumed by a failed write, or is in an unknown state.
    fn rewind(&mut self, key: &str) {
        let Ok(buffer) = self.new_buffer() else {
            return;
        };
        if let Some(h) = self.held.get_mut(key) {
            h.buffer = buffer;
            h.cursor = None;
            h.read_to = None;
        }
    }

    fn aged(&self, key: &str) -> bool {
        self.held
            .get(key)
            .and_then(|h| h.buffer.started())
            .is_some_and(|t| t.elapsed() >= self.cfg.flush_age)
    }

    /// Writes the shard's buffered batch, then its manifest (put-if-absent), then checkpoints
    /// its last record naming the manifest, with our fence (docs/DESIGN.md §6).
    async fn commit(&mut self, key: &str) -> anyhow::Result<Commit> {
        let Some(h) = self.held.get_mut(key) else {
            return Ok(Commit::Lost);
        };
        let flush_started = Instant::now();
        let written = h
            .buffer
            .write(self.cfg.output.as_ref(), &self.cfg.prefixes, key, h.epoch)
            .await;
        let written = match written {
            Ok(Some(w)) => w,
            Ok(None) => return Ok(Commit::Done),
            Err(e) => {
                self.rewind(key);
                return Err(e.into());
            }
        };
        let manifest = Manifest {
            version: 1,
            shard: key.to_string(),
            epoch: h.epoch,
            owner: self.cfg.worker_id.clone(),
            first: written.first_seq.clone(),
            last: written.last_seq.clone(),
            prev: h.manifest.clone(),
            written_at_ms: metrics::wall_ms(),
            counts: written.counts.manifest(),
            objects: written.objects.clone(),
        };
        let mkey = manifest_key(
            &self.cfg.prefixes.data,
            key,
            &manifest.first,
            &manifest.last,
            h.epoch,
        );
        let fence = h.fence.clone();
        if let Err(e) = publish_manifest(self.cfg.output.as_ref(), &mkey, &manifest).await {
            self.rewind(key);
            return Err(e);
        }
        let checkpoint = Checkpoint::at(&written.last_seq);
        let update = CheckpointUpdate {
            checkpoint: checkpoint.clone(),
            manifest: Some(mkey.clone()),
            child_shard_ids: Vec::new(),
        };
        let cas = match self.cfg.leases.checkpoint(&fence, &update).await {
            Ok(cas) => cas,
            Err(e) => match checkpoint_landed(self.cfg.leases.as_ref(), key, &fence, &mkey).await {
                // The write applied though its answer was lost: committed.
                Some(lease) => Cas::Applied(lease),
                None => {
                    // Unknown or not applied: re-read from the last known checkpoint; the
                    // batch gets a new manifest, the old one stays off the chain (orphan).
                    self.rewind(key);
                    return Err(e.into());
                }
            },
        };
        let Some(h) = self.held.get_mut(key) else {
            return Ok(Commit::Lost);
        };
        match cas {
            Cas::Applied(_) => {
                h.checkpoint = checkpoint;
                h.manifest = Some(mkey);
                self.summary.batches_committed += 1;
                self.summary.committed.add(&written.counts);
                metrics::committed(key, &written.counts, &written.objects);
                metrics::flush_latency(flush_started.elapsed());
                Ok(Commit::Done)
            }
            Cas::Conflict => {
                // Fenced out: the new owner re-reads from the old checkpoint. Our objects
                // carry our epoch, so deleting them never touches the new owner's; without
                // this they would be orphans until vacuum (docs/DESIGN.md §6).
                tracing::warn!(shard = %key, last = %written.last_seq, "checkpoint fenced out; batch not committed");
                self.summary.batches_fenced += 1;
                metrics::fenced();
                let keys = written.objects.iter().map(|o| o.key.as_str());
                for k in keys.chain([mkey.as_str()]) {
                    if let Err(e) = self.cfg.output.delete(k).await {
                        tracing::warn!(key = %k, error = %e, "could not delete a fenced object");
                    }
                }
                self.lose(key, "checkpoint conflict");
                Ok(Commit::Lost)
            }
        }
    }

    /// SHARD_END: commit the tail, checkpoint SHARD_END with the children, create their
    /// leases, release ours (a finished lease is never processed again).
    async fn finish(&mut self, key: &str, children: Vec<ChildShard>) -> anyhow::Result<()> {
        if let Commit::Lost = self.commit(key).await? {
            return Ok(());
        }
        let Some(h) = self.held.get(key) else {
            return Ok(());
        };
        let update = CheckpointUpdate {
            checkpoint: Checkpoint::ShardEnd,
            // The chain head stays named, so the finished shard's history stays reachable.
            manifest: h.manifest.clone(),
            child_shard_ids: children.iter().map(|c| c.shard_id.clone()).collect(),
        };
        let fence = h.fence.clone();
        if let Cas::Conflict = self.cfg.leases.checkpoint(&fence, &update).await? {
            self.lose(key, "checkpoint conflict at SHARD_END");
            return Ok(());
        }
        // Children are created after SHARD_END is durable; a crash in between is healed by the
        // next shard sync (ListShards), since they become eligible only now anyway.
        for c in &children {
            let _ = self.cfg.leases.create_if_absent(&child_lease(c)).await?;
        }
        self.summary.shards_finished += 1;
        tracing::info!(shard = %key, children = ?update.child_shard_ids, "shard finished");
        self.held.remove(key);
        let _ = self.cfg.leases.release(&fence).await?;
        Ok(())
    }

    /// Shutdown: commit every buffer, then release every lease so peers take over at once.
    pub(super) async fn drain(&mut self) {
        let keys: Vec<String> = self.held.keys().cloned().collect();
        for key in keys {
            match self.commit(&key).await {
                Ok(Commit::Done) => {}
                Ok(Commit::Lost) => continue,
                Err(e) => {
                    // Not committed: released anyway; the next owner re-reads the batch.
                    tracing::warn!(shard = %key, error = %e, "final commit failed");
                }
            }
            let Some(h) = self.held.remove(&key) else {
                continue;
            };
            match self.cfg.leases.release(&h.fence).await {
                Ok(Cas::Applied(_)) => self.summary.leases_released += 1,
                Ok(Cas::Conflict) => self.summary.leases_lost += 1,
                Err(e) => {
                    tracing::warn!(shard = %key, error = %e, "release failed; lease will expire")
                }
            }
        }
    }
}

/// Writes a manifest once. Finding it already there is fine only if it names the same
/// objects: a retry of this very batch in this tenure (a lost answer).
async fn publish_manifest(
    output: &dyn ObjectStore,
    mkey: &str,
    manifest: &Manifest,
) -> anyhow::Result<()> {
    let body = serde_json::to_vec_pretty(manifest)?;
    match output.put_if_absent(mkey, body.into()).await? {
        PutOutcome::Created => Ok(()),
        PutOutcome::AlreadyExists => {
            let old = output.get(mkey).await?.unwrap_or_default();
            let old: Manifest = serde_json::from_slice(&old)?;
            let same = |m: &Manifest| m.objects.iter().map(|o| o.key.clone()).collect::<Vec<_>>();
            anyhow::ensure!(
                same(&old) == same(manifest),
                "manifest {mkey} exists with other objects"
            );
            Ok(())
        }
    }
}

/// After a checkpoint call failed without an answer: the lease if it did apply, `None`
/// if it did not or we cannot tell.
async fn checkpoint_landed(
    leases: &dyn LeaseStore,
    key: &str,
    fence: &Fence,
    mkey: &str,
) -> Option<Box<Lease>> {
    let lease = leases.get(key).await.ok()??;
    let landed = lease.lease_owner.as_deref() == Some(fence.owner.as_str())
        && lease.lease_counter == fence.counter
        && lease.checkpoint_manifest.as_deref() == Some(mkey);
    landed.then(|| Box::new(lease))
}
