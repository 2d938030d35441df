//! Shard sync and lease cleanup decisions, pure (docs/DESIGN.md §5). Shard sync creates a lease
//! for every listed shard that lacks one; cleanup deletes a finished parent's lease once all
//! its children have progressed. The two must not undo each other: a cleaned-up parent is
//! still listed by ListShards until the stream's retention trims it, and recreating its lease
//! at TRIM_HORIZON would read it all again. So a lease-less shard with a descendant that has a
//! lease is never recreated: a descendant exists only because this shard was finished.

use shared::lease::{Checkpoint, HashKeyRange, Lease};
use shared::stream::{compare_sequence, Shard};
use std::collections::{BTreeMap, BTreeSet};

/// Leases to create, parents before children. `initial` applies to shards without parents;
/// children always start at TRIM_HORIZON (their first record follows the parents' last).
pub fn leases_to_create(shards: &[Shard], leases: &[Lease], initial: &Checkpoint) -> Vec<Lease> {
    let known: BTreeSet<&str> = leases.iter().map(|l| l.lease_key.as_str()).collect();
    let mut children: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for s in shards {
        for p in parents(s) {
            children.entry(p).or_default().push(&s.shard_id);
        }
    }
    let has_leased_descendant = |id: &str| {
        let mut stack: Vec<&str> = children.get(id).cloned().unwrap_or_default();
        let mut seen = BTreeSet::new();
        while let Some(c) = stack.pop() {
            if !seen.insert(c) {
                continue;
            }
            if known.contains(c) {
                return true;
            }
            stack.extend(children.get(c).into_iter().flatten().copied());
        }
        false
    };
    let mut ordered: Vec<&Shard> = shards.iter().collect();
    ordered
        .sort_by(|a, b| compare_sequence(&a.starting_sequence_number, &b.starting_sequence_number));
    ordered
        .into_iter()
        .filter(|s| !known.contains(s.shard_id.as_str()) && !has_leased_descendant(&s.shard_id))
        .map(|s| {
            let ps: Vec<String> = parents(s).map(str::to_string).collect();
            let start = if ps.is_empty() {
                initial.clone()
            } else {
                Checkpoint::TrimHorizon
            };
            let mut lease = Lease::new(&s.shard_id, start);
            lease.parent_shard_ids = ps;
            lease.hash_key_range = Some(HashKeyRange {
                start: s.hash_key_start,
                end: s.hash_key_end,
            });
            lease
        })
        .collect()
}

fn parents(s: &Shard) -> impl Iterator<Item = &str> {
    [&s.parent_shard_id, &s.adjacent_parent_shard_id]
        .into_iter()
        .flatten()
        .map(String::as_str)
}

/// Finished leases whose every child has a lease checkpointed past TRIM_HORIZON: safe to delete
/// (after sealing their manifest chain). A child not yet created keeps its parent.
pub fn leases_to_clean(leases: &[Lease]) -> Vec<&Lease> {
    let by_key: BTreeMap<&str, &Lease> = leases.iter().map(|l| (l.lease_key.as_str(), l)).collect();
    leases
        .iter()
        .filter(|l| l.checkpoint == Checkpoint::ShardEnd && l.lease_owner.is_none())
        .filter(|l| {
            !l.child_shard_ids.is_empty()
                && l.child_shard_ids.iter().all(|c| {
                    by_key.get(c.as_str()).is_some_and(|c| {
                        matches!(
                            c.checkpoint,
                            Checkpoint::Sequence { .. } | Checkpoint::ShardEnd
                        )
                    })
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn shard(id: &str, parent: Option<&str>, adjacent: Option<&str>, start: &str) -> Shard {
        Shard {
            shard_id: id.into(),
            parent_shard_id: parent.map(Into::into),
            adjacent_parent_shard_id: adjacent.map(Into::into),
            hash_key_start: 0,
            hash_key_end: u128::MAX,
            starting_sequence_number: start.into(),
            ending_sequence_number: None,
        }
    }

    fn lease(id: &str, cp: Checkpoint, children: &[&str]) -> Lease {
        let mut l = Lease::new(id, cp);
        l.child_shard_ids = children.iter().map(|c| c.to_string()).collect();
        l
    }

    fn keys(ls: &[Lease]) -> Vec<&str> {
        ls.iter().map(|l| l.lease_key.as_str()).collect()
    }

    #[test]
    fn creation_table() {
        let split = [
            shard("p", None, None, "1"),
            shard("a", Some("p"), None, "10"),
            shard("b", Some("p"), None, "11"),
        ];
        let merged = [
            shard("x", None, None, "1"),
            shard("y", None, None, "2"),
            shard("m", Some("x"), Some("y"), "30"),
        ];
        let end = Checkpoint::ShardEnd;
        let seq = Checkpoint::at("12");
        let cases: Vec<(&str, &[Shard], Vec<Lease>, Vec<&str>)> = vec![
            (
                "fresh stream: parents first",
                &split,
                vec![],
                vec!["p", "a", "b"],
            ),
            (
                "children missing",
                &split,
                vec![lease("p", end.clone(), &[])],
                vec!["a", "b"],
            ),
            (
                "cleaned parent is not recreated",
                &split,
                vec![lease("a", seq.clone(), &[]), lease("b", seq.clone(), &[])],
                vec![],
            ),
            (
                "one child leased is enough to know the parent finished",
                &split,
                vec![lease("a", seq.clone(), &[])],
                vec!["b"],
            ),
            (
                "merge: both parents first",
                &merged,
                vec![],
                vec!["x", "y", "m"],
            ),
            (
                "merge: cleaned parents stay cleaned",
                &merged,
                vec![lease("m", Checkpoint::TrimHorizon, &[])],
                vec![],
            ),
        ];
        for (name, shards, leases, want) in cases {
            let got = leases_to_create(shards, &leases, &Checkpoint::Latest);
            assert_eq!(keys(&got), want, "{name}");
            for l in &got {
                let top = l.parent_shard_ids.is_empty();
                let expect = if top {
                    Checkpoint::Latest
                } else {
                    Checkpoint::TrimHorizon
                };
                assert_eq!(l.checkpoint, expect, "{name}: {}", l.lease_key);
            }
        }
        let m = &leases_to_create(&merged, &[], &Checkpoint::TrimHorizon)[2];
        assert_eq!(m.parent_shard_ids, ["x", "y"]);
    }

    #[test]
    fn cleanup_table() {
        let end = Checkpoint::ShardEnd;
        let th = Checkpoint::TrimHorizon;
        let seq = Checkpoint::at("5");
        let owned = {
            let mut l = lease("p", end.clone(), &["a"]);
            l.lease_owner = Some("w".into());
            l
        };
        let cases: Vec<(&str, Vec<Lease>, Vec<&str>)> = vec![
            (
                "children progressed",
                vec![
                    lease("p", end.clone(), &["a", "b"]),
                    lease("a", seq.clone(), &[]),
                    lease("b", end.clone(), &[]),
                ],
                vec!["p"],
            ),
            (
                "one child at TRIM_HORIZON",
                vec![
                    lease("p", end.clone(), &["a", "b"]),
                    lease("a", seq.clone(), &[]),
                    lease("b", th.clone(), &[]),
                ],
                vec![],
            ),
            (
                "child lease missing",
                vec![lease("p", end.clone(), &["a"])],
                vec![],
            ),
            (
                "not finished",
                vec![
                    lease("p", seq.clone(), &["a"]),
                    lease("a", seq.clone(), &[]),
                ],
                vec![],
            ),
            (
                "still owned",
                vec![owned, lease("a", seq.clone(), &[])],
                vec![],
            ),
            (
                "no children recorded",
                vec![lease("p", end.clone(), &[])],
                vec![],
            ),
        ];
        for (name, leases, want) in cases {
            let got: Vec<&str> = leases_to_clean(&leases)
                .iter()
                .map(|l| l.lease_key.as_str())
                .collect();
            assert_eq!(got, want, "{name}");
        }
    }
}
