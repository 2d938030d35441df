//! Publishing a computed unit: upload its files under the new version, switch the manifest,
//! delete versions whose grace period is over. Only the object-store trait is used, so the
//! same code runs on S3 and on a local directory.

use crate::core::manifest::{cleanup, InputFile, Manifest, OutputFile, Retired, FORMAT};
use crate::error::CompactError;
use crate::unit::Computed;
use bytes::Bytes;
use shared::object_store::{ObjectStore, PutOutcome};
use shared::partition::escape_value;
use shared::time::Date;

/// Tables and, for `compacted`, the event types: the key prefixes a unit writes under.
fn unit_prefixes(domain: &str, date: Date) -> Vec<String> {
    let d = escape_value(domain);
    let mut p: Vec<String> = ["pageview", "event", "na"]
        .iter()
        .map(|t| format!("compacted/domain_name={d}/event_type={t}/event_date={date}/"))
        .collect();
    for t in ["sessions", "stats", "events", "overview_1h", "overview_1d"] {
        p.push(format!("{t}/domain_name={d}/event_date={date}/"));
    }
    p
}

/// Directory of a unit's manifests.
pub fn manifest_dir(domain: &str, date: Date) -> String {
    format!(
        "_manifests/domain_name={}/event_date={date}",
        escape_value(domain)
    )
}

/// The live manifest of a unit, if any.
pub async fn read_manifest(
    store: &dyn ObjectStore,
    domain: &str,
    date: Date,
) -> Result<Option<Manifest>, CompactError> {
    let key = format!("{}/current.json", manifest_dir(domain, date));
    match store.get(&key).await? {
        None => Ok(None),
        Some(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|source| CompactError::Manifest { key, source }),
    }
}

/// What the publish step needs besides the computed files.
pub struct Publish<'a> {
    /// Domain.
    pub domain: &'a str,
    /// Day.
    pub date: Date,
    /// New version.
    pub version: &'a str,
    /// Inputs the version was computed from.
    pub inputs: Vec<InputFile>,
    /// The manifest being replaced.
    pub previous: Option<Manifest>,
    /// Intraday snapshot.
    pub intraday: bool,
    /// Now, epoch ms.
    pub now_ms: i64,
    /// Grace period, ms.
    pub grace_ms: i64,
    /// Test fail point (see [`crate::run::RunConfig::pause_after_uploads`]).
    pub pause_after_uploads: Option<usize>,
}

/// Uploads, switches, cleans. Returns the new manifest.
pub async fn publish(
    store: &dyn ObjectStore,
    p: Publish<'_>,
    computed: &Computed,
) -> Result<Manifest, CompactError> {
    let mut outputs = Vec::with_capacity(computed.outputs.len());
    for (n, f) in computed.outputs.iter().enumerate() {
        if p.pause_after_uploads == Some(n) {
            eprintln!("compactor: paused after {n} uploads (test fail point)");
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
        let body = std::fs::read(&f.path).map_err(CompactError::scratch(&f.path))?;
        store.put(&f.key, Bytes::from(body)).await?;
        outputs.push(OutputFile {
            table: f.table.clone(),
            key: f.key.clone(),
            rows: f.rows,
            bytes: f.bytes,
        });
    }
    // Retired versions: the previous ones plus the version being replaced. Those whose grace
    // period is over are deleted right after the switch and not carried into the manifest.
    let mut candidates: Vec<Retired> = p
        .previous
        .as_ref()
        .map(|m| m.retired.clone())
        .unwrap_or_default();
    if let Some(m) = &p.previous {
        candidates.push(Retired {
            version: m.version.clone(),
            retired_ms: p.now_ms,
        });
    }
    let (_, retired) = cleanup(p.version, &candidates, &[], p.now_ms, p.grace_ms);
    let manifest = Manifest {
        format: FORMAT,
        domain_name: p.domain.to_string(),
        event_date: p.date.to_string(),
        version: p.version.to_string(),
        created_ms: p.now_ms,
        intraday: p.intraday,
        inputs: p.inputs,
        outputs,
        counts: computed.counts.clone(),
        retired,
    };
    let dir = manifest_dir(p.domain, p.date);
    let body = Bytes::from(serde_json::to_vec_pretty(&manifest).unwrap_or_default());
    // The version's own manifest is written once (a second writer of the same version name
    // would be a bug); `current.json` is then replaced in one PUT: that PUT is the switch.
    if store
        .put_if_absent(&format!("{dir}/{}.json", p.version), body.clone())
        .await?
        == PutOutcome::AlreadyExists
    {
        return Err(CompactError::Internal(format!(
            "version {} already has a manifest",
            p.version
        )));
    }
    store.put(&format!("{dir}/current.json"), body).await?;
    tracing::info!(domain = p.domain, date = %p.date, version = p.version, "published");

    // current.json is never rewritten after the switch: a concurrent run of the same unit may
    // have switched since, and its switch must win.
    clean(
        store,
        p.domain,
        p.date,
        p.version,
        &candidates,
        p.now_ms,
        p.grace_ms,
    )
    .await?;
    Ok(manifest)
}

/// Deletes the versions of a unit whose grace period is over (see [`cleanup`]); `live` and
/// `retired` come from the live manifest. Also run for units that are up to date.
pub async fn clean(
    store: &dyn ObjectStore,
    domain: &str,
    date: Date,
    live: &str,
    retired: &[Retired],
    now_ms: i64,
    grace_ms: i64,
) -> Result<(), CompactError> {
    let (versions, keys) = present_versions(store, domain, date).await?;
    let (delete, _) = cleanup(live, retired, &versions, now_ms, grace_ms);
    for (_, key) in keys.iter().filter(|(v, _)| delete.contains(v)) {
        store.delete(key).await?;
    }
    let dir = manifest_dir(domain, date);
    for v in &delete {
        store.delete(&format!("{dir}/{v}.json")).await?;
    }
    if !delete.is_empty() {
        tracing::info!(%domain, %date, deleted = ?delete, "old versions deleted");
    }
    Ok(())
}

/// Version names found under a unit's prefixes, and every (version, key) pair.
async fn present_versions(
    store: &dyn ObjectStore,
    domain: &str,
    date: Date,
) -> Result<(Vec<String>, Vec<(String, String)>), CompactError> {
    let mut versions = Vec::new();
    let mut keys = Vec::new();
    for prefix in unit_prefixes(domain, date) {
        for o in store.list(&prefix).await? {
            // …/<version>/part-NNNNN.parquet
            let mut segs = o.key.rsplit('/');
            let (_, Some(v)) = (segs.next(), segs.next()) else {
                continue;
            };
            if crate::core::manifest::version_created_ms(v).is_none() {
                continue;
            }
            if !versions.iter().any(|x| x == v) {
                versions.push(v.to_string());
            }
            keys.push((v.to_string(), o.key.clone()));
        }
    }
    Ok((versions, keys))
}
