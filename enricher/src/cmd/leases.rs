//! `enricher leases show|reset`: the operator's view of the lease table and the replay lever
//! (docs/DESIGN.md §9).
//!
//! A reset never writes around the fencing protocol: per lease it *takes* the lease as
//! `admin:<uuid>` (conditional on the owner and counter it just read, so the running owner's
//! next renew or checkpoint fails), checkpoints the new position with that fence, and releases
//! it, so any worker takes it at once and resumes from the new position. Batches the old owner
//! had in flight are fenced out at their checkpoint and deleted by it.

use anyhow::{bail, Context as _};
use shared::lease::{
    open_lease_store, Cas, Checkpoint, CheckpointUpdate, Lease, LeaseError, LeaseStore,
};
use shared::stream::{open_stream, StartPosition, StreamReader, StreamUrl};
use std::sync::Arc;
use std::time::Duration;

/// Flags of `leases`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Lease table: `file:///DIR` (embedded) or `dynamodb://TABLE`.
    #[arg(long, env = "ENRICHER_LEASES", default_value = "file://data/leases")]
    pub leases: String,
    #[command(subcommand)]
    pub command: LeasesCommand,
}

/// What to do with the lease table.
#[derive(clap::Subcommand, Debug)]
pub enum LeasesCommand {
    /// Every lease: owner, counter, checkpoint, parents/children, and lag behind the stream.
    Show {
        /// One JSON document instead of a table.
        #[arg(long)]
        json: bool,
        /// Stream to measure lag against (one 1-record read per shard with a sequence
        /// checkpoint); lag is omitted without it.
        #[arg(long, env = "ENRICHER_STREAM")]
        stream: Option<String>,
    },
    /// Move checkpoints: the owner is fenced out and a worker resumes from the new position.
    Reset {
        /// Comma-separated lease keys (shard ids).
        #[arg(
            long,
            value_delimiter = ',',
            required_unless_present = "all",
            conflicts_with = "all"
        )]
        shards: Vec<String>,
        /// Every lease in the table.
        #[arg(long)]
        all: bool,
        /// `trim-horizon`, `at-timestamp:2026-11-24T10:00:00Z` or `sequence:N`.
        #[arg(long, value_parser = parse_position)]
        to: Checkpoint,
    },
}

/// Runs `leases`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let rt = super::common::runtime()?;
    rt.block_on(async move {
        let store = open_lease_store(&args.leases)
            .await
            .context("opening the lease store")?;
        match args.command {
            LeasesCommand::Show { json, stream } => {
                let reader = match stream {
                    Some(url) => {
                        let url: StreamUrl = url.parse()?;
                        Some(
                            open_stream(&url)
                                .await
                                .context("opening the stream")?
                                .reader,
                        )
                    }
                    None => None,
                };
                show(store.as_ref(), reader.as_deref(), json).await
            }
            LeasesCommand::Reset { shards, all, to } => {
                let keys = if all {
                    store
                        .list()
                        .await?
                        .into_iter()
                        .map(|l| l.lease_key)
                        .collect()
                } else {
                    shards
                };
                let admin = format!("admin:{}", uuid::Uuid::now_v7());
                let mut failed = 0;
                for key in &keys {
                    match reset(store.clone(), key, &to, &admin).await {
                        Ok(line) => println!("{line}"),
                        Err(e) => {
                            failed += 1;
                            eprintln!("{key}: not reset: {e:#}");
                        }
                    }
                }
                if failed > 0 {
                    bail!("{failed} of {} leases not reset", keys.len());
                }
                Ok(())
            }
        }
    })
}

/// Parses `--to`.
pub fn parse_position(s: &str) -> Result<Checkpoint, String> {
    if s == "trim-horizon" {
        return Ok(Checkpoint::TrimHorizon);
    }
    if let Some(t) = s.strip_prefix("at-timestamp:") {
        return parse_rfc3339_ms(t)
            .map(Checkpoint::AtTimestamp)
            .ok_or_else(|| format!("bad RFC 3339 time {t:?} (e.g. 2026-11-24T10:00:00Z)"));
    }
    if let Some(n) = s.strip_prefix("sequence:") {
        if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(Checkpoint::at(n));
        }
        return Err(format!("bad sequence number {n:?} (decimal digits)"));
    }
    Err(format!(
        "bad position {s:?}: trim-horizon, at-timestamp:RFC3339 or sequence:N"
    ))
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` → Unix ms (fraction truncated to ms).
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let (date, rest) = (s.get(..10)?, s.get(10..)?);
    let day = shared::time::Date::parse(date)?;
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let num = |t: &str, max: i64| t.parse::<i64>().ok().filter(|v| (0..=max).contains(v));
    let (h, m, sec) = (
        num(rest.get(0..2)?, 23)?,
        num(rest.get(3..5)?, 59)?,
        num(rest.get(6..8)?, 60)?,
    );
    if rest.get(2..3)? != ":" || rest.get(5..6)? != ":" {
        return None;
    }
    let mut rest = rest.get(8..)?;
    let mut ms = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let padded = format!("{:0<3}", &frac[..digits.min(3)]);
        ms = padded.parse::<i64>().ok()?;
        rest = &frac[digits..];
    }
    let offset_min = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.get(0..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.get(3..4)? != ":" {
                return None;
            }
            sign * (num(rest.get(1..3)?, 23)? * 60 + num(rest.get(4..6)?, 59)?)
        }
    };
    Some(day.start_ms() + ((h * 60 + m - offset_min) * 60 + sec) * 1000 + ms)
}

/// Takes bounded by conflicts: a running owner renews every failover/3, so the first take can
/// lose a race with a heartbeat; each retry re-reads owner and counter.
const TAKE_ATTEMPTS: usize = 10;

/// Fenced reset of one lease; returns the line to print.
pub async fn reset(
    store: Arc<dyn LeaseStore>,
    key: &str,
    to: &Checkpoint,
    admin: &str,
) -> anyhow::Result<String> {
    for attempt in 0..TAKE_ATTEMPTS {
        let Some(before) = store.get(key).await? else {
            bail!("no lease {key}");
        };
        let taken = store
            .take(
                key,
                before.lease_owner.as_deref(),
                before.lease_counter,
                admin,
            )
            .await;
        let ours = match taken {
            Ok(Cas::Applied(l)) => *l,
            Ok(Cas::Conflict) | Err(LeaseError::Throttled(_) | LeaseError::Transient(_)) => {
                tokio::time::sleep(Duration::from_millis(50 << attempt.min(4))).await;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let fence = ours.fence().context("a taken lease has an owner")?;
        // Nobody can take it from us in between: the counter we just set is fresh, and
        // expiry needs it to stand still for the whole failover time. The manifest head is
        // kept: it is the only way into the shard's committed chain (docs/DESIGN.md §6), and
        // the next commit after the reset links to it, so nothing committed before becomes
        // an orphan for vacuum.
        let update = CheckpointUpdate {
            checkpoint: to.clone(),
            manifest: ours.checkpoint_manifest.clone(),
            child_shard_ids: Vec::new(),
        };
        let Cas::Applied(_) = store.checkpoint(&fence, &update).await? else {
            bail!("lost the lease between take and checkpoint (left owned by {admin})");
        };
        let released = store.release(&fence).await?.applied();
        let was = before.lease_owner.as_deref().unwrap_or("(free)");
        return Ok(format!(
            "{key}: {} -> {}; previous owner {was} fenced; {}",
            describe_checkpoint(&before.checkpoint),
            describe_checkpoint(to),
            match released {
                Some(l) => format!("released at counter {}", l.lease_counter),
                None => format!("not released (expires from {admin})"),
            }
        ));
    }
    bail!("{TAKE_ATTEMPTS} takes lost to concurrent writers")
}

fn describe_checkpoint(c: &Checkpoint) -> String {
    match c {
        Checkpoint::AtTimestamp(ms) => format!("AT_TIMESTAMP {}", shared::time::iso8601_ms(*ms)),
        other => other.kcl_text().to_string(),
    }
}

/// Millis behind the tip after `lease`'s checkpoint: one 1-record read (`None` for sentinels
/// and on any read error — lag is advisory).
async fn lag_ms(reader: &dyn StreamReader, lease: &Lease) -> Option<i64> {
    let Checkpoint::Sequence {
        sequence_number, ..
    } = &lease.checkpoint
    else {
        return None;
    };
    let from = StartPosition::AfterSequenceNumber(sequence_number.clone());
    let cursor = reader.open(&lease.lease_key, &from).await.ok()?;
    reader.read(&cursor, 1).await.ok()?.millis_behind_latest
}

async fn show(
    store: &dyn LeaseStore,
    reader: Option<&dyn StreamReader>,
    json: bool,
) -> anyhow::Result<()> {
    let mut leases = store.list().await?;
    leases.sort_by(|a, b| a.lease_key.cmp(&b.lease_key));
    let mut lags = Vec::with_capacity(leases.len());
    for l in &leases {
        lags.push(match reader {
            Some(r) => lag_ms(r, l).await,
            None => None,
        });
    }
    if json {
        let rows: Vec<_> = leases
            .iter()
            .zip(&lags)
            .map(|(l, lag)| {
                let mut v = serde_json::json!({
                    "leaseKey": l.lease_key,
                    "leaseOwner": l.lease_owner,
                    "leaseCounter": l.lease_counter,
                    "checkpoint": l.checkpoint.kcl_text(),
                    "ownerSwitchesSinceCheckpoint": l.owner_switches_since_checkpoint,
                    "parentShardIds": l.parent_shard_ids,
                    "childShardIds": l.child_shard_ids,
                    "checkpointOwner": l.checkpoint_owner,
                    "checkpointManifest": l.checkpoint_manifest,
                });
                if let Checkpoint::AtTimestamp(ms) = l.checkpoint {
                    v["checkpointTimestampMs"] = ms.into();
                }
                if let Some(ms) = lag {
                    v["millisBehindLatest"] = (*ms).into();
                }
                v
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!(
        "{:<22} {:<28} {:>8} {:<28} {:>4} {:>10} {:<24} {:<24}",
        "lease", "owner", "counter", "checkpoint", "sw", "behind ms", "parents", "children"
    );
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".into()
        } else {
            v.join(",")
        }
    };
    for (l, lag) in leases.iter().zip(&lags) {
        println!(
            "{:<22} {:<28} {:>8} {:<28} {:>4} {:>10} {:<24} {:<24}",
            l.lease_key,
            l.lease_owner.as_deref().unwrap_or("-"),
            l.lease_counter,
            describe_checkpoint(&l.checkpoint),
            l.owner_switches_since_checkpoint,
            lag.map_or("-".to_string(), |ms| ms.to_string()),
            list(&l.parent_shard_ids),
            list(&l.child_shard_ids),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_parse() {
        let cases: [(&str, Option<Checkpoint>); 8] = [
            ("trim-horizon", Some(Checkpoint::TrimHorizon)),
            ("sequence:000123", Some(Checkpoint::at("000123"))),
            ("sequence:", None),
            ("sequence:12a", None),
            (
                "at-timestamp:1970-01-01T00:00:01Z",
                Some(Checkpoint::AtTimestamp(1000)),
            ),
            (
                "at-timestamp:2026-11-24T10:00:00.5+01:00",
                Some(Checkpoint::AtTimestamp(1_795_510_800_500)),
            ),
            ("at-timestamp:2026-11-24", None),
            ("latest", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_position(text).ok(), want, "{text}");
        }
    }

    #[test]
    fn rfc3339_offsets_and_fractions() {
        let z = parse_rfc3339_ms("2026-11-24T10:00:00Z");
        assert_eq!(parse_rfc3339_ms("2026-11-24T11:30:00+01:30"), z);
        assert_eq!(parse_rfc3339_ms("2026-11-24T09:00:00-01:00"), z);
        assert_eq!(
            parse_rfc3339_ms("2026-11-24T10:00:00.123456Z").zip(z),
            z.map(|z| (z + 123, z))
        );
        for bad in [
            "2026-11-24T10:00:00",
            "2026-11-24T24:00:00Z",
            "2026-11-24T10:00:00.Z",
            "2026-13-01T10:00:00Z",
            "2026-11-24T10:00:00+0100",
        ] {
            assert_eq!(parse_rfc3339_ms(bad), None, "{bad}");
        }
    }
}
