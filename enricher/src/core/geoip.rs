//! Optional IP → location from a MaxMind-format database (GeoLite2/GeoIP2 City or compatible).
//!
//! The database is read from a path by the adapter and handed over as bytes; lookups are pure.
//! Names are interned: each distinct city/country string of the database is leaked once, so
//! records can carry `&'static str` like the edge table's, and memory is bounded by the
//! database's vocabulary. The IP itself is only looked up, never stored.

use rustc_hash::FxHashSet;
use serde::Deserialize;
use shared::record::Geo;
use std::collections::BTreeMap;
use std::net::IpAddr;

#[derive(Deserialize, Default)]
struct Named<'a> {
    #[serde(borrow, default)]
    names: BTreeMap<&'a str, &'a str>,
    #[serde(borrow, default)]
    iso_code: Option<&'a str>,
}

#[derive(Deserialize, Default)]
struct Location {
    #[serde(default)]
    latitude: Option<f64>,
    #[serde(default)]
    longitude: Option<f64>,
}

#[derive(Deserialize, Default)]
struct CityRecord<'a> {
    #[serde(borrow, default)]
    city: Named<'a>,
    #[serde(borrow, default)]
    country: Named<'a>,
    #[serde(borrow, default)]
    subdivisions: Vec<Named<'a>>,
    #[serde(default)]
    location: Location,
}

/// Errors opening a database.
#[derive(Debug, thiserror::Error)]
#[error("invalid MaxMind database: {0}")]
pub struct GeoIpError(String);

/// An opened database.
pub struct GeoIp {
    reader: maxminddb::Reader<Vec<u8>>,
    interned: FxHashSet<&'static str>,
}

impl GeoIp {
    /// Opens a database from its bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<GeoIp, GeoIpError> {
        let reader =
            maxminddb::Reader::from_source(bytes).map_err(|e| GeoIpError(e.to_string()))?;
        Ok(GeoIp {
            reader,
            interned: FxHashSet::default(),
        })
    }

    fn intern(&mut self, s: &str) -> &'static str {
        if let Some(found) = self.interned.get(s) {
            return found;
        }
        let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
        self.interned.insert(leaked);
        leaked
    }

    /// Location of `ip`; `None` when the database has nothing for it (or the record is broken).
    pub fn lookup(&mut self, ip: IpAddr) -> Option<Geo<'static>> {
        let found = self.reader.lookup(ip).ok()?;
        let rec: CityRecord<'_> = found.decode().ok()??;
        fn en(n: &Named<'_>) -> Option<String> {
            n.names.get("en").map(|s| (*s).to_owned())
        }
        let city = en(&rec.city);
        let state = rec.subdivisions.first().and_then(en);
        let country = en(&rec.country);
        let code = rec.country.iso_code.map(str::to_owned);
        let (latitude, longitude) = (rec.location.latitude, rec.location.longitude);
        let geo = Geo {
            city: city.map(|s| self.intern(&s)),
            state: state.map(|s| self.intern(&s)),
            country: country.map(|s| self.intern(&s)),
            country_code: code.map(|s| self.intern(&s)),
            latitude,
            longitude,
        };
        (geo != Geo::default()).then_some(geo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(GeoIp::from_bytes(b"not a database".to_vec()).is_err());
        assert!(GeoIp::from_bytes(Vec::new()).is_err());
    }
}
