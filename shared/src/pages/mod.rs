//! Direct Parquet encoding of enriched records: the enricher's hot path.
//!
//! [`crate::batch::RecordBatchBuilder`] + `ArrowWriter` copy every value twice before
//! compression: into an Arrow builder, then (after re-hashing it for the dictionary and
//! gathering it again) into a page. Here each record's fields go straight into the data-page
//! buffers of their leaf column ([`leaf::Leaf`]): a dictionary index, or the PLAIN bytes, plus
//! a definition level. Pages are framed by parquet-rs's own page writer and spliced into a
//! `SerializedFileWriter`, so the footer, the schema (and its `ARROW:schema` entry) and the
//! column metadata are parquet-rs's; only the page bodies are written here. The files read
//! back identical to the Arrow path's (`tests.rs` here compares both).
//!
//! Settings per column (dictionary, compression, statistics, DELTA_BINARY_PACKED) come from
//! the same `WriterProperties` as the Arrow path. Not written: page indexes and bloom filters
//! (neither is enabled on the Arrow path's enricher files either, apart from the offset index,
//! which readers treat as optional).

mod chunk;
mod dict;
mod hexzstd;
pub mod leaf;
mod rle;
mod stats;
#[cfg(test)]
mod tests;
mod uuidzstd;

use crate::batch::{opt as text, uuid_words};
use crate::record::{EnrichedRecord, Product};
use crate::schema::file_schema;
use chunk::Zstd;
use leaf::{Leaf, Limits};
use parquet::arrow::{add_encoded_arrow_schema_to_metadata, ArrowSchemaConverter};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::SchemaDescPtr;
use std::sync::Arc;

/// Leaf columns of [`file_schema`], which [`FileEncoder::append`] fills by position (a drift
/// between the two fails `tests.rs`, which compares every column with the Arrow path).
const LEAF_COUNT: usize = 66;
/// The first leaf of `products`.
const PRODUCTS: usize = 58;
/// Leaves that only `/collect` hits fill (`client_id` … `currency`): null together in every
/// pixel and CloudFront row.
const COLLECT: std::ops::Range<usize> = 50..58;
/// The five UTM leaves: null together unless a session came from a campaign.
const UTM: std::ops::Range<usize> = 29..34;
/// `event_name`, `event_data`: null together in every pageview.
const EVENT: std::ops::Range<usize> = 43..45;
/// Null groups: leaves counted while null together, levelled in bulk (see
/// [`FileEncoder::flush_nulls`]), indexed by the `G_*` constants.
const GROUPS: [std::ops::Range<usize>; 4] = {
    let mut g = [0..0, 0..0, 0..0, 0..0];
    g[G_COLLECT] = COLLECT;
    g[G_PRODUCTS] = PRODUCTS..LEAF_COUNT;
    g[G_UTM] = UTM;
    g[G_EVENT] = EVENT;
    g
};
const G_COLLECT: usize = 0;
const G_PRODUCTS: usize = 1;
const G_UTM: usize = 2;
const G_EVENT: usize = 3;
/// `page_view_id`: SHA-256 hex of a hit, distinct in every row (`daily_page_view_id` is not:
/// every hit of one page view on one day shares it, and libzstd's matches find those).
const PAGE_VIEW_ID: usize = 45;
/// `daily_page_view_id`, `daily_visitor_id`: SHA-256 hex too, repeating across rows.
const DAILY_PAGE_VIEW_ID: usize = 46;
const DAILY_VISITOR_ID: usize = 47;
/// `event_id`, a zstd column: its level is the level of all.
const EVENT_ID: usize = 48;
/// Rows between page-size checks (a page may overshoot its limit by that many rows).
const CHECK_EVERY: usize = 64;

/// What every file of one writer shares: schema, settings, limits, the zstd context.
pub struct Layout {
    schema: SchemaDescPtr,
    props: Arc<WriterProperties>,
    limits: Limits,
    row_group_rows: usize,
    zstd: Zstd,
}

impl Layout {
    /// Files of [`file_schema`] with the per-column settings of `props`.
    pub fn new(mut props: WriterProperties) -> Result<Self, ParquetError> {
        let arrow = file_schema();
        let schema = Arc::new(ArrowSchemaConverter::new().convert(&arrow)?);
        let columns = schema.columns();
        if columns.len() != LEAF_COUNT
            || columns[PRODUCTS].path().parts()[0] != "products"
            || columns[PAGE_VIEW_ID].name() != "page_view_id"
            || columns[DAILY_PAGE_VIEW_ID].name() != "daily_page_view_id"
            || columns[DAILY_VISITOR_ID].name() != "daily_visitor_id"
        {
            return Err(ParquetError::General(format!(
                "direct encoder: {} leaves in the schema, the layout has {LEAF_COUNT}",
                columns.len()
            )));
        }
        add_encoded_arrow_schema_to_metadata(&arrow, &mut props);
        let level = match props.compression(schema.column(EVENT_ID).path()) {
            parquet::basic::Compression::ZSTD(l) => l.compression_level(),
            _ => 1,
        };
        Ok(Layout {
            limits: Limits {
                page_bytes: props.data_page_size_limit(),
                page_rows: props.data_page_row_count_limit(),
                dict_bytes: props.dictionary_page_size_limit(),
            },
            row_group_rows: props.max_row_group_row_count().unwrap_or(usize::MAX),
            zstd: Zstd::new(level)?,
            props: Arc::new(props),
            schema,
        })
    }

    /// Overrides the page and dictionary limits (tests use tiny ones to cut many pages).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

/// One Parquet file in progress (one partition, one flush).
pub struct FileEncoder {
    leaves: Vec<Leaf>,
    rows: usize,
    /// Per null group ([`GROUPS`]): trailing rows in which the whole group is null, whose
    /// levels are not written yet.
    nulls: [usize; GROUPS.len()],
    writer: Option<SerializedFileWriter<Vec<u8>>>,
    /// The rows' dates (one partition's rows share theirs).
    dates: crate::time::DateMemo,
}

fn int(v: Option<i32>) -> Option<u64> {
    v.map(|x| u64::from(x as u32))
}

fn float(v: Option<f64>) -> Option<u64> {
    v.map(f64::to_bits)
}

impl FileEncoder {
    /// An empty file.
    pub fn new(layout: &Layout) -> Result<Self, ParquetError> {
        let mut leaves = layout
            .schema
            .columns()
            .iter()
            .map(|c| Leaf::new(c.clone(), &layout.props))
            .collect::<Result<Vec<_>, _>>()?;
        leaves[PAGE_VIEW_ID].hex_digests(true);
        leaves[DAILY_PAGE_VIEW_ID].hex_digests(false);
        leaves[DAILY_VISITOR_ID].hex_digests(false);
        leaves[EVENT_ID].uuid_text();
        Ok(FileEncoder {
            leaves,
            rows: 0,
            nulls: [0; GROUPS.len()],
            writer: None,
            dates: Default::default(),
        })
    }

    /// Appends one record (its partition columns are the path, not stored).
    pub fn append(
        &mut self,
        r: &EnrichedRecord<'_>,
        layout: &mut Layout,
    ) -> Result<(), ParquetError> {
        let date = self.dates.date(r.event_ms);
        let l = &mut self.leaves;
        l[0].fixed(int(Some(date.year)));
        l[1].fixed(int(Some(i32::from(date.month))));
        l[2].fixed(int(Some(i32::from(date.day))));
        l[3].fixed(Some(r.event_ms as u64));
        l[4].fixed(Some(r.arrival_ms as u64));
        l[5].fixed(Some((r.arrival_ms - r.event_ms) as u64));
        l[6].text(r.geo.city);
        l[7].text(r.geo.state);
        l[8].text(r.geo.country);
        l[9].text(r.geo.country_code);
        l[10].fixed(float(r.geo.latitude));
        l[11].fixed(float(r.geo.longitude));
        l[12].text(text(&r.edge_id));
        l[13].text(text(&r.referrer));
        l[14].text(Some(&r.referrer_domain_name));
        l[15].text(r.ua.browser_name.as_deref());
        l[16].text(r.ua.browser_version.as_deref());
        l[17].text(r.ua.os_name.as_deref());
        l[18].text(r.ua.os_version.as_deref());
        l[19].text(text(&r.client.timezone));
        l[20].text(text(&r.client.language));
        l[21].text(Some(r.ua.device_type));
        l[22].text(r.ua.device_vendor.as_deref());
        l[23].text(text(&r.client.outer_resolution));
        l[24].text(text(&r.client.inner_resolution));
        l[25].fixed(int(r.client.color_depth));
        l[26].text(text(&r.client.platform));
        l[27].fixed(float(r.client.memory));
        l[28].fixed(int(r.client.cores));
        let u = &r.utm;
        if u.source.is_none()
            && u.campaign.is_none()
            && u.medium.is_none()
            && u.content.is_none()
            && u.term.is_none()
        {
            self.nulls[G_UTM] += 1;
        } else {
            self.flush_group(G_UTM);
            let l = &mut self.leaves;
            l[29].text(text(&u.source));
            l[30].text(text(&u.campaign));
            l[31].text(text(&u.medium));
            l[32].text(text(&u.content));
            l[33].text(text(&u.term));
        }
        let l = &mut self.leaves;
        l[34].text(text(&r.request.url));
        l[35].text(text(&r.request.path));
        l[36].text(text(&r.request.query_string));
        l[37].fixed(int(r.request.bytes));
        l[38].fixed(int(r.request.status_code));
        l[39].text(text(&r.request.cache_status));
        l[40].fixed(int(r.request.delivery_time_ms));
        l[41].fixed(r.request.asn.map(|v| v as u64));
        l[42].fixed(int(Some(i32::from(r.ua.is_bot))));
        if r.event_name.is_none() && r.event_data.is_none() {
            self.nulls[G_EVENT] += 1;
        } else {
            self.flush_group(G_EVENT);
            self.leaves[43].text(text(&r.event_name));
            self.leaves[44].text(text(&r.event_data));
        }
        let l = &mut self.leaves;
        l[PAGE_VIEW_ID].digest(&r.page_view_id);
        l[DAILY_PAGE_VIEW_ID].digest(&r.daily_page_view_id);
        l[DAILY_VISITOR_ID].digest(&r.daily_visitor_id);
        l[48].text_words(&uuid_words(&r.event_id), 36);
        l[49].text(Some(r.source.as_str()));
        let c = &r.commerce;
        if r.client_id.is_none()
            && r.user_id.is_none()
            && c.product_action.is_none()
            && c.transaction_id.is_none()
            && c.revenue.is_none()
            && c.tax.is_none()
            && c.shipping.is_none()
            && c.currency.is_none()
        {
            self.nulls[G_COLLECT] += 1;
        } else {
            self.flush_group(G_COLLECT);
            let l = &mut self.leaves;
            l[50].text(text(&r.client_id));
            l[51].text(text(&r.user_id));
            l[52].text(text(&c.product_action));
            l[53].text(text(&c.transaction_id));
            l[54].fixed(float(c.revenue));
            l[55].fixed(float(c.tax));
            l[56].fixed(float(c.shipping));
            l[57].text(text(&c.currency));
        }
        if c.products.is_empty() {
            self.nulls[G_PRODUCTS] += 1;
        } else {
            self.flush_group(G_PRODUCTS);
            append_products(&mut self.leaves[PRODUCTS..], &c.products);
        }
        self.rows += 1;
        if self.rows.is_multiple_of(CHECK_EVERY) {
            self.flush_nulls();
            for leaf in &mut self.leaves {
                leaf.maybe_close_page(&layout.limits, self.rows, &mut layout.zstd)?;
            }
        }
        if self.rows >= layout.row_group_rows {
            self.close_row_group(layout)?;
        }
        Ok(())
    }

    /// Rows appended and not yet in a finished file.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Estimated size of the file so far.
    pub fn encoded_bytes(&self) -> usize {
        let done = self.writer.as_ref().map_or(0, |w| w.bytes_written());
        done + self
            .leaves
            .iter()
            .map(Leaf::encoded_estimate)
            .sum::<usize>()
    }

    /// Rows in which a whole null group is null are counted, not levelled one leaf at a time
    /// (`products`: 8 leaves × 2 levels per row, null in nearly every row; the `/collect`
    /// fields: 8 leaves, null in every pixel row): their levels are added in bulk.
    fn flush_nulls(&mut self) {
        for g in 0..GROUPS.len() {
            self.flush_group(g);
        }
    }

    fn flush_group(&mut self, g: usize) {
        let n = std::mem::take(&mut self.nulls[g]);
        if n > 0 {
            for leaf in &mut self.leaves[GROUPS[g].clone()] {
                leaf.top_nulls(n);
            }
        }
    }

    fn close_row_group(&mut self, layout: &mut Layout) -> Result<(), ParquetError> {
        self.flush_nulls();
        let chunks = self
            .leaves
            .iter_mut()
            .map(|leaf| leaf.close(&layout.limits, self.rows, &mut layout.zstd))
            .collect::<Result<Vec<_>, _>>()?;
        let writer = match &mut self.writer {
            Some(w) => w,
            None => {
                let size: usize = chunks.iter().map(|c| c.0.bytes()).sum();
                self.writer.insert(SerializedFileWriter::new(
                    Vec::with_capacity(size + (1 << 16)),
                    layout.schema.root_schema_ptr(),
                    layout.props.clone(),
                )?)
            }
        };
        let mut group = writer.next_row_group()?;
        for (pages, mut close) in chunks {
            close.rows_written = self.rows as u64;
            group.append_column(&pages, close)?;
        }
        group.close()?;
        self.rows = 0;
        Ok(())
    }

    /// The finished file (the encoder is left empty, ready for the next flush).
    pub fn finish(&mut self, layout: &mut Layout) -> Result<Vec<u8>, ParquetError> {
        if self.rows > 0 || self.writer.is_none() {
            self.close_row_group(layout)?;
        }
        match self.writer.take() {
            Some(w) => w.into_inner(),
            None => Err(ParquetError::General("no row group written".into())),
        }
    }
}

/// The eight leaves of `products` (list of struct) for a row with products: one entry per
/// product, repetition level 1 after the first. (Rows without: [`Leaf::top_nulls`].)
fn append_products(leaves: &mut [Leaf], products: &[Product<'_>]) {
    for (k, leaf) in leaves.iter_mut().enumerate() {
        let max = leaf.max_def() as u8;
        for (i, p) in products.iter().enumerate() {
            let rep = u8::from(i > 0);
            let text = match k {
                0 => Some(&p.id),
                1 => Some(&p.name),
                2 => Some(&p.brand),
                3 => Some(&p.category),
                4 => Some(&p.variant),
                _ => None,
            };
            let bits = match k {
                5 => float(p.price),
                6 => int(p.quantity),
                7 => int(p.position),
                _ => None,
            };
            match (text.and_then(|t| t.as_deref()), bits) {
                (Some(s), _) => {
                    leaf.level(max, rep);
                    leaf.text_value(s.as_bytes());
                }
                (None, Some(b)) => {
                    leaf.level(max, rep);
                    leaf.fixed_value(b);
                }
                (None, None) => leaf.level(max - 1, rep),
            }
        }
    }
}
