//! `enricher dead-letters list|redrive` and `enricher replay-raw` (docs/DESIGN.md §7–§9): read
//! inputs back from the object store — dead letters, or the raw archive — enrich them again with
//! today's engine, and write them under a separate prefix. Output keys derive from the source
//! object's key, so running the same re-drive twice overwrites instead of duplicating, and
//! event ids derive from the original stream positions, so the compactor de-duplicates any
//! overlap with what was committed before.

use super::common::EngineArgs;
use bytes::Bytes;
use enricher::core::{Engine, Origin, Outcome};
use enricher::fleet::shard::stream_origin;
use enricher::output::PartitionedBatches;
use shared::deadletter::DeadLetter;
use shared::object_store::{open_store, ObjectStore};
use shared::parquet_io::ParquetOptions;
use shared::partition::{escape_value, object_key};
use shared::raw_archive::read_archive;
use std::collections::BTreeMap;

/// `enricher dead-letters …`.
#[derive(clap::Args, Debug)]
pub struct DeadLetterArgs {
    #[command(subcommand)]
    cmd: DeadLetterCmd,
}

// One value per process, parsed from the command line: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(clap::Subcommand, Debug)]
enum DeadLetterCmd {
    /// Count dead letters per reason and day.
    List(Select),
    /// Enrich dead letters again (after a fix) into a separate prefix.
    Redrive {
        #[command(flatten)]
        select: Select,
        #[command(flatten)]
        out: OutArgs,
    },
}

/// Which dead letters.
#[derive(clap::Args, Debug)]
struct Select {
    /// Output store of the fleet: `s3://BUCKET/PREFIX` or a directory.
    #[arg(long, env = "ENRICHER_OUTPUT", default_value = "data/lake")]
    output: String,
    /// Key prefix of dead letters.
    #[arg(long, env = "ENRICHER_ERRORS_PREFIX", default_value = "errors")]
    errors_prefix: String,
    /// Only this reason kind (the text before the first `:` of the reason).
    #[arg(long)]
    reason: Option<String>,
    /// Only days on or after this one (YYYY-MM-DD).
    #[arg(long)]
    since: Option<String>,
}

/// Where re-enriched rows go.
#[derive(clap::Args, Debug)]
struct OutArgs {
    /// Prefix of the re-enriched table (Hive-partitioned like the main one).
    #[arg(long, default_value = "redrive/incoming")]
    to_prefix: String,
    /// Prefix of inputs that still fail.
    #[arg(long, default_value = "redrive/errors")]
    errors_to: String,
    #[command(flatten)]
    engine: EngineArgs,
}

/// `enricher replay-raw`: enrich the raw archive again (after the stream's retention).
#[derive(clap::Args, Debug)]
pub struct ReplayRawArgs {
    /// Output store of the fleet: `s3://BUCKET/PREFIX` or a directory.
    #[arg(long, env = "ENRICHER_OUTPUT", default_value = "data/lake")]
    output: String,
    /// Key prefix of the raw archive.
    #[arg(long, env = "ENRICHER_RAW_PREFIX", default_value = "raw")]
    raw_prefix: String,
    /// Only days on or after this one (YYYY-MM-DD).
    #[arg(long)]
    since: Option<String>,
    /// Only days on or before this one (YYYY-MM-DD).
    #[arg(long)]
    until: Option<String>,
    #[command(flatten)]
    out: OutArgs,
}

/// `dt=YYYY-MM-DD` of a key, if any.
fn day_of(key: &str) -> Option<&str> {
    key.split('/').find_map(|s| s.strip_prefix("dt="))
}

fn in_range(key: &str, since: Option<&str>, until: Option<&str>) -> bool {
    let day = day_of(key).unwrap_or("");
    since.is_none_or(|s| day >= s) && until.is_none_or(|u| day <= u)
}

async fn dead_letter_objects(store: &dyn ObjectStore, s: &Select) -> anyhow::Result<Vec<String>> {
    let root = format!("{}/", s.errors_prefix.trim_end_matches('/'));
    let want = s
        .reason
        .as_deref()
        .map(|r| format!("reason={}/", escape_value(r)));
    Ok(store
        .list(&root)
        .await?
        .into_iter()
        .map(|o| o.key)
        .filter(|k| k.ends_with(".jsonl"))
        .filter(|k| want.as_ref().is_none_or(|w| k.contains(w.as_str())))
        .filter(|k| in_range(k, s.since.as_deref(), None))
        .collect())
}

fn parse_dead_letters(bytes: &[u8]) -> anyhow::Result<Vec<DeadLetter>> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| Ok(serde_json::from_slice(l)?))
        .collect()
}

/// The origin text the worker used: `stream/shard` + sequence for stream records, the file
/// name + line for `enrich-file` inputs.
fn dead_letter_origin(d: &DeadLetter) -> (String, u64) {
    match d.source.rsplit_once('/') {
        Some((stream, shard)) => (stream_origin(stream, shard, &d.position), 0),
        None => (d.source.clone(), d.position.parse().unwrap_or(0)),
    }
}

/// Counts of one re-processing run.
#[derive(Debug, Default)]
struct Tally {
    objects: u64,
    inputs: u64,
    ok: u64,
    dropped: u64,
    failed: u64,
}

/// Enriches `inputs` (origin text, position, bytes) of one source object into `out`.
async fn reprocess(
    store: &dyn ObjectStore,
    engine: &mut Engine,
    out: &OutArgs,
    source_key: &str,
    inputs: &[(String, u64, Bytes)],
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let mut batches = PartitionedBatches::new(&ParquetOptions::default())?;
    let mut dead = Vec::new();
    for (source, position, bytes) in inputs {
        tally.inputs += 1;
        let origin = Origin {
            source,
            position: *position,
        };
        match engine.enrich(bytes, origin) {
            Outcome::Ok(r) => {
                tally.ok += 1;
                batches.push(&r)?;
            }
            Outcome::Dropped(_) => tally.dropped += 1,
            Outcome::Failed(why) => {
                tally.failed += 1;
                DeadLetter::new(why.as_ref(), source, position, bytes, 0)
                    .write_json_line(&mut dead);
            }
        }
    }
    // One name per source object: a second run overwrites the first.
    let stem = escape_value(source_key);
    for (partition, body, _rows) in batches.take_parquet()? {
        let key = object_key(&out.to_prefix, &partition, &format!("{stem}.parquet"));
        store.put(&key, body.into()).await?;
    }
    if !dead.is_empty() {
        let key = format!("{}/{stem}.jsonl", out.errors_to.trim_end_matches('/'));
        store.put(&key, dead.into()).await?;
    }
    tally.objects += 1;
    Ok(())
}

/// Runs `dead-letters`.
pub fn run_dead_letters(args: DeadLetterArgs) -> anyhow::Result<()> {
    super::common::runtime()?.block_on(async move {
        match args.cmd {
            DeadLetterCmd::List(select) => {
                let store = open_store(&select.output).await?;
                let mut per: BTreeMap<(String, String), u64> = BTreeMap::new();
                for key in dead_letter_objects(&*store, &select).await? {
                    let Some(body) = store.get(&key).await? else {
                        continue;
                    };
                    for d in parse_dead_letters(&body)? {
                        let kind = d.reason.split(':').next().unwrap_or("").trim().to_string();
                        let day = day_of(&key).unwrap_or("-").to_string();
                        *per.entry((day, kind)).or_default() += 1;
                    }
                }
                println!("{:<12} {:>8}  reason", "day", "count");
                for ((day, kind), n) in &per {
                    println!("{day:<12} {n:>8}  {kind}");
                }
                println!("total {}", per.values().sum::<u64>());
                Ok(())
            }
            DeadLetterCmd::Redrive { select, out } => {
                let store = open_store(&select.output).await?;
                let mut engine = out.engine.engine()?;
                let mut tally = Tally::default();
                for key in dead_letter_objects(&*store, &select).await? {
                    let Some(body) = store.get(&key).await? else {
                        continue;
                    };
                    let mut inputs = Vec::new();
                    for d in parse_dead_letters(&body)? {
                        let (source, position) = dead_letter_origin(&d);
                        inputs.push((source, position, Bytes::from(d.raw()?)));
                    }
                    reprocess(&*store, &mut engine, &out, &key, &inputs, &mut tally).await?;
                }
                println!("{tally:?}");
                Ok(())
            }
        }
    })
}

/// Runs `replay-raw`.
pub fn run_replay_raw(args: ReplayRawArgs) -> anyhow::Result<()> {
    super::common::runtime()?.block_on(async move {
        let store = open_store(&args.output).await?;
        let mut engine = args.out.engine.engine()?;
        let mut tally = Tally::default();
        let root = format!("{}/", args.raw_prefix.trim_end_matches('/'));
        for o in store.list(&root).await? {
            if !o.key.ends_with(".jsonl.gz")
                || !in_range(&o.key, args.since.as_deref(), args.until.as_deref())
            {
                continue;
            }
            let Some(body) = store.get(&o.key).await? else {
                continue;
            };
            let mut inputs = Vec::new();
            for line in read_archive(&body)? {
                let source = stream_origin(&line.stream, &line.shard, &line.sequence_number);
                inputs.push((source, 0, line.record()?.data));
            }
            reprocess(&*store, &mut engine, &args.out, &o.key, &inputs, &mut tally).await?;
        }
        println!("{tally:?}");
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_match_the_worker_and_enrich_file() {
        let d = |source: &str, position: &str| DeadLetter::new("x", source, position, b"", 0);
        assert_eq!(
            dead_letter_origin(&d("clicks/shardId-000000000001", "4959")),
            (stream_origin("clicks", "shardId-000000000001", "4959"), 0)
        );
        assert_eq!(
            dead_letter_origin(&d("data/stream/shardId-1", "7")),
            (stream_origin("data/stream", "shardId-1", "7"), 0),
            "embedded stream names are paths"
        );
        assert_eq!(
            dead_letter_origin(&d("cf.log", "12")),
            ("cf.log".into(), 12)
        );
        assert!(in_range(
            "errors/reason=x/dt=2026-11-24/a.jsonl",
            Some("2026-11-24"),
            None
        ));
        assert!(!in_range(
            "errors/reason=x/dt=2026-11-23/a.jsonl",
            Some("2026-11-24"),
            None
        ));
        assert!(!in_range(
            "raw/s/dt=2026-11-25/a.jsonl.gz",
            None,
            Some("2026-11-24")
        ));
    }
}
