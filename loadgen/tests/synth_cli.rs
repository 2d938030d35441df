//! End-to-end tests of `loadgen synth`: runs the binary into a temp dir and checks the files the
//! way the enricher and the compactor will read them.

use shared::envelope::{Envelope, HitKind};
use shared::framing::{frames, Frame};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Command, Output};

const START_MS: i64 = 1_795_132_800_000; // 2026-11-20T00:00:00Z, the default window start
const MINUTE: i64 = 60_000;

fn synth(dir: &Path, name: &str, args: &[&str]) -> (Vec<u8>, String) {
    let path = dir.join(name);
    let out = Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .arg("synth")
        .args(args)
        .arg("--output")
        .arg(&path)
        .output()
        .expect("run loadgen");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "loadgen failed: {stderr}");
    (std::fs::read(&path).expect("read output"), stderr)
}

use shared::percent::decode_strict as strict_decode;

/// What a URL query parser does first: `+` is a space, a malformed `%` stays as it is.
fn form_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit) =>
            {
                out.push(
                    u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).expect("ascii"), 16)
                        .expect("hex"),
                );
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// ownstats' decode2: form-decode, then strict percent-decode.
fn decode2(v: &str) -> Option<String> {
    strict_decode(&form_decode(v)).map(|s| s.into_owned())
}

fn params(query: &str) -> Vec<(&str, &str)> {
    query
        .split('&')
        .map(|kv| kv.split_once('=').unwrap_or((kv, "")))
        .collect()
}

fn lines(data: &[u8]) -> Vec<&str> {
    let text = std::str::from_utf8(data).expect("utf-8");
    assert!(text.is_empty() || text.ends_with('\n'));
    text.lines().collect()
}

fn arrival_ms(field: &str) -> i64 {
    let (s, ms) = field.split_once('.').expect("seconds.millis");
    s.parse::<i64>().expect("seconds") * 1000 + ms.parse::<i64>().expect("millis")
}

fn envelopes(data: &[u8]) -> Vec<Envelope<'_>> {
    frames(data)
        .map(|f| match f {
            Frame::Record { bytes, .. } => Envelope::decode(bytes).expect("envelope decodes"),
            Frame::Corrupt { offset, .. } => panic!("corrupt frame at {offset}"),
        })
        .collect()
}

#[test]
fn deterministic_and_exact_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, _) = synth(dir.path(), "a.txt", &["--events", "5000", "--seed", "9"]);
    let (b, _) = synth(dir.path(), "b.txt", &["--events", "5000", "--seed", "9"]);
    let (c, _) = synth(dir.path(), "c.txt", &["--events", "5000", "--seed", "10"]);
    assert!(a == b, "same seed, same bytes");
    assert!(a != c, "another seed, other bytes");
    assert_eq!(lines(&a).len(), 5000);
    for n in ["0", "1", "7", "999"] {
        let (data, _) = synth(dir.path(), "n.txt", &["--events", n, "--seed", "3"]);
        assert_eq!(lines(&data).len().to_string(), n);
        let (data, _) = synth(
            dir.path(),
            "n.rec",
            &["--events", n, "--format", "envelope"],
        );
        assert_eq!(envelopes(&data).len().to_string(), n);
    }
    let (e1, _) = synth(
        dir.path(),
        "e1.rec",
        &[
            "--events",
            "3000",
            "--format",
            "envelope",
            "--date",
            "2026-03-01",
            "--days",
            "2",
        ],
    );
    let (e2, _) = synth(
        dir.path(),
        "e2.rec",
        &[
            "--events",
            "3000",
            "--format",
            "envelope",
            "--start",
            "2026-03-01T00:00:00Z",
            "--days",
            "2",
        ],
    );
    assert!(
        e1 == e2,
        "--date and the equivalent --start give the same file"
    );
}

#[test]
fn cloudfront_lines_are_well_formed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, stderr) = synth(
        dir.path(),
        "cf.txt",
        &[
            "--events",
            "20000",
            "--seed",
            "5",
            "--broken-share",
            "0.005",
        ],
    );
    assert!(stderr.contains("20000 records"), "{stderr}");
    let (mut broken, mut nonpixel, mut last) = (0, 0, 0);
    let mut kinds = HashMap::new();
    for line in lines(&data) {
        let f: Vec<&str> = line.split('\t').collect();
        let t = arrival_ms(f[0]);
        assert!(t >= last, "ordered by arrival");
        last = t;
        if f.len() != 12 {
            assert_eq!(f.len(), 11, "{line}");
            broken += 1;
            continue;
        }
        assert_eq!(f[2], "200");
        assert!(
            f[5].len() >= 6 && f[5][..3].bytes().all(|b| b.is_ascii_uppercase()),
            "{}",
            f[5]
        );
        assert!(f[10] == "Hit" || f[10] == "RefreshHit" || f[10] == "Miss");
        f[11].parse::<u32>().expect("asn");
        if f[3] != "/hello.gif" {
            assert!(
                f[3] == "/go.js" || (f[3].starts_with("/versions/hello-") && f[3].len() == 59),
                "{}",
                f[3]
            );
            assert_eq!(f[9], "-");
            nonpixel += 1;
            continue;
        }
        let decoded: Option<HashMap<&str, String>> = params(f[9])
            .into_iter()
            .map(|(k, v)| decode2(v).map(|v| (k, v)))
            .collect();
        let Some(p) = decoded.filter(|p| p.get("ts").is_some_and(|ts| ts.parse::<i64>().is_ok()))
        else {
            broken += 1;
            continue;
        };
        *kinds.entry(p["t"].clone()).or_insert(0) += 1;
        let host = &p["hn"];
        let url = &p["u"];
        assert!(url.starts_with(&format!("https://{host}/")), "{url}");
        assert_eq!(
            url[8 + host.len()..].split('?').next(),
            Some(p["pa"].as_str())
        );
        let ts: i64 = p["ts"].parse().expect("ts");
        assert!((START_MS - 4 * 86_400_000..START_MS + 5 * 86_400_000).contains(&ts));
        if let Some(ua) = p.get("ua") {
            assert_eq!(
                Some(ua.as_str()),
                strict_decode(f[7]).as_deref(),
                "ua parameter = cs-user-agent"
            );
        }
        match p["t"].as_str() {
            "pv" => assert!(p.contains_key("ua")),
            "tr" => assert!(
                serde_json::from_str::<serde_json::Value>(&p["pr"]).is_ok() && !p["en"].is_empty()
            ),
            other => panic!("t={other}"),
        }
    }
    assert!(kinds["pv"] > 10_000 && kinds["tr"] > 3_000, "{kinds:?}");
    assert!(
        (130..=280).contains(&nonpixel),
        "~1 % non-pixel lines, got {nonpixel}"
    );
    assert!(
        (40..=180).contains(&broken),
        "~0.5 % broken lines, got {broken}"
    );
}

#[test]
fn query_decodes_twice_to_the_envelope_values() {
    // Without script requests, broken lines and collect hits both formats describe the same
    // hits in the same order, so the CloudFront query decoded twice must equal the envelope
    // query decoded once.
    let dir = tempfile::tempdir().expect("tempdir");
    let args = ["--events", "3000", "--seed", "77"];
    let (cf, _) = synth(
        dir.path(),
        "cf.txt",
        &[&args[..], &["--nonpixel-share", "0", "--broken-share", "0"]].concat(),
    );
    let (env, _) = synth(
        dir.path(),
        "env.rec",
        &[&args[..], &["--format", "envelope", "--collect-share", "0"]].concat(),
    );
    let cf = lines(&cf);
    let env = envelopes(&env);
    assert_eq!(cf.len(), env.len());
    for (line, e) in cf.iter().zip(&env) {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(arrival_ms(f[0]), e.arrival_ms);
        assert_eq!(f[1], e.client_ip.to_string());
        assert_eq!(strict_decode(f[7]).as_deref(), Some(e.user_agent));
        assert_eq!(
            strict_decode(f[8]).as_deref(),
            Some(e.referer.unwrap_or("-"))
        );
        assert_eq!(e.kind, HitKind::Pixel);
        if !f[5].starts_with("XXX") && e.pop != "XXX" {
            assert_eq!(
                &f[5][..3],
                e.pop,
                "same edge (unless one side drew the rare unknown code)"
            );
        }
        let twice = params(f[9]);
        let once = params(e.query);
        assert_eq!(twice.len(), once.len(), "{line}");
        for ((k2, v2), (k1, v1)) in twice.iter().zip(&once) {
            assert_eq!(k2, k1);
            assert_eq!(decode2(v2).as_deref(), strict_decode(v1).as_deref(), "{k1}");
            assert!(strict_decode(v1).is_some());
        }
    }
}

#[test]
fn envelopes_decode_with_json_collect_bodies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, _) = synth(
        dir.path(),
        "env.rec",
        &[
            "--events",
            "20000",
            "--format",
            "envelope",
            "--duplicate-purchase-share",
            "0.5",
        ],
    );
    let envs = envelopes(&data);
    assert_eq!(envs.len(), 20000);
    let mut collect = 0;
    let mut purchases: HashMap<String, Vec<serde_json::Value>> = HashMap::new();
    let mut ids = HashSet::new();
    let mut last = 0;
    for e in &envs {
        assert!(e.arrival_ms >= last);
        last = e.arrival_ms;
        assert!(ids.insert(e.event_id), "event ids are unique");
        assert_eq!(uuid::Uuid::from_bytes(e.event_id).get_version_num(), 7);
        assert!(
            !e.user_agent.is_empty() && e.pop.len() == 3 && e.collector_id.starts_with("synth-")
        );
        match e.kind {
            HitKind::Pixel => {
                assert_eq!(e.path, "/hello.gif");
                assert!(
                    e.query.starts_with("t=pv&ts=") || e.query.starts_with("t=tr&ts="),
                    "{}",
                    e.query
                );
                assert!(e.body.is_empty());
            }
            HitKind::Collect => {
                collect += 1;
                assert_eq!((e.path, e.query), ("/collect", ""));
                let body: serde_json::Value =
                    serde_json::from_slice(e.body).expect("collect body is JSON");
                assert_eq!(body["v"], "1");
                assert!(
                    body["cid"].as_str().is_some_and(|c| c.len() == 36)
                        && body["z"].as_str().is_some_and(|z| z.len() == 36)
                );
                assert!(body["t"] == "pageview" || body["t"] == "event");
                assert!(body["tm"].is_i64());
                if body["pa"] == "purchase" {
                    purchases
                        .entry(body["ti"].as_str().expect("ti").to_string())
                        .or_default()
                        .push(body);
                }
            }
        }
    }
    let share = f64::from(collect) / envs.len() as f64;
    assert!((0.25..0.35).contains(&share), "collect share {share}");
    let doubled: Vec<_> = purchases.values().filter(|v| v.len() == 2).collect();
    assert!(!doubled.is_empty(), "some purchases are double-fired");
    for pair in doubled {
        let strip = |v: &serde_json::Value| {
            let mut v = v.clone();
            v.as_object_mut().expect("object").remove("z");
            v
        };
        assert_ne!(pair[0]["z"], pair[1]["z"]);
        assert_eq!(
            strip(&pair[0]),
            strip(&pair[1]),
            "same content apart from z"
        );
    }
}

#[test]
fn long_tail_of_user_agents_and_sessions_that_split() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (data, _) = synth(
        dir.path(),
        "cf.txt",
        &["--events", "100000", "--seed", "42"],
    );
    let mut uas = HashSet::new();
    let mut hosts = HashSet::new();
    let mut pageviews: HashMap<(&str, &str, String), Vec<i64>> = HashMap::new();
    for line in lines(&data) {
        let f: Vec<&str> = line.split('\t').collect();
        uas.insert(f[7]);
        if f.len() != 12 || !f[9].starts_with("t=pv&") {
            continue;
        }
        let p: HashMap<&str, &str> = params(f[9]).into_iter().collect();
        let Ok(ts) = p["ts"].parse::<i64>() else {
            continue;
        };
        hosts.insert(p["hn"]);
        pageviews
            .entry((f[1], f[7], p["hn"].to_string()))
            .or_default()
            .push(ts);
    }
    assert!(
        (1000..20_000).contains(&uas.len()),
        "distinct user agents: {}",
        uas.len()
    );
    assert_eq!(hosts.len(), 12, "default number of sites");
    let mut splits = 0;
    for ts in pageviews.values_mut() {
        ts.sort_unstable();
        splits += ts
            .windows(2)
            .filter(|w| (30 * MINUTE + 1..=180 * MINUTE).contains(&(w[1] - w[0])))
            .count();
    }
    assert!(
        splits > 100,
        "pauses of more than 30 minutes between pageviews: {splits}"
    );
}

#[test]
fn env_vars_and_stdout() {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(["synth", "--output", "-"])
        .env("LOADGEN_EVENTS", "25")
        .env("LOADGEN_SEED", "1")
        .output()
        .expect("run loadgen");
    assert!(out.status.success());
    assert_eq!(lines(&out.stdout).len(), 25);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("25 records")
            && stderr.contains("distinct user agents")
            && stderr.lines().count() == 1,
        "{stderr}"
    );
    let bad = Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(["synth", "--collect-share", "2", "--format", "envelope"])
        .output()
        .expect("run loadgen");
    assert!(!bad.status.success());
    let conflict = Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args([
            "synth",
            "--date",
            "2026-01-01",
            "--start",
            "2026-01-01T00:00:00Z",
        ])
        .output()
        .expect("run loadgen");
    assert!(!conflict.status.success());
}
