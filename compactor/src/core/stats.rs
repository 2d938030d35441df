//! ownstats' daily stats (seeds-spec A.10.2) with the REC fixes: one row per (hour, 15
//! dimensions); a session counts once, in the group of its landing pageview (no
//! `page_view_id` join that can match twice); `visit_duration_sec_sum` is stored so that an
//! average over any roll-up is `Σ sum / Σ visitor_cnt`.

use super::intern::Interner;
use rustc_hash::FxHashMap;
use std::cmp::Ordering;

/// Names of the 13 string dimensions, in output column order around the coordinates:
/// `edge_city, edge_country, [edge_latitude, edge_longitude], referrer_domain_name, …`.
pub const STRING_DIMS: [&str; 13] = [
    "edge_city",
    "edge_country",
    "referrer_domain_name",
    "browser_name",
    "browser_os_name",
    "device_type",
    "device_vendor",
    "utm_source",
    "utm_campaign",
    "utm_medium",
    "utm_content",
    "utm_term",
    "request_path",
];

/// The dimensions of one stats row, with strings as interned ids (0 = null, else id + 1) so
/// that a group costs ~80 bytes however long its values are: a busy site has about one group
/// per pageview (the 15 dimensions are nearly unique together).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GroupKey {
    /// UTC hour of the event, 0–23.
    pub hour: u8,
    /// Bit 0: latitude present, bit 1: longitude present.
    present: u8,
    strings: [u32; 13],
    latitude: u64,
    longitude: u64,
}

/// The measures of one stats row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Measures {
    /// Pageviews in the group.
    pub page_views_cnt: i64,
    /// Sessions whose landing pageview is in the group.
    pub visitor_cnt: i64,
    /// Of those, bounces.
    pub bounce_cnt: i64,
    /// Σ whole-second durations of those sessions.
    pub visit_duration_sec_sum: i64,
}

impl Measures {
    /// round(sum / visitors), half away from zero as SQL's `round`; 0 without visitors.
    pub fn visit_duration_sec_avg(&self) -> i64 {
        if self.visitor_cnt == 0 {
            0
        } else {
            (2 * self.visit_duration_sec_sum + self.visitor_cnt) / (2 * self.visitor_cnt)
        }
    }
}

/// Groups pageviews by their dimensions.
#[derive(Debug, Default)]
pub struct StatsAgg {
    index: FxHashMap<GroupKey, u32>,
    measures: Vec<Measures>,
    dict: [Interner; 13],
}

impl StatsAgg {
    /// The group of a pageview (created on first sight).
    pub fn group(
        &mut self,
        hour: u8,
        strings: &[Option<&str>; 13],
        latitude: Option<f64>,
        longitude: Option<f64>,
    ) -> u32 {
        let mut ids = [0u32; 13];
        for ((id, s), dict) in ids.iter_mut().zip(strings).zip(&mut self.dict) {
            if let Some(s) = s {
                *id = dict.intern(s) + 1;
            }
        }
        let key = GroupKey {
            hour,
            present: u8::from(latitude.is_some()) | (u8::from(longitude.is_some()) << 1),
            strings: ids,
            latitude: latitude.map_or(0, f64::to_bits),
            longitude: longitude.map_or(0, f64::to_bits),
        };
        let next = self.measures.len() as u32;
        let g = *self.index.entry(key).or_insert(next);
        if g == next {
            self.measures.push(Measures::default());
        }
        g
    }

    /// Counts a pageview in group `g`.
    pub fn add_pageview(&mut self, g: u32) {
        self.measures[g as usize].page_views_cnt += 1;
    }

    /// Counts a session landing in group `g`.
    pub fn add_session(&mut self, g: u32, bounce: bool, duration_sec: i64) {
        let m = &mut self.measures[g as usize];
        m.visitor_cnt += 1;
        m.bounce_cnt += i64::from(bounce);
        m.visit_duration_sec_sum += duration_sec;
    }

    /// The rows, ordered by hour, then the dimensions in column order (nulls first).
    pub fn finish(self) -> StatsRows {
        // The map holds each key once; no separate key list is kept while aggregating.
        let measures = self.measures;
        let mut rows: Vec<_> = self
            .index
            .into_iter()
            .map(|(k, g)| (k, measures[g as usize]))
            .collect();
        drop(measures);
        let rows_ref = StatsRows {
            rows: Vec::new(),
            dict: self.dict,
        };
        rows.sort_by(|a, b| rows_ref.cmp(&a.0, &b.0));
        StatsRows { rows, ..rows_ref }
    }
}

/// Finished stats rows and the dictionary their keys refer to.
#[derive(Debug)]
pub struct StatsRows {
    /// Rows in output order.
    pub rows: Vec<(GroupKey, Measures)>,
    dict: [Interner; 13],
}

impl StatsRows {
    /// String dimension `d` (index into [`STRING_DIMS`]) of a key.
    pub fn string(&self, key: &GroupKey, d: usize) -> Option<&str> {
        match key.strings[d] {
            0 => None,
            id => Some(self.dict[d].get(id - 1)),
        }
    }

    /// edge_latitude of a key.
    pub fn latitude(&self, key: &GroupKey) -> Option<f64> {
        (key.present & 1 != 0).then(|| f64::from_bits(key.latitude))
    }

    /// edge_longitude of a key.
    pub fn longitude(&self, key: &GroupKey) -> Option<f64> {
        (key.present & 2 != 0).then(|| f64::from_bits(key.longitude))
    }

    fn cmp(&self, a: &GroupKey, b: &GroupKey) -> Ordering {
        let s = |k: &GroupKey, r: std::ops::Range<usize>| -> Vec<Option<&str>> {
            r.map(|d| self.string(k, d)).collect()
        };
        a.hour
            .cmp(&b.hour)
            .then_with(|| s(a, 0..2).cmp(&s(b, 0..2)))
            .then_with(|| cmp_f(self.latitude(a), self.latitude(b)))
            .then_with(|| cmp_f(self.longitude(a), self.longitude(b)))
            .then_with(|| s(a, 2..13).cmp(&s(b, 2..13)))
    }
}

fn cmp_f(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.total_cmp(&b),
        (a, b) => a.is_some().cmp(&b.is_some()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims(path: &str) -> [Option<&str>; 13] {
        let mut d = [None; 13];
        d[12] = Some(path);
        d
    }

    #[test]
    fn groups_are_exact_and_ordered() {
        let mut s = StatsAgg::default();
        let a = s.group(3, &dims("/a"), None, None);
        let b = s.group(1, &dims("/a"), None, None);
        let a2 = s.group(3, &dims("/a"), None, None);
        let mut empty = dims("/a");
        empty[0] = Some("");
        let c = s.group(3, &empty, None, None);
        let d = s.group(3, &dims("/a"), Some(1.5), None);
        assert_eq!(a, a2);
        assert_eq!([a, b, c, d].len(), 4);
        assert!(
            a != b && a != c && a != d && c != d,
            "null ≠ empty, hour and lat count"
        );
        s.add_pageview(a);
        s.add_pageview(a);
        s.add_session(a, false, 10);
        s.add_session(a, true, 0);
        let rows = s.finish();
        assert_eq!(rows.rows.len(), 4);
        assert_eq!(rows.rows[0].0.hour, 1);
        let m = rows
            .rows
            .iter()
            .find(|r| {
                r.0.hour == 3 && rows.string(&r.0, 0).is_none() && rows.latitude(&r.0).is_none()
            })
            .unwrap()
            .1;
        // Ordered: within hour 3, city null < "", and latitude null < 1.5.
        let order: Vec<_> = rows
            .rows
            .iter()
            .map(|r| (r.0.hour, rows.string(&r.0, 0), rows.latitude(&r.0)))
            .collect();
        assert_eq!(
            order,
            vec![
                (1, None, None),
                (3, None, None),
                (3, None, Some(1.5)),
                (3, Some(""), None)
            ]
        );
        assert_eq!(rows.string(&rows.rows[0].0, 12), Some("/a"));
        assert_eq!(
            m,
            Measures {
                page_views_cnt: 2,
                visitor_cnt: 2,
                bounce_cnt: 1,
                visit_duration_sec_sum: 10
            }
        );
    }

    #[test]
    fn average_rounds_half_away_from_zero() {
        // (sum, visitors, avg)
        let table = [
            (0, 0, 0),
            (10, 2, 5),
            (5, 2, 3),
            (4, 3, 1),
            (5, 3, 2),
            (7, 2, 4),
        ];
        for (sum, v, want) in table {
            let m = Measures {
                visitor_cnt: v,
                visit_duration_sec_sum: sum,
                ..Default::default()
            };
            assert_eq!(m.visit_duration_sec_avg(), want, "{sum}/{v}");
        }
    }
}
