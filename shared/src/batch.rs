//! Appending enriched records to Arrow column builders.
//!
//! The builder's column order mirrors [`crate::schema::file_schema`]; `finish` checks it through
//! `RecordBatch::try_new`, and a unit test appends a full record, so a drift between the two is
//! caught at test time rather than in production.

use crate::record::{EnrichedRecord, Product};
use crate::schema::{file_schema, product_fields, product_item_field};
use arrow_array::builder::{
    Float64Builder, Int32Builder, Int64Builder, ListBuilder, StringBuilder, StructBuilder,
    TimestampMillisecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::ArrowError;
use std::borrow::Cow;
use std::sync::Arc;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The two hex digits of every byte value: one table load per byte instead of two shifts,
/// masks and loads (three hashes and a UUID per row).
const HEX_PAIRS: [[u8; 2]; 256] = {
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [HEX[i >> 4], HEX[i & 0x0f]];
        i += 1;
    }
    t
};

/// Scratch space for id text, 8-byte aligned and written in whole 8-byte words. The text is
/// read back right away (UTF-8 check in aligned words, then a vector copy into the builder);
/// loads that span several stores still in flight cannot be forwarded and stall until they
/// land in the cache. Written as 2-byte pairs, that stall was ~4 % of enrich + encode (perf,
/// 2026-11-24), so [`RecordBatchBuilder::append`] also writes the ids first and reads them
/// last, after the other columns.
#[repr(C, align(8))]
pub struct TextBuf<const N: usize>(pub [u8; N]);

impl<const N: usize> Default for TextBuf<N> {
    fn default() -> Self {
        TextBuf([0; N])
    }
}

/// The 8 hex digits of 4 bytes as one little-endian word (first digit in the lowest byte).
#[inline]
fn hex_word(b: &[u8]) -> u64 {
    b.iter().enumerate().fold(0u64, |w, (k, byte)| {
        w | u64::from(u16::from_le_bytes(HEX_PAIRS[usize::from(*byte)])) << (16 * k)
    })
}

impl<const N: usize> TextBuf<N> {
    fn put_words(&mut self, words: impl IntoIterator<Item = u64>) {
        for (chunk, word) in self.0.chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&word.to_le_bytes());
        }
    }

    /// The first `len` bytes as text (empty if they are not UTF-8, which the writers here
    /// never produce: they write ASCII only).
    pub fn text(&self, len: usize) -> &str {
        std::str::from_utf8(self.0.get(..len).unwrap_or_default()).unwrap_or_default()
    }
}

/// Digit values of hex characters (lower case; upper case too when `upper`); 0xFF for
/// anything else.
pub const fn hex_digit_values(upper: bool) -> [u8; 256] {
    let mut t = [0xFFu8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        if upper {
            t[b'A' as usize + i] = 10 + i as u8;
        }
        i += 1;
    }
    t
}

/// The 64 lower-case hex digits of a 32-byte hash as 8 little-endian words.
pub fn hex32_words(bytes: &[u8; 32]) -> [u64; 8] {
    std::array::from_fn(|i| hex_word(&bytes[4 * i..4 * i + 4]))
}

/// The 36 bytes of a UUID's canonical hyphenated text as 5 little-endian words (the last 4
/// bytes are padding).
pub fn uuid_words(bytes: &[u8; 16]) -> [u64; 5] {
    const DASH: u64 = b'-' as u64;
    let w: [u64; 4] = std::array::from_fn(|i| hex_word(&bytes[4 * i..4 * i + 4]));
    // 8-4-4-4-12 digits: text bytes 0..8 are w0; 8 '-', 9..13 w1 digits 0-3, 13 '-',
    // 14..16 w1 digits 4-5; 16..18 w1 digits 6-7, 18 '-', 19..23 w2 digits 0-3, 23 '-';
    // 24..28 w2 digits 4-7, 28..32 w3 digits 0-3; 32..36 w3 digits 4-7.
    [
        w[0],
        DASH | (w[1] & 0xffff_ffff) << 8 | DASH << 40 | (w[1] >> 32 & 0xffff) << 48,
        w[1] >> 48 | DASH << 16 | (w[2] & 0xffff_ffff) << 24 | DASH << 56,
        w[2] >> 32 | (w[3] & 0xffff_ffff) << 32,
        w[3] >> 32,
    ]
}

impl TextBuf<64> {
    /// Writes the lower-case hex of a 32-byte hash ([`TextBuf::text`]`(64)` reads it).
    pub fn put_hex32(&mut self, bytes: &[u8; 32]) {
        self.put_words(hex32_words(bytes));
    }
}

impl TextBuf<40> {
    /// Writes the canonical hyphenated text of a UUID ([`TextBuf::text`]`(36)` reads it).
    pub fn put_uuid(&mut self, bytes: &[u8; 16]) {
        self.put_words(uuid_words(bytes));
    }
}

/// Lower-case hex of a 32-byte hash, without allocating.
pub fn hex32<'o>(bytes: &[u8; 32], out: &'o mut TextBuf<64>) -> &'o str {
    out.put_hex32(bytes);
    out.text(64)
}

/// Canonical hyphenated UUID text of 16 bytes, without allocating.
pub fn uuid_text<'o>(bytes: &[u8; 16], out: &'o mut TextBuf<40>) -> &'o str {
    out.put_uuid(bytes);
    out.text(36)
}

/// The text of an optional borrowed-or-owned value (also the direct encoder's accessor).
pub(crate) fn opt<'x>(v: &'x Option<Cow<'_, str>>) -> Option<&'x str> {
    v.as_deref()
}

fn arc(v: &Option<Arc<str>>) -> Option<&str> {
    v.as_deref()
}

/// Column builders for one output batch (one partition, one flush).
pub struct RecordBatchBuilder {
    ints: [Int32Builder; 3],
    event_ts: TimestampMillisecondBuilder,
    arrival_ts: TimestampMillisecondBuilder,
    delay: Int64Builder,
    /// All string columns, in schema order (see `append`).
    strings: [StringBuilder; N_STRINGS],
    floats: [Float64Builder; 6],
    int32s: [Int32Builder; 6],
    asn: Int64Builder,
    products: ListBuilder<StructBuilder>,
    rows: usize,
    /// Rows and string bytes per column of the last finished batch.
    last_rows: usize,
    last_bytes: [usize; N_STRINGS],
}

// Indexes into the grouped builders, in schema order within each group.
const S_EDGE: usize = 0; // city, state, country, country_code
const S_EDGE_ID: usize = 4;
const S_REFERRER: usize = 5; // referrer, referrer_domain_name
const S_UA: usize = 7; // browser_name, browser_version, os_name, os_version
const S_CLIENT: usize = 11; // timezone, language, device_type, device_vendor, outer, inner
const S_PLATFORM: usize = 17;
const S_UTM: usize = 18; // 5
const S_REQUEST: usize = 23; // url, path, query_string
const S_CACHE: usize = 26;
const S_EVENT: usize = 27; // event_name, event_data
const S_IDS: usize = 29; // page_view_id, daily_page_view_id, daily_visitor_id
const S_ADD: usize = 32; // event_id, source, client_id, user_id, product_action, transaction_id
const S_CURRENCY: usize = 38;
const N_STRINGS: usize = 39;

impl Default for RecordBatchBuilder {
    fn default() -> Self {
        Self::with_capacity(1024)
    }
}

impl RecordBatchBuilder {
    /// Builders sized for about `rows` rows.
    pub fn with_capacity(rows: usize) -> Self {
        let product = StructBuilder::from_fields(product_fields(), 0);
        RecordBatchBuilder {
            ints: std::array::from_fn(|_| Int32Builder::with_capacity(rows)),
            event_ts: TimestampMillisecondBuilder::with_capacity(rows).with_timezone("UTC"),
            arrival_ts: TimestampMillisecondBuilder::with_capacity(rows).with_timezone("UTC"),
            delay: Int64Builder::with_capacity(rows),
            strings: std::array::from_fn(|_| StringBuilder::with_capacity(rows, rows * 16)),
            floats: std::array::from_fn(|_| Float64Builder::with_capacity(rows)),
            int32s: std::array::from_fn(|_| Int32Builder::with_capacity(rows)),
            asn: Int64Builder::with_capacity(rows),
            products: ListBuilder::new(product).with_field(product_item_field()),
            rows: 0,
            last_rows: 0,
            last_bytes: [0; N_STRINGS],
        }
    }

    /// Rows appended since the last [`RecordBatchBuilder::finish`].
    pub fn len(&self) -> usize {
        self.rows
    }

    /// True when no row is buffered.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Appends one record. The partition columns are not stored (they are the path).
    pub fn append(&mut self, r: &EnrichedRecord<'_>) {
        // Id text is written here and read ~40 columns later (see [`TextBuf`]).
        let mut ids: [TextBuf<64>; 3] = Default::default();
        for (buf, hash) in
            ids.iter_mut()
                .zip([&r.page_view_id, &r.daily_page_view_id, &r.daily_visitor_id])
        {
            buf.put_hex32(hash);
        }
        let mut uuid = TextBuf::<40>::default();
        uuid.put_uuid(&r.event_id);

        let date = crate::time::Date::from_epoch_ms(r.event_ms);
        self.ints[0].append_value(date.year);
        self.ints[1].append_value(i32::from(date.month));
        self.ints[2].append_value(i32::from(date.day));
        self.event_ts.append_value(r.event_ms);
        self.arrival_ts.append_value(r.arrival_ms);
        self.delay.append_value(r.arrival_ms - r.event_ms);

        let s = &mut self.strings;
        s[S_EDGE].append_option(r.geo.city);
        s[S_EDGE + 1].append_option(r.geo.state);
        s[S_EDGE + 2].append_option(r.geo.country);
        s[S_EDGE + 3].append_option(r.geo.country_code);
        s[S_EDGE_ID].append_option(opt(&r.edge_id));
        s[S_REFERRER].append_option(opt(&r.referrer));
        s[S_REFERRER + 1].append_value(&r.referrer_domain_name);
        s[S_UA].append_option(arc(&r.ua.browser_name));
        s[S_UA + 1].append_option(arc(&r.ua.browser_version));
        s[S_UA + 2].append_option(arc(&r.ua.os_name));
        s[S_UA + 3].append_option(arc(&r.ua.os_version));
        s[S_CLIENT].append_option(opt(&r.client.timezone));
        s[S_CLIENT + 1].append_option(opt(&r.client.language));
        s[S_CLIENT + 2].append_value(r.ua.device_type);
        s[S_CLIENT + 3].append_option(arc(&r.ua.device_vendor));
        s[S_CLIENT + 4].append_option(opt(&r.client.outer_resolution));
        s[S_CLIENT + 5].append_option(opt(&r.client.inner_resolution));
        s[S_PLATFORM].append_option(opt(&r.client.platform));
        s[S_UTM].append_option(opt(&r.utm.source));
        s[S_UTM + 1].append_option(opt(&r.utm.campaign));
        s[S_UTM + 2].append_option(opt(&r.utm.medium));
        s[S_UTM + 3].append_option(opt(&r.utm.content));
        s[S_UTM + 4].append_option(opt(&r.utm.term));
        s[S_REQUEST].append_option(opt(&r.request.url));
        s[S_REQUEST + 1].append_option(opt(&r.request.path));
        s[S_REQUEST + 2].append_option(opt(&r.request.query_string));
        s[S_CACHE].append_option(opt(&r.request.cache_status));
        s[S_EVENT].append_option(opt(&r.event_name));
        s[S_EVENT + 1].append_option(opt(&r.event_data));
        s[S_IDS].append_value(ids[0].text(64));
        s[S_IDS + 1].append_value(ids[1].text(64));
        s[S_IDS + 2].append_value(ids[2].text(64));
        s[S_ADD].append_value(uuid.text(36));
        s[S_ADD + 1].append_value(r.source.as_str());
        s[S_ADD + 2].append_option(opt(&r.client_id));
        s[S_ADD + 3].append_option(opt(&r.user_id));
        s[S_ADD + 4].append_option(opt(&r.commerce.product_action));
        s[S_ADD + 5].append_option(opt(&r.commerce.transaction_id));
        s[S_CURRENCY].append_option(opt(&r.commerce.currency));

        // floats: edge lat, edge lon, memory, revenue, tax, shipping
        self.floats[0].append_option(r.geo.latitude);
        self.floats[1].append_option(r.geo.longitude);
        self.floats[2].append_option(r.client.memory);
        self.floats[3].append_option(r.commerce.revenue);
        self.floats[4].append_option(r.commerce.tax);
        self.floats[5].append_option(r.commerce.shipping);
        // int32s: color_depth, cores, bytes, status, delivery_ms, is_bot (6 used)
        self.int32s[0].append_option(r.client.color_depth);
        self.int32s[1].append_option(r.client.cores);
        self.int32s[2].append_option(r.request.bytes);
        self.int32s[3].append_option(r.request.status_code);
        self.int32s[4].append_option(r.request.delivery_time_ms);
        self.int32s[5].append_value(i32::from(r.ua.is_bot));
        self.asn.append_option(r.request.asn);

        if r.commerce.products.is_empty() {
            self.products.append_null();
        } else {
            for p in &r.commerce.products {
                append_product(self.products.values(), p);
            }
            self.products.append(true);
        }
        self.rows += 1;
    }

    /// Takes the buffered rows as a batch of [`file_schema`] and resets the builders (to no
    /// capacity; see [`RecordBatchBuilder::reserve_like_last`]).
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        self.last_rows = self.rows;
        self.last_bytes = std::array::from_fn(|i| self.strings[i].values_slice().len());
        let s: Vec<ArrayRef> = self
            .strings
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        let f: Vec<ArrayRef> = self
            .floats
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        let i: Vec<ArrayRef> = self
            .int32s
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        // Arc clones: cheap, and the grouped vectors are dropped right after.
        let take = |v: &[ArrayRef], idx: usize| v[idx].clone();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.ints[0].finish()),
            Arc::new(self.ints[1].finish()),
            Arc::new(self.ints[2].finish()),
            Arc::new(self.event_ts.finish()),
            Arc::new(self.arrival_ts.finish()),
            Arc::new(self.delay.finish()),
            take(&s, S_EDGE),
            take(&s, S_EDGE + 1),
            take(&s, S_EDGE + 2),
            take(&s, S_EDGE + 3),
            take(&f, 0),
            take(&f, 1),
            take(&s, S_EDGE_ID),
            take(&s, S_REFERRER),
            take(&s, S_REFERRER + 1),
            take(&s, S_UA),
            take(&s, S_UA + 1),
            take(&s, S_UA + 2),
            take(&s, S_UA + 3),
            take(&s, S_CLIENT),
            take(&s, S_CLIENT + 1),
            take(&s, S_CLIENT + 2),
            take(&s, S_CLIENT + 3),
            take(&s, S_CLIENT + 4),
            take(&s, S_CLIENT + 5),
            take(&i, 0),
            take(&s, S_PLATFORM),
            take(&f, 2),
            take(&i, 1),
            take(&s, S_UTM),
            take(&s, S_UTM + 1),
            take(&s, S_UTM + 2),
            take(&s, S_UTM + 3),
            take(&s, S_UTM + 4),
            take(&s, S_REQUEST),
            take(&s, S_REQUEST + 1),
            take(&s, S_REQUEST + 2),
            take(&i, 2),
            take(&i, 3),
            take(&s, S_CACHE),
            take(&i, 4),
            Arc::new(self.asn.finish()),
            take(&i, 5),
            take(&s, S_EVENT),
            take(&s, S_EVENT + 1),
            take(&s, S_IDS),
            take(&s, S_IDS + 1),
            take(&s, S_IDS + 2),
            take(&s, S_ADD),
            take(&s, S_ADD + 1),
            take(&s, S_ADD + 2),
            take(&s, S_ADD + 3),
            take(&s, S_ADD + 4),
            take(&s, S_ADD + 5),
            take(&f, 3),
            take(&f, 4),
            take(&f, 5),
            take(&s, S_CURRENCY),
            Arc::new(self.products.finish()),
        ];
        self.rows = 0;
        RecordBatch::try_new(file_schema(), columns)
    }

    /// Sizes the (empty) builders for another chunk like the last finished one: its rows, and
    /// its bytes per string column. Arrow's `finish` leaves each builder without capacity, so
    /// a builder filled chunk after chunk would otherwise regrow all 59 columns by doubling,
    /// copying at each step. Call it after the finished batch has been dropped, so the
    /// allocator can hand back the same memory instead of fresh pages.
    pub fn reserve_like_last(&mut self) {
        if self.rows != 0 {
            return; // Rows are buffered: replacing the builders would lose them.
        }
        let (rows, bytes) = (self.last_rows, self.last_bytes);
        self.ints = std::array::from_fn(|_| Int32Builder::with_capacity(rows));
        self.event_ts = TimestampMillisecondBuilder::with_capacity(rows).with_timezone("UTC");
        self.arrival_ts = TimestampMillisecondBuilder::with_capacity(rows).with_timezone("UTC");
        self.delay = Int64Builder::with_capacity(rows);
        self.strings = std::array::from_fn(|i| StringBuilder::with_capacity(rows, bytes[i]));
        self.floats = std::array::from_fn(|_| Float64Builder::with_capacity(rows));
        self.int32s = std::array::from_fn(|_| Int32Builder::with_capacity(rows));
        self.asn = Int64Builder::with_capacity(rows);
    }
}

fn append_product(b: &mut StructBuilder, p: &Product<'_>) {
    for (idx, v) in [&p.id, &p.name, &p.brand, &p.category, &p.variant]
        .into_iter()
        .enumerate()
    {
        if let Some(sb) = b.field_builder::<StringBuilder>(idx) {
            sb.append_option(opt(v));
        }
    }
    if let Some(fb) = b.field_builder::<Float64Builder>(5) {
        fb.append_option(p.price);
    }
    if let Some(ib) = b.field_builder::<Int32Builder>(6) {
        ib.append_option(p.quantity);
    }
    if let Some(ib) = b.field_builder::<Int32Builder>(7) {
        ib.append_option(p.position);
    }
    b.append(true);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_uuid_text_match_std_formatting() {
        for seed in 0..=255u8 {
            let h: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(37) ^ seed);
            let want: String = h.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex32(&h, &mut TextBuf::default()), want);
            let id: [u8; 16] = std::array::from_fn(|i| h[i]);
            let want = uuid::Uuid::from_bytes(id).hyphenated().to_string();
            assert_eq!(uuid_text(&id, &mut TextBuf::default()), want);
        }
    }
}
