//! Counters for the one-line summary printed after a run.

use super::cloudfront::LineKind;
use super::hit::{Hit, HitBody, ProductAction};
use std::fmt;

/// A growable bit set over dense ids.
#[derive(Debug, Default)]
struct BitSet {
    words: Vec<u64>,
    count: u64,
}

impl BitSet {
    fn insert(&mut self, id: u32) {
        let (w, b) = (id as usize / 64, id % 64);
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        if self.words[w] & (1 << b) == 0 {
            self.words[w] |= 1 << b;
            self.count += 1;
        }
    }
}

/// What a run wrote.
#[derive(Debug, Default)]
pub struct Stats {
    /// Records written (lines or envelopes).
    pub records: u64,
    /// Tracker pageviews (valid lines only for CloudFront).
    pub pageviews: u64,
    /// Tracker events (`t=tr`).
    pub events: u64,
    /// `/collect` pageviews.
    pub collect_pageviews: u64,
    /// `/collect` e-commerce events (purchases included).
    pub collect_events: u64,
    /// Purchases, duplicates included.
    pub purchases: u64,
    /// Second sends of double-fired purchases.
    pub duplicate_purchases: u64,
    /// Second pageviews of pushState + hashchange pairs.
    pub double_fired_pageviews: u64,
    /// CDN script requests.
    pub nonpixel: u64,
    /// Deliberately broken lines.
    pub broken: u64,
    /// Visits generated.
    pub sessions: u64,
    /// Visits with a pause of more than 30 minutes.
    pub split_sessions: u64,
    /// Bytes written, framing included.
    pub bytes: u64,
    /// Arrival time of the first record.
    pub first_arrival_ms: Option<i64>,
    /// Arrival time of the last record.
    pub last_arrival_ms: i64,
    uas: BitSet,
    visitors: BitSet,
}

impl Stats {
    /// Counts one written record.
    pub fn record(&mut self, hit: &Hit, kind: LineKind) {
        self.records += 1;
        self.first_arrival_ms.get_or_insert(hit.arrival_ms);
        self.last_arrival_ms = hit.arrival_ms;
        let v = &hit.session.visitor;
        self.uas.insert(v.ua.id);
        self.visitors.insert(v.id);
        match kind {
            LineKind::Broken => self.broken += 1,
            LineKind::NonPixel => self.nonpixel += 1,
            LineKind::Pixel => match &hit.body {
                HitBody::Pageview { double_fired } => {
                    self.pageviews += 1;
                    self.double_fired_pageviews += u64::from(*double_fired);
                }
                HitBody::Track { .. } => self.events += 1,
                HitBody::Asset(_) => self.nonpixel += 1,
                HitBody::CollectPageview => self.collect_pageviews += 1,
                HitBody::Ecommerce(e) => {
                    self.collect_events += 1;
                    if e.action == ProductAction::Purchase {
                        self.purchases += 1;
                        self.duplicate_purchases += u64::from(e.duplicate);
                    }
                }
            },
        }
    }

    /// Distinct user agents among the written records.
    pub fn distinct_user_agents(&self) -> u64 {
        self.uas.count
    }

    /// Distinct visitors among the written records.
    pub fn distinct_visitors(&self) -> u64 {
        self.visitors.count
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} records: {} pageviews ({} double-fired), {} events, {} collect pageviews, {} collect events ({} purchases, {} duplicates), {} non-pixel, {} broken | {} sessions ({} paused >30 min) | {} distinct user agents | {} distinct visitors | {} bytes",
            self.records,
            self.pageviews,
            self.double_fired_pageviews,
            self.events,
            self.collect_pageviews,
            self.collect_events,
            self.purchases,
            self.duplicate_purchases,
            self.nonpixel,
            self.broken,
            self.sessions,
            self.split_sessions,
            self.distinct_user_agents(),
            self.distinct_visitors(),
            self.bytes,
        )?;
        if let Some(first) = self.first_arrival_ms {
            write!(
                f,
                " | arrivals {} .. {}",
                shared::time::iso8601_ms(first),
                shared::time::iso8601_ms(self.last_arrival_ms)
            )?;
        }
        Ok(())
    }
}
