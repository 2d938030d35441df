//! Where visitors come from: regions (country + time zone) with their traffic weight, languages,
//! CloudFront edges, ISPs and IP ranges, plus the edge geo table the enricher uses.
//!
//! The region decides the diurnal phase of a visitor's traffic, so one table keeps time zone,
//! language, edge location and viewer geo mutually consistent.

/// The edge table shared with the enricher (first column: IATA code).
const EDGE_CSV: &str = include_str!("../../../enricher/data/edge-locations.csv");

/// Regional Internet registry: decides plausible IPv4 first octets and IPv6 prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registry {
    /// Europe, Middle East.
    Ripe,
    /// North America.
    Arin,
    /// Asia-Pacific.
    Apnic,
    /// Latin America.
    Lacnic,
    /// Africa.
    Afrinic,
}

/// One source region of traffic.
#[derive(Debug)]
pub struct Region {
    /// ISO 3166-1 alpha-2 country code.
    pub country: &'static str,
    /// IANA time zone sent as `tz`.
    pub tz: &'static str,
    /// UTC offset in minutes at the default date (late November), used for the diurnal curve.
    pub utc_offset_min: i32,
    /// Relative share of visitors (at the daily peak).
    pub weight: f64,
    /// Address registry.
    pub registry: Registry,
    /// Browser languages with weights.
    pub langs: &'static [(&'static str, f64)],
    /// CloudFront edges (IATA codes) serving this region, most used first.
    pub edges: &'static [&'static str],
    /// Autonomous systems of the region's consumer ISPs.
    pub asns: &'static [u32],
}

macro_rules! region {
    ($cc:literal, $tz:literal, $off:expr, $w:expr, $reg:ident, [$(($l:literal, $lw:expr)),+], [$($e:literal),+], [$($a:literal),+]) => {
        Region {
            country: $cc,
            tz: $tz,
            utc_offset_min: $off,
            weight: $w,
            registry: Registry::$reg,
            langs: &[$(($l, $lw)),+],
            edges: &[$($e),+],
            asns: &[$($a),+],
        }
    };
}

/// All regions. Weights are rough shares of a European/US-centric set of sites.
#[rustfmt::skip]
pub static REGIONS: &[Region] = &[
    region!("US", "America/New_York", -300, 14.0, Arin, [("en-US", 0.93), ("es-US", 0.05), ("en-GB", 0.02)], ["IAD", "JFK", "ATL", "MIA", "BOS", "PHL", "EWR", "PIT", "CMH", "TPA", "DTW"], [7922, 7018, 701, 20115, 22773, 6167, 11351]),
    region!("US", "America/Chicago", -360, 6.0, Arin, [("en-US", 0.94), ("es-US", 0.06)], ["ORD", "DFW", "IAH", "MSP", "BNA", "MCI"], [7922, 7018, 701, 20115, 22773]),
    region!("US", "America/Denver", -420, 1.5, Arin, [("en-US", 1.0)], ["DEN", "SLC"], [7922, 209, 20115]),
    region!("US", "America/Phoenix", -420, 0.7, Arin, [("en-US", 0.9), ("es-US", 0.1)], ["PHX"], [22773, 209]),
    region!("US", "America/Los_Angeles", -480, 6.0, Arin, [("en-US", 0.9), ("es-US", 0.05), ("zh-CN", 0.05)], ["LAX", "SFO", "SEA", "HIO"], [7922, 7018, 20001, 22773]),
    region!("CA", "America/Toronto", -300, 2.0, Arin, [("en-CA", 0.7), ("fr-CA", 0.3)], ["YTO", "YUL"], [812, 577, 5769]),
    region!("CA", "America/Vancouver", -480, 0.8, Arin, [("en-CA", 1.0)], ["YVR"], [852, 6327]),
    region!("MX", "America/Mexico_City", -360, 1.2, Lacnic, [("es-MX", 1.0)], ["QRO"], [8151, 13999]),
    region!("BR", "America/Sao_Paulo", -180, 3.0, Lacnic, [("pt-BR", 1.0)], ["GRU", "GIG", "FOR"], [28573, 18881, 26599, 7738]),
    region!("AR", "America/Argentina/Buenos_Aires", -180, 0.8, Lacnic, [("es-AR", 1.0)], ["EZE"], [7303, 22927]),
    region!("CO", "America/Bogota", -300, 0.6, Lacnic, [("es-CO", 1.0)], ["BOG"], [10620, 3816]),
    region!("CL", "America/Santiago", -180, 0.4, Lacnic, [("es-CL", 1.0)], ["SCL"], [7418, 27651]),
    region!("GB", "Europe/London", 0, 6.0, Ripe, [("en-GB", 0.95), ("en-US", 0.05)], ["LHR", "MAN"], [2856, 5089, 5607, 12576, 5378]),
    region!("IE", "Europe/Dublin", 0, 0.6, Ripe, [("en-IE", 0.6), ("en-GB", 0.3), ("en-US", 0.1)], ["DUB"], [5466, 6830]),
    region!("DE", "Europe/Berlin", 60, 10.0, Ripe, [("de-DE", 0.88), ("en-US", 0.07), ("en-GB", 0.02), ("tr-TR", 0.03)], ["FRA", "DUS", "HAM", "MUC", "TXL"], [3320, 3209, 6805, 8881, 31334, 8422]),
    region!("AT", "Europe/Vienna", 60, 1.2, Ripe, [("de-AT", 0.8), ("de-DE", 0.2)], ["VIE"], [8447, 25255, 8412]),
    region!("CH", "Europe/Zurich", 60, 1.2, Ripe, [("de-CH", 0.6), ("fr-CH", 0.25), ("it-CH", 0.05), ("en-US", 0.1)], ["ZRH"], [3303, 6730, 13030]),
    region!("FR", "Europe/Paris", 60, 5.0, Ripe, [("fr-FR", 0.95), ("en-US", 0.05)], ["CDG", "MRS"], [3215, 12322, 5410, 15557]),
    region!("NL", "Europe/Amsterdam", 60, 2.0, Ripe, [("nl-NL", 0.85), ("en-US", 0.15)], ["AMS"], [1136, 33915, 9143]),
    region!("BE", "Europe/Brussels", 60, 0.8, Ripe, [("nl-BE", 0.5), ("fr-BE", 0.5)], ["BRU"], [5432, 6848]),
    region!("ES", "Europe/Madrid", 60, 3.0, Ripe, [("es-ES", 0.9), ("ca-ES", 0.1)], ["MAD", "BCN"], [3352, 12479, 12430]),
    region!("IT", "Europe/Rome", 60, 3.0, Ripe, [("it-IT", 1.0)], ["MXP", "FCO", "PMO"], [3269, 30722, 1267]),
    region!("PL", "Europe/Warsaw", 60, 2.0, Ripe, [("pl-PL", 1.0)], ["WAW"], [5617, 12912]),
    region!("SE", "Europe/Stockholm", 60, 1.0, Ripe, [("sv-SE", 1.0)], ["ARN"], [3301, 1257]),
    region!("DK", "Europe/Copenhagen", 60, 0.6, Ripe, [("da-DK", 1.0)], ["CPH"], [3292, 9158]),
    region!("NO", "Europe/Oslo", 60, 0.6, Ripe, [("nb-NO", 1.0)], ["OSL"], [2119, 29695]),
    region!("FI", "Europe/Helsinki", 120, 0.5, Ripe, [("fi-FI", 1.0)], ["HEL"], [719, 1759]),
    region!("CZ", "Europe/Prague", 60, 0.7, Ripe, [("cs-CZ", 1.0)], ["PRG"], [5610, 16019]),
    region!("PT", "Europe/Lisbon", 0, 0.7, Ripe, [("pt-PT", 1.0)], ["LIS"], [3243, 2860]),
    region!("TR", "Europe/Istanbul", 180, 1.2, Ripe, [("tr-TR", 1.0)], ["IST"], [9121, 34984, 16135]),
    region!("IL", "Asia/Jerusalem", 120, 0.5, Ripe, [("he-IL", 0.7), ("en-US", 0.3)], ["TLV"], [1680, 8551]),
    region!("AE", "Asia/Dubai", 240, 0.5, Ripe, [("en-US", 0.6), ("ar-AE", 0.4)], ["DXB", "FJR"], [5384, 15802]),
    region!("IN", "Asia/Kolkata", 330, 5.0, Apnic, [("en-IN", 0.7), ("hi-IN", 0.2), ("en-US", 0.1)], ["BOM", "DEL", "MAA", "BLR", "HYD", "CCU", "PNQ"], [55836, 45609, 24560, 9829]),
    region!("SG", "Asia/Singapore", 480, 0.8, Apnic, [("en-SG", 0.6), ("zh-SG", 0.2), ("en-US", 0.2)], ["SIN"], [9506, 4773]),
    region!("JP", "Asia/Tokyo", 540, 3.0, Apnic, [("ja-JP", 0.95), ("en-US", 0.05)], ["NRT", "KIX"], [2516, 4713, 17676]),
    region!("KR", "Asia/Seoul", 540, 1.0, Apnic, [("ko-KR", 1.0)], ["ICN"], [4766, 9318]),
    region!("ID", "Asia/Jakarta", 420, 1.0, Apnic, [("id-ID", 1.0)], ["CGK"], [7713, 23693]),
    region!("HK", "Asia/Hong_Kong", 480, 0.6, Apnic, [("zh-HK", 0.7), ("en-US", 0.3)], ["HKG"], [4760, 9269]),
    region!("TW", "Asia/Taipei", 480, 0.5, Apnic, [("zh-TW", 1.0)], ["TPE"], [3462]),
    region!("PH", "Asia/Manila", 480, 0.5, Apnic, [("en-PH", 0.6), ("fil-PH", 0.4)], ["MNL"], [9299, 132199]),
    region!("VN", "Asia/Ho_Chi_Minh", 420, 0.4, Apnic, [("vi-VN", 1.0)], ["HAN", "SGN"], [7552, 45899]),
    region!("AU", "Australia/Sydney", 660, 2.0, Apnic, [("en-AU", 1.0)], ["SYD", "MEL", "BNE"], [1221, 4804, 7545]),
    region!("AU", "Australia/Perth", 480, 0.3, Apnic, [("en-AU", 1.0)], ["PER"], [1221, 7545]),
    region!("NZ", "Pacific/Auckland", 780, 0.4, Apnic, [("en-NZ", 1.0)], ["AKL"], [9790, 4771]),
    region!("ZA", "Africa/Johannesburg", 120, 0.7, Afrinic, [("en-ZA", 1.0)], ["JNB", "CPT"], [37457, 36994]),
    region!("NG", "Africa/Lagos", 60, 0.4, Afrinic, [("en-NG", 1.0)], ["LOS"], [29465, 37148]),
    region!("KE", "Africa/Nairobi", 180, 0.2, Afrinic, [("en-KE", 0.8), ("sw-KE", 0.2)], ["NBO"], [33771]),
];

/// Data-centre networks bots and headless browsers come from.
pub const DATACENTER_ASNS: &[u32] = &[16509, 14618, 14061, 24940, 16276, 63949, 396982];

/// Relative traffic by local hour (0–23): night trough, lunch plateau, evening peak.
const LOCAL_HOUR_CURVE: [f64; 24] = [
    0.22, 0.14, 0.09, 0.07, 0.07, 0.10, 0.20, 0.40, 0.65, 0.82, 0.92, 0.97, //
    1.00, 0.98, 0.95, 0.94, 0.96, 1.00, 1.06, 1.12, 1.10, 0.95, 0.68, 0.40,
];

/// Relative activity at a local minute of the day (linear between hourly points).
pub fn local_activity(local_minute: i64) -> f64 {
    let m = local_minute.rem_euclid(1440) as f64 / 60.0;
    let h = m.floor() as usize % 24;
    let frac = m - m.floor();
    LOCAL_HOUR_CURVE[h] * (1.0 - frac) + LOCAL_HOUR_CURVE[(h + 1) % 24] * frac
}

/// One row of the edge table.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeGeo {
    /// IATA code, e.g. `HAM`.
    pub code: String,
    /// City name.
    pub city: String,
    /// ISO country code.
    pub country_code: String,
    /// Latitude.
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
}

/// Parses the embedded edge table (header skipped, malformed rows ignored).
pub fn edge_table() -> Vec<EdgeGeo> {
    EDGE_CSV
        .lines()
        .skip(1)
        .filter_map(|line| {
            // The first eight columns never contain quotes; the last one (pricing region) does.
            let mut cols = line.split(',');
            let code = cols.next()?.trim();
            let city = cols.next()?.trim();
            let _state = cols.next()?;
            let _country = cols.next()?;
            let country_code = cols.next()?.trim();
            let _count = cols.next()?;
            let latitude = cols.next()?.trim().parse().ok()?;
            let longitude = cols.next()?.trim().parse().ok()?;
            (code.len() == 3).then(|| EdgeGeo {
                code: code.to_string(),
                city: city.to_string(),
                country_code: country_code.to_string(),
                latitude,
                longitude,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_region_edge_is_in_the_enricher_table() {
        let table = edge_table();
        assert!(table.len() > 90, "{}", table.len());
        let ham = table.iter().find(|e| e.code == "HAM").unwrap();
        assert_eq!(
            (ham.city.as_str(), ham.country_code.as_str()),
            ("Hamburg", "DE")
        );
        for r in REGIONS {
            for code in r.edges {
                assert!(table.iter().any(|e| e.code == *code), "{code} missing");
            }
            assert!(
                table.iter().any(|e| e.country_code == r.country),
                "no city for {}",
                r.country
            );
        }
    }

    #[test]
    fn curve_is_diurnal() {
        assert!(local_activity(4 * 60) < 0.1);
        assert!(local_activity(19 * 60 + 30) > 1.0);
        assert!((local_activity(-60) - local_activity(23 * 60)).abs() < 1e-9);
    }
}
