//! Scenario tables for balancing: a small fleet simulator runs the pure planner round by round
//! against an in-memory lease table with the store's conditional semantics (the same fenced
//! transitions as `shared::lease`), and each case's comment is the assertion message.
#![allow(clippy::unwrap_used)]

use super::balance::{plan, BalanceConfig};
use super::lease::{eligible_for_processing, observe, Checkpoint, Lease, Observations};
use std::collections::BTreeMap;

/// One round is one heartbeat: failover is three of them, as KCL's renewer (failover / 3).
const ROUND_MS: u64 = 3_000;
const FAILOVER_MS: u64 = 9_000;

#[derive(Clone, Copy)]
enum Step {
    /// A worker starts, with its clock skewed by this many ms.
    Start(&'static str, i64),
    /// A worker dies (kill -9: no release).
    Kill(&'static str),
    /// Rounds run; after each, processable leases per owner ("-" = free) must be exactly this.
    Trace(&'static [&'static [(&'static str, usize)]]),
    /// This many rounds run and nobody's leases change in any of them.
    Stable(usize),
    /// The owner of a lease now (`None` = free).
    Owner(&'static str, Option<&'static str>),
    /// A lease's holder checkpoints SHARD_END (the test writes it directly).
    Finish(&'static str),
}

struct Case {
    comment: &'static str,
    /// (key, parents)
    leases: Vec<(&'static str, Vec<&'static str>)>,
    config: BalanceConfig,
    steps: Vec<Step>,
}

fn shards(n: usize) -> Vec<(&'static str, Vec<&'static str>)> {
    const KEYS: [&str; 8] = ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7"];
    KEYS[..n].iter().map(|k| (*k, vec![])).collect()
}

fn cfg(max_leases: usize, max_steal: usize) -> BalanceConfig {
    BalanceConfig {
        failover_ms: FAILOVER_MS,
        max_leases,
        max_steal,
    }
}

struct Sim {
    leases: Vec<Lease>,
    /// Live workers in start order, with clock skew and their own observations.
    workers: Vec<(&'static str, i64, Observations)>,
    now: u64,
}

impl Sim {
    fn round(&mut self, config: &BalanceConfig) {
        self.now += ROUND_MS;
        for i in 0..self.workers.len() {
            let (me, skew, _) = self.workers[i];
            // Each worker only ever reads its own clock.
            let clock = self.now.saturating_add_signed(skew);
            let obs = &mut self.workers[i].2;
            observe(obs, &self.leases, clock);
            let p = plan(clock, me, &self.leases, obs, config);
            for key in p.renew {
                let l = self.find(&key);
                let next = l.apply_renew(&l.fence().unwrap(), None).unwrap();
                self.put(next);
            }
            for key in p.take_expired.iter().chain(&p.steal) {
                let l = self.find(key);
                // Conditional on what the planner saw; it saw this table, so it applies.
                let next = l
                    .apply_take(l.lease_owner.as_deref(), l.lease_counter, me)
                    .unwrap();
                self.put(next);
            }
        }
    }

    fn find(&self, key: &str) -> Lease {
        self.leases
            .iter()
            .find(|l| l.lease_key == key)
            .unwrap()
            .clone()
    }

    fn put(&mut self, lease: Lease) {
        let slot = self
            .leases
            .iter_mut()
            .find(|l| l.lease_key == lease.lease_key)
            .unwrap();
        *slot = lease;
    }

    fn counts(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for l in self
            .leases
            .iter()
            .filter(|l| eligible_for_processing(l, &self.leases))
        {
            let owner = l.lease_owner.clone().unwrap_or_else(|| "-".into());
            *out.entry(owner).or_insert(0) += 1;
        }
        out
    }

    fn owners(&self) -> Vec<Option<String>> {
        self.leases.iter().map(|l| l.lease_owner.clone()).collect()
    }
}

fn run(case: &Case) {
    let leases = case
        .leases
        .iter()
        .map(|(k, parents)| {
            let mut l = Lease::new(*k, Checkpoint::TrimHorizon);
            l.parent_shard_ids = parents.iter().map(|p| p.to_string()).collect();
            l
        })
        .collect();
    let mut sim = Sim {
        leases,
        workers: Vec::new(),
        now: 1_000_000,
    };
    for (n, step) in case.steps.iter().enumerate() {
        let at = format!("{} (step {n})", case.comment);
        match *step {
            Step::Start(w, skew) => sim.workers.push((w, skew, Observations::new())),
            Step::Kill(w) => sim.workers.retain(|(x, _, _)| *x != w),
            Step::Trace(rounds) => {
                for (r, want) in rounds.iter().enumerate() {
                    sim.round(&case.config);
                    let want: BTreeMap<String, usize> =
                        want.iter().map(|(w, c)| (w.to_string(), *c)).collect();
                    assert_eq!(sim.counts(), want, "{at}, round {}", r + 1);
                }
            }
            Step::Stable(rounds) => {
                let before = sim.owners();
                for r in 0..rounds {
                    sim.round(&case.config);
                    assert_eq!(sim.owners(), before, "{at}: flapped in round {}", r + 1);
                }
            }
            Step::Owner(key, want) => {
                assert_eq!(
                    sim.find(key).lease_owner.as_deref(),
                    want,
                    "{at}: owner of {key}"
                );
            }
            Step::Finish(key) => {
                let mut l = sim.find(key);
                l.checkpoint = Checkpoint::ShardEnd;
                sim.put(l);
            }
        }
    }
}

#[test]
fn balancing_scenarios() {
    use Step::*;
    let cases = vec![
        Case {
            comment: "fresh start, 6 shards, 1 worker: it takes everything in one round",
            leases: shards(6),
            config: cfg(usize::MAX, 1),
            steps: vec![Start("w1", 0), Trace(&[&[("w1", 6)]]), Stable(5)],
        },
        Case {
            comment: "fresh start, 6 shards, 2 workers: the first grabs all (it knows no peer), \
                      the second steals one per round up to 3/3, then nothing moves",
            leases: shards(6),
            config: cfg(usize::MAX, 1),
            steps: vec![
                Start("w1", 0),
                Start("w2", 0),
                Trace(&[&[("w1", 5), ("w2", 1)], &[("w1", 4), ("w2", 2)], &[("w1", 3), ("w2", 3)]]),
                Stable(10),
            ],
        },
        Case {
            comment: "fresh start, 6 shards, 3 workers: 2/2/2 by round 2, stealing from the most loaded",
            leases: shards(6),
            config: cfg(usize::MAX, 1),
            steps: vec![
                Start("w1", 0),
                Start("w2", 0),
                Start("w3", 0),
                Trace(&[
                    &[("w1", 4), ("w2", 1), ("w3", 1)],
                    &[("w1", 2), ("w2", 2), ("w3", 2)],
                ]),
                Stable(10),
            ],
        },
        Case {
            comment: "5 shards over 2 workers settle at 3/2 and never flap (target 3: the one \
                      with 2 must not steal from the one with exactly 3)",
            leases: shards(5),
            config: cfg(usize::MAX, 1),
            steps: vec![
                Start("w1", 0),
                Start("w2", 0),
                Trace(&[&[("w1", 4), ("w2", 1)], &[("w1", 3), ("w2", 2)]]),
                Stable(20),
            ],
        },
        Case {
            comment: "4 shards over 3 workers reach 2/1/1: one short of a full target steals \
                      nothing, two short steals one from a worker at exactly the target",
            leases: shards(4),
            config: cfg(usize::MAX, 1),
            steps: vec![
                Start("w1", 0),
                Start("w2", 0),
                Trace(&[&[("w1", 3), ("w2", 1)], &[("w1", 2), ("w2", 2)]]),
                Start("w3", 0),
                Trace(&[&[("w1", 1), ("w2", 2), ("w3", 1)]]),
                Stable(20),
            ],
        },
        Case {
            comment: "a worker dies: its leases expire after the failover time on the survivor's \
                      clock (its own clock is an hour ahead and does not matter), not before",
            leases: shards(6),
            config: cfg(usize::MAX, 1),
            steps: vec![
                Start("w1", -5_000),
                Start("w2", 3_600_000),
                Trace(&[&[("w1", 5), ("w2", 1)], &[("w1", 4), ("w2", 2)], &[("w1", 3), ("w2", 3)]]),
                Kill("w2"),
                // w1 first sees w2's last renewal in the next round, then waits 9 s = 3 rounds.
                Trace(&[
                    &[("w1", 3), ("w2", 3)],
                    &[("w1", 3), ("w2", 3)],
                    &[("w1", 3), ("w2", 3)],
                    &[("w1", 6)],
                ]),
                Stable(10),
            ],
        },
        Case {
            comment: "a new worker joins and steals gradually, one per round, from the only loaded worker",
            leases: shards(6),
            config: cfg(usize::MAX, 1),
            steps: vec![
                Start("w1", 0),
                Trace(&[&[("w1", 6)]]),
                Start("w2", 0),
                Trace(&[&[("w1", 5), ("w2", 1)], &[("w1", 4), ("w2", 2)], &[("w1", 3), ("w2", 3)]]),
                Stable(10),
            ],
        },
        Case {
            comment: "with max_steal=2 a newcomer takes at most 2 per round",
            leases: shards(6),
            config: cfg(usize::MAX, 2),
            steps: vec![
                Start("w1", 0),
                Trace(&[&[("w1", 6)]]),
                Start("w2", 0),
                Trace(&[&[("w1", 4), ("w2", 2)], &[("w1", 3), ("w2", 3)]]),
                Stable(10),
            ],
        },
        Case {
            comment: "--max-leases caps each worker; what no worker may take stays free",
            leases: shards(6),
            config: cfg(2, 1),
            steps: vec![
                Start("w1", 0),
                Start("w2", 0),
                Trace(&[&[("w1", 2), ("w2", 2), ("-", 2)]]),
                Stable(10),
            ],
        },
        Case {
            comment: "split: children are not taken before the parent checkpointed SHARD_END, \
                      then both workers get one",
            leases: vec![("p", vec![]), ("c1", vec!["p"]), ("c2", vec!["p"])],
            config: cfg(usize::MAX, 1),
            steps: vec![
                Start("w1", 0),
                Start("w2", 0),
                Trace(&[&[("w1", 1)]]),
                Stable(5),
                Owner("c1", None),
                Owner("c2", None),
                Finish("p"),
                Trace(&[&[("w1", 1), ("w2", 1)]]),
                Stable(10),
            ],
        },
        Case {
            comment: "merge: the child waits until both parents reached SHARD_END",
            leases: vec![("p1", vec![]), ("p2", vec![]), ("c", vec!["p1", "p2"])],
            config: cfg(usize::MAX, 1),
            steps: vec![
                Start("w1", 0),
                Trace(&[&[("w1", 2)]]),
                Finish("p1"),
                Trace(&[&[("w1", 1)]]),
                Owner("c", None),
                Finish("p2"),
                Trace(&[&[("w1", 1)]]),
                Owner("c", Some("w1")),
            ],
        },
    ];
    for case in &cases {
        run(case);
    }
}

#[test]
fn steals_only_from_the_most_loaded_worker() {
    let mut leases = Vec::new();
    for i in 0..8 {
        let mut l = Lease::new(format!("s{i}"), Checkpoint::TrimHorizon);
        l.lease_owner = Some(if i < 5 { "w1" } else { "w2" }.into());
        l.lease_counter = 1;
        leases.push(l);
    }
    let mut obs = Observations::new();
    observe(&mut obs, &leases, 0);
    let p = plan(1, "w3", &leases, &obs, &cfg(usize::MAX, 2));
    assert!(p.take_expired.is_empty(), "nothing expired or free");
    assert_eq!(p.steal.len(), 2, "target 3, w1 is 2 over, max_steal 2");
    for key in &p.steal {
        let owner = leases.iter().find(|l| &l.lease_key == key).unwrap();
        assert_eq!(
            owner.lease_owner.as_deref(),
            Some("w1"),
            "steal from the most loaded (5 > 3)"
        );
    }
}

#[test]
fn eligibility_table() {
    let lease = |key: &str, cp: Checkpoint, parents: &[&str]| {
        let mut l = Lease::new(key, cp);
        l.parent_shard_ids = parents.iter().map(|p| p.to_string()).collect();
        l
    };
    let seq = || Checkpoint::at("42");
    let cases: Vec<(&str, Lease, Vec<Lease>, bool)> = vec![
        (
            "an original shard is eligible",
            lease("a", Checkpoint::TrimHorizon, &[]),
            vec![],
            true,
        ),
        (
            "a finished shard is not",
            lease("a", Checkpoint::ShardEnd, &[]),
            vec![],
            false,
        ),
        (
            "a child of a running parent waits",
            lease("c", Checkpoint::TrimHorizon, &["p"]),
            vec![lease("p", seq(), &[])],
            false,
        ),
        (
            "a child of a finished parent may start",
            lease("c", Checkpoint::TrimHorizon, &["p"]),
            vec![lease("p", Checkpoint::ShardEnd, &[])],
            true,
        ),
        (
            "a merged child waits for the second parent",
            lease("c", Checkpoint::TrimHorizon, &["p1", "p2"]),
            vec![
                lease("p1", Checkpoint::ShardEnd, &[]),
                lease("p2", seq(), &[]),
            ],
            false,
        ),
        (
            "a parent already cleaned up counts as finished",
            lease("c", Checkpoint::TrimHorizon, &["gone"]),
            vec![],
            true,
        ),
    ];
    for (comment, l, mut others, want) in cases {
        others.push(l.clone());
        assert_eq!(eligible_for_processing(&l, &others), want, "{comment}");
    }
}
