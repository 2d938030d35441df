//! `compactor run`: find the units (domain × day) of the requested days, decide which need work
//! (new, late data, intraday snapshot, forced), compute and publish them one after the other,
//! and report a summary.

use crate::core::manifest::{decide, version_name, Decision, InputFile};
use crate::error::CompactError;
use crate::publish::{publish, read_manifest, Publish};
use crate::unit::{compute, Input, Options, Plan, TYPES};
use shared::object_store::{open_store, ObjectStore, StoreUrl};
use shared::partition::{unescape_value, PartitionKey};
use shared::time::Date;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// What to run.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Enriched table root (`…/incoming`).
    pub input: String,
    /// Curated root.
    pub output: String,
    /// Days to compact.
    pub dates: Vec<Date>,
    /// Only these domains (unescaped); all when empty.
    pub domains: Vec<String>,
    /// The day is still open (hourly runs).
    pub intraday: bool,
    /// Recompute even when the input did not change.
    pub force: bool,
    /// How long a replaced version stays readable.
    pub grace_ms: i64,
    /// Test fail point: stop (sleep forever) after this many uploads of a unit, before the
    /// manifest switch, so a test can kill the process in the middle of publishing.
    pub pause_after_uploads: Option<usize>,
    /// Output settings (the scratch directory is created inside `options.scratch`).
    pub options: Options,
}

/// Totals of a run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Units considered.
    pub units: u64,
    /// Units computed and published.
    pub computed: u64,
    /// Units whose input changed after their last compaction (late data).
    pub late: u64,
    /// Units skipped as up to date.
    pub up_to_date: u64,
    /// Input files read.
    pub files_in: u64,
    /// Output files written (all tables).
    pub files_out: u64,
    /// Input rows.
    pub rows_in: u64,
    /// Rows in the compacted table.
    pub rows_out: u64,
    /// Duplicates removed.
    pub duplicates: u64,
    /// Bytes written.
    pub bytes_out: u64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "units {} (computed {}, late data {}, up to date {}); files in {} → out {}; rows in {} → out {}; duplicates removed {}; bytes out {}",
            self.units, self.computed, self.late, self.up_to_date, self.files_in, self.files_out,
            self.rows_in, self.rows_out, self.duplicates, self.bytes_out
        )
    }
}

/// An input key's unit and type, when it is a data file of the enriched table.
fn classify(key: &str) -> Option<PartitionKey> {
    if !key.ends_with(".parquet") || key.split('/').any(|s| s.starts_with(['_', '.'])) {
        return None; // commit manifests, temp files, hidden objects
    }
    let p = PartitionKey::from_key(key)?;
    // Our own layout only: the partition segments start the key.
    key.starts_with("domain_name=").then_some(p)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Runs the compactor.
pub async fn run(cfg: RunConfig) -> Result<Summary, CompactError> {
    let input = open_store(&cfg.input).await?;
    let output = open_store(&cfg.output).await?;
    let local_root = match StoreUrl::parse(&cfg.input)? {
        StoreUrl::Local(dir) => Some(dir),
        StoreUrl::S3 { .. } => None,
    };
    let dates: BTreeSet<Date> = cfg.dates.iter().copied().collect();
    let wanted = |d: &str| cfg.domains.is_empty() || cfg.domains.iter().any(|x| x == d);

    // (domain, date) → per type, sorted input listing.
    let mut units: BTreeMap<(String, Date), [Vec<InputFile>; 3]> = BTreeMap::new();
    for o in input.list("").await? {
        let Some(p) = classify(&o.key) else { continue };
        if !dates.contains(&p.event_date) || !wanted(&p.domain_name) {
            continue;
        }
        let t = TYPES.iter().position(|t| *t == p.event_type).unwrap_or(2);
        units.entry((p.domain_name, p.event_date)).or_default()[t].push(InputFile {
            key: o.key,
            size: o.size,
        });
    }
    // Units that were published before but lost all input still get a (now empty) version,
    // and so do explicitly named domains: an empty day is an empty output, not an error.
    for o in output.list("_manifests/").await? {
        let segs: Vec<&str> = o.key.split('/').collect();
        if let [_, d, e, "current.json"] = segs[..] {
            let domain = d.strip_prefix("domain_name=").and_then(unescape_value);
            let date = e.strip_prefix("event_date=").and_then(Date::parse);
            if let (Some(domain), Some(date)) = (domain, date) {
                if dates.contains(&date) && wanted(&domain) {
                    units.entry((domain, date)).or_default();
                }
            }
        }
    }
    for d in &cfg.domains {
        for date in &dates {
            units.entry((d.clone(), *date)).or_default();
        }
    }

    std::fs::create_dir_all(&cfg.options.scratch)
        .map_err(CompactError::scratch(&cfg.options.scratch))?;
    let scratch = tempfile::Builder::new()
        .prefix("compactor-")
        .tempdir_in(&cfg.options.scratch)
        .map_err(CompactError::scratch(&cfg.options.scratch))?;
    let mut options = cfg.options.clone();
    options.scratch = scratch.path().to_path_buf();

    let mut summary = Summary {
        units: units.len() as u64,
        ..Summary::default()
    };
    let total = units.len();
    let mut pending: Option<Pending> = None;
    for (n, ((domain, date), mut listing)) in units.into_iter().enumerate() {
        for l in &mut listing {
            l.sort_by(|a, b| a.key.cmp(&b.key));
        }
        let all: Vec<InputFile> = {
            let mut v: Vec<InputFile> = listing.iter().flatten().cloned().collect();
            v.sort_by(|a, b| a.key.cmp(&b.key));
            v
        };
        let previous = read_manifest(output.as_ref(), &domain, date).await?;
        let decision = decide(previous.as_ref(), &all, cfg.intraday, cfg.force);
        tracing::info!(unit = n + 1, of = total, %domain, %date, ?decision, files = all.len(), "unit");
        match decision {
            Decision::UpToDate => {
                summary.up_to_date += 1;
                if let Some(m) = &previous {
                    crate::publish::clean(
                        output.as_ref(),
                        &domain,
                        date,
                        &m.version,
                        &m.retired,
                        now_ms(),
                        cfg.grace_ms,
                    )
                    .await?;
                }
                continue;
            }
            Decision::InputGone => {
                tracing::warn!(%domain, %date, "input files of the live version are gone; kept as is (--force recomputes from what is left)");
                summary.up_to_date += 1;
                continue;
            }
            Decision::Changed => summary.late += 1,
            _ => {}
        }
        let now = now_ms();
        let version = version_name(now, (uuid::Uuid::now_v7().as_u128() & 0xffff_ffff) as u32);
        let staged = local_root
            .is_none()
            .then(|| options.scratch.join(format!("in-{n}")));
        let inputs = stage(
            input.clone(),
            local_root.as_ref(),
            &listing,
            staged.as_deref(),
        )
        .await?;
        let plan = Plan {
            domain: domain.clone(),
            date,
            version: version.clone(),
            inputs,
        };
        let opts = options.clone();
        let computing = tokio::task::spawn_blocking(move || compute(&plan, &opts));
        // The previous unit is uploaded and switched while this one computes (uploads are I/O,
        // computing is CPU).
        if let Some(p) = pending.take() {
            finish(output.as_ref(), &cfg, p, &mut summary).await?;
        }
        let computed = computing
            .await
            .map_err(|e| CompactError::Internal(e.to_string()))??;
        pending = Some(Pending {
            domain,
            date,
            version,
            now,
            inputs: all,
            previous,
            computed,
            staged,
            started: Instant::now(),
        });
    }
    if let Some(p) = pending.take() {
        finish(output.as_ref(), &cfg, p, &mut summary).await?;
    }
    Ok(summary)
}

/// A computed unit waiting for its upload and switch.
struct Pending {
    domain: String,
    date: Date,
    version: String,
    now: i64,
    inputs: Vec<InputFile>,
    previous: Option<crate::core::manifest::Manifest>,
    computed: crate::unit::Computed,
    staged: Option<PathBuf>,
    started: Instant,
}

/// Publishes a computed unit, removes its scratch files, adds it to the summary.
async fn finish(
    output: &dyn ObjectStore,
    cfg: &RunConfig,
    p: Pending,
    summary: &mut Summary,
) -> Result<(), CompactError> {
    let manifest = publish(
        output,
        Publish {
            domain: &p.domain,
            date: p.date,
            version: &p.version,
            inputs: p.inputs,
            previous: p.previous,
            intraday: cfg.intraday,
            now_ms: p.now,
            grace_ms: cfg.grace_ms,
            pause_after_uploads: cfg.pause_after_uploads,
        },
        &p.computed,
    )
    .await?;
    for f in &p.computed.outputs {
        let _ = std::fs::remove_file(&f.path);
    }
    if let Some(dir) = &p.staged {
        let _ = std::fs::remove_dir_all(dir); // staged copies of remote inputs
    }
    let c = &manifest.counts;
    summary.computed += 1;
    summary.files_in += c.files_in;
    summary.rows_in += c.rows_in;
    summary.rows_out += c.rows_out;
    summary.duplicates += c.duplicates;
    summary.files_out += manifest.outputs.len() as u64;
    summary.bytes_out += manifest.outputs.iter().map(|o| o.bytes).sum::<u64>();
    tracing::info!(
        domain = %p.domain, date = %p.date, version = %p.version, rows_in = c.rows_in,
        rows_out = c.rows_out, duplicates = c.duplicates, files_out = manifest.outputs.len(),
        "unit published ({:.1}s after its computation ended)", p.started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Local paths for the inputs: in place for a local store, else downloaded to scratch.
async fn stage(
    store: Arc<dyn ObjectStore>,
    local_root: Option<&PathBuf>,
    listing: &[Vec<InputFile>; 3],
    staged: Option<&std::path::Path>,
) -> Result<[Vec<Input>; 3], CompactError> {
    if let Some(dir) = staged {
        std::fs::create_dir_all(dir).map_err(CompactError::scratch(dir))?;
    }
    let mut out: [Vec<Input>; 3] = Default::default();
    let mut seq = 0usize;
    for (t, files) in listing.iter().enumerate() {
        for f in files {
            let path = match (local_root, staged) {
                (Some(root), _) => root.join(&f.key),
                (None, None) => {
                    return Err(CompactError::Internal(
                        "remote input without a staging directory".into(),
                    ))
                }
                (None, Some(dir)) => {
                    seq += 1;
                    let path = dir.join(format!("{seq:06}.parquet"));
                    let body = store
                        .get(&f.key)
                        .await?
                        .ok_or_else(|| CompactError::BadInput {
                            key: f.key.clone(),
                            reason: "deleted while compacting".into(),
                        })?;
                    std::fs::write(&path, &body).map_err(CompactError::scratch(&path))?;
                    path
                }
            };
            out[t].push(Input {
                key: f.key.clone(),
                path,
            });
        }
    }
    Ok(out)
}
