//! End-to-end tests of `loadgen replay` with a small Coveo-format fixture: 30 valid rows from
//! five sessions covering every product action, one unknown action (`wishlist`), one truncated
//! row and one with a non-numeric timestamp, spread over 65.5 s of original time.

mod common;

use common::{loadgen, Server};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/browsing_sample.csv"
);

fn replay(server: &Server, extra: &[&str]) -> common::Run {
    let url = server.url();
    let mut args = vec![
        "replay",
        "--input",
        FIXTURE,
        "--target",
        &url,
        "--no-progress",
    ];
    args.extend_from_slice(extra);
    loadgen(&args)
}

#[test]
fn every_action_is_mapped_and_bad_rows_are_reported() {
    let server = Server::start();
    // 65.5 s of original time at speed 200: at least 0.33 s.
    let run = replay(&server, &["--speed", "200"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.elapsed >= Duration::from_millis(320),
        "{:?}",
        run.elapsed
    );
    assert!(
        run.stdout
            .contains("32 read, 30 sent as events, 2 malformed skipped"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "pageview 13, detail 5, add 4, remove 2, purchase 3, click 2, unknown 1 (wishlist: 1)"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("line 14: 5 fields, expected 6"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("line 22: server_timestamp_epoch_ms"),
        "{}",
        run.stdout
    );

    let got = server.received();
    assert_eq!(got.len(), 30);
    let mut by_action: HashMap<String, usize> = HashMap::new();
    let (mut cids, mut ips) = (HashSet::new(), HashSet::new());
    let mut times = Vec::new();
    for r in &got {
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/collect"));
        assert_eq!(r.content_type.as_deref(), Some("application/json"));
        let v: serde_json::Value = serde_json::from_slice(&r.body).expect("JSON");
        let cid = v["cid"].as_str().unwrap().to_string();
        assert_eq!(cid.len(), 64, "the session hash is the client id");
        cids.insert(cid);
        ips.insert(r.forwarded_for.clone().unwrap());
        assert!(v["dl"]
            .as_str()
            .unwrap()
            .starts_with("https://shop.coveo-replay.example/"));
        times.push(v["tm"].as_i64().unwrap());
        let key = match (v["t"].as_str().unwrap(), v["pa"].as_str()) {
            ("pageview", None) => "pageview".to_string(),
            ("event", Some(pa)) => {
                assert_eq!(v["ea"], pa);
                assert!(v["pr1id"].is_string());
                if pa == "purchase" {
                    assert!(v["ti"].is_string());
                }
                pa.to_string()
            }
            ("event", None) => format!("generic:{}", v["ea"].as_str().unwrap()),
            other => panic!("unexpected {other:?}"),
        };
        *by_action.entry(key).or_default() += 1;
    }
    let expected: HashMap<String, usize> = [
        ("pageview", 13),
        ("detail", 5),
        ("add", 4),
        ("remove", 2),
        ("purchase", 3),
        ("click", 2),
        ("generic:wishlist", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(by_action, expected);
    assert_eq!(cids.len(), 5);
    assert_eq!(ips.len(), 5, "one address per session");
    // Client times are the replay's clock: the 65.5 s of the original, divided by 200.
    let span = times.iter().max().unwrap() - times.iter().min().unwrap();
    assert!((300..=360).contains(&span), "{span} ms");
}

#[test]
fn limit_and_speed_zero() {
    let server = Server::start();
    let run = replay(&server, &["--speed", "0", "--limit", "10"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(server.received().len(), 10);
    assert!(
        run.stdout
            .contains("10 read, 10 sent as events, 0 malformed"),
        "{}",
        run.stdout
    );
}

#[test]
fn refused_events_fail_the_run() {
    let server = Server::with(|n| if n == 0 { 503 } else { 204 });
    let run = replay(&server, &["--speed", "0"]);
    assert_eq!(run.code, 1);
    assert_eq!((run.count("5xx"), run.count("2xx")), (1, 29));
}

#[test]
fn a_missing_input_is_a_usage_error() {
    let run = loadgen(&[
        "replay",
        "--input",
        "/nonexistent/browsing_train.csv",
        "--target",
        "http://127.0.0.1:1",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("cannot open --input"));
}
