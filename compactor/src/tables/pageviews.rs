//! `sessions` and `stats` from a unit's pageviews, fed in output order (event time, visitor,
//! event id), which is time order within each visitor — all the sessionizer needs.

use super::{opt_f64, opt_str, sessions_schema, stats_schema, View};
use crate::core::sessions::{session_id, Session, Sessionizer};
use crate::core::stats::{StatsAgg, StatsRows, STRING_DIMS};
use crate::error::CompactError;
use crate::read::Interner;
use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
    TimestampMillisecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::ArrowError;
use std::sync::Arc;

/// What a session remembers besides its times.
struct Extra {
    group: u32,
    landing_path: Option<u32>,
    exit_path: Option<u32>,
    landing_page_view_id: Box<str>,
    referrer: Option<u32>,
}

/// Accumulates sessions and stats.
#[derive(Default)]
pub struct PageviewTables {
    stats: StatsAgg,
    sessions: Sessionizer<u32>,
    extra: Vec<Extra>,
    visitors: Interner,
    strings: Interner,
    rows: u64,
}

impl PageviewTables {
    /// Pageviews seen.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Room for `n` pageviews.
    pub fn reserve(&mut self, n: usize) {
        self.stats.reserve(n);
    }

    /// Adds a batch of pageviews in output order.
    pub fn add(&mut self, batch: &RecordBatch) {
        let v = View::new(batch);
        let ts = v.ts();
        let visitor = v.str("daily_visitor_id");
        let path = v.str("request_path");
        let pvid = v.str("page_view_id");
        let dims: Vec<_> = STRING_DIMS.iter().map(|n| v.str(n)).collect();
        let (lat, lon) = (v.f64("edge_latitude"), v.f64("edge_longitude"));
        for i in 0..batch.num_rows() {
            let t = ts.value(i);
            let strings: [Option<&str>; 13] = std::array::from_fn(|d| opt_str(dims[d], i));
            let hour = shared::time::hour_of_day(t);
            let g = self
                .stats
                .pageview(hour, &strings, opt_f64(lat, i), opt_f64(lon, i));
            let vid = self.visitors.intern(visitor.value(i));
            let (s, new) = self.sessions.push(&vid, t, self.rows);
            let path_id = opt_str(path, i).map(|p| self.strings.intern(p));
            if new {
                let referrer = strings[2].map(|r| self.strings.intern(r));
                self.extra.push(Extra {
                    group: g,
                    landing_path: path_id,
                    exit_path: path_id,
                    landing_page_view_id: pvid.value(i).into(),
                    referrer,
                });
            } else {
                self.extra[s as usize].exit_path = path_id;
            }
            self.rows += 1;
        }
    }

    /// Emits the `sessions` and the `stats` rows, as batches of at most `slice` rows (building
    /// each table whole would hold a second copy of every group at once). The two tables are
    /// built on two threads: this step runs while nothing else does.
    pub fn finish(
        self,
        slice: usize,
        mut sessions_out: impl FnMut(RecordBatch) -> Result<(), CompactError> + Send,
        mut stats_out: impl FnMut(RecordBatch) -> Result<(), CompactError> + Send,
    ) -> Result<(), CompactError> {
        if self.rows == 0 {
            return Ok(());
        }
        let PageviewTables {
            mut stats,
            sessions,
            extra,
            visitors,
            strings,
            ..
        } = self;
        let sessions = sessions.finish();
        for (s, x) in sessions.iter().zip(&extra) {
            stats.add_session(x.group, s.is_bounce(), s.duration_sec());
        }
        let slice = slice.max(1);
        std::thread::scope(|scope| {
            let stats_part = std::thread::Builder::new()
                .name("stats".into())
                .spawn_scoped(scope, move || -> Result<(), CompactError> {
                    let stats = stats.finish();
                    for lo in (0..stats.keys.len()).step_by(slice) {
                        let hi = (lo + slice).min(stats.keys.len());
                        stats_out(stats_batch(&stats, lo..hi)?)?;
                    }
                    Ok(())
                })
                .map_err(|e| CompactError::Internal(format!("stats thread: {e}")))?;
            let sessions_part = emit_sessions(
                &sessions,
                &extra,
                &visitors,
                &strings,
                slice,
                &mut sessions_out,
            );
            let stats_done = stats_part
                .join()
                .map_err(|_| CompactError::Internal("stats thread panicked".into()))?;
            sessions_part.and(stats_done)
        })
    }
}

/// The `sessions` rows, in order of their first pageview, i.e. by (start, visitor).
fn emit_sessions(
    sessions: &[Session<u32>],
    extra: &[Extra],
    visitors: &Interner,
    strings: &Interner,
    slice: usize,
    out: &mut impl FnMut(RecordBatch) -> Result<(), CompactError>,
) -> Result<(), CompactError> {
    let strings = strings.strings();
    let name = |id: Option<u32>| id.map(|i| &*strings[i as usize]);
    for (ss, xs) in sessions.chunks(slice).zip(extra.chunks(slice)) {
        let n = ss.len();
        let mut id = StringBuilder::with_capacity(n, n * 64);
        let mut vis = StringBuilder::with_capacity(n, n * 64);
        let mut start = TimestampMillisecondBuilder::with_capacity(n).with_timezone("UTC");
        let mut end = TimestampMillisecondBuilder::with_capacity(n).with_timezone("UTC");
        let mut dur = Int64Builder::with_capacity(n);
        let mut pvs = Int32Builder::with_capacity(n);
        let mut bounce = BooleanBuilder::with_capacity(n);
        let mut landing = StringBuilder::new();
        let mut exit = StringBuilder::new();
        let mut pvid = StringBuilder::with_capacity(n, n * 64);
        let mut refd = StringBuilder::new();
        for (s, x) in ss.iter().zip(xs) {
            let visitor = &visitors.strings()[s.key as usize];
            id.append_value(session_id(visitor, s.start_ms));
            vis.append_value(visitor);
            start.append_value(s.start_ms);
            end.append_value(s.end_ms);
            dur.append_value(s.duration_sec());
            pvs.append_value(s.hits as i32);
            bounce.append_value(s.is_bounce());
            landing.append_option(name(x.landing_path));
            exit.append_option(name(x.exit_path));
            pvid.append_value(&x.landing_page_view_id);
            refd.append_option(name(x.referrer));
        }
        let cols: Vec<ArrayRef> = vec![
            Arc::new(id.finish()),
            Arc::new(vis.finish()),
            Arc::new(start.finish()),
            Arc::new(end.finish()),
            Arc::new(dur.finish()),
            Arc::new(pvs.finish()),
            Arc::new(bounce.finish()),
            Arc::new(landing.finish()),
            Arc::new(exit.finish()),
            Arc::new(pvid.finish()),
            Arc::new(refd.finish()),
        ];
        out(RecordBatch::try_new(sessions_schema(), cols)?)?;
    }
    Ok(())
}

/// The two tables [`PageviewTables::finish`] emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// `sessions`.
    Sessions,
    /// `stats`.
    Stats,
}

impl Table {
    /// The table's name (first segment of its keys).
    pub fn name(self) -> &'static str {
        match self {
            Table::Sessions => "sessions",
            Table::Stats => "stats",
        }
    }
}

fn stats_batch(
    stats: &StatsRows,
    range: std::ops::Range<usize>,
) -> Result<RecordBatch, ArrowError> {
    let n = range.len();
    let mut hour = Int32Builder::with_capacity(n);
    let mut strs: Vec<StringBuilder> = (0..13).map(|_| StringBuilder::new()).collect();
    let mut lat = Float64Builder::with_capacity(n);
    let mut lon = Float64Builder::with_capacity(n);
    let mut m: Vec<Int32Builder> = (0..3).map(|_| Int32Builder::with_capacity(n)).collect();
    let mut sum = Int64Builder::with_capacity(n);
    let mut avg = Int32Builder::with_capacity(n);
    for ((d, _), x) in stats.keys[range.clone()].iter().zip(&stats.measures[range]) {
        hour.append_value(i32::from(d.hour));
        for (i, b) in strs.iter_mut().enumerate() {
            b.append_option(stats.string(d, i));
        }
        lat.append_option(stats.latitude(d));
        lon.append_option(stats.longitude(d));
        // Counts of one domain-day fit i32 (ownstats' INT32 columns).
        m[0].append_value(x.page_views_cnt as i32);
        m[1].append_value(x.visitor_cnt as i32);
        m[2].append_value(x.bounce_cnt as i32);
        sum.append_value(x.visit_duration_sec_sum);
        avg.append_value(x.visit_duration_sec_avg() as i32);
    }
    let mut s: Vec<ArrayRef> = strs
        .into_iter()
        .map(|mut b| Arc::new(b.finish()) as ArrayRef)
        .collect();
    // Column order: hour, city, country, lat, lon, then the other 11 strings.
    let rest = s.split_off(2);
    let mut cols: Vec<ArrayRef> = vec![Arc::new(hour.finish())];
    cols.extend(s);
    cols.push(Arc::new(lat.finish()));
    cols.push(Arc::new(lon.finish()));
    cols.extend(rest);
    for mut b in m {
        cols.push(Arc::new(b.finish()));
    }
    cols.push(Arc::new(sum.finish()));
    cols.push(Arc::new(avg.finish()));
    RecordBatch::try_new(stats_schema(), cols)
}
