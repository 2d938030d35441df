//! IP → location from a MaxMind-format database written by an independent writer (the
//! `mmdb-writer` package from PyPI, installed by scripts/test.sh).

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use enricher::core::geoip::GeoIp;
use enricher::core::ids::SecretDailySalt;
use enricher::core::{Engine, EngineConfig, Origin, Outcome};
use std::process::Command;

const WRITER: &str = r#"
import sys
from netaddr import IPSet
from mmdb_writer import MMDBWriter
w = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-City")
w.insert_network(IPSet(["81.2.69.0/24"]), {
    "city": {"names": {"en": "London"}},
    "country": {"iso_code": "GB", "names": {"en": "United Kingdom"}},
    "subdivisions": [{"iso_code": "ENG", "names": {"en": "England"}}],
    "location": {"latitude": 51.5142, "longitude": -0.0931},
})
w.to_db_file(sys.argv[1])
"#;

#[test]
fn client_ip_locates_the_hit_and_edge_is_the_fallback() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("city.mmdb");
    let python = std::env::var("CLICKSTREAM_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&python)
        .arg("-c")
        .arg(WRITER)
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "writing the test database failed (scripts/test.sh installs mmdb-writer): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut engine = Engine::new(
        Box::new(SecretDailySalt::new(b"0123456789abcdef").unwrap()),
        EngineConfig::default(),
    )
    .unwrap();
    engine.set_geoip(Some(
        GeoIp::from_bytes(std::fs::read(&db).unwrap()).unwrap(),
    ));

    let line = |ip: &str| {
        format!("1668968526.477\t{ip}\t200\t/hello.gif\t1\tHAM50-C2\t0.1\tUA\t-\tt=pv&ts=1668968526289&hn=a.com&pa=%252F\tHit\t1")
    };
    let london = line("81.2.69.160");
    match engine.enrich(
        london.as_bytes(),
        Origin {
            source: "t",
            position: 1,
        },
    ) {
        Outcome::Ok(r) => {
            assert_eq!(
                (r.geo.city, r.geo.state, r.geo.country, r.geo.country_code),
                (
                    Some("London"),
                    Some("England"),
                    Some("United Kingdom"),
                    Some("GB")
                )
            );
            assert_eq!(
                (r.geo.latitude, r.geo.longitude),
                (Some(51.5142), Some(-0.0931))
            );
            assert_eq!(
                r.edge_id.as_deref(),
                Some("HAM"),
                "the edge id stays the edge's"
            );
        }
        other => panic!("{other:?}"),
    }
    let unknown = line("192.0.2.1");
    match engine.enrich(
        unknown.as_bytes(),
        Origin {
            source: "t",
            position: 2,
        },
    ) {
        Outcome::Ok(r) => assert_eq!(
            r.geo.city,
            Some("Hamburg"),
            "IPs the database lacks fall back to the edge"
        ),
        other => panic!("{other:?}"),
    }
}
