//! Privacy-safe identifiers: daily salts and the SHA-256 visitor / pageview ids.
//!
//! `daily_visitor_id = sha256(salt(date) ‖ ip ‖ ua ‖ date ‖ domain)` and
//! `daily_page_view_id = sha256(… ‖ path)` exactly as ownstats (EXPECTED.md), so the fixture
//! values are reproducible with ownstats' public salt table. `page_view_id` appends the event
//! time in epoch milliseconds (ownstats hashed a time-zone dependent 1-second date string).
//!
//! A public salt makes the ids reversible by brute force over the IPv4 space, so production
//! uses [`SecretDailySalt`]: HMAC-SHA256(secret, date), never written anywhere; rotating the
//! secret changes every id from then on.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use shared::time::Date;
use std::collections::HashMap;

/// Supplies the salt of a UTC date.
pub trait SaltProvider: Send + Sync {
    /// The salt text prepended to the hash input for `date`.
    fn salt(&self, date: Date) -> &str;
}

/// A fixed table of salts (ownstats' `dateHashes.ts` format: `YYYY-MM-DD,<salt>` lines).
/// Dates missing from the table hash with the literal text `undefined`, as ownstats did.
#[derive(Debug, Default, Clone)]
pub struct StaticSaltTable {
    salts: HashMap<Date, String>,
}

impl StaticSaltTable {
    /// Parses `date,salt` lines (blank lines and `#` comments ignored).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut salts = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (d, s) = line
                .split_once(',')
                .ok_or_else(|| format!("salt table line {}: expected `date,salt`", n + 1))?;
            let date = Date::parse(d.trim())
                .ok_or_else(|| format!("salt table line {}: bad date {d:?}", n + 1))?;
            salts.insert(date, s.trim().to_string());
        }
        Ok(StaticSaltTable { salts })
    }
}

impl SaltProvider for StaticSaltTable {
    fn salt(&self, date: Date) -> &str {
        self.salts.get(&date).map_or("undefined", String::as_str)
    }
}

/// The production salt: HMAC-SHA256(secret, "YYYY-MM-DD") as lower-case hex, precomputed for a
/// window of dates so lookups on the hot path are a hash-map read.
pub struct SecretDailySalt {
    secret: Vec<u8>,
    cache: std::sync::RwLock<HashMap<Date, &'static str>>,
}

impl SecretDailySalt {
    /// A provider for `secret` (at least 16 bytes; shorter secrets are guessable).
    pub fn new(secret: &[u8]) -> Result<Self, String> {
        if secret.len() < 16 {
            return Err("salt secret must be at least 16 bytes".into());
        }
        Ok(SecretDailySalt {
            secret: secret.to_vec(),
            cache: std::sync::RwLock::new(HashMap::new()),
        })
    }

    /// The salt for `date`, computed.
    pub fn compute(&self, date: Date) -> String {
        // new_from_slice accepts any key length for HMAC; the error arm is unreachable.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.secret) else {
            return String::new();
        };
        mac.update(date.to_string().as_bytes());
        let out: [u8; 32] = mac.finalize().into_bytes().into();
        let mut hex = shared::batch::TextBuf::default();
        shared::batch::hex32(&out, &mut hex).to_string()
    }
}

impl SaltProvider for SecretDailySalt {
    fn salt(&self, date: Date) -> &str {
        if let Ok(cache) = self.cache.read() {
            if let Some(s) = cache.get(&date) {
                return s;
            }
        }
        // One 64-byte string per distinct date, leaked on purpose so `&str` can be handed out
        // without locking; bounded by the dates a process ever sees (~1 per day of data).
        let salt: &'static str = Box::leak(self.compute(date).into_boxed_str());
        if let Ok(mut cache) = self.cache.write() {
            return cache.entry(date).or_insert(salt);
        }
        salt
    }
}

/// The three ids of one hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HitIds {
    /// sha256(salt ‖ ip ‖ ua ‖ date ‖ domain).
    pub daily_visitor_id: [u8; 32],
    /// … ‖ path.
    pub daily_page_view_id: [u8; 32],
    /// … ‖ path ‖ event epoch ms.
    pub page_view_id: [u8; 32],
}

/// Hash inputs of one hit.
pub struct HashInput<'x> {
    /// Daily salt.
    pub salt: &'x str,
    /// Client IP as text.
    pub ip: &'x str,
    /// Raw user agent.
    pub ua: &'x str,
    /// UTC event date.
    pub date: Date,
    /// Site hostname.
    pub domain: &'x str,
    /// Page path.
    pub path: &'x str,
    /// Event time, epoch ms.
    pub event_ms: i64,
}

/// Computes the three ids, sharing the common prefix's hash state.
pub fn hit_ids(i: &HashInput<'_>) -> HitIds {
    hit_ids_after_salt(salted(i.salt), i)
}

/// The hash state after the salt: the same for every hit of a date, so the engine keeps it
/// (a 64-hex-digit salt is exactly one SHA-256 block, one of the ~8 compressed per hit).
pub fn salted(salt: &str) -> Sha256 {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h
}

/// [`hit_ids`] continuing from `h`, the [`salted`] state of `i.salt` (not hashed again).
pub fn hit_ids_after_salt(mut h: Sha256, i: &HashInput<'_>) -> HitIds {
    let mut date = [0u8; 10];
    i.date.fmt_into(&mut date);
    h.update(i.ip.as_bytes());
    h.update(i.ua.as_bytes());
    h.update(date);
    h.update(i.domain.as_bytes());
    let visitor = h.clone().finalize().into();
    h.update(i.path.as_bytes());
    let page = h.clone().finalize().into();
    h.update(itoa::Buffer::new().format(i.event_ms).as_bytes());
    HitIds {
        daily_visitor_id: visitor,
        daily_page_view_id: page,
        page_view_id: h.finalize().into(),
    }
}

/// A deterministic event id (UUIDv8 layout) for inputs that carry none, such as CloudFront log
/// lines: the same source position always yields the same id, so a replay de-duplicates.
pub fn derived_event_id(source: &str, position: u64) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(b"clickstream-event-id\0");
    h.update(source.as_bytes());
    h.update([0]);
    h.update(position.to_be_bytes());
    let d = h.finalize();
    let mut id = [0u8; 16];
    id.copy_from_slice(&d[..16]);
    id[6] = (id[6] & 0x0f) | 0x80; // version 8
    id[8] = (id[8] & 0x3f) | 0x80; // RFC 4122 variant
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8; 32]) -> String {
        let mut out = shared::batch::TextBuf::default();
        shared::batch::hex32(b, &mut out).to_string()
    }

    const UA: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0.0.0 Safari/537.36";

    #[test]
    fn reproduces_ownstats_fixture_ids() {
        let table = StaticSaltTable::parse("2022-11-20,2a962459bea054ecb82b91ced4f274fe5f24c01b\n")
            .unwrap();
        let date = Date::parse("2022-11-20").unwrap();
        let ids = hit_ids(&HashInput {
            salt: table.salt(date),
            ip: "91.48.244.135",
            ua: UA,
            date,
            domain: "localhost",
            path: "/azure",
            event_ms: 1_668_968_526_289,
        });
        assert_eq!(
            hex(&ids.daily_visitor_id),
            "f2fddd08aeb4ab0ba7e39a806a502f4686bbbbbcf52542ad7b327169304ea7b0"
        );
        assert_eq!(
            hex(&ids.daily_page_view_id),
            "81e7a875af519fc2beeb2544b336a2b5d1b4f3f4218843b221deea83b0e3e812"
        );
        // page_view_id = sha256(… ‖ "/azure" ‖ "1668968526289"), computed independently:
        let mut h = Sha256::new();
        h.update(format!("2a962459bea054ecb82b91ced4f274fe5f24c01b91.48.244.135{UA}2022-11-20localhost/azure1668968526289"));
        assert_eq!(ids.page_view_id, <[u8; 32]>::from(h.finalize()));
    }

    #[test]
    fn missing_dates_hash_like_ownstats() {
        let table = StaticSaltTable::default();
        assert_eq!(table.salt(Date::parse("2022-10-30").unwrap()), "undefined");
        assert!(StaticSaltTable::parse("nonsense").is_err());
    }

    #[test]
    fn secret_salt_is_daily_and_secret_dependent() {
        let a = SecretDailySalt::new(b"0123456789abcdef-secret").unwrap();
        let b = SecretDailySalt::new(b"another-secret-0123456789").unwrap();
        let d1 = Date::parse("2026-11-24").unwrap();
        let d2 = Date::parse("2026-11-25").unwrap();
        assert_eq!(a.salt(d1).len(), 64);
        assert_eq!(a.salt(d1), a.compute(d1));
        assert_ne!(a.salt(d1), a.salt(d2));
        assert_ne!(a.salt(d1), b.salt(d1));
        assert!(SecretDailySalt::new(b"short").is_err());
    }

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        assert_eq!(derived_event_id("s", 1), derived_event_id("s", 1));
        assert_ne!(derived_event_id("s", 1), derived_event_id("s", 2));
        assert_ne!(derived_event_id("s", 1), derived_event_id("t", 1));
        let id = uuid::Uuid::from_bytes(derived_event_id("s", 1));
        assert_eq!(id.get_version_num(), 8);
    }
}
