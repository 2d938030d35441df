//! Round trip: enrich-file writes Parquet; pyarrow (an independent reader, installed from PyPI
//! by scripts/test.sh) reads it back with Hive partitioning and checks schema and values.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report
#![recursion_limit = "512"]

use serde_json::json;
use shared::envelope::{Envelope, HitKind};
use shared::framing::RecordFileWriter;
use std::path::{Path, PathBuf};
use std::process::Command;

fn python() -> String {
    std::env::var("CLICKSTREAM_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn run_enricher(input: &Path, out: &Path, salts: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_enricher"))
        .args(["enrich-file", "--input"])
        .arg(input)
        .arg("--output")
        .arg(out)
        .arg("--salt-table")
        .arg(salts)
        .status()
        .unwrap();
    assert!(status.success());
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ownstats")
        .join(name)
}

#[test]
fn pyarrow_reads_back_schema_partitions_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");

    // CloudFront lines: the five fixtures (two are dropped) and a hostile hostname.
    let mut lines = String::new();
    for f in [
        "rawGoScriptData.txt",
        "rawHelloScriptData.txt",
        "rawPageViewData.txt",
        "rawTabEventData.txt",
        "rawRefererData.txt",
    ] {
        lines.push_str(
            std::fs::read_to_string(data(f))
                .unwrap()
                .trim_end_matches('\n'),
        );
        lines.push('\n');
    }
    lines.push_str("1668968526.477\t1.2.3.4\t200\t/hello.gif\t1\tXXX1\t0.1\tcurl/8.0\t-\tt=tr&ts=1668968526000&hn=..%252F..%252Fevil%252Fx%253D1&pa=%252F&en=a%252Fb\tMiss\t1\n");
    let cf = dir.path().join("cf.log");
    std::fs::write(&cf, lines).unwrap();
    run_enricher(&cf, &out, &data("salts.csv"));

    // Envelopes: a purchase with two products through /collect.
    let body = br#"{"cid":"c1","z":"z","t":"event","pa":"purchase","dl":"https://shop.example.com/done","tm":1700000000000,
        "ti":"T-1","tr":30.5,"tt":"5.1","ts":"2","cu":"usd","pr1id":"A","pr1pr":"10.25","pr1qt":"2","pr2id":"B","pr2nm":"Bee","pr2pr":10}"#;
    let env = Envelope {
        event_id: *uuid::Uuid::parse_str("0190b7a2-0000-7000-8000-000000000001").unwrap().as_bytes(),
        arrival_ms: 1_700_000_000_250,
        client_ip: "198.51.100.7".parse().unwrap(),
        user_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        referer: None,
        kind: HitKind::Collect,
        path: "/collect",
        query: "",
        body,
        request_bytes: 300,
        collector_id: "c",
        pop: "IAD",
        viewer: None,
    };
    let mut w = RecordFileWriter::new(Vec::new()).unwrap();
    w.write_record(&env.encode()).unwrap();
    let envs = dir.path().join("envs.rec");
    std::fs::write(&envs, w.finish().unwrap()).unwrap();
    run_enricher(&envs, &out, &data("salts.csv"));

    let schema: Vec<[String; 2]> = shared::schema::file_schema()
        .fields()
        .iter()
        .map(|f| [f.name().clone(), arrow_type_name(f.data_type())])
        .collect();
    let expected = json!({
        "rows": 5,
        "schema": schema,
        "checks": [
            {"where": {"domain_name": "localhost", "event_type": "pageview"}, "equals": {
                "event_date": "2022-11-20", "event_year": 2022, "event_month": 11, "event_day": 20,
                "event_timestamp": "2022-11-20T18:22:06.289000Z", "arrival_timestamp": "2022-11-20T18:22:06.477000Z",
                "arrival_delay_ms": 188, "edge_id": "HAM", "edge_city": "Hamburg", "edge_state": "Hamburg",
                "edge_country": "Germany", "edge_country_code": "DE", "edge_latitude": 53.630401611328,
                "edge_longitude": 9.9882297515869, "referrer": null, "referrer_domain_name": "Direct / None",
                "browser_name": "Chrome", "browser_version": "107.0.0.0", "browser_os_name": "Mac OS",
                "browser_os_version": "10.15.7", "device_type": "Desktop", "device_vendor": "Apple",
                "browser_timezone": "Europe/Berlin", "browser_language": "de-DE",
                "device_outer_resolution": "3440x1440", "device_inner_resolution": "1356x902",
                "device_color_depth": 24, "device_platform": "MacIntel", "device_memory": 8.0, "device_cores": 8,
                "utm_source": null, "request_url": "http://localhost:3000/azure", "request_path": "/azure",
                "request_bytes": 319, "request_status_code": 200, "request_cache_status": "Hit",
                "request_delivery_time_ms": 0, "request_asn": 3320, "request_is_bot": 0, "event_name": null,
                "daily_visitor_id": "f2fddd08aeb4ab0ba7e39a806a502f4686bbbbbcf52542ad7b327169304ea7b0",
                "daily_page_view_id": "81e7a875af519fc2beeb2544b336a2b5d1b4f3f4218843b221deea83b0e3e812",
                "source": "cloudfront", "products": null}},
            {"where": {"domain_name": "localhost", "event_type": "event"}, "equals": {
                "event_name": "tabHidden", "event_data": "{}", "request_path": "/googlecloud",
                "daily_page_view_id": "95b053d31bb37582244457b224817c871c0ffb72bd0af38224b459510b96c7b4"}},
            {"where": {"domain_name": "mapthe.cloud"}, "equals": {
                "event_date": "2023-12-17", "referrer": "https://cloudsecdocs.com/",
                "referrer_domain_name": "cloudsecdocs.com", "edge_city": "San Francisco", "request_asn": 7018}},
            {"where": {"domain_name": "../../evil/x=1"}, "equals": {
                "event_type": "event", "event_name": "a/b", "edge_id": "XXX", "edge_city": null,
                "edge_latitude": null, "request_is_bot": 1}},
            {"where": {"domain_name": "shop.example.com"}, "equals": {
                "event_type": "event", "event_date": "2023-11-14", "source": "collect", "client_id": "c1",
                "event_id": "0190b7a2-0000-7000-8000-000000000001", "product_action": "purchase",
                "transaction_id": "T-1", "transaction_revenue": 30.5, "transaction_tax": 5.1,
                "transaction_shipping": 2.0, "currency_code": "USD", "device_type": "Mobile",
                "browser_name": "Mobile Safari", "edge_city": "Washington",
                "products": [
                    {"id": "A", "name": null, "brand": null, "category": null, "variant": null, "price": 10.25, "quantity": 2, "position": 1},
                    {"id": "B", "name": "Bee", "brand": null, "category": null, "variant": null, "price": 10.0, "quantity": null, "position": 2}
                ]}}
        ]
    });
    let expected_path = dir.path().join("expected.json");
    std::fs::write(
        &expected_path,
        serde_json::to_vec_pretty(&expected).unwrap(),
    )
    .unwrap();

    // The hostile hostname stayed inside its partition directory.
    let incoming = out.join("incoming");
    let mut dirs: Vec<String> = std::fs::read_dir(&incoming)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    assert!(
        dirs.contains(&"domain_name=..%2F..%2Fevil%2Fx%3D1".to_string()),
        "{dirs:?}"
    );
    assert!(!out.join("evil").exists());

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/check_enriched.py");
    let result = Command::new(python()).arg(&script).arg(&out).arg(&expected_path).output().unwrap_or_else(|e| {
        panic!("cannot run {} ({e}); run the tests through scripts/test.sh, which installs pyarrow", python())
    });
    assert!(
        result.status.success(),
        "pyarrow check failed (is pyarrow installed? scripts/test.sh sets CLICKSTREAM_PYTHON):\n{}{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
}

/// pyarrow's rendering of our Arrow types.
fn arrow_type_name(t: &arrow_schema::DataType) -> String {
    use arrow_schema::{DataType::*, TimeUnit};
    match t {
        Utf8 => "string".into(),
        Int32 => "int32".into(),
        Int64 => "int64".into(),
        Float64 => "double".into(),
        Timestamp(TimeUnit::Millisecond, Some(tz)) => format!("timestamp[ms, tz={tz}]"),
        List(f) => format!("list<{}: {}>", f.name(), arrow_type_name(f.data_type())),
        Struct(fields) => format!(
            "struct<{}>",
            fields
                .iter()
                .map(|f| format!("{}: {}", f.name(), arrow_type_name(f.data_type())))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => format!("{other:?}"),
    }
}
