//! Computing one unit (one domain, one day): compaction of its three partitions and all tables,
//! into scratch files. Synchronous; the caller runs it off the async runtime.
//!
//! Per partition: (1) read only the key columns of every file and decide the output order
//! (de-duplicated, sorted); (2) walk that order in chunks, decoding every file once front to
//! back and keeping decoded rows until their turn (`merge`), gathering each chunk into one batch
//! that feeds the tables and the compacted-file encoder on a second thread. Memory is the key
//! index, the rows decoded ahead of their turn (the input's disorder) and a few chunks.

use crate::core::manifest::Counts;
use crate::core::order::{dedupe_and_sort, rank_strings, KeyRow};
use crate::error::CompactError;
use crate::merge::Merger;
use crate::read::{InputFile, Interner};
use crate::tables::events::EventsTable;
use crate::tables::overview::OverviewInput;
use crate::tables::pageviews::{PageviewTables, Table};
use crate::tables::{sessions_schema, stats_schema};
use crate::writer::{LocalOutput, RollingWriter};
use arrow_array::RecordBatch;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use shared::parquet_io::ParquetOptions;
use shared::partition::{escape_value, PartitionKey};
use shared::record::EventType;
use shared::time::Date;
use std::path::PathBuf;
use std::time::Instant;

/// Output settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// zstd level of every output file.
    pub zstd_level: i32,
    /// Rows per row group.
    pub row_group_rows: usize,
    /// A file is closed once it reaches this size.
    pub target_file_bytes: u64,
    /// Rows gathered per step (bounds memory: ~1 KB per row decoded).
    pub chunk_rows: usize,
    /// Decoded rows kept waiting for their turn at most (see `merge`).
    pub max_held_rows: usize,
    /// Scratch directory for outputs (and staged remote inputs).
    pub scratch: PathBuf,
}

/// One input object, readable at a local path.
#[derive(Debug, Clone)]
pub struct Input {
    /// Key relative to the input URL.
    pub key: String,
    /// Local path (in place, or staged).
    pub path: PathBuf,
}

/// What to compute.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Domain, unescaped.
    pub domain: String,
    /// Day.
    pub date: Date,
    /// Version name for the output keys.
    pub version: String,
    /// Inputs of the pageview, event and na partitions.
    pub inputs: [Vec<Input>; 3],
}

/// Rows per decoded input batch.
const DECODE_BATCH_ROWS: usize = 8 * 1024;

/// The event types in [`Plan::inputs`] order.
pub const TYPES: [EventType; 3] = [EventType::Pageview, EventType::Event, EventType::Na];

/// Scratch files and counters of a unit.
#[derive(Debug, Default)]
pub struct Computed {
    /// Files to publish.
    pub outputs: Vec<LocalOutput>,
    /// Counters.
    pub counts: Counts,
}

fn table_props(o: &Options) -> Result<WriterProperties, CompactError> {
    Ok(WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(o.zstd_level).map_err(CompactError::parquet("zstd level"))?,
        ))
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_max_row_group_row_count(Some(o.row_group_rows))
        .build())
}

/// Computes a unit.
pub fn compute(plan: &Plan, o: &Options) -> Result<Computed, CompactError> {
    let unit_path = format!(
        "domain_name={}/event_date={}",
        escape_value(&plan.domain),
        plan.date
    );
    let props = table_props(o)?;
    let mut out = Computed::default();
    let single = |table: &str, batch: &RecordBatch| -> Result<Vec<LocalOutput>, CompactError> {
        let mut w = RollingWriter::new(
            table,
            format!("{table}/{unit_path}/{}", plan.version),
            &o.scratch,
            batch.schema(),
            props.clone(),
            o.target_file_bytes,
        );
        w.write(batch)?;
        w.finish()
    };
    let table_writer = |t: Table| {
        let schema = match t {
            Table::Sessions => sessions_schema(),
            Table::Stats => stats_schema(),
        };
        RollingWriter::new(
            t.name(),
            format!("{}/{unit_path}/{}", t.name(), plan.version),
            &o.scratch,
            schema,
            props.clone(),
            o.target_file_bytes,
        )
    };
    let mut pageviews = PageviewTables::default();
    let mut overview = OverviewInput::default();
    let mut events = EventsTable::new(
        format!("events/{unit_path}"),
        &plan.version,
        o.scratch.clone(),
        props.clone(),
        o.target_file_bytes,
    );
    let mut opened: Vec<Vec<InputFile>> = Vec::with_capacity(3);
    for inputs in &plan.inputs {
        opened.push(
            inputs
                .iter()
                .map(|i| InputFile::open(i.key.clone(), i.path.clone()))
                .collect::<Result<Vec<_>, _>>()?,
        );
    }
    let rows = |t: usize| opened[t].iter().map(|f| f.rows).sum::<usize>();
    overview.reserve(rows(0) + rows(1));
    pageviews.reserve(rows(0));
    for (ty, files) in TYPES.iter().zip(opened) {
        if files.is_empty() {
            continue;
        }
        let part = PartitionKey {
            domain_name: plan.domain.clone(),
            event_type: *ty,
            event_date: plan.date,
        };
        let compacted = RollingWriter::new(
            "compacted",
            format!("compacted/{}/{}", part.path(), plan.version),
            &o.scratch,
            shared::schema::file_schema(),
            ParquetOptions {
                zstd_level: o.zstd_level,
                row_group_rows: o.row_group_rows,
                text_statistics: true,
            }
            .writer_properties()
            .map_err(CompactError::parquet("writer properties"))?,
            o.target_file_bytes,
        );
        let written = compact_partition(&part, files, compacted, o, &mut out.counts, |batch| {
            match ty {
                EventType::Pageview => {
                    pageviews.add(batch);
                    overview.add(batch, true);
                }
                EventType::Event => {
                    events.add(batch)?;
                    overview.add(batch, false);
                }
                EventType::Na => {}
            }
            Ok(())
        })?;
        out.outputs.extend(written);
        if *ty == EventType::Pageview {
            // Sessions and stats need only pageviews: finishing them before the event
            // partition keeps their memory out of that partition's peak (measured: finishing
            // them alongside it saved ~1 s of 15 on the benchmark day for ~90 MB more peak).
            let started = Instant::now();
            let [mut sessions, mut stats] = [Table::Sessions, Table::Stats].map(&table_writer);
            std::mem::take(&mut pageviews).finish(
                o.chunk_rows * 4,
                |b| sessions.write(&b),
                |b| stats.write(&b),
            )?;
            out.outputs.extend(sessions.finish()?);
            out.outputs.extend(stats.finish()?);
            tracing::info!(
                "sessions and stats: computed and written in {:.1}s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    out.outputs.extend(events.finish()?);
    if let Some((hourly, daily)) = overview.finish(plan.date.start_ms())? {
        out.outputs.extend(single("overview_1h", &hourly)?);
        out.outputs.extend(single("overview_1d", &daily)?);
    }
    Ok(out)
}

/// Compacts one partition; `each` sees every output chunk, in order, on the encoder thread.
fn compact_partition(
    part: &PartitionKey,
    files: Vec<InputFile>,
    mut writer: RollingWriter,
    o: &Options,
    counts: &mut Counts,
    mut each: impl FnMut(&RecordBatch) -> Result<(), CompactError> + Send,
) -> Result<Vec<LocalOutput>, CompactError> {
    let started = Instant::now();
    let total: usize = files.iter().map(|f| f.rows).sum();
    let mut keys = vec![KeyRow::default(); total];
    // Visitor ids as written by the enricher sort as numbers; any other form falls back to
    // interning and ranking the strings (same order, more memory and time). Each file fills
    // its own slice of `keys`; the files are split between this thread and a second one
    // (decoding the key columns is most of this step, and nothing else runs while it does).
    let mut slices: Vec<(u32, &InputFile, &mut [KeyRow])> = Vec::with_capacity(files.len());
    let mut rest = keys.as_mut_slice();
    for (i, f) in files.iter().enumerate() {
        let (mine, tail) = std::mem::take(&mut rest).split_at_mut(f.rows);
        slices.push((i as u32, f, mine));
        rest = tail;
    }
    let half = slices.len() / 2;
    let second: Vec<_> = slices.drain(half..).collect();
    let read = |part: Vec<(u32, &InputFile, &mut [KeyRow])>| -> Result<bool, CompactError> {
        for (i, f, out) in part {
            if !f.read_keys(i, out, None)? {
                return Ok(false);
            }
        }
        Ok(true)
    };
    let all_hex = std::thread::scope(|scope| -> Result<bool, CompactError> {
        let other = scope.spawn(|| read(second));
        let first_ok = read(slices)?;
        let second_ok = other
            .join()
            .map_err(|_| CompactError::Internal("key reader panicked".into()))??;
        Ok(first_ok && second_ok)
    })?;
    if !all_hex {
        let mut visitors = Interner::default();
        let mut rest = keys.as_mut_slice();
        for (i, f) in files.iter().enumerate() {
            let (mine, tail) = std::mem::take(&mut rest).split_at_mut(f.rows);
            f.read_keys(i as u32, mine, Some(&mut visitors))?;
            rest = tail;
        }
        let rank = rank_strings(visitors.strings());
        drop(visitors);
        for k in &mut keys {
            k.visitor[3] = u64::from(rank[k.visitor[3] as usize]);
        }
    }
    let ordered = dedupe_and_sort(keys);
    counts.files_in += files.len() as u64;
    counts.rows_in += total as u64;
    counts.duplicates += ordered.duplicates;
    counts.rows_out += ordered.rows.len() as u64;
    tracing::info!(
        partition = %part.path(),
        files = files.len(),
        rows = total,
        duplicates = ordered.duplicates,
        "partition: keys read and ordered in {:.1}s",
        started.elapsed().as_secs_f64()
    );

    // Three threads: this one decodes every input once and gathers the output order (see
    // `merge`); one feeds the tables; one encodes the compacted files (profiled: the largest
    // share, zstd compression). The bounded channels keep at most one chunk in flight each.
    let (tx, rx) = std::sync::mpsc::sync_channel::<RecordBatch>(1);
    let (tables_tx, tables_rx) = std::sync::mpsc::sync_channel::<RecordBatch>(1);
    std::thread::scope(|scope| {
        let encoder = std::thread::Builder::new()
            .name("encoder".into())
            .spawn_scoped(scope, move || -> Result<Vec<LocalOutput>, CompactError> {
                for batch in rx {
                    writer.write(&batch)?;
                }
                writer.finish()
            })
            .map_err(|e| CompactError::Internal(format!("encoder thread: {e}")))?;
        let tables = std::thread::Builder::new()
            .name("tables".into())
            .spawn_scoped(scope, move || -> Result<(), CompactError> {
                for batch in tables_rx {
                    each(&batch)?;
                }
                Ok(())
            })
            .map_err(|e| CompactError::Internal(format!("tables thread: {e}")))?;
        let produced = (|| -> Result<(), CompactError> {
            let sources = files
                .iter()
                .map(|f| f.read_all(DECODE_BATCH_ROWS))
                .collect::<Result<Vec<_>, _>>()?;
            let rows: Vec<usize> = files.iter().map(|f| f.rows).collect();
            let mut merger = Merger::new(
                sources,
                &rows,
                &ordered.rows,
                shared::schema::file_schema(),
                o.max_held_rows,
            );
            let chunks = ordered.rows.chunks(o.chunk_rows.max(1));
            let n_chunks = chunks.len();
            let mut last_log = Instant::now();
            for (c, chunk) in chunks.enumerate() {
                let batch = merger.next_chunk(chunk)?;
                if tables_tx.send(batch.clone()).is_err() || tx.send(batch).is_err() {
                    break; // a consumer failed; its error is reported below
                }
                if last_log.elapsed().as_secs() >= 5 {
                    last_log = Instant::now();
                    tracing::info!(partition = %part.path(), "progress: chunk {}/{n_chunks}", c + 1);
                }
            }
            tracing::info!(
                partition = %part.path(),
                peak_held_rows = merger.peak_held_rows(),
                rows_read_alone = merger.fetched_rows(),
                "partition: merged in {:.1}s",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        })();
        drop(tx);
        drop(tables_tx);
        let written = encoder
            .join()
            .map_err(|_| CompactError::Internal("encoder thread panicked".into()))?;
        tables
            .join()
            .map_err(|_| CompactError::Internal("tables thread panicked".into()))??;
        produced?;
        written
    })
}
