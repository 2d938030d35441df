//! Lease balancing as a pure function: one table scan in, one plan out.
//!
//! The rules (KCL 2's distributed work stealing, with its anti-thrashing rule kept):
//! - only processable leases count (not SHARD_END, parents finished): finished parents and
//!   waiting children would otherwise skew the fair share (KCL #54);
//! - live workers are the owners of at least one unexpired lease, plus ourselves;
//! - target = ceil(processable / workers), capped by `max_leases`;
//! - free and expired leases are taken first, up to the target;
//! - only when there are none, steal at most `max_steal` from the most loaded worker, and only
//!   if it holds more than the target — or exactly the target while we are two or more short.
//!   That last rule is what lets 4 shards over 3 workers reach 2/1/1 without the "one more
//!   than the target" rule making 5 shards over 2 workers flap between 3/2 and 2/3.
//!
//! Every decision is a proposal: the store's conditional writes decide who actually wins.

use super::lease::{eligible_for_processing, is_expired, is_free, Lease, Observations};
use std::collections::BTreeMap;

/// Tunables of one balancing round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalanceConfig {
    /// A lease whose counter did not move for this long (our clock) is expired.
    pub failover_ms: u64,
    /// Never hold more than this many processable leases (`--max-leases`).
    pub max_leases: usize,
    /// Steal at most this many per round (KCL `maxLeasesToStealAtOneTime`).
    pub max_steal: usize,
}

impl Default for BalanceConfig {
    fn default() -> Self {
        // KCL's failover is 10 s; ours is 3 s (heartbeat 1 s) so that detection, the next
        // round and the one-heartbeat wait fit the ≤ 5 s failover target (docs/DESIGN.md §3).
        BalanceConfig {
            failover_ms: 3_000,
            max_leases: usize::MAX,
            max_steal: 1,
        }
    }
}

/// What to do this round; each key appears in at most one list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Free or expired leases to take (take expecting the owner and counter we saw).
    pub take_expired: Vec<String>,
    /// Live leases of the most loaded worker to take from it.
    pub steal: Vec<String>,
    /// Leases we hold: heartbeat them.
    pub renew: Vec<String>,
}

/// Computes one round's plan for worker `me`.
pub fn plan(
    now_ms: u64,
    me: &str,
    leases: &[Lease],
    observations: &Observations,
    config: &BalanceConfig,
) -> Plan {
    let mut plan = Plan {
        renew: leases
            .iter()
            .filter(|l| l.lease_owner.as_deref() == Some(me))
            .map(|l| l.lease_key.clone())
            .collect(),
        ..Plan::default()
    };
    let processable: Vec<&Lease> = leases
        .iter()
        .filter(|l| eligible_for_processing(l, leases))
        .collect();
    let expired = |l: &Lease| is_expired(l, observations, now_ms, config.failover_ms);

    // Load per live worker; BTreeMap so ties break the same way on every worker.
    let mut load: BTreeMap<&str, usize> = BTreeMap::new();
    load.insert(me, 0);
    for l in &processable {
        if let Some(owner) = l.lease_owner.as_deref() {
            if owner == me || !expired(l) {
                *load.entry(owner).or_insert(0) += 1;
            }
        }
    }
    let mine = load.get(me).copied().unwrap_or(0);
    let target = processable
        .len()
        .div_ceil(load.len())
        .min(config.max_leases);
    let need = target.saturating_sub(mine);
    if need == 0 {
        return plan;
    }

    let mut available: Vec<&Lease> = processable
        .iter()
        .copied()
        .filter(|l| l.lease_owner.as_deref() != Some(me) && (is_free(l) || expired(l)))
        .collect();
    // Each worker scans in its own order, so newcomers do not all race for the same lease.
    available.sort_by_key(|l| spread(me, &l.lease_key));
    plan.take_expired = available
        .iter()
        .take(need)
        .map(|l| l.lease_key.clone())
        .collect();
    if !available.is_empty() {
        return plan;
    }

    let Some((victim, victim_load)) = load
        .iter()
        .filter(|(w, _)| **w != me)
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(w, n)| (*w, *n))
    else {
        return plan;
    };
    let count = if victim_load > target {
        need.min(victim_load - target)
    } else if victim_load == target && need > 1 {
        1
    } else {
        0
    };
    let mut theirs: Vec<&Lease> = processable
        .iter()
        .copied()
        .filter(|l| l.lease_owner.as_deref() == Some(victim))
        .collect();
    theirs.sort_by_key(|l| spread(me, &l.lease_key));
    plan.steal = theirs
        .iter()
        .take(count.min(config.max_steal))
        .map(|l| l.lease_key.clone())
        .collect();
    plan
}

/// A per-worker order of lease keys (FNV-1a of worker + key): stable across rounds and
/// processes, different between workers.
fn spread(me: &str, key: &str) -> (u64, String) {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in me.bytes().chain([0]).chain(key.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h, key.to_string())
}
