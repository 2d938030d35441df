//! Prometheus metrics of the worker (names in docs/DESIGN.md §10). Labels are bounded: the
//! outcome and object kind are enums, and `shard` is bounded by the stream's shard count.

use super::manifest::{ManifestObject, ObjectKind};
use super::shard::BatchCounts;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// A batch was committed.
pub fn committed(shard: &str, counts: &BatchCounts, objects: &[ManifestObject]) {
    for (outcome, n) in [
        ("read", counts.read),
        ("ok", counts.ok),
        ("dropped", counts.dropped),
        ("failed", counts.failed),
    ] {
        metrics::counter!("enricher_records_total", "outcome" => outcome).increment(n);
    }
    for o in objects {
        let kind = match o.kind {
            ObjectKind::Data => "data",
            ObjectKind::Errors => "errors",
            ObjectKind::Raw => "raw",
        };
        metrics::counter!("enricher_bytes_written_total", "kind" => kind).increment(o.size);
        metrics::counter!("enricher_objects_written_total", "kind" => kind).increment(1);
    }
    metrics::counter!("enricher_batches_committed_total").increment(1);
    metrics::histogram!("enricher_flush_records").record(counts.read as f64);
    metrics::gauge!("enricher_last_checkpoint_timestamp_seconds", "shard" => shard.to_string())
        .set(wall_ms() as f64 / 1000.0);
}

/// Time from the first write of a batch to its checkpoint.
pub fn flush_latency(d: Duration) {
    metrics::histogram!("enricher_flush_seconds").record(d.as_secs_f64());
}

/// A batch written but fenced out at its checkpoint.
pub fn fenced() {
    metrics::counter!("enricher_batches_fenced_total").increment(1);
}

/// What a GetRecords call said about the shard's lag.
pub fn millis_behind(shard: &str, ms: i64) {
    metrics::gauge!("enricher_millis_behind_latest", "shard" => shard.to_string()).set(ms as f64);
}

/// A batch was committed early to keep the worker within its buffer budget.
pub fn budget_flush() {
    metrics::counter!("enricher_budget_flushes_total").increment(1);
}

/// A read was throttled by the stream.
pub fn throttled() {
    metrics::counter!("enricher_read_throttled_total").increment(1);
}

/// Lease counts seen in one round.
pub fn leases(held: usize, unclaimed: usize, total: usize) {
    metrics::gauge!("enricher_leases_held").set(held as f64);
    metrics::gauge!("enricher_leases_unclaimed").set(unclaimed as f64);
    metrics::gauge!("enricher_leases_total").set(total as f64);
}

/// Shared between the worker and the health endpoint: when the worker last finished a round
/// and since when its oldest uncommitted record waits (0 = nothing waiting), epoch ms. Kept as
/// timestamps, not ages, so a wedged worker turns unready without having to report anything.
#[derive(Debug, Default)]
pub struct Health {
    last_round_ms: AtomicI64,
    oldest_unwritten_ms: AtomicI64,
}

impl Health {
    /// Records the end of a round.
    pub fn round_done(&self, oldest_unwritten_ms: Option<i64>) {
        self.last_round_ms.store(wall_ms(), Ordering::Relaxed);
        self.oldest_unwritten_ms
            .store(oldest_unwritten_ms.unwrap_or(0), Ordering::Relaxed);
        let age = oldest_unwritten_ms.map_or(0, |t| (wall_ms() - t).max(0));
        metrics::gauge!("enricher_oldest_unwritten_seconds").set(age as f64 / 1000.0);
    }

    /// `Ok` when a round finished and no record waited longer than `threshold`; else why not.
    pub fn ready(&self, threshold: Duration) -> Result<(), String> {
        let now = wall_ms();
        let limit = i64::try_from(threshold.as_millis()).unwrap_or(i64::MAX);
        let last = self.last_round_ms.load(Ordering::Relaxed);
        if last == 0 {
            return Err("no round finished yet".into());
        }
        if now - last > limit {
            return Err(format!("no round finished for {} ms", now - last));
        }
        let oldest = self.oldest_unwritten_ms.load(Ordering::Relaxed);
        if oldest != 0 && now - oldest > limit {
            return Err(format!("a record has waited {} ms unwritten", now - oldest));
        }
        Ok(())
    }
}

/// Wall clock, epoch ms.
pub fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_follows_rounds_and_waiting_records() {
        let h = Health::default();
        let t = Duration::from_secs(60);
        assert!(h.ready(t).is_err(), "not ready before the first round");
        h.round_done(None);
        assert!(h.ready(t).is_ok());
        h.round_done(Some(wall_ms() - 1_000));
        assert!(h.ready(t).is_ok(), "a record waiting 1 s is fine");
        h.round_done(Some(wall_ms() - 61_000));
        assert!(h.ready(t).unwrap_err().contains("unwritten"));
        h.last_round_ms
            .store(wall_ms() - 120_000, Ordering::Relaxed);
        h.oldest_unwritten_ms.store(0, Ordering::Relaxed);
        assert!(h.ready(t).unwrap_err().contains("no round"));
    }
}
