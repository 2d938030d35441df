//! Table tests of the decode-once merge (`merge.rs`).

use super::*;
use arrow_array::{ArrayRef, Int64Array};
use arrow_schema::{DataType, Field, Schema};
use std::sync::Arc;

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, false)]))
}

/// File `f` holds values f*1000 + row, served in batches of `batch` rows.
struct Fake {
    f: u32,
    rows: u32,
    batch: u32,
    next: u32,
}

fn column(f: u32, rows: impl Iterator<Item = u32>) -> Result<RecordBatch, ArrowError> {
    let col: ArrayRef = Arc::new(Int64Array::from_iter_values(
        rows.map(|r| i64::from(f * 1000 + r)),
    ));
    RecordBatch::try_new(schema(), vec![col])
}

impl Source for Fake {
    fn next_batch(&mut self) -> Option<Result<RecordBatch, ArrowError>> {
        let start = self.next;
        let end = (start + self.batch).min(self.rows);
        self.next = end;
        (start < end).then(|| column(self.f, start..end))
    }

    fn read_rows(&self, rows: &[u32]) -> Result<RecordBatch, ArrowError> {
        column(self.f, rows.iter().copied())
    }
}

fn source(f: u32, rows: u32, batch: u32) -> Fake {
    Fake {
        f,
        rows,
        batch,
        next: 0,
    }
}

fn run(rows: &[u32], order: &[(u32, u32)], batch: u32, chunk: usize) -> (Vec<i64>, usize) {
    let (got, peak, _) = run_capped(rows, order, batch, chunk, usize::MAX);
    (got, peak)
}

fn run_capped(
    rows: &[u32],
    order: &[(u32, u32)],
    batch: u32,
    chunk: usize,
    max_held: usize,
) -> (Vec<i64>, usize, u64) {
    let sources = (0..rows.len() as u32)
        .map(|f| source(f, rows[f as usize], batch))
        .collect();
    let counts: Vec<usize> = rows.iter().map(|r| *r as usize).collect();
    let mut m = Merger::new(sources, &counts, order, schema(), max_held);
    let mut got = Vec::new();
    for c in order.chunks(chunk) {
        let b = m.next_chunk(c).expect("chunk");
        let v = b
            .column(0)
            .as_any()
            .downcast_ref::<Int64Array>()
            .expect("i64");
        got.extend(v.values().iter().copied());
    }
    (got, m.peak_held_rows(), m.fetched_rows())
}

fn expected(order: &[(u32, u32)]) -> Vec<i64> {
    order.iter().map(|(f, r)| i64::from(f * 1000 + r)).collect()
}

/// A deterministic shuffle (xorshift), so the cases are reproducible.
fn shuffled(mut v: Vec<(u32, u32)>, seed: u64) -> Vec<(u32, u32)> {
    let mut x = seed | 1;
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
    v
}

#[test]
fn every_order_comes_out_exactly() {
    let rows = [37u32, 0, 64, 5];
    let all: Vec<(u32, u32)> = (0..rows.len() as u32)
        .flat_map(|f| (0..rows[f as usize]).map(move |r| (f, r)))
        .collect();
    let cases: Vec<(&str, Vec<(u32, u32)>)> = vec![
        ("file order", all.clone()),
        ("reversed", all.iter().rev().copied().collect()),
        ("shuffled", shuffled(all.clone(), 7)),
        // Every third row dropped as a duplicate, rest shuffled.
        (
            "with duplicates",
            shuffled(
                all.iter().copied().filter(|(_, r)| r % 3 != 0).collect(),
                11,
            ),
        ),
        ("nothing survives", vec![]),
    ];
    for (name, order) in cases {
        for batch in [1, 4, 16, 100] {
            for chunk in [1, 3, 50, 1000] {
                let (got, _) = run(&rows, &order, batch, chunk);
                assert_eq!(
                    got,
                    expected(&order),
                    "{name}, batch {batch}, chunk {chunk}"
                );
            }
        }
    }
}

#[test]
fn stragglers_do_not_pin_their_batches() {
    // One file in order except that every 100th row is wanted only at the very end.
    let n = 10_000u32;
    let mut order: Vec<(u32, u32)> = (0..n).filter(|r| r % 100 != 0).map(|r| (0, r)).collect();
    order.extend((0..n).filter(|r| r % 100 == 0).map(|r| (0, r)));
    let (got, peak) = run(&[n], &order, 256, 64);
    assert_eq!(got, expected(&order));
    // Held: the shrunk stragglers (100) plus a few live batches, not the whole file.
    assert!(peak < 1_000, "peak held rows {peak}");
}

#[test]
fn a_full_hold_reads_rows_on_their_own_and_stays_exact() {
    // Worst case: the whole file in reverse. Uncapped, the first row needs all of it.
    let n = 2_000u32;
    let order: Vec<(u32, u32)> = (0..n).rev().map(|r| (0, r)).collect();
    let (got, peak, fetched) = run_capped(&[n], &order, 64, 50, usize::MAX);
    assert_eq!(got, expected(&order));
    assert_eq!((peak, fetched), (n as usize, 0));
    for cap in [0, 100, 500] {
        let (got, peak, fetched) = run_capped(&[n], &order, 64, 50, cap);
        assert_eq!(got, expected(&order), "cap {cap}");
        assert!(peak <= cap + 64, "cap {cap}: peak held {peak}");
        assert!(fetched > 0, "cap {cap}");
    }
    // Shuffled, two files, duplicates dropped: still exact under a small cap.
    let all: Vec<(u32, u32)> = (0..2u32)
        .flat_map(|f| (0..n).map(move |r| (f, r)))
        .filter(|(_, r)| r % 7 != 0)
        .collect();
    let order = shuffled(all, 3);
    let (got, peak, _) = run_capped(&[n, n], &order, 64, 50, 300);
    assert_eq!(got, expected(&order));
    assert!(peak <= 300 + 64, "peak held {peak}");
}

#[test]
fn a_short_source_is_an_error_not_a_panic() {
    let sources = vec![source(0, 10, 4)];
    let mut m = Merger::new(sources, &[20], &[(0, 15)], schema(), usize::MAX);
    assert!(m.next_chunk(&[(0, 15)]).is_err());
}
