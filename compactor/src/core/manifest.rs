//! The publish protocol's data and decisions.
//!
//! A unit (one domain, one day) is published as a *version*: every output object of a run is
//! written under `<table>/<partition>/<version>/…`, then the unit's manifest
//! (`_manifests/domain_name=<d>/event_date=<D>/current.json`) is replaced in one PUT naming the
//! new version and its files. Readers resolve the live files through the manifest, so they
//! see the old version or the new one, never a mix. Versions no longer named are deleted once
//! they have been retired for the grace period (readers that fetched the old manifest just
//! before the switch can finish), and versions that were never published (a crashed run)
//! once they are older than the grace period.

use serde::{Deserialize, Serialize};
use shared::time::{iso8601_ms, Date};

/// Format number of the manifest JSON.
pub const FORMAT: u32 = 1;

/// One input object the unit was computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    /// Key relative to the input URL.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
}

/// One output object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    /// Table name (`compacted`, `sessions`, `stats`, `events`, `overview_1h`, `overview_1d`).
    pub table: String,
    /// Key relative to the output URL.
    pub key: String,
    /// Rows in the file.
    pub rows: u64,
    /// Size in bytes.
    pub bytes: u64,
}

/// Counters of a unit's run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Input files read.
    pub files_in: u64,
    /// Input rows read.
    pub rows_in: u64,
    /// Rows in the compacted table.
    pub rows_out: u64,
    /// Rows dropped as duplicates of an earlier event id.
    pub duplicates: u64,
}

/// A version that was live once and is waiting for its grace period to end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retired {
    /// Version name.
    pub version: String,
    /// When it stopped being live, epoch ms.
    pub retired_ms: i64,
}

/// The manifest of one unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// Domain (unescaped).
    pub domain_name: String,
    /// Day, `YYYY-MM-DD`.
    pub event_date: String,
    /// The live version.
    pub version: String,
    /// When the version was computed, epoch ms.
    pub created_ms: i64,
    /// Computed while the day was still open (intraday mode); a later run recomputes it.
    pub intraday: bool,
    /// The input listing the version was computed from (late-data detection).
    pub inputs: Vec<InputFile>,
    /// The live files.
    pub outputs: Vec<OutputFile>,
    /// Counters.
    pub counts: Counts,
    /// Earlier versions not yet deleted.
    pub retired: Vec<Retired>,
}

/// What to do with a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Never compacted.
    New,
    /// Compacted, but its input changed since (late data, or a replay).
    Changed,
    /// Compacted from an intraday snapshot; now the full day.
    Reopen,
    /// Forced by the operator.
    Forced,
    /// Input files the live version was computed from are gone (expired by a lifecycle rule,
    /// deleted): recomputing would publish less than is live, so the unit is left alone
    /// unless forced.
    InputGone,
    /// Compacted from exactly this input: nothing to do.
    UpToDate,
}

/// Decides whether a unit must be (re)computed. `inputs` must be sorted by key (listings are).
pub fn decide(
    previous: Option<&Manifest>,
    inputs: &[InputFile],
    intraday: bool,
    force: bool,
) -> Decision {
    match previous {
        _ if force => Decision::Forced,
        None => Decision::New,
        Some(m)
            if m.inputs
                .iter()
                .any(|i| inputs.binary_search_by(|x| x.key.cmp(&i.key)).is_err()) =>
        {
            Decision::InputGone
        }
        Some(m) if m.inputs != inputs => Decision::Changed,
        Some(m) if m.intraday && !intraday => Decision::Reopen,
        Some(_) => Decision::UpToDate,
    }
}

/// Version name: creation time (sortable, readable) and a random suffix that keeps two
/// concurrent runs apart, e.g. `v20261124T061502123Z-1a2b3c4d`.
pub fn version_name(now_ms: i64, random: u32) -> String {
    let iso = iso8601_ms(now_ms); // 2026-11-24T06:15:02.123Z
    let digits: String = iso.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    format!("v{digits}-{random:08x}")
}

/// Creation time of a version name, epoch ms.
pub fn version_created_ms(v: &str) -> Option<i64> {
    let s = v.strip_prefix('v')?;
    let (stamp, _) = s.split_once('-')?;
    let b = stamp.as_bytes();
    if b.len() != 19 || b[8] != b'T' || b[18] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| stamp.get(r)?.parse::<i64>().ok();
    let date = Date::parse(&format!(
        "{}-{}-{}",
        stamp.get(0..4)?,
        stamp.get(4..6)?,
        stamp.get(6..8)?
    ))?;
    let (h, m, sec, ms) = (num(9..11)?, num(11..13)?, num(13..15)?, num(15..18)?);
    Some(date.start_ms() + ((h * 60 + m) * 60 + sec) * 1000 + ms)
}

/// Versions found in storage that may be deleted now, and the retired list the next manifest
/// keeps. `live` is never deleted; a retired version goes once `grace_ms` have passed since it
/// was retired; an unknown version (never published, or published by a run whose manifest was
/// replaced concurrently) once it is `grace_ms` old.
pub fn cleanup(
    live: &str,
    retired: &[Retired],
    present: &[String],
    now_ms: i64,
    grace_ms: i64,
) -> (Vec<String>, Vec<Retired>) {
    let expired = |r: &Retired| now_ms - r.retired_ms >= grace_ms;
    let keep: Vec<Retired> = retired
        .iter()
        .filter(|r| r.version != live && !expired(r))
        .cloned()
        .collect();
    let delete = present
        .iter()
        .filter(|v| v.as_str() != live)
        .filter(|v| match retired.iter().find(|r| &r.version == *v) {
            Some(r) => expired(r),
            None => version_created_ms(v).is_some_and(|c| now_ms - c >= grace_ms),
        })
        .cloned()
        .collect();
    (delete, keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(inputs: &[(&str, u64)], intraday: bool) -> Manifest {
        Manifest {
            format: FORMAT,
            domain_name: "d".into(),
            event_date: "2026-11-20".into(),
            version: "v1".into(),
            created_ms: 0,
            intraday,
            inputs: inputs
                .iter()
                .map(|(k, s)| InputFile {
                    key: (*k).into(),
                    size: *s,
                })
                .collect(),
            outputs: vec![],
            counts: Counts::default(),
            retired: vec![],
        }
    }

    #[test]
    fn decisions() {
        let inp = |v: &[(&str, u64)]| -> Vec<InputFile> {
            v.iter()
                .map(|(k, s)| InputFile {
                    key: (*k).into(),
                    size: *s,
                })
                .collect()
        };
        let m = manifest(&[("a", 1), ("b", 2)], false);
        let mi = manifest(&[("a", 1)], true);
        // (comment, previous, inputs, intraday, force, want)
        let cases: Vec<(
            &str,
            Option<&Manifest>,
            Vec<InputFile>,
            bool,
            bool,
            Decision,
        )> = vec![
            (
                "first run",
                None,
                inp(&[("a", 1)]),
                false,
                false,
                Decision::New,
            ),
            (
                "empty day, first run",
                None,
                vec![],
                false,
                false,
                Decision::New,
            ),
            (
                "same listing",
                Some(&m),
                inp(&[("a", 1), ("b", 2)]),
                false,
                false,
                Decision::UpToDate,
            ),
            (
                "late file",
                Some(&m),
                inp(&[("a", 1), ("b", 2), ("c", 3)]),
                false,
                false,
                Decision::Changed,
            ),
            (
                "rewritten file",
                Some(&m),
                inp(&[("a", 1), ("b", 5)]),
                false,
                false,
                Decision::Changed,
            ),
            (
                "deleted (expired) file: never publish less",
                Some(&m),
                inp(&[("a", 1)]),
                false,
                false,
                Decision::InputGone,
            ),
            (
                "deleted file, forced",
                Some(&m),
                inp(&[("a", 1)]),
                false,
                true,
                Decision::Forced,
            ),
            (
                "force",
                Some(&m),
                inp(&[("a", 1), ("b", 2)]),
                false,
                true,
                Decision::Forced,
            ),
            (
                "intraday snapshot, day closed",
                Some(&mi),
                inp(&[("a", 1)]),
                false,
                false,
                Decision::Reopen,
            ),
            (
                "intraday again, same input",
                Some(&mi),
                inp(&[("a", 1)]),
                true,
                false,
                Decision::UpToDate,
            ),
        ];
        for (name, prev, inputs, intraday, force, want) in cases {
            assert_eq!(decide(prev, &inputs, intraday, force), want, "{name}");
        }
    }

    #[test]
    fn version_names_round_trip_and_sort() {
        let t = Date::parse("2026-11-24").unwrap().start_ms() + 6 * 3_600_000 + 15 * 60_000 + 2_123;
        let v = version_name(t, 0x1a2b);
        assert_eq!(v, "v20261124T061502123Z-00001a2b");
        assert_eq!(version_created_ms(&v), Some(t));
        assert!(version_name(t, 0) < version_name(t + 1, 0));
        assert_eq!(version_created_ms("part-00000.parquet"), None);
    }

    #[test]
    fn cleanup_table() {
        let t0 = version_created_ms("v20261124T000000000Z-0").unwrap();
        let v = |min: i64| version_name(t0 + min * 60_000, 0);
        let r = |ver: String, min: i64| Retired {
            version: ver,
            retired_ms: t0 + min * 60_000,
        };
        let hour = 60;
        let grace = 60 * 60_000;
        // (comment, live, retired, present, now in minutes, deleted, kept retired)
        type Case = (
            &'static str,
            String,
            Vec<Retired>,
            Vec<String>,
            i64,
            Vec<String>,
            Vec<Retired>,
        );
        let cases: Vec<Case> = vec![
            (
                "live is never deleted",
                v(0),
                vec![],
                vec![v(0)],
                10 * hour,
                vec![],
                vec![],
            ),
            (
                "just retired: kept through the grace period",
                v(100),
                vec![r(v(0), 100)],
                vec![v(0), v(100)],
                110,
                vec![],
                vec![r(v(0), 100)],
            ),
            (
                "retired for the grace period: deleted",
                v(100),
                vec![r(v(0), 100)],
                vec![v(0), v(100)],
                160,
                vec![v(0)],
                vec![],
            ),
            (
                "orphan of a crashed run: deleted when old enough",
                v(0),
                vec![],
                vec![v(0), v(5), v(200)],
                100,
                vec![v(5)],
                vec![],
            ),
            (
                "a concurrent run's fresh version is left alone",
                v(0),
                vec![],
                vec![v(0), v(99)],
                100,
                vec![],
                vec![],
            ),
        ];
        for (name, live, retired, present, now, del, keep) in cases {
            let got = cleanup(&live, &retired, &present, t0 + now * 60_000, grace);
            assert_eq!(got, (del, keep), "{name}");
        }
    }
}
