//! The direct encoder against the Arrow path: the same records, read back by parquet-rs's Arrow
//! reader, must give equal batches, whatever the page, dictionary and row-group limits.

use super::leaf::Limits;
use super::{FileEncoder, Layout};
use crate::batch::RecordBatchBuilder;
use crate::parquet_io::{decode_parquet, ParquetOptions};
use crate::record::*;
use crate::schema::file_schema;
use arrow_array::RecordBatch;
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use std::borrow::Cow;
use std::sync::Arc;

/// A small deterministic generator (xorshift), so failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// `None` one time in `null_every`, else one of `vocab` words (vocab 0: unique text).
    fn text(&mut self, null_every: u64, vocab: u64) -> Option<Cow<'static, str>> {
        if self.below(null_every) == 0 {
            return None;
        }
        let n = if vocab == 0 {
            self.next()
        } else {
            self.below(vocab)
        };
        Some(Cow::Owned(format!("v{n}-{}", "é".repeat((n % 4) as usize))))
    }
    fn num(&mut self, null_every: u64, vocab: u64) -> Option<i32> {
        (self.below(null_every) != 0).then(|| self.below(vocab) as i32 - 3)
    }
    fn float(&mut self, null_every: u64) -> Option<f64> {
        let v = self.num(null_every, 50)?;
        Some(f64::from(v) * 0.25)
    }
}

static CITIES: [&str; 3] = ["Frankfurt am Main", "Paris", "Zürich"];

fn record(g: &mut Rng, i: i64) -> EnrichedRecord<'static> {
    let ms = 1_700_000_000_000 + i * 37 + g.below(5) as i64;
    let ua = UaFields {
        browser_name: g.text(3, 4).map(|c| Arc::from(c.as_ref())),
        browser_version: g.text(5, 30).map(|c| Arc::from(c.as_ref())),
        os_name: g.text(4, 3).map(|c| Arc::from(c.as_ref())),
        os_version: None,
        device_type: ["Desktop", "Mobile"][g.below(2) as usize],
        device_vendor: g.text(2, 5).map(|c| Arc::from(c.as_ref())),
        is_bot: g.below(9) == 0,
    };
    // Two rows in three are pixel-like: every `/collect` field null (the encoder counts
    // those rows and levels them in bulk).
    let collect = g.below(3) == 0;
    // Likewise UTM (most rows) and the event fields (pageviews).
    let (campaign, event) = (g.below(3) == 0, g.below(2) == 0);
    let n_products = [0, 0, 0, 1, 2, 3][g.below(6) as usize] * usize::from(collect);
    let products = (0..n_products)
        .map(|_| Product {
            id: g.text(4, 20),
            name: g.text(3, 0),
            brand: g.text(2, 3),
            category: None,
            variant: g.text(5, 2),
            price: g.float(3),
            quantity: g.num(4, 5),
            position: g.num(2, 9),
        })
        .collect();
    let h = |g: &mut Rng| std::array::from_fn(|_| g.next() as u8);
    EnrichedRecord {
        event_id: std::array::from_fn(|_| g.next() as u8),
        source: [Source::Pixel, Source::Collect, Source::Cloudfront][g.below(3) as usize],
        domain_name: Cow::Borrowed("example.com"),
        event_type: EventType::Pageview,
        event_ms: ms,
        arrival_ms: ms + g.below(3000) as i64,
        edge_id: g.text(6, 10),
        geo: Geo {
            city: (g.below(3) != 0).then(|| CITIES[g.below(3) as usize]),
            state: None,
            country: Some("DE"),
            country_code: (g.below(2) == 0).then_some("de"),
            latitude: g.float(4),
            longitude: g.float(4).map(|v| -v),
        },
        referrer: g.text(2, 0),
        referrer_domain_name: g.text(1_000, 7).unwrap_or_default(),
        ua: Arc::new(ua),
        client: ClientHints {
            timezone: g.text(3, 3),
            language: g.text(3, 4),
            outer_resolution: g.text(3, 40),
            inner_resolution: None,
            color_depth: g.num(3, 3),
            platform: g.text(3, 2),
            memory: g.float(2),
            cores: g.num(2, 8),
        },
        utm: Utm {
            source: g.text(8, 3).filter(|_| campaign),
            campaign: None,
            medium: g.text(9, 2).filter(|_| campaign),
            content: None,
            term: g.text(20, 0).filter(|_| campaign),
        },
        request: RequestInfo {
            url: g.text(5, 200),
            path: g.text(5, 60),
            query_string: g.text(4, 0),
            bytes: g.num(3, 1000),
            status_code: g.num(1_000, 2).map(|v| v + 203),
            cache_status: g.text(3, 3),
            delivery_time_ms: g.num(3, 100),
            asn: g.num(3, 70_000).map(|v| i64::from(v) * 1_000_003),
        },
        event_name: g.text(2, 6).filter(|_| event),
        event_data: g.text(4, 0).filter(|_| event),
        page_view_id: h(g),
        daily_page_view_id: h(g),
        daily_visitor_id: if g.below(3) == 0 { [7; 32] } else { h(g) },
        client_id: g.text(3, 50).filter(|_| collect),
        user_id: g.text(5, 10).filter(|_| collect),
        commerce: Commerce {
            product_action: g.text(3, 3).filter(|_| collect),
            transaction_id: g.text(3, 0).filter(|_| collect),
            revenue: g.float(3).filter(|_| collect),
            tax: g.float(3).filter(|_| collect),
            shipping: (g.below(4) == 0).then_some(4.5).filter(|_| collect),
            currency: g.text(3, 2).filter(|_| collect),
            products,
        },
    }
}

fn arrow_path(records: &[EnrichedRecord<'_>], options: &ParquetOptions) -> Bytes {
    let mut b = RecordBatchBuilder::default();
    records.iter().for_each(|r| b.append(r));
    let props = options.writer_properties().expect("props");
    let mut w = ArrowWriter::try_new(Vec::new(), file_schema(), Some(props)).expect("writer");
    w.write(&b.finish().expect("batch")).expect("write");
    Bytes::from(w.into_inner().expect("close"))
}

fn direct_path(records: &[EnrichedRecord<'_>], layout: &mut Layout) -> Bytes {
    let mut f = FileEncoder::new(layout).expect("encoder");
    for r in records {
        f.append(r, layout).expect("append");
    }
    Bytes::from(f.finish(layout).expect("finish"))
}

/// Min, max and null count of every column chunk, as the footer stores them.
fn chunk_statistics(file: &Bytes) -> Vec<(String, Option<Vec<u8>>, Option<Vec<u8>>, Option<u64>)> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let reader = SerializedFileReader::new(file.clone()).expect("footer");
    let meta = reader.metadata();
    let mut out = Vec::new();
    for g in meta.row_groups() {
        for c in g.columns() {
            let s = c.statistics();
            // The spec's zeros (a DOUBLE min of 0 written -0.0, a max +0.0), which the direct
            // encoder follows and parquet-rs does not: compared as one zero.
            let double = c.column_type() == parquet::basic::Type::DOUBLE;
            let bytes = |b: Option<&[u8]>| {
                b.map(|b| match b {
                    [0, 0, 0, 0, 0, 0, 0, 0x80] if double => vec![0; 8],
                    _ => b.to_vec(),
                })
            };
            out.push((
                c.column_path().string(),
                bytes(s.and_then(|s| s.min_bytes_opt())),
                bytes(s.and_then(|s| s.max_bytes_opt())),
                s.and_then(|s| s.null_count_opt()),
            ));
        }
    }
    out
}

fn concat(batches: &[RecordBatch]) -> RecordBatch {
    arrow_select::concat::concat_batches(&file_schema(), batches).expect("concat")
}

fn check(seed: u64, rows: i64, options: &ParquetOptions, limits: Option<Limits>) {
    let mut g = Rng(seed);
    let records: Vec<_> = (0..rows).map(|i| record(&mut g, i)).collect();
    let mut layout = Layout::new(options.writer_properties().expect("props")).expect("layout");
    if let Some(l) = limits {
        layout = layout.with_limits(l);
    }
    let (want_file, got_file) = (
        arrow_path(&records, options),
        direct_path(&records, &mut layout),
    );
    // Statistics are per column chunk: the same row groups give the same ones.
    let (want_stats, got_stats) = (chunk_statistics(&want_file), chunk_statistics(&got_file));
    assert_eq!(
        want_stats.len(),
        got_stats.len(),
        "seed {seed}: column chunks"
    );
    for (w, g) in want_stats.iter().zip(&got_stats) {
        assert_eq!(w, g, "seed {seed}: statistics of {}", w.0);
    }
    let read = |f: Bytes| concat(&decode_parquet(f).expect("read back"));
    let (want, got) = (read(want_file), read(got_file));
    assert_eq!(want.schema(), got.schema(), "seed {seed}");
    for (i, (w, g)) in want.columns().iter().zip(got.columns()).enumerate() {
        assert_eq!(
            w,
            g,
            "seed {seed}, column {}",
            file_schema().field(i).name()
        );
    }
}

#[test]
fn direct_files_read_back_like_the_arrow_path() {
    check(1, 3_000, &ParquetOptions::default(), None);
}

#[test]
fn page_cuts_dictionary_fallback_and_row_groups_keep_every_value() {
    let tiny = Limits {
        page_bytes: 300,
        page_rows: 50,
        dict_bytes: 120,
    };
    for seed in 2..6 {
        check(seed, 700, &ParquetOptions::default(), Some(tiny));
    }
    let options = ParquetOptions {
        row_group_rows: 128,
        ..ParquetOptions::default()
    };
    check(9, 1_000, &options, Some(tiny));
    check(10, 1, &options, None);
}

#[test]
fn compressed_text_statistics_and_an_empty_file() {
    let options = ParquetOptions {
        text_statistics: true,
        ..ParquetOptions::default()
    };
    check(11, 500, &options, None);
    let mut layout = Layout::new(options.writer_properties().expect("props")).expect("layout");
    let data = FileEncoder::new(&layout)
        .expect("encoder")
        .finish(&mut layout)
        .expect("empty file");
    let batches = decode_parquet(Bytes::from(data)).expect("read");
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 0);
}
