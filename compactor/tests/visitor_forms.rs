//! The output order is the byte order of daily_visitor_id whatever its form: hex ids as the
//! enricher writes them are sorted as numbers, anything else through interned, ranked strings.
//! Upper-cased hex sorts like lower-cased hex, so both runs must give the same rows in the
//! same order.

#![allow(clippy::unwrap_used)]

mod common;
use arrow_array::cast::AsArray;
use arrow_array::{ArrayRef, RecordBatch, StringArray};
use common::*;
use std::sync::Arc;

/// Ties on the timestamp decided by the visitor, across two files.
fn hits() -> (Vec<Hit>, Vec<Hit>) {
    let t = at(9, 0, 0, 0);
    let a = vec![
        pv(t, 0xb0, 1, "/b0"),
        pv(t, 0x0a, 2, "/0a"),
        pv(t + 1, 0xa0, 3, "/a0"),
    ];
    let b = vec![
        pv(t, 0x9f, 4, "/9f"),
        pv(t, 0xc1, 5, "/c1"),
        pv(t + 1, 0x01, 6, "/01"),
    ];
    (a, b)
}

fn upper_visitors(batch: RecordBatch) -> RecordBatch {
    let i = batch.schema().index_of("daily_visitor_id").unwrap();
    let upper: StringArray = batch
        .column(i)
        .as_string::<i32>()
        .iter()
        .map(|v| v.map(str::to_uppercase))
        .collect();
    let mut cols: Vec<ArrayRef> = batch.columns().to_vec();
    cols[i] = Arc::new(upper);
    RecordBatch::try_new(batch.schema(), cols).unwrap()
}

fn compacted_paths(upper: bool) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = hits();
    let edit = |batch| if upper { upper_visitors(batch) } else { batch };
    write_input_with(dir.path(), "s1-a.parquet", &a, edit);
    write_input_with(dir.path(), "s1-b.parquet", &b, edit);
    run(config(dir.path(), &[DAY]));
    col(
        &table(dir.path(), DAY, "compacted").unwrap(),
        "request_path",
    )
}

#[test]
fn hex_and_non_hex_visitor_ids_give_the_same_order() {
    let want = ["/0a", "/9f", "/b0", "/c1", "/01", "/a0"];
    assert_eq!(compacted_paths(false), want, "hex path");
    assert_eq!(compacted_paths(true), want, "interned path");
}
