//! Decode-once merge of a partition's input files into output order.
//!
//! Every input file is decoded front to back exactly once, in batches, by its own sequential
//! reader. A decoded batch stays in memory until the output order has taken all of its
//! surviving rows; a batch whose few remaining rows wait for much later output (events with a
//! skewed client clock) is shrunk to just those rows. This replaced page-selective re-reads per
//! output chunk, which decoded (and zstd-decompressed) the same pages several times because the
//! rows of one output chunk are scattered over a large part of each file.
//!
//! Memory is the decoded rows still waiting for their turn: with client clocks skewed by
//! minutes, that is the disorder of the input (measured on the 5M-event benchmark day: at most
//! ~13 % of the largest partition's rows), not the partition. It is capped: once `max_held`
//! rows are held, a row that would need decoding further ahead is read on its own (a row
//! selection, which decodes the pages holding it) instead, so input in any order — a replayed
//! day in random order — costs time, never more memory.

use arrow_array::{RecordBatch, UInt32Array};
use arrow_schema::{ArrowError, SchemaRef};

/// One input file as the merge reads it.
pub trait Source {
    /// The next rows in file order (`None` at the end).
    fn next_batch(&mut self) -> Option<Result<RecordBatch, ArrowError>>;
    /// Just these rows (ascending, unique), in that order.
    fn read_rows(&self, rows: &[u32]) -> Result<RecordBatch, ArrowError>;
}
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// A decoded batch of one file, with what is still needed from it.
struct Held {
    /// First file row of the batch.
    start: u32,
    /// One past its last file row.
    end: u32,
    batch: RecordBatch,
    /// After shrinking: the file rows (ascending) that `batch` holds; `None`: all of start..end.
    kept: Option<Vec<u32>>,
    /// Rows of this batch not yet taken by the output.
    remaining: u32,
}

impl Held {
    fn index_of(&self, row: u32) -> Option<usize> {
        match &self.kept {
            None => Some((row - self.start) as usize),
            Some(k) => k.binary_search(&row).ok(),
        }
    }
}

/// One input file: its sequential reader and the batches it has decoded.
struct Cursor<S> {
    source: S,
    decoded_to: u32,
    held: VecDeque<Held>,
    /// Bit per file row: set while the row is wanted by output not yet produced.
    wanted: Vec<u64>,
    /// Rows of the current chunk read on their own (kept: their file rows), dropped after it.
    fetched: Option<(Vec<u32>, RecordBatch)>,
}

impl<S> Cursor<S> {
    fn is_wanted(&self, row: u32) -> bool {
        self.wanted[(row / 64) as usize] & (1u64 << (row % 64)) != 0
    }

    fn count_wanted(&self, start: u32, end: u32) -> u32 {
        (start..end).filter(|r| self.is_wanted(*r)).count() as u32
    }

    fn position(&self, row: u32) -> Option<usize> {
        let p = self.held.partition_point(|h| h.start <= row);
        (p > 0 && row < self.held[p - 1].end).then(|| p - 1)
    }
}

/// Produces the rows of a partition in output order, chunk by chunk.
pub struct Merger<S> {
    files: Vec<Cursor<S>>,
    schema: SchemaRef,
    /// Rows held in decoded batches right now, and the most ever (for the log).
    held_rows: usize,
    peak_held_rows: usize,
    max_held: usize,
    fetched_rows: u64,
}

impl<S: Source> Merger<S> {
    /// `sources[f]` reads file `f`; `rows_per_file[f]` is its row count; `order` is every
    /// surviving `(file, row)` in output order (rows not in it are skipped); at most about
    /// `max_held` decoded rows are kept waiting.
    pub fn new(
        sources: Vec<S>,
        rows_per_file: &[usize],
        order: &[(u32, u32)],
        schema: SchemaRef,
        max_held: usize,
    ) -> Self {
        let mut files: Vec<Cursor<S>> = sources
            .into_iter()
            .zip(rows_per_file)
            .map(|(source, rows)| Cursor {
                source,
                decoded_to: 0,
                held: VecDeque::new(),
                wanted: vec![0; rows.div_ceil(64)],
                fetched: None,
            })
            .collect();
        for &(f, r) in order {
            files[f as usize].wanted[(r / 64) as usize] |= 1u64 << (r % 64);
        }
        Merger {
            files,
            schema,
            held_rows: 0,
            peak_held_rows: 0,
            max_held,
            fetched_rows: 0,
        }
    }

    /// Most rows held at once so far.
    pub fn peak_held_rows(&self) -> usize {
        self.peak_held_rows
    }

    /// Rows read on their own because the hold was full.
    pub fn fetched_rows(&self) -> u64 {
        self.fetched_rows
    }

    /// The rows of `chunk` (the next part of the output order), as one batch.
    pub fn next_chunk(&mut self, chunk: &[(u32, u32)]) -> Result<RecordBatch, ArrowError> {
        // 1. Decode forward until every row of the chunk is in a held batch, unless that would
        //    overfill the hold: such rows are read on their own.
        let mut fetch: Vec<Vec<u32>> = vec![Vec::new(); self.files.len()];
        for &(f, r) in chunk {
            let ahead = (r + 1).saturating_sub(self.files[f as usize].decoded_to) as usize;
            if ahead > 0 && self.held_rows + ahead > self.max_held {
                fetch[f as usize].push(r);
            } else {
                self.decode_through(f as usize, r)?;
            }
        }
        for (f, mut rows) in fetch.into_iter().enumerate() {
            if rows.is_empty() {
                continue;
            }
            rows.sort_unstable();
            rows.dedup();
            let batch = self.files[f].source.read_rows(&rows)?;
            self.fetched_rows += rows.len() as u64;
            self.files[f].fetched = Some((rows, batch));
        }
        self.peak_held_rows = self.peak_held_rows.max(self.held_rows);
        // 2. Interleave: one slot per (file, held batch) used; usize::MAX = the fetched rows.
        let mut slots: FxHashMap<(u32, usize), usize> = FxHashMap::default();
        let mut refs: Vec<&RecordBatch> = Vec::new();
        let mut indices = Vec::with_capacity(chunk.len());
        for &(f, r) in chunk {
            let cursor = &self.files[f as usize];
            let missing = || ArrowError::ComputeError(format!("row {r} of input {f} not held"));
            let fetched = cursor
                .fetched
                .as_ref()
                .and_then(|(rows, b)| rows.binary_search(&r).ok().map(|i| (b, i)));
            let (p, batch, i) = match fetched {
                Some((b, i)) => (usize::MAX, b, i),
                None => {
                    let p = cursor.position(r).ok_or_else(missing)?;
                    let held = &cursor.held[p];
                    (p, &held.batch, held.index_of(r).ok_or_else(missing)?)
                }
            };
            let slot = *slots.entry((f, p)).or_insert_with(|| {
                refs.push(batch);
                refs.len() - 1
            });
            indices.push((slot, i));
        }
        let out = if refs.is_empty() {
            RecordBatch::new_empty(self.schema.clone())
        } else {
            arrow_select::interleave::interleave_record_batch(&refs, &indices)?
        };
        // 3. Book-keeping: taken rows are no longer wanted; release or shrink their batches.
        for &(f, r) in chunk {
            let cursor = &mut self.files[f as usize];
            cursor.wanted[(r / 64) as usize] &= !(1u64 << (r % 64));
            let was_fetched = cursor
                .fetched
                .as_ref()
                .is_some_and(|(rows, _)| rows.binary_search(&r).is_ok());
            if !was_fetched {
                if let Some(p) = cursor.position(r) {
                    cursor.held[p].remaining -= 1;
                }
            }
        }
        for cursor in &mut self.files {
            cursor.fetched = None;
        }
        let mut touched: Vec<u32> = slots.keys().map(|(f, _)| *f).collect();
        touched.sort_unstable();
        touched.dedup();
        for f in touched {
            self.release(f as usize)?;
        }
        Ok(out)
    }

    fn decode_through(&mut self, f: usize, row: u32) -> Result<(), ArrowError> {
        while self.files[f].decoded_to <= row {
            let cursor = &mut self.files[f];
            let batch = cursor.source.next_batch().transpose()?.ok_or_else(|| {
                ArrowError::ComputeError(format!("input {f} ended before row {row}"))
            })?;
            let start = cursor.decoded_to;
            let end = start + batch.num_rows() as u32;
            cursor.decoded_to = end;
            let remaining = cursor.count_wanted(start, end);
            if remaining == 0 {
                continue; // only duplicates: nothing of it is needed
            }
            let mut held = Held {
                start,
                end,
                batch,
                kept: None,
                remaining,
            };
            // A batch mostly made of duplicates is shrunk right away.
            if shrinkable(&held) {
                shrink(cursor, &mut held)?;
            }
            self.held_rows += held.batch.num_rows();
            self.files[f].held.push_back(held);
        }
        Ok(())
    }

    /// Drops the batches of file `f` that are fully taken and shrinks the mostly taken ones.
    fn release(&mut self, f: usize) -> Result<(), ArrowError> {
        let cursor = &mut self.files[f];
        let mut freed = 0;
        let mut kept = VecDeque::with_capacity(cursor.held.len());
        while let Some(mut h) = cursor.held.pop_front() {
            if h.remaining == 0 {
                freed += h.batch.num_rows();
                continue;
            }
            if shrinkable(&h) {
                let before = h.batch.num_rows();
                shrink(cursor, &mut h)?;
                freed += before - h.batch.num_rows();
            }
            kept.push_back(h);
        }
        cursor.held = kept;
        self.held_rows -= freed;
        Ok(())
    }
}

/// Worth copying out: fewer than a quarter of the held rows are still wanted.
fn shrinkable(h: &Held) -> bool {
    (h.remaining as usize) * 4 < h.batch.num_rows()
}

/// Replaces the batch by just its still-wanted rows.
fn shrink<S>(cursor: &Cursor<S>, h: &mut Held) -> Result<(), ArrowError> {
    let rows: Vec<u32> = match &h.kept {
        None => (h.start..h.end).filter(|r| cursor.is_wanted(*r)).collect(),
        Some(k) => k.iter().copied().filter(|r| cursor.is_wanted(*r)).collect(),
    };
    let idx: Vec<u32> = rows
        .iter()
        .filter_map(|r| h.index_of(*r).map(|i| i as u32))
        .collect();
    h.batch = arrow_select::take::take_record_batch(&h.batch, &UInt32Array::from(idx))?;
    h.kept = Some(rows);
    Ok(())
}

#[cfg(test)]
mod tests;
