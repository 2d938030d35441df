//! `enricher vacuum` (docs/DESIGN.md §6): deletes orphans — objects and manifests that no
//! committed manifest chain names — once the shard's committed position has passed their last
//! record, so they can never become committed. That rule needs no clock and never races a
//! batch in flight. Safe to run while the fleet runs; `--dry-run` only reports.

use anyhow::Context as _;
use enricher::fleet::chain::committed_manifests;
use enricher::fleet::manifest::{
    commits_root, is_dead_orphan, manifest_key, parse_batch_name, BatchName, Progress, SEALED,
};
use shared::lease::{open_lease_store, Checkpoint};
use shared::object_store::open_store;
use shared::partition::escape_value;
use std::collections::{BTreeMap, BTreeSet};

/// Flags of `vacuum`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output store of the fleet.
    #[arg(long, env = "ENRICHER_OUTPUT", default_value = "data/lake")]
    output: String,
    /// Lease table of the fleet (its checkpoints say how far each shard is committed).
    #[arg(long, env = "ENRICHER_LEASES", default_value = "file://data/leases")]
    leases: String,
    /// Key prefix of enriched Parquet (and of `_commits/`).
    #[arg(long, env = "ENRICHER_PREFIX", default_value = "incoming")]
    prefix: String,
    /// Key prefix of dead letters.
    #[arg(long, env = "ENRICHER_ERRORS_PREFIX", default_value = "errors")]
    errors_prefix: String,
    /// Key prefix of the raw archive.
    #[arg(long, env = "ENRICHER_RAW_PREFIX", default_value = "raw")]
    raw_prefix: String,
    /// Report what would be deleted, delete nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<()> {
    let rt = super::common::runtime()?;
    rt.block_on(async move {
        let store = open_store(&args.output).await?;
        let leases = open_lease_store(&args.leases)
            .await
            .context("opening the lease store")?;
        let chains = committed_manifests(&*store, &*leases, &args.prefix).await?;
        let mut named: BTreeSet<String> = BTreeSet::new();
        for m in chains.values().flatten() {
            named.extend(m.objects.iter().map(|o| o.key.clone()));
        }
        // Committed manifests by key, so they are never orphans themselves.
        let commits = commits_root(&args.prefix);
        let mut progress: BTreeMap<String, Progress> = BTreeMap::new();
        for l in leases.list().await? {
            let p = match &l.checkpoint {
                Checkpoint::ShardEnd => Progress::Finished,
                Checkpoint::Sequence {
                    sequence_number, ..
                } => Progress::Through(sequence_number.clone()),
                _ => Progress::Nothing,
            };
            progress.insert(escape_value(&l.lease_key), p);
        }
        let manifests_on_chain: BTreeSet<String> = chains
            .iter()
            .flat_map(|(shard, chain)| {
                chain
                    .iter()
                    .map(|m| manifest_key(&args.prefix, shard, &m.first, &m.last, m.epoch))
            })
            .collect();
        let mut sealed = BTreeSet::new();
        let mut candidates = Vec::new();
        for root in [&args.prefix, &args.errors_prefix, &args.raw_prefix] {
            let root = format!("{}/", root.trim_end_matches('/'));
            for o in store.list(&root).await? {
                if o.key.ends_with(&format!("/{SEALED}")) {
                    if let Some(shard) = o
                        .key
                        .strip_prefix(&commits)
                        .and_then(|r| r.split('/').next())
                    {
                        sealed.insert(shard.to_string());
                    }
                    continue;
                }
                candidates.push(o.key);
            }
        }
        let (mut kept, mut deleted, mut unknown) = (0u64, 0u64, 0u64);
        for key in candidates {
            if named.contains(&key) || manifests_on_chain.contains(&key) {
                kept += 1;
                continue;
            }
            let Some(name) = parse_batch_name(&key).or_else(|| manifest_name(&commits, &key))
            else {
                unknown += 1; // not ours (e.g. a re-drive output): leave it
                continue;
            };
            let p = if sealed.contains(&name.shard) {
                &Progress::Finished
            } else {
                progress.get(&name.shard).unwrap_or(&Progress::Nothing)
            };
            if !is_dead_orphan(&name, p) {
                kept += 1; // possibly a batch in flight
                continue;
            }
            println!(
                "{} {key}",
                if args.dry_run {
                    "would delete"
                } else {
                    "delete"
                }
            );
            if !args.dry_run {
                store.delete(&key).await?;
            }
            deleted += 1;
        }
        println!(
            "vacuum: kept={kept} orphans_deleted={deleted} not_ours={unknown} dry_run={}",
            args.dry_run
        );
        Ok(())
    })
}

/// A manifest key `…/_commits/<shard>/<first>-<last>-e<epoch>.json` as a batch name.
fn manifest_name(commits: &str, key: &str) -> Option<BatchName> {
    let rest = key.strip_prefix(commits)?;
    let (shard, file) = rest.split_once('/')?;
    parse_batch_name(&format!("{shard}-{file}"))
}
