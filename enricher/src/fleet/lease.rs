//! The lease model as the fleet's pure core sees it: the record itself lives in
//! `shared::lease` (the store trait speaks it); here are the judgements a worker makes about
//! leases on its own, without I/O: is it expired (on *our* clock), may it be processed yet
//! (resharding order), may a new owner start reading.

use std::collections::HashMap;

pub use shared::lease::{Checkpoint, Fence, HashKeyRange, Lease};

/// What this worker last saw of a lease's counter, and when (its own monotonic clock, ms).
///
/// Expiry is judged only from these: another worker's clock never enters the decision, so
/// skewed clocks cannot make a live lease look dead or a dead one look alive (KCL semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    /// The counter value seen.
    pub counter: u64,
    /// When this worker first saw that value.
    pub seen_at_ms: u64,
}

/// Per-lease observations, keyed by lease key.
pub type Observations = HashMap<String, Observation>;

/// Records a table scan: a lease whose counter changed (or that is new to us) gets `now_ms`;
/// unchanged counters keep their first-seen time; leases gone from the table are forgotten.
pub fn observe(observations: &mut Observations, leases: &[Lease], now_ms: u64) {
    observations.retain(|k, _| leases.iter().any(|l| &l.lease_key == k));
    for l in leases {
        let entry = observations
            .entry(l.lease_key.clone())
            .or_insert(Observation {
                counter: l.lease_counter,
                seen_at_ms: now_ms,
            });
        if entry.counter != l.lease_counter {
            *entry = Observation {
                counter: l.lease_counter,
                seen_at_ms: now_ms,
            };
        }
    }
}

/// True when the lease is owned but its counter has not moved for `failover_ms` on our clock.
/// A lease we never observed is not expired: we start its timer now, as KCL does.
pub fn is_expired(
    lease: &Lease,
    observations: &Observations,
    now_ms: u64,
    failover_ms: u64,
) -> bool {
    if lease.lease_owner.is_none() {
        return false;
    }
    match observations.get(&lease.lease_key) {
        Some(o) if o.counter == lease.lease_counter => {
            now_ms.saturating_sub(o.seen_at_ms) >= failover_ms
        }
        _ => false,
    }
}

/// True when nobody owns the lease (new, released on shutdown, or evicted).
pub fn is_free(lease: &Lease) -> bool {
    lease.lease_owner.is_none()
}

/// May this lease be processed now? A finished lease (SHARD_END) never again; a child only
/// once every parent still in the table checkpointed SHARD_END, so per-partition-key order
/// holds across a split or merge. A parent missing from the table was cleaned up, which
/// happens only after it finished (docs/DESIGN.md, resharding).
pub fn eligible_for_processing(lease: &Lease, all: &[Lease]) -> bool {
    if lease.checkpoint.is_shard_end() {
        return false;
    }
    lease.parent_shard_ids.iter().all(|p| {
        all.iter()
            .find(|l| &l.lease_key == p)
            .is_none_or(|parent| parent.checkpoint.is_shard_end())
    })
}

/// A new owner reads the checkpoint only one heartbeat after its take: by then the previous
/// owner has tried to renew, seen the Conflict and stopped, so the two rarely read at once
/// (fencing makes overlap harmless for output; waiting makes it rare for cost).
pub fn may_start_reading(taken_at_ms: u64, now_ms: u64, heartbeat_ms: u64) -> bool {
    now_ms.saturating_sub(taken_at_ms) >= heartbeat_ms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(key: &str, owner: Option<&str>, counter: u64) -> Lease {
        let mut l = Lease::new(key, Checkpoint::TrimHorizon);
        l.lease_owner = owner.map(str::to_string);
        l.lease_counter = counter;
        l
    }

    #[test]
    fn expiry_is_judged_on_our_clock_from_counter_changes() {
        let mut obs = Observations::new();
        let mut l = lease("s", Some("other"), 5);
        observe(&mut obs, std::slice::from_ref(&l), 1_000);
        assert!(!is_expired(&l, &obs, 10_999, 10_000), "just under failover");
        assert!(
            is_expired(&l, &obs, 11_000, 10_000),
            "counter still for failover"
        );
        l.lease_counter = 6;
        assert!(
            !is_expired(&l, &obs, 11_000, 10_000),
            "a newer counter than seen"
        );
        observe(&mut obs, std::slice::from_ref(&l), 11_000);
        assert!(
            !is_expired(&l, &obs, 20_999, 10_000),
            "timer restarted on change"
        );
        observe(&mut obs, &[], 30_000);
        assert!(obs.is_empty(), "deleted leases are forgotten");
    }

    #[test]
    fn free_leases_never_expire_they_are_simply_free() {
        let l = lease("s", None, 3);
        let mut obs = Observations::new();
        observe(&mut obs, std::slice::from_ref(&l), 0);
        assert!(!is_expired(&l, &obs, 1_000_000, 10));
        assert!(is_free(&l));
    }

    #[test]
    fn may_start_reading_after_one_heartbeat() {
        assert!(!may_start_reading(1_000, 3_999, 3_000));
        assert!(may_start_reading(1_000, 4_000, 3_000));
    }
}
