//! ownstats' daily stats (seeds-spec A.10.2) with the REC fixes: one row per (hour, 15
//! dimensions); a session counts once, in the group of its landing pageview (no
//! `page_view_id` join that can match twice); `visit_duration_sec_sum` is stored so that an
//! average over any roll-up is `Σ sum / Σ visitor_cnt`.

use super::intern::Interner;
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

/// Groups pageviews by their dimensions: every pageview's key is kept (the 15 dimensions are
/// nearly unique together, so a hash map of groups would hold as many entries, at twice the
/// memory while it grows); sorting them at the end brings equal keys together.
#[derive(Debug, Default)]
pub struct StatsAgg {
    keys: Vec<(GroupKey, u32)>,
    sessions: Vec<(u32, bool, i64)>,
    dict: [Interner; 13],
}

impl StatsAgg {
    /// Room for `n` more pageviews (the count is known before they arrive).
    pub fn reserve(&mut self, n: usize) {
        self.keys.reserve_exact(n);
    }

    /// Counts a pageview; returns its handle for [`StatsAgg::add_session`].
    pub fn pageview(
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
        let handle = self.keys.len() as u32;
        self.keys.push((key, handle));
        handle
    }

    /// Counts a session landing on pageview `handle`, in that pageview's group.
    pub fn add_session(&mut self, handle: u32, bounce: bool, duration_sec: i64) {
        self.sessions.push((handle, bounce, duration_sec));
    }

    /// The rows, ordered by hour, then the dimensions in column order (nulls first).
    pub fn finish(self) -> StatsRows {
        let StatsAgg {
            mut keys,
            sessions,
            dict,
        } = self;
        // Ids become ranks (0 = null, else rank + 1), so that comparing keys is comparing
        // integers; `by_rank` maps back for the strings.
        let mut by_rank: [Vec<u32>; 13] = Default::default();
        let mut rank: [Vec<u32>; 13] = Default::default();
        for d in 0..13 {
            rank[d] = super::order::rank_strings(dict[d].strings());
            by_rank[d] = vec![0; rank[d].len()];
            for (id, r) in rank[d].iter().enumerate() {
                by_rank[d][*r as usize] = id as u32;
            }
        }
        for (k, _) in &mut keys {
            for (s, r) in k.strings.iter_mut().zip(&rank) {
                if *s != 0 {
                    *s = r[*s as usize - 1] + 1;
                }
            }
        }
        drop(rank);
        keys.sort_unstable_by(|a, b| ranked_cmp(&a.0, &b.0));
        // Equal keys are adjacent: number the groups, count pageviews, keep one key each.
        let mut group_of = vec![0u32; keys.len()];
        let mut measures: Vec<Measures> = Vec::new();
        let mut w = 0;
        for r in 0..keys.len() {
            if r == 0 || keys[r].0 != keys[w - 1].0 {
                keys[w] = keys[r];
                w += 1;
                measures.push(Measures::default());
            }
            group_of[keys[r].1 as usize] = (w - 1) as u32;
            measures[w - 1].page_views_cnt += 1;
        }
        keys.truncate(w);
        for (handle, bounce, duration) in sessions {
            let m = &mut measures[group_of[handle as usize] as usize];
            m.visitor_cnt += 1;
            m.bounce_cnt += i64::from(bounce);
            m.visit_duration_sec_sum += duration;
        }
        StatsRows {
            keys,
            measures,
            dict,
            by_rank,
        }
    }
}

/// Order of keys whose string ids are ranks: hour, city, country, latitude, longitude, then
/// the other strings (nulls first; coordinates by IEEE total order).
fn ranked_cmp(a: &GroupKey, b: &GroupKey) -> Ordering {
    let coord = |k: &GroupKey, bit: u8, bits: u64| {
        (k.present & bit != 0).then(|| {
            let x = bits as i64;
            x ^ ((((x >> 63) as u64) >> 1) as i64) // f64::total_cmp's key
        })
    };
    a.hour
        .cmp(&b.hour)
        .then_with(|| a.strings[..2].cmp(&b.strings[..2]))
        .then_with(|| coord(a, 1, a.latitude).cmp(&coord(b, 1, b.latitude)))
        .then_with(|| coord(a, 2, a.longitude).cmp(&coord(b, 2, b.longitude)))
        .then_with(|| a.strings[2..].cmp(&b.strings[2..]))
}

/// Finished stats rows and the dictionary their keys refer to.
#[derive(Debug)]
pub struct StatsRows {
    /// Group keys in output order (string ids are ranks, see [`StatsRows::string`]), each
    /// with the handle of one of its pageviews (kept: dropping it would copy every key).
    pub keys: Vec<(GroupKey, u32)>,
    /// Measures, parallel to `keys`.
    pub measures: Vec<Measures>,
    dict: [Interner; 13],
    by_rank: [Vec<u32>; 13],
}

impl StatsRows {
    /// String dimension `d` (index into [`STRING_DIMS`]) of a key.
    pub fn string(&self, key: &GroupKey, d: usize) -> Option<&str> {
        match key.strings[d] {
            0 => None,
            r => Some(self.dict[d].get(self.by_rank[d][r as usize - 1])),
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
        let a = s.pageview(3, &dims("/a"), None, None);
        s.pageview(1, &dims("/a"), None, None);
        s.pageview(3, &dims("/a"), None, None);
        let mut empty = dims("/a");
        empty[0] = Some("");
        s.pageview(3, &empty, None, None);
        s.pageview(3, &dims("/a"), Some(1.5), None);
        s.pageview(3, &dims("/a"), Some(-0.0), None);
        s.pageview(3, &dims("/a"), Some(0.0), None);
        s.add_session(a, false, 10);
        s.add_session(a, true, 0);
        let rows = s.finish();
        // null ≠ empty, hour and latitude count; the two pageviews of `a`'s key are one group.
        assert_eq!(rows.keys.len(), 6);
        // Ordered: within hour 3, city null < "", and latitude null < -0.0 < 0.0 < 1.5.
        let order: Vec<_> = rows
            .keys
            .iter()
            .map(|(k, _)| {
                (
                    k.hour,
                    rows.string(k, 0),
                    rows.latitude(k).map(f64::to_bits),
                )
            })
            .collect();
        let bits = |x: f64| Some(x.to_bits());
        assert_eq!(
            order,
            vec![
                (1, None, None),
                (3, None, None),
                (3, None, bits(-0.0)),
                (3, None, bits(0.0)),
                (3, None, bits(1.5)),
                (3, Some(""), None)
            ]
        );
        assert_eq!(rows.string(&rows.keys[0].0, 12), Some("/a"));
        assert_eq!(
            rows.measures[1],
            Measures {
                page_views_cnt: 2,
                visitor_cnt: 2,
                bounce_cnt: 1,
                visit_duration_sec_sum: 10
            }
        );
        assert_eq!(rows.measures[0].page_views_cnt, 1);
        assert_eq!(rows.measures[0].visitor_cnt, 0);
    }

    #[test]
    fn strings_order_by_bytes_not_first_sight() {
        let mut s = StatsAgg::default();
        for p in ["/b", "/a", "/c", "/a"] {
            s.pageview(0, &dims(p), None, None);
        }
        let rows = s.finish();
        let paths: Vec<_> = rows.keys.iter().map(|(k, _)| rows.string(k, 12)).collect();
        assert_eq!(paths, vec![Some("/a"), Some("/b"), Some("/c")]);
        let pvs: Vec<_> = rows.measures.iter().map(|m| m.page_views_cnt).collect();
        assert_eq!(pvs, vec![2, 1, 1]);
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
