//! Test helpers: enriched input files built from a few fields per hit, compactor runs, and
//! reading the published tables back through the manifests.

#![allow(dead_code, clippy::unwrap_used)]

use arrow_array::RecordBatch;
use bytes::Bytes;
use compactor::core::manifest::Manifest;
use compactor::run::{RunConfig, Summary};
use compactor::unit::Options;
use shared::batch::RecordBatchBuilder;
use shared::parquet_io::{decode_parquet, encode_parquet, ParquetOptions};
use shared::partition::{object_key, PartitionKey};
use shared::record::{Commerce, EnrichedRecord, EventType, Product, RequestInfo, Source, UaFields};
use shared::time::Date;
use std::borrow::Cow;
use std::path::Path;

pub const DAY: &str = "2026-11-20";

pub fn day() -> Date {
    Date::parse(DAY).unwrap()
}

/// Epoch ms of `h:m:s.ms` on [`DAY`].
pub fn at(h: i64, m: i64, s: i64, ms: i64) -> i64 {
    day().start_ms() + ((h * 60 + m) * 60 + s) * 1000 + ms
}

/// One input hit, reduced to the fields the compactor looks at.
#[derive(Debug, Clone)]
pub struct Hit {
    pub ts: i64,
    pub visitor: u8,
    pub event_id: u128,
    pub kind: EventType,
    pub path: String,
    pub referrer: String,
    pub event_name: Option<String>,
    pub client_id: Option<String>,
    pub user_id: Option<String>,
    pub action: Option<String>,
    pub transaction: Option<String>,
    pub money: [Option<f64>; 3],
    pub products: Vec<(Option<String>, Option<i32>)>,
    pub city: Option<&'static str>,
}

pub fn pv(ts: i64, visitor: u8, event_id: u128, path: &str) -> Hit {
    Hit {
        ts,
        visitor,
        event_id,
        kind: EventType::Pageview,
        path: path.into(),
        referrer: "Direct / None".into(),
        event_name: None,
        client_id: None,
        user_id: None,
        action: None,
        transaction: None,
        money: [None; 3],
        products: vec![],
        city: Some("Hamburg"),
    }
}

pub fn ev(ts: i64, visitor: u8, event_id: u128, name: &str) -> Hit {
    Hit {
        kind: EventType::Event,
        event_name: Some(name.into()),
        ..pv(ts, visitor, event_id, "/")
    }
}

fn record(h: &Hit) -> EnrichedRecord<'_> {
    EnrichedRecord {
        event_id: h.event_id.to_be_bytes(),
        source: if h.client_id.is_some() {
            Source::Collect
        } else {
            Source::Pixel
        },
        domain_name: Cow::Borrowed("shop.example"),
        event_type: h.kind,
        event_ms: h.ts,
        arrival_ms: h.ts + 50,
        edge_id: Some(Cow::Borrowed("HAM")),
        geo: shared::record::Geo {
            city: h.city,
            country: Some("Germany"),
            latitude: Some(53.55),
            longitude: Some(9.99),
            ..Default::default()
        },
        referrer: None,
        referrer_domain_name: Cow::Borrowed(&h.referrer),
        ua: std::sync::Arc::new(UaFields {
            browser_name: Some("Firefox".into()),
            device_type: "Desktop",
            ..Default::default()
        }),
        client: Default::default(),
        utm: Default::default(),
        request: RequestInfo {
            path: Some(Cow::Borrowed(&h.path)),
            url: Some(Cow::Owned(format!("https://shop.example{}", h.path))),
            ..Default::default()
        },
        event_name: h.event_name.as_deref().map(Cow::Borrowed),
        event_data: None,
        page_view_id: {
            let mut b = [0u8; 32];
            b[..8].copy_from_slice(&h.ts.to_be_bytes());
            b[8] = h.visitor;
            b
        },
        daily_page_view_id: [h.visitor; 32],
        daily_visitor_id: [h.visitor; 32],
        client_id: h.client_id.as_deref().map(Cow::Borrowed),
        user_id: h.user_id.as_deref().map(Cow::Borrowed),
        commerce: Commerce {
            product_action: h.action.as_deref().map(Cow::Borrowed),
            transaction_id: h.transaction.as_deref().map(Cow::Borrowed),
            revenue: h.money[0],
            tax: h.money[1],
            shipping: h.money[2],
            currency: None,
            products: h
                .products
                .iter()
                .enumerate()
                .map(|(i, (id, q))| Product {
                    id: id.as_deref().map(Cow::Borrowed),
                    quantity: *q,
                    position: Some(i as i32 + 1),
                    ..Default::default()
                })
                .collect(),
        },
    }
}

/// The daily visitor id text of visitor `v`.
pub fn visitor_id(v: u8) -> String {
    format!("{v:02x}").repeat(32)
}

/// Writes one input file per call: `<lake>/incoming/<partition of the first hit>/<name>`.
/// All hits must share the partition.
pub fn write_input(lake: &Path, name: &str, hits: &[Hit]) {
    write_input_with(lake, name, hits, |b| b);
}

/// [`write_input`], with the batch changed by `edit` before it is written.
pub fn write_input_with(
    lake: &Path,
    name: &str,
    hits: &[Hit],
    edit: impl Fn(RecordBatch) -> RecordBatch,
) {
    let first = &hits[0];
    let part = PartitionKey {
        domain_name: "shop.example".into(),
        event_type: first.kind,
        event_date: Date::from_epoch_ms(first.ts),
    };
    let mut b = RecordBatchBuilder::default();
    for h in hits {
        assert_eq!(
            (h.kind, Date::from_epoch_ms(h.ts)),
            (part.event_type, part.event_date)
        );
        b.append(&record(h));
    }
    let batch = edit(b.finish().unwrap());
    let bytes = encode_parquet(&[batch], &ParquetOptions::default()).unwrap();
    let path = lake.join("incoming").join(object_key("", &part, name));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Writes hits into one file per partition.
pub fn write_inputs(lake: &Path, name: &str, hits: &[Hit]) {
    let mut parts: std::collections::BTreeMap<(String, u8), Vec<Hit>> = Default::default();
    for h in hits {
        let key = (Date::from_epoch_ms(h.ts).to_string(), h.kind as u8);
        parts.entry(key).or_default().push(h.clone());
    }
    for hits in parts.values() {
        write_input(lake, name, hits);
    }
}

pub fn config(lake: &Path, dates: &[&str]) -> RunConfig {
    RunConfig {
        input: lake.join("incoming").to_string_lossy().into_owned(),
        output: lake.join("curated").to_string_lossy().into_owned(),
        dates: dates.iter().map(|d| Date::parse(d).unwrap()).collect(),
        domains: vec![],
        intraday: false,
        force: false,
        grace_ms: 0,
        pause_after_uploads: None,
        options: Options {
            zstd_level: 3,
            row_group_rows: 1000,
            target_file_bytes: 64 << 20,
            chunk_rows: 7, // tiny chunks: gathering across chunk boundaries is exercised
            max_held_rows: 16, // tiny hold: rows are also read on their own (row selection)
            scratch: lake.join("scratch"),
        },
    }
}

pub fn run(cfg: RunConfig) -> Summary {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(compactor::run::run(cfg))
        .unwrap()
}

pub fn manifest(lake: &Path, date: &str) -> Option<Manifest> {
    let p = lake.join(format!(
        "curated/_manifests/domain_name=shop.example/event_date={date}/current.json"
    ));
    std::fs::read(p)
        .ok()
        .map(|b| serde_json::from_slice(&b).unwrap())
}

/// The live rows of `table` for [`DAY`]-like `date`, concatenated (None without files).
pub fn table(lake: &Path, date: &str, table: &str) -> Option<RecordBatch> {
    let m = manifest(lake, date)?;
    let mut batches = Vec::new();
    for f in m.outputs.iter().filter(|f| f.table == table) {
        let bytes = std::fs::read(lake.join("curated").join(&f.key)).unwrap();
        batches.extend(decode_parquet(Bytes::from(bytes)).unwrap());
    }
    let first = batches.first()?.schema();
    Some(arrow_select::concat::concat_batches(&first, &batches).unwrap())
}

/// Column `name` of `b` as display strings ("null" for nulls).
pub fn col(b: &RecordBatch, name: &str) -> Vec<String> {
    let a = b
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"));
    arrow_cast_display(a)
}

fn arrow_cast_display(a: &arrow_array::ArrayRef) -> Vec<String> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::*;
    use arrow_array::Array;
    use arrow_schema::DataType;
    (0..a.len())
        .map(|i| {
            if a.is_null(i) {
                return "null".to_string();
            }
            match a.data_type() {
                DataType::Utf8 => a.as_string::<i32>().value(i).to_string(),
                DataType::Int32 => a.as_primitive::<Int32Type>().value(i).to_string(),
                DataType::Int64 => a.as_primitive::<Int64Type>().value(i).to_string(),
                DataType::Float64 => a.as_primitive::<Float64Type>().value(i).to_string(),
                DataType::Boolean => a.as_boolean().value(i).to_string(),
                DataType::Timestamp(_, _) => a
                    .as_primitive::<TimestampMillisecondType>()
                    .value(i)
                    .to_string(),
                t => panic!("no display for {t}"),
            }
        })
        .collect()
}

/// A deterministic pseudo-random day: `visitors` visitors with bursts of pageviews (gaps from
/// ties to hours), tracking events, /collect shoppers with product actions and purchases
/// (some sent twice), spread over three overlapping "shard" files per partition, plus orphan
/// copies of some rows in a fourth file.
pub fn synthetic_day(lake: &Path, visitors: u8, seed: u64) -> Vec<Hit> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut rnd = move |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let paths = ["/", "/a", "/b", "/c", "/blog/x", "/shop", "/p?id=1", "/ü"];
    let refs = ["Direct / None", "www.google.com", "news.ycombinator.com"];
    let cities = [Some("Hamburg"), Some("Paris"), None];
    let mut hits = Vec::new();
    let mut id: u128 = 0x0190_0000_0000_7000_8000_0000_0000_0000;
    for v in 1..=visitors {
        let shopper = v % 4 == 0;
        let mut t = day().start_ms() + rnd(86_000_000) as i64;
        let n = 1 + rnd(12);
        for _ in 0..n {
            let gap = match rnd(10) {
                0 => 0,                                 // tie (double fire)
                1 => 1_800_000,                         // exactly 30 minutes
                2 => 1_800_001 + rnd(7_200_000) as i64, // a new session
                _ => 1 + rnd(600_000) as i64,           // browsing
            };
            t += gap;
            if Date::from_epoch_ms(t) != day() {
                break;
            }
            id += 1 + u128::from(rnd(3));
            let mut h = pv(t, v, id, paths[rnd(paths.len() as u64) as usize]);
            h.referrer = refs[rnd(3) as usize].into();
            h.city = cities[rnd(3) as usize];
            if shopper {
                h.client_id = Some(format!("c{v}"));
                h.user_id = (v % 8 == 0).then(|| format!("u{}", v / 2));
            }
            hits.push(h.clone());
            if rnd(3) == 0 {
                id += 1;
                let mut e = ev(
                    t + rnd(5000) as i64,
                    v,
                    id,
                    ["tabHidden", "scroll", "a/b"][rnd(3) as usize],
                );
                if Date::from_epoch_ms(e.ts) != day() {
                    continue;
                }
                e.client_id = h.client_id.clone();
                e.user_id = h.user_id.clone();
                if shopper {
                    let action = ["detail", "click", "add", "remove", "purchase"][rnd(5) as usize];
                    e.event_name = Some(action.into());
                    e.action = Some(action.into());
                    e.products = (0..1 + rnd(3))
                        .map(|_| {
                            (
                                Some(format!("p{}", rnd(6))),
                                (rnd(3) > 0).then(|| 1 + rnd(3) as i32),
                            )
                        })
                        .collect();
                    if action == "purchase" {
                        e.transaction = Some(format!("T{v}-{}", rnd(2)));
                        e.money = [Some(10.0 + rnd(100) as f64 / 4.0), Some(1.5), None];
                    }
                }
                hits.push(e);
            }
        }
    }
    // Three overlapping shard files per partition (round-robin), and orphan duplicates.
    for shard in 0..3 {
        let part: Vec<Hit> = hits.iter().skip(shard).step_by(3).cloned().collect();
        write_inputs(lake, &format!("shard{shard}.parquet"), &part);
    }
    let orphans: Vec<Hit> = hits.iter().step_by(17).cloned().collect();
    write_inputs(lake, "shard0-orphan.parquet", &orphans);
    hits
}
