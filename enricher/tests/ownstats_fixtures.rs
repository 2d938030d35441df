//! The five ownstats fixtures: outcomes and every field of EXPECTED.md, with the deliberate
//! fixes (arrival ms kept, delay = arrival − event, epoch-ms page_view_id, UTC dates).

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use enricher::core::ids::StaticSaltTable;
use enricher::core::{Engine, EngineConfig, Origin, Outcome};
use sha2::{Digest, Sha256};
use shared::batch::hex32;
use shared::record::{EnrichedRecord, EventType, Source};
use shared::time::iso8601_ms;

fn engine() -> Engine {
    let salts = StaticSaltTable::parse(include_str!("data/ownstats/salts.csv")).unwrap();
    Engine::new(Box::new(salts), EngineConfig::default()).unwrap()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/data/ownstats/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn hex(b: &[u8; 32]) -> String {
    let mut out = shared::batch::TextBuf::default();
    hex32(b, &mut out).to_string()
}

fn s<T: AsRef<str>>(v: &Option<T>) -> Option<&str> {
    v.as_ref().map(AsRef::as_ref)
}

fn enrich_leaked<'e>(engine: &'e mut Engine, name: &str) -> EnrichedRecord<'e> {
    let line: &'static [u8] = Box::leak(fixture(name).into_boxed_slice());
    match engine.enrich(
        line,
        Origin {
            source: "fixtures",
            position: 1,
        },
    ) {
        Outcome::Ok(r) => r,
        other => panic!("{name}: expected Ok, got {other:?}"),
    }
}

const UA: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0.0.0 Safari/537.36";

fn assert_chrome_mac(r: &EnrichedRecord<'_>, version: &str) {
    assert_eq!(s(&r.ua.browser_name), Some("Chrome"));
    assert_eq!(s(&r.ua.browser_version), Some(version));
    assert_eq!(s(&r.ua.os_name), Some("Mac OS"));
    assert_eq!(s(&r.ua.os_version), Some("10.15.7"));
    assert_eq!(r.ua.device_type, "Desktop");
    assert_eq!(s(&r.ua.device_vendor), Some("Apple"));
    assert!(!r.ua.is_bot);
}

fn assert_hamburg(r: &EnrichedRecord<'_>) {
    assert_eq!(s(&r.edge_id), Some("HAM"));
    assert_eq!(r.geo.city, Some("Hamburg"));
    assert_eq!(r.geo.state, Some("Hamburg"));
    assert_eq!(r.geo.country, Some("Germany"));
    assert_eq!(r.geo.country_code, Some("DE"));
    assert_eq!(r.geo.latitude, Some(53.630401611328));
    assert_eq!(r.geo.longitude, Some(9.9882297515869));
}

fn sha(text: &str) -> String {
    let d: [u8; 32] = Sha256::digest(text.as_bytes()).into();
    hex(&d)
}

#[test]
fn script_downloads_are_dropped() {
    let mut e = engine();
    for name in ["rawGoScriptData.txt", "rawHelloScriptData.txt"] {
        let line = fixture(name);
        match e.enrich(
            &line,
            Origin {
                source: "fixtures",
                position: 1,
            },
        ) {
            Outcome::Dropped(why) => assert!(why.contains("not a tracking pixel"), "{name}: {why}"),
            other => panic!("{name}: expected Dropped, got {other:?}"),
        }
    }
}

#[test]
fn pageview_every_field() {
    let mut e = engine();
    let line = fixture("rawPageViewData.txt");
    let query = std::str::from_utf8(&line)
        .unwrap()
        .split('\t')
        .nth(9)
        .unwrap()
        .to_string();
    let r = enrich_leaked(&mut e, "rawPageViewData.txt");
    assert_eq!(r.source, Source::Cloudfront);
    assert_eq!(r.domain_name, "localhost");
    assert_eq!(r.event_type, EventType::Pageview);
    assert_eq!(
        shared::time::Date::from_epoch_ms(r.event_ms).to_string(),
        "2022-11-20"
    );
    assert_eq!(iso8601_ms(r.event_ms), "2022-11-20T18:22:06.289Z");
    assert_eq!(iso8601_ms(r.arrival_ms), "2022-11-20T18:22:06.477Z");
    assert_eq!(r.arrival_ms - r.event_ms, 188);
    assert_hamburg(&r);
    assert_eq!(r.referrer, None);
    assert_eq!(r.referrer_domain_name, "Direct / None");
    assert_chrome_mac(&r, "107.0.0.0");
    assert_eq!(s(&r.client.timezone), Some("Europe/Berlin"));
    assert_eq!(s(&r.client.language), Some("de-DE"));
    assert_eq!(s(&r.client.outer_resolution), Some("3440x1440"));
    assert_eq!(s(&r.client.inner_resolution), Some("1356x902"));
    assert_eq!(r.client.color_depth, Some(24));
    assert_eq!(s(&r.client.platform), Some("MacIntel"));
    assert_eq!(r.client.memory, Some(8.0));
    assert_eq!(r.client.cores, Some(8));
    assert_eq!(r.utm, Default::default());
    assert_eq!(s(&r.request.url), Some("http://localhost:3000/azure"));
    assert_eq!(s(&r.request.path), Some("/azure"));
    assert_eq!(s(&r.request.query_string), Some(query.as_str()));
    assert_eq!(r.request.bytes, Some(319));
    assert_eq!(r.request.status_code, Some(200));
    assert_eq!(s(&r.request.cache_status), Some("Hit"));
    assert_eq!(r.request.delivery_time_ms, Some(0));
    assert_eq!(r.request.asn, Some(3320));
    assert_eq!(r.event_name, None);
    assert_eq!(r.event_data, None);
    assert_eq!(
        hex(&r.daily_visitor_id),
        "f2fddd08aeb4ab0ba7e39a806a502f4686bbbbbcf52542ad7b327169304ea7b0"
    );
    assert_eq!(
        hex(&r.daily_page_view_id),
        "81e7a875af519fc2beeb2544b336a2b5d1b4f3f4218843b221deea83b0e3e812"
    );
    let pv = sha(&format!("2a962459bea054ecb82b91ced4f274fe5f24c01b91.48.244.135{UA}2022-11-20localhost/azure1668968526289"));
    assert_eq!(hex(&r.page_view_id), pv);
    assert_eq!(r.client_id, None);
    assert_eq!(r.commerce, Default::default());
}

#[test]
fn tab_event_every_field() {
    let mut e = engine();
    let line = fixture("rawTabEventData.txt");
    let query = std::str::from_utf8(&line)
        .unwrap()
        .split('\t')
        .nth(9)
        .unwrap()
        .to_string();
    let r = enrich_leaked(&mut e, "rawTabEventData.txt");
    assert_eq!(r.domain_name, "localhost");
    assert_eq!(r.event_type, EventType::Event);
    assert_eq!(iso8601_ms(r.event_ms), "2022-11-20T20:07:55.096Z");
    assert_eq!(iso8601_ms(r.arrival_ms), "2022-11-20T20:07:55.161Z");
    assert_eq!(r.arrival_ms - r.event_ms, 65);
    assert_hamburg(&r);
    assert_chrome_mac(&r, "107.0.0.0");
    assert_eq!(r.referrer_domain_name, "Direct / None");
    assert_eq!(
        r.client,
        Default::default(),
        "tz, language and device fields are null for track events"
    );
    assert_eq!(s(&r.request.url), Some("http://localhost:3000/googlecloud"));
    assert_eq!(s(&r.request.path), Some("/googlecloud"));
    assert_eq!(s(&r.request.query_string), Some(query.as_str()));
    assert_eq!(r.request.bytes, Some(124));
    assert_eq!(r.request.delivery_time_ms, Some(1));
    assert!(!r.ua.is_bot);
    assert_eq!(s(&r.event_name), Some("tabHidden"));
    assert_eq!(s(&r.event_data), Some("{}"));
    assert_eq!(
        hex(&r.daily_visitor_id),
        "f2fddd08aeb4ab0ba7e39a806a502f4686bbbbbcf52542ad7b327169304ea7b0"
    );
    assert_eq!(
        hex(&r.daily_page_view_id),
        "95b053d31bb37582244457b224817c871c0ffb72bd0af38224b459510b96c7b4"
    );
}

#[test]
fn referer_fixture() {
    let mut e = engine();
    let r = enrich_leaked(&mut e, "rawRefererData.txt");
    assert_eq!(r.domain_name, "mapthe.cloud");
    assert_eq!(
        shared::time::Date::from_epoch_ms(r.event_ms).to_string(),
        "2023-12-17"
    );
    assert_eq!(s(&r.request.path), Some("/"));
    assert_eq!(r.request.asn, Some(7018));
    assert_eq!(s(&r.referrer), Some("https://cloudsecdocs.com/"));
    assert_eq!(r.referrer_domain_name, "cloudsecdocs.com");
    assert_eq!(s(&r.edge_id), Some("SFO"));
    assert_eq!(
        (r.geo.city, r.geo.state, r.geo.country, r.geo.country_code),
        (
            Some("San Francisco"),
            Some("California"),
            Some("United States"),
            Some("US")
        )
    );
    assert_eq!(
        (r.geo.latitude, r.geo.longitude),
        (Some(37.61899948120117), Some(-122.375))
    );
    assert_chrome_mac(&r, "120.0.0.0");
    assert_eq!(
        hex(&r.daily_visitor_id),
        "35c8f09858b6cf6baaf7612f24de56d94a14bd0d697dbc64762742a854b4d5f6"
    );
    assert_eq!(
        hex(&r.daily_page_view_id),
        "0c54fecb3398816be888f1541885cb821196c2bda7dffa91989f6b09dd1d1a25"
    );
}

#[test]
fn event_ids_are_deterministic_per_position() {
    let mut e = engine();
    let line = fixture("rawPageViewData.txt");
    let id = |e: &mut Engine, pos| match e.enrich(
        &line,
        Origin {
            source: "f",
            position: pos,
        },
    ) {
        Outcome::Ok(r) => r.event_id,
        other => panic!("{other:?}"),
    };
    let a = id(&mut e, 1);
    assert_eq!(a, id(&mut e, 1));
    assert_ne!(a, id(&mut e, 2));
}
