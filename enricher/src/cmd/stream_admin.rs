//! `enricher stream describe|split|merge|dump`: the resharding runbook and the chaos test's
//! oracle, on either backend (the [`StreamAdmin`] and [`StreamReader`] traits, so the embedded
//! stream and Kinesis behave the same).
//!
//! `dump` lists every retained record with the event id the enricher gives it and the engine's
//! outcome (ok, dropped, failed): what a correct fleet must have written, independent of the
//! fleet's own bookkeeping.

use super::common::EngineArgs;
use anyhow::{bail, Context as _};
use enricher::core::{Origin, Outcome};
use shared::stream::{
    open_stream, PutEntry, PutResult, Shard, StartPosition, StreamError, StreamHandle, StreamUrl,
    MAX_BATCH_BYTES, MAX_BATCH_RECORDS,
};
use std::path::PathBuf;
use std::time::Duration;

/// Flags of `stream`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Stream: `file:///DIR` (embedded) or `kinesis://STREAM`.
    #[arg(long, env = "ENRICHER_STREAM", default_value = "file://data/stream")]
    pub stream: String,
    #[command(subcommand)]
    pub command: StreamCommand,
}

/// What to do with the stream.
#[derive(clap::Subcommand, Debug)]
pub enum StreamCommand {
    /// List every shard (open and closed) with parents and hash ranges.
    Describe {
        /// One JSON document instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Split an open shard (SplitShard); the children start at TRIM_HORIZON in the fleet.
    Split {
        /// The shard to split.
        #[arg(long)]
        shard: String,
        /// First hash key of the upper child (default: the middle of the shard's range).
        #[arg(long)]
        at: Option<u128>,
    },
    /// Merge two adjacent open shards (MergeShards).
    Merge {
        /// The first shard.
        #[arg(long)]
        shard: String,
        /// The shard whose hash range is adjacent to it.
        #[arg(long)]
        adjacent: String,
    },
    /// Write every record of a file (envelope record file or CloudFront lines) to the stream:
    /// pre-fills a stream for benchmarks with exactly the data `enricher bench` reads.
    Fill {
        /// The input file.
        #[arg(long)]
        input: PathBuf,
    },
    /// Print `shard<TAB>sequence<TAB>event_id<TAB>outcome` for every retained record (outcome:
    /// ok, dropped or failed, as the engine judges it; the id is empty when none is known).
    Dump {
        /// Write here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        engine: EngineArgs,
    },
}

/// Runs `stream`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let rt = super::common::runtime()?;
    rt.block_on(async move {
        let url: StreamUrl = args.stream.parse()?;
        let stream = open_stream(&url).await.context("opening the stream")?;
        match args.command {
            StreamCommand::Describe { json } => describe(&stream, json).await,
            StreamCommand::Split { shard, at } => split(&stream, &shard, at).await,
            StreamCommand::Merge { shard, adjacent } => {
                stream.admin.merge_shards(&shard, &adjacent).await?;
                println!("merged {shard} and {adjacent}");
                describe(&stream, false).await
            }
            StreamCommand::Fill { input } => fill(&stream, &input).await,
            StreamCommand::Dump { out, engine } => {
                let source = match &url {
                    StreamUrl::Kinesis { stream } => stream.clone(),
                    StreamUrl::File { dir, .. } => dir.display().to_string(),
                };
                let sink: Box<dyn std::io::Write> = match &out {
                    Some(p) => Box::new(std::fs::File::create(p)?),
                    None => Box::new(std::io::stdout().lock()),
                };
                dump(&stream, &source, engine, std::io::BufWriter::new(sink)).await
            }
        }
    })
}

async fn describe(stream: &StreamHandle, json: bool) -> anyhow::Result<()> {
    let shards = stream.reader.list_shards().await?;
    if json {
        let list: Vec<_> = shards
            .iter()
            .map(|s| {
                serde_json::json!({
                    "shardId": s.shard_id,
                    "parentShardId": s.parent_shard_id,
                    "adjacentParentShardId": s.adjacent_parent_shard_id,
                    // Text: a u128 does not fit a JSON number that every reader parses.
                    "startingHashKey": s.hash_key_start.to_string(),
                    "endingHashKey": s.hash_key_end.to_string(),
                    "startingSequenceNumber": s.starting_sequence_number,
                    "endingSequenceNumber": s.ending_sequence_number,
                    "open": !s.is_closed(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    println!(
        "{:<22} {:<6} {:<45} {:>40} {:>40}",
        "shard", "state", "parents", "hash start", "hash end"
    );
    for s in &shards {
        let parents: Vec<&str> = s
            .parent_shard_id
            .iter()
            .chain(&s.adjacent_parent_shard_id)
            .map(String::as_str)
            .collect();
        println!(
            "{:<22} {:<6} {:<45} {:>40} {:>40}",
            s.shard_id,
            if s.is_closed() { "closed" } else { "open" },
            if parents.is_empty() {
                "-".to_string()
            } else {
                parents.join(",")
            },
            s.hash_key_start,
            s.hash_key_end
        );
    }
    Ok(())
}

/// The middle of a shard's hash range: the usual split point (an even split of its traffic).
fn midpoint(s: &Shard) -> u128 {
    s.hash_key_start + (s.hash_key_end - s.hash_key_start) / 2 + 1
}

async fn split(stream: &StreamHandle, shard_id: &str, at: Option<u128>) -> anyhow::Result<()> {
    let shards = stream.reader.list_shards().await?;
    let Some(shard) = shards.iter().find(|s| s.shard_id == shard_id) else {
        bail!("no shard {shard_id} in the stream");
    };
    if shard.is_closed() {
        bail!("{shard_id} is closed (already split or merged)");
    }
    let at = at.unwrap_or_else(|| midpoint(shard));
    if at <= shard.hash_key_start || at > shard.hash_key_end {
        bail!(
            "split point {at} outside ({}, {}] of {shard_id}",
            shard.hash_key_start,
            shard.hash_key_end
        );
    }
    stream.admin.split_shard(shard_id, at).await?;
    println!("split {shard_id} at {at}");
    describe(stream, false).await
}

async fn fill(stream: &StreamHandle, input: &std::path::Path) -> anyhow::Result<()> {
    let mut reader = super::input::InputReader::open(input)
        .with_context(|| format!("opening {}", input.display()))?;
    let (mut batch, mut bytes, mut total) = (Vec::new(), 0usize, 0u64);
    while let Some(item) = reader.next_item()? {
        let super::input::Item::Record(data, _) = item else {
            bail!("{} has a corrupt tail", input.display());
        };
        // A counter as partition key: MD5 spreads it evenly over the shards.
        let entry = PutEntry {
            partition_key: total.to_string(),
            data: bytes::Bytes::copy_from_slice(data),
        };
        total += 1;
        if batch.len() == MAX_BATCH_RECORDS || bytes + entry.billed_bytes() > MAX_BATCH_BYTES {
            put_all(stream, std::mem::take(&mut batch)).await?;
            bytes = 0;
        }
        bytes += entry.billed_bytes();
        batch.push(entry);
    }
    put_all(stream, batch).await?;
    println!("wrote {total} records");
    Ok(())
}

/// One PutRecords, re-sending what failed retryably (throttling) a bounded number of times.
async fn put_all(stream: &StreamHandle, mut entries: Vec<PutEntry>) -> anyhow::Result<()> {
    for _ in 0..THROTTLE_RETRIES {
        if entries.is_empty() {
            return Ok(());
        }
        let results = match stream.writer.put_batch(&entries).await {
            Ok(r) => r,
            Err(e) if e.is_retryable() => vec![
                PutResult::Failed {
                    code: "retry".into(),
                    message: e.to_string(),
                    retryable: true,
                };
                entries.len()
            ],
            Err(e) => return Err(e.into()),
        };
        let mut retry = Vec::new();
        for (entry, result) in entries.into_iter().zip(results) {
            match result {
                PutResult::Written { .. } => {}
                PutResult::Failed {
                    retryable: true, ..
                } => retry.push(entry),
                PutResult::Failed { code, message, .. } => bail!("not written: {code}: {message}"),
            }
        }
        entries = retry;
        if !entries.is_empty() {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    bail!("{} records still throttled after retries", entries.len())
}

/// Consecutive empty reads after which an open shard counts as read to its tip (Kinesis may
/// return an empty page before the tip; the embedded stream never does).
const EMPTY_READS_AT_TIP: usize = 3;
/// Throttling retries per read before giving up.
const THROTTLE_RETRIES: usize = 20;

async fn dump(
    stream: &StreamHandle,
    source: &str,
    engine_args: EngineArgs,
    mut out: impl std::io::Write,
) -> anyhow::Result<()> {
    let mut engine = engine_args.engine()?;
    let mut total = 0u64;
    for shard in stream.reader.list_shards().await? {
        let mut cursor = stream
            .reader
            .open(&shard.shard_id, &StartPosition::TrimHorizon)
            .await?;
        let mut empty = 0;
        loop {
            let batch = read_retrying(stream, &cursor).await?;
            for r in &batch.records {
                // The same origin text as the worker (fleet::shard), so derived ids match.
                let origin_source = format!("{source}\0{}\0{}", shard.shard_id, r.sequence_number);
                let outcome = engine.enrich(
                    &r.data,
                    Origin {
                        source: &origin_source,
                        position: 0,
                    },
                );
                let id = match &outcome {
                    Outcome::Ok(rec) => Some(rec.event_id),
                    _ => shared::envelope::Envelope::decode(&r.data)
                        .ok()
                        .map(|e| e.event_id),
                };
                let id = id.map_or(String::new(), |b| uuid::Uuid::from_bytes(b).to_string());
                writeln!(
                    out,
                    "{}\t{}\t{id}\t{}",
                    shard.shard_id,
                    r.sequence_number,
                    outcome.kind()
                )?;
                total += 1;
            }
            let Some(next) = batch.next else { break };
            cursor = next;
            if batch.records.is_empty() {
                empty += 1;
                let at_tip = batch.millis_behind_latest.is_none_or(|ms| ms == 0);
                if at_tip && empty >= EMPTY_READS_AT_TIP {
                    break;
                }
                // Stay within the 5 reads/s per shard Kinesis allows.
                tokio::time::sleep(Duration::from_millis(200)).await;
            } else {
                empty = 0;
            }
        }
    }
    out.flush()?;
    eprintln!("dumped {total} records");
    Ok(())
}

async fn read_retrying(
    stream: &StreamHandle,
    cursor: &shared::stream::ShardCursor,
) -> anyhow::Result<shared::stream::ReadBatch> {
    let mut attempt = 0;
    loop {
        match stream.reader.read(cursor, 10_000).await {
            Ok(b) => return Ok(b),
            Err(e @ (StreamError::Throttled(_) | StreamError::Transient(_)))
                if attempt < THROTTLE_RETRIES =>
            {
                attempt += 1;
                tracing::debug!(error = %e, "read retried");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midpoint_splits_inside_the_range() {
        let s = Shard {
            shard_id: "s".into(),
            parent_shard_id: None,
            adjacent_parent_shard_id: None,
            hash_key_start: 0,
            hash_key_end: u128::MAX,
            starting_sequence_number: "1".into(),
            ending_sequence_number: None,
        };
        assert_eq!(midpoint(&s), 1u128 << 127);
        let small = Shard {
            hash_key_start: 10,
            hash_key_end: 11,
            ..s
        };
        assert_eq!(midpoint(&small), 11, "upper child keeps at least one key");
    }
}
