//! Cross-check: the same table definitions as SQL (tests/py/crosscheck.py), run by DuckDB from
//! PyPI over the same input files, give the same rows as the compactor's tables.

#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use std::process::Command;

fn python() -> String {
    std::env::var("CLICKSTREAM_PYTHON").unwrap_or_else(|_| "python3".into())
}

#[test]
fn duckdb_sql_gives_the_same_tables() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path();
    synthetic_day(lake, 150, 11);
    let mut cfg = config(lake, &[DAY]);
    cfg.options.chunk_rows = 64;
    run(cfg);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/crosscheck.py");
    let out = Command::new(python())
        .arg(script)
        .arg(lake)
        .arg(DAY)
        .output()
        .expect("python with duckdb (scripts/test.sh sets CLICKSTREAM_PYTHON)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "cross-check failed:\n{stdout}\n{stderr}"
    );
    for table in compactor::tables::TABLES {
        assert!(
            stdout.contains(&format!("{table}: ")),
            "{table} not checked:\n{stdout}"
        );
    }
}
