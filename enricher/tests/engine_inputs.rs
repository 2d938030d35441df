//! Envelope inputs (pixel and `/collect`), failure reasons, and arbitrary-input robustness.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use enricher::core::ids::SecretDailySalt;
use enricher::core::{Engine, EngineConfig, Origin, Outcome};
use proptest::prelude::*;
use shared::envelope::{Envelope, HitKind, ViewerGeo};
use shared::record::{EventType, Source};

fn engine() -> Engine {
    let salts = SecretDailySalt::new(b"test-secret-0123456789").unwrap();
    Engine::new(Box::new(salts), EngineConfig::default()).unwrap()
}

const ORIGIN: Origin<'static> = Origin {
    source: "test",
    position: 0,
};
const CHROME_WIN: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

fn envelope<'a>(kind: HitKind, query: &'a str, body: &'a [u8]) -> Envelope<'a> {
    Envelope {
        event_id: [7; 16],
        arrival_ms: 1_700_000_000_500,
        client_ip: "203.0.113.9".parse().unwrap(),
        user_agent: CHROME_WIN,
        referer: Some("https://shop.example.com/cart"),
        kind,
        path: if kind == HitKind::Pixel {
            "/hello.gif"
        } else {
            "/collect"
        },
        query,
        body,
        request_bytes: 512,
        collector_id: "c1",
        pop: "FRA",
        viewer: None,
    }
}

fn s<T: AsRef<str>>(v: &Option<T>) -> Option<&str> {
    v.as_ref().map(AsRef::as_ref)
}

#[test]
fn collect_purchase_with_two_products() {
    let body = br#"{"v":"1","tid":"t-1","cid":" 5B3C-ABC ","z":"z1","t":"event","pa":"Purchase",
        "dl":"https://shop.example.com/checkout/done?utm_source=news%20letter&utm_medium=email",
        "dr":"https://www.google.com/","ul":"it-IT","sr":"1920\u00d71080","sd":"30-bit","tm":1700000000000,"uid":"U-9",
        "ti":"T-1001","tr":"107.5","tt":17.2,"ts":"5","cu":"eur",
        "pr1id":"SKU-1","pr1nm":"Shoe","pr1br":"Acme","pr1ca":"shoes/running","pr1va":"red","pr1pr":"45.25","pr1qt":"2",
        "pr2id":"SKU-2","pr2nm":"Sock","pr2pr":12,"pr2qt":1,"pr2ps":"7"}"#;
    let bytes = envelope(HitKind::Collect, "", body).encode();
    let mut e = engine();
    let r = match e.enrich(&bytes, ORIGIN) {
        Outcome::Ok(r) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(r.source, Source::Collect);
    assert_eq!(r.event_type, EventType::Event);
    assert_eq!(r.domain_name, "shop.example.com");
    assert_eq!(r.event_ms, 1_700_000_000_000);
    assert_eq!(s(&r.request.path), Some("/checkout/done"));
    assert_eq!(s(&r.client_id), Some("5b3c-abc"));
    assert_eq!(s(&r.user_id), Some("u-9"));
    assert_eq!(s(&r.referrer), Some("https://www.google.com/"));
    assert_eq!(r.referrer_domain_name, "www.google.com");
    assert_eq!(s(&r.utm.source), Some("news letter"));
    assert_eq!(s(&r.utm.medium), Some("email"));
    assert_eq!(s(&r.client.outer_resolution), Some("1920x1080"));
    assert_eq!(r.client.color_depth, Some(30));
    assert_eq!(s(&r.event_name), Some("purchase"));
    let c = &r.commerce;
    assert_eq!(s(&c.product_action), Some("purchase"));
    assert_eq!(s(&c.transaction_id), Some("T-1001"));
    assert_eq!(
        (c.revenue, c.tax, c.shipping),
        (Some(107.5), Some(17.2), Some(5.0))
    );
    assert_eq!(s(&c.currency), Some("EUR"));
    assert_eq!(c.products.len(), 2);
    let (p1, p2) = (&c.products[0], &c.products[1]);
    assert_eq!(
        (s(&p1.id), s(&p1.name), s(&p1.brand)),
        (Some("SKU-1"), Some("Shoe"), Some("Acme"))
    );
    assert_eq!(
        (s(&p1.category), s(&p1.variant)),
        (Some("shoes/running"), Some("red"))
    );
    assert_eq!(
        (p1.price, p1.quantity, p1.position),
        (Some(45.25), Some(2), Some(1))
    );
    assert_eq!(
        (s(&p2.id), p2.price, p2.quantity, p2.position),
        (Some("SKU-2"), Some(12.0), Some(1), Some(7))
    );
    assert_eq!(s(&r.edge_id), Some("FRA"));
    assert_eq!(r.geo.city, Some("Frankfurt am Main"));
}

#[test]
fn pixel_envelope_decodes_once_and_uses_viewer_geo() {
    let q = "t=pv&ts=1700000000123&u=https%3A%2F%2Fshop.example.com%2Fsale%3Futm_source%3Dx&hn=shop.example.com&pa=%2Fsale\
             &uso=spring%2520sale&ume=cpc&r=https%3A%2F%2Fshop.example.com%2F&m=0.5&w=390&h=844&tz=Europe%2FRome";
    let mut env = envelope(HitKind::Pixel, q, b"");
    env.viewer = Some(ViewerGeo {
        country_code: Some("IT"),
        city: Some("Milan"),
        latitude: Some(45.46),
        longitude: Some(9.19),
        ..ViewerGeo::default()
    });
    let bytes = env.encode();
    let mut e = engine();
    let r = match e.enrich(&bytes, ORIGIN) {
        Outcome::Ok(r) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(r.source, Source::Pixel);
    assert_eq!(r.event_id, [7; 16]);
    assert_eq!(
        s(&r.request.url),
        Some("https://shop.example.com/sale?utm_source=x")
    );
    assert_eq!(s(&r.request.path), Some("/sale"));
    assert_eq!(
        s(&r.utm.source),
        Some("spring sale"),
        "utm values are decoded once more"
    );
    assert_eq!(s(&r.utm.medium), Some("cpc"));
    assert_eq!(r.referrer, None, "self-referral");
    assert_eq!(
        r.client.memory,
        Some(0.5),
        "fractional device memory is kept"
    );
    assert_eq!(s(&r.client.timezone), Some("Europe/Rome"));
    assert_eq!(
        (r.geo.city, r.geo.country_code),
        (Some("Milan"), Some("IT"))
    );
    assert_eq!(r.geo.latitude, Some(45.46));
    assert_eq!(r.arrival_ms - r.event_ms, 377);
}

#[test]
fn failures_and_drops_carry_reasons() {
    let line = |query: &str| {
        format!("1668968526.477\t1.2.3.4\t200\t/hello.gif\t319\tHAM50-C2\t0.000\tcurl/8.0\t-\t{query}\tHit\t3320\n")
    };
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        (
            line("t=pv&hn=a.com&pa=%252F").into_bytes(),
            "failed",
            "missing ts",
        ),
        (
            line("t=pv&ts=abc&hn=a.com").into_bytes(),
            "failed",
            "ts is not",
        ),
        (
            line("t=pv&ts=1&pa=%252F").into_bytes(),
            "failed",
            "missing hn",
        ),
        (
            line("t=pv&ts=1&hn=a.com&pa=%25zz").into_bytes(),
            "failed",
            "parameter pa",
        ),
        (line("t=id&ts=1&uid=x").into_bytes(), "dropped", "identify"),
        (
            b"only\tthree\tfields".to_vec(),
            "failed",
            "3 TAB-separated fields",
        ),
        (vec![0xFE, 1, 0, 0], "failed", "envelope: corrupt"),
        (
            vec![0xFE, 99],
            "failed",
            "unsupported envelope schema version 99",
        ),
        (
            envelope(HitKind::Collect, "", b"[1,2]").encode(),
            "failed",
            "batch",
        ),
        (
            envelope(HitKind::Collect, "", b"{\"t\":\"pageview\"}").encode(),
            "failed",
            "missing cid",
        ),
        (
            envelope(HitKind::Collect, "", b"{not json").encode(),
            "failed",
            "not valid JSON",
        ),
        (
            envelope(HitKind::Pixel, "t=pv&hn=x.com", b"").encode(),
            "failed",
            "missing ts",
        ),
    ];
    let mut e = engine();
    for (input, kind, why) in cases {
        let out = e.enrich(&input, ORIGIN);
        assert_eq!(
            out.kind(),
            kind,
            "{:?}: {out:?}",
            String::from_utf8_lossy(&input)
        );
        match out {
            Outcome::Failed(r) | Outcome::Dropped(r) => {
                assert!(r.contains(why), "{r:?} should mention {why:?}")
            }
            Outcome::Ok(_) => unreachable!(),
        }
    }
}

#[test]
fn bots_are_flagged_for_every_hit_type() {
    let q = "t=tr&ts=1700000000123&hn=a.com&pa=%2F&en=click";
    let mut env = envelope(HitKind::Pixel, q, b"");
    env.user_agent = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
    let bytes = env.encode();
    match engine().enrich(&bytes, ORIGIN) {
        Outcome::Ok(r) => assert!(
            r.ua.is_bot,
            "track events get a real bot flag (ownstats always wrote 0)"
        ),
        other => panic!("{other:?}"),
    }
}

/// One engine for all property cases: building one compiles the UA tables (~0.3 s).
fn shared_engine() -> std::sync::MutexGuard<'static, Engine> {
    static ENGINE: std::sync::OnceLock<std::sync::Mutex<Engine>> = std::sync::OnceLock::new();
    ENGINE
        .get_or_init(|| std::sync::Mutex::new(engine()))
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic_and_non_ok_has_a_reason(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut e = shared_engine();
        match e.enrich(&bytes, ORIGIN) {
            Outcome::Ok(_) => {}
            Outcome::Dropped(r) | Outcome::Failed(r) => prop_assert!(!r.is_empty()),
        }
    }

    #[test]
    fn arbitrary_tracker_queries_never_panic(query in "[a-z]{1,3}=[%a-zA-Z0-9+.:/]{0,20}(&[a-z]{1,3}=[%a-zA-Z0-9+.:/]{0,20}){0,12}") {
        let mut e = shared_engine();
        let line = format!("1668968526.477\t1.2.3.4\t200\t/hello.gif\t1\tHAM50-C2\t0.1\tUA\t-\tt=pv&ts=1668968526289&hn=a.b&{query}\tHit\t1");
        let _ = e.enrich(line.as_bytes(), ORIGIN);
        let env = envelope(HitKind::Pixel, &query, b"").encode();
        let _ = e.enrich(&env, ORIGIN);
    }

    #[test]
    fn arbitrary_json_bodies_never_panic(body in "\\{(\"[a-z0-9]{1,5}\":(\"[^\"\\\\]{0,10}\"|[0-9.e-]{1,8}|null|\\[\\]|\\{\\}),?){0,10}\\}") {
        let mut e = shared_engine();
        let env = envelope(HitKind::Collect, "", body.as_bytes()).encode();
        match e.enrich(&env, ORIGIN) {
            Outcome::Dropped(r) | Outcome::Failed(r) => prop_assert!(!r.is_empty()),
            Outcome::Ok(_) => {}
        }
    }
}

/// `keep_query_string: false` nulls `request_query_string` and nothing else, for CloudFront
/// lines and pixel envelopes alike.
#[test]
fn dropping_the_query_string_changes_only_that_column() {
    let salts = || SecretDailySalt::new(b"test-secret-0123456789").unwrap();
    let mut dropping = Engine::new(
        Box::new(salts()),
        EngineConfig {
            keep_query_string: false,
            ..EngineConfig::default()
        },
    )
    .unwrap();
    let mut keeping = Engine::new(Box::new(salts()), EngineConfig::default()).unwrap();
    let line = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/ownstats/rawPageViewData.txt"
    ))
    .unwrap();
    let q = "t=pv&ts=1700000000123&u=https%3A%2F%2Fshop.example.com%2F&hn=shop.example.com&pa=%2F";
    let env = envelope(HitKind::Pixel, q, b"").encode();
    for (input, verbatim) in [(&line[..], "t=pv&ts=1668968526289&u="), (&env[..], q)] {
        let (Outcome::Ok(kept), Outcome::Ok(mut dropped)) = (
            keeping.enrich(input, ORIGIN),
            dropping.enrich(input, ORIGIN),
        ) else {
            panic!("both engines enrich the input");
        };
        assert!(
            s(&kept.request.query_string).is_some_and(|v| v.starts_with(verbatim)),
            "{:?}",
            kept.request.query_string
        );
        assert_eq!(dropped.request.query_string, None);
        dropped.request.query_string = kept.request.query_string.clone();
        assert_eq!(dropped, kept);
    }
}

/// `enrich_batch` gives every input the outcome `enrich` gives it alone, in order, with all
/// of a batch's records alive together (their decoded values share one arena): fixtures,
/// envelopes of both kinds, a dropped and a failed line, repeated so UAs hit the cache too.
#[test]
fn a_batch_enriches_like_one_input_at_a_time() {
    let fixture = |name: &str| {
        std::fs::read(format!(
            "{}/tests/data/ownstats/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let q = "t=pv&ts=1700000000123&u=https%3A%2F%2Fshop.example.com%2Fa%252Fb&hn=shop.example.com&pa=%2Fa%252Fb";
    let body = br#"{"v":"1","t":"pageview","cid":"c-1","dl":"https://shop.example.com/x?utm_source=n","tm":1700000000000}"#;
    let mut inputs = vec![
        fixture("rawPageViewData.txt"),
        fixture("rawTabEventData.txt"),
        fixture("rawGoScriptData.txt"),
        b"1668968526.477\t1.2.3.4\tbroken".to_vec(),
        envelope(HitKind::Pixel, q, b"").encode(),
        envelope(HitKind::Collect, "", body).encode(),
        fixture("rawRefererData.txt"),
    ];
    inputs.extend(inputs.clone());
    let origins: Vec<String> = (0..inputs.len()).map(|i| format!("src{i}")).collect();
    let origin = |i: usize| Origin {
        source: &origins[i],
        position: i as u64,
    };
    let mut single = engine();
    let one_by_one: Vec<String> = (0..inputs.len())
        .map(|i| format!("{:?}", single.enrich(&inputs[i], origin(i))))
        .collect();
    let mut batched = engine();
    let outcomes = batched.enrich_batch((0..inputs.len()).map(|i| (&inputs[i][..], origin(i))));
    let batch: Vec<String> = outcomes.iter().map(|o| format!("{o:?}")).collect();
    assert_eq!(batch, one_by_one);
    let kinds: Vec<&str> = outcomes.iter().map(Outcome::kind).collect();
    for kind in ["ok", "dropped", "failed"] {
        assert!(kinds.contains(&kind), "{kind} missing: {kinds:?}");
    }
}
