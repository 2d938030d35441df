//! ownstats' daily stats (seeds-spec A.10.2) with the REC fixes: one row per (hour, 15
//! dimensions); a session counts once, in the group of its landing pageview (no
//! `page_view_id` join that can match twice); `visit_duration_sec_sum` is stored so that an
//! average over any roll-up is `Σ sum / Σ visitor_cnt`.

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

/// The dimensions of one stats row.
#[derive(Debug, Clone, PartialEq)]
pub struct Dims {
    /// UTC hour of the event, 0–23.
    pub hour: u8,
    /// Values of [`STRING_DIMS`], in that order.
    pub strings: [Option<Box<str>>; 13],
    /// edge_latitude.
    pub latitude: Option<f64>,
    /// edge_longitude.
    pub longitude: Option<f64>,
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
    index: FxHashMap<Box<[u8]>, u32>,
    dims: Vec<Dims>,
    measures: Vec<Measures>,
    key: Vec<u8>,
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
        // A length-prefixed byte encoding is an exact identity for the tuple (nulls differ
        // from empty strings) and lets the lookup borrow without allocating.
        let key = &mut self.key;
        key.clear();
        key.push(hour);
        for s in strings {
            match s {
                None => key.push(0),
                Some(s) => {
                    key.push(1);
                    key.extend_from_slice(&(s.len() as u32).to_le_bytes());
                    key.extend_from_slice(s.as_bytes());
                }
            }
        }
        for f in [latitude, longitude] {
            match f {
                None => key.push(0),
                Some(f) => {
                    key.push(1);
                    key.extend_from_slice(&f.to_bits().to_le_bytes());
                }
            }
        }
        if let Some(&g) = self.index.get(key.as_slice()) {
            return g;
        }
        let g = self.dims.len() as u32;
        self.index.insert(key.clone().into_boxed_slice(), g);
        self.dims.push(Dims {
            hour,
            strings: strings.map(|s| s.map(Box::from)),
            latitude,
            longitude,
        });
        self.measures.push(Measures::default());
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
    pub fn finish(self) -> Vec<(Dims, Measures)> {
        let mut rows: Vec<_> = self.dims.into_iter().zip(self.measures).collect();
        rows.sort_by(|a, b| cmp_dims(&a.0, &b.0));
        rows
    }
}

fn cmp_f(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.total_cmp(&b),
        (a, b) => a.is_some().cmp(&b.is_some()),
    }
}

fn cmp_dims(a: &Dims, b: &Dims) -> Ordering {
    a.hour
        .cmp(&b.hour)
        .then_with(|| a.strings[..2].cmp(&b.strings[..2]))
        .then_with(|| cmp_f(a.latitude, b.latitude))
        .then_with(|| cmp_f(a.longitude, b.longitude))
        .then_with(|| a.strings[2..].cmp(&b.strings[2..]))
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
        assert_eq!(rows[0].0.hour, 1);
        let m = rows
            .iter()
            .find(|r| r.0.hour == 3 && r.0.strings[0].is_none() && r.0.latitude.is_none())
            .unwrap()
            .1;
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
