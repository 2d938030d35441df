//! Edge location → city / state / country / coordinates.
//!
//! The table is `data/edge-locations.csv` (aws-edge-locations 0.5.6, MIT: see
//! `data/edge-locations.LICENSE`), embedded at compile time and indexed on first use. Entries
//! borrow from the embedded text, so a lookup returns `&'static str` and allocates nothing.
//! Unknown codes give null fields (ownstats wrote boolean `false`).

use rustc_hash::FxHashMap;
use shared::envelope::ViewerGeo;
use shared::record::Geo;
use std::sync::OnceLock;

const EDGE_CSV: &str = include_str!("../../data/edge-locations.csv");

struct Tables {
    /// Keyed by the three upper-case code bytes as one integer, hashed with FxHash: a lookup per
    /// CloudFront line, where std's SipHash took ~290 instructions a call (callgrind, 2026-11-25).
    by_code: FxHashMap<u32, Geo<'static>>,
    country_names: FxHashMap<&'static str, &'static str>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut by_code = FxHashMap::default();
        let mut country_names = FxHashMap::default();
        // Header: code,city,state,country,country_code,count,latitude,longitude,region,pricing_region.
        // Only the last column is ever quoted, and we stop before it.
        for line in EDGE_CSV.lines().skip(1) {
            let f: Vec<&'static str> = line.splitn(9, ',').collect();
            if f.len() < 8 || f[0].len() != 3 {
                continue;
            }
            let non_empty = |s: &'static str| (!s.is_empty()).then_some(s);
            let geo = Geo {
                city: non_empty(f[1]),
                state: non_empty(f[2]),
                country: non_empty(f[3]),
                country_code: non_empty(f[4]),
                latitude: f[6].parse().ok(),
                longitude: f[7].parse().ok(),
            };
            by_code.insert(code_key(f[0].as_bytes()), geo);
            if let (Some(cc), Some(name)) = (geo.country_code, geo.country) {
                country_names.insert(cc, name);
            }
        }
        Tables {
            by_code,
            country_names,
        }
    })
}

/// The edge code of an `x-edge-location` value (`HAM50-C2` → `HAM`): its first three characters.
pub fn edge_id(location: &str) -> &str {
    match location.char_indices().nth(3) {
        Some((i, _)) => &location[..i],
        None => location,
    }
}

/// The table key of a 3-byte edge code, upper-cased.
fn code_key(b: &[u8]) -> u32 {
    b.iter()
        .fold(0, |k, c| k << 8 | u32::from(c.to_ascii_uppercase()))
}

/// Geo fields of an edge code (case-insensitive); all null when unknown.
pub fn edge_geo(code: &str) -> Geo<'static> {
    let b = code.as_bytes();
    if b.len() != 3 {
        return Geo::default();
    }
    tables()
        .by_code
        .get(&code_key(b))
        .copied()
        .unwrap_or_default()
}

/// Geo fields from CloudFront viewer headers; the country name comes from the header or, failing
/// that, from the edge table's countries.
pub fn viewer_geo<'a>(v: &ViewerGeo<'a>) -> Geo<'a> {
    let country = v.country.or_else(|| {
        v.country_code
            .and_then(|cc| tables().country_names.get(cc).copied())
    });
    Geo {
        city: v.city,
        state: v.region,
        country,
        country_code: v.country_code,
        latitude: v.latitude,
        longitude: v.longitude,
    }
}

/// Number of known edge codes.
pub fn edge_count() -> usize {
    tables().by_code.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_edges() {
        let ham = edge_geo(edge_id("HAM50-C2"));
        assert_eq!(
            (ham.city, ham.state, ham.country, ham.country_code),
            (
                Some("Hamburg"),
                Some("Hamburg"),
                Some("Germany"),
                Some("DE")
            )
        );
        assert_eq!(
            (ham.latitude, ham.longitude),
            (Some(53.630401611328), Some(9.9882297515869))
        );
        let sfo = edge_geo("sfo");
        assert_eq!(sfo.city, Some("San Francisco"));
        assert_eq!(sfo.state, Some("California"));
        assert_eq!(
            (sfo.latitude, sfo.longitude),
            (Some(37.61899948120117), Some(-122.375))
        );
        assert_eq!(edge_geo("XXX"), Geo::default());
        assert_eq!(edge_geo(""), Geo::default());
        assert_eq!(edge_id("ü€x-9"), "ü€x");
        assert!(edge_count() > 100);
    }

    #[test]
    fn viewer_headers_win() {
        let v = ViewerGeo {
            country_code: Some("DE"),
            city: Some("Köln"),
            ..ViewerGeo::default()
        };
        let g = viewer_geo(&v);
        assert_eq!(
            (g.city, g.country, g.country_code),
            (Some("Köln"), Some("Germany"), Some("DE"))
        );
    }
}
