//! A crash in the middle of publishing: the process is killed (SIGKILL) after some of the new
//! version's files were uploaded but before the manifest switch. The previous version stays
//! live and fully readable; the re-run completes and removes the orphaned files.

#![allow(clippy::unwrap_used)]

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn compactor(lake: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_compactor"));
    c.args(["run", "--date", DAY, "--grace-secs", "0", "--input"])
        .arg(lake.join("incoming"))
        .arg("--output")
        .arg(lake.join("curated"))
        .arg("--scratch")
        .arg(lake.join("scratch"))
        .env("RUST_LOG", "warn");
    c
}

fn all_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out
}

#[test]
fn killed_while_publishing_keeps_the_previous_version() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path();
    synthetic_day(lake, 40, 3);
    assert!(compactor(lake).status().unwrap().success());
    let before = manifest(lake, DAY).unwrap();
    let stats_before = table(lake, DAY, "stats").unwrap();

    // Late data, then a run that is killed after two uploads of its new version.
    write_input(
        lake,
        "late.parquet",
        &[pv(at(15, 0, 0, 0), 200, 0xfeed, "/late")],
    );
    let mut child = compactor(lake)
        .env("COMPACTOR_TEST_PAUSE_AFTER_UPLOADS", "2")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("paused after 2 uploads") {
                let _ = tx.send(());
            }
        }
    });
    let paused = rx.recv_timeout(Duration::from_secs(120));
    child.kill().unwrap(); // SIGKILL: no clean-up code runs
    child.wait().unwrap();
    assert!(paused.is_ok(), "the run never reached the fail point");

    // The previous version is still the live one, complete and readable.
    let live = manifest(lake, DAY).unwrap();
    assert_eq!(live, before);
    assert_eq!(table(lake, DAY, "stats").unwrap(), stats_before);
    for o in &live.outputs {
        assert!(lake.join("curated").join(&o.key).exists());
    }
    let files = all_files(&lake.join("curated"));
    let orphans: Vec<_> = files
        .iter()
        .filter(|f| f.ends_with(".parquet") && !live.outputs.iter().any(|o| &o.key == *f))
        .collect();
    assert_eq!(
        orphans.len(),
        2,
        "two files of the unfinished version: {orphans:?}"
    );

    // The re-run completes, includes the late row, and removes both older versions.
    assert!(compactor(lake).status().unwrap().success());
    let after = manifest(lake, DAY).unwrap();
    assert_ne!(after.version, before.version);
    assert_eq!(after.counts.rows_out, before.counts.rows_out + 1);
    let files = all_files(&lake.join("curated"));
    let parquet: Vec<_> = files.iter().filter(|f| f.ends_with(".parquet")).collect();
    assert_eq!(
        parquet.len(),
        after.outputs.len(),
        "only the live version remains: {parquet:?}"
    );
    for o in &after.outputs {
        assert!(files.contains(&o.key));
    }
}
