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
    hit_ids_after_salt(&salted(i.salt), i)
}

/// SHA-256's initial hash value (FIPS 180-4 §5.3.3).
const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

type Block = sha2::digest::generic_array::GenericArray<u8, sha2::digest::consts::U64>;

/// Compresses one 64-byte block into `state`.
#[inline]
fn compress(state: &mut [u32; 8], block: &[u8]) {
    sha2::compress256(state, std::slice::from_ref(Block::from_slice(block)));
}

/// The hash state after a date's salt: the same for every hit of that date, so the engine
/// keeps it (a 64-hex-digit salt is exactly one SHA-256 block, one of the ~7 compressed per
/// hit). ownstats' 40-character salts leave a partial block, kept as `rest`.
#[derive(Debug, Clone)]
pub struct Salted {
    /// State after the salt's whole blocks.
    state: [u32; 8],
    /// The salt's bytes after its whole blocks (< 64).
    rest: Vec<u8>,
    /// Bytes compressed into `state`.
    done: u64,
}

/// The [`Salted`] state of `salt`.
pub fn salted(salt: &str) -> Salted {
    let bytes = salt.as_bytes();
    let whole = bytes.len() / 64 * 64;
    let mut state = IV;
    for b in bytes[..whole].chunks_exact(64) {
        compress(&mut state, b);
    }
    Salted {
        state,
        rest: bytes[whole..].to_vec(),
        done: whole as u64,
    }
}

/// Message bytes a hit's ids fit in without a heap buffer (the salt's rest, IP, a typical UA,
/// date, domain, path and time), and bytes of each padded tail.
const MSG: usize = 512;
const TAIL: usize = 256;

/// [`hit_ids`] continuing from `s`, the [`salted`] state of `i.salt` (not hashed again).
///
/// The three ids share every block of `salt ‖ ip ‖ ua ‖ date ‖ domain` but the last; their
/// tails are padded first and compressed after, back to back. Being independent, the three
/// chains of SHA-NI rounds then overlap in the CPU (each block is ~44 ns of latency on its
/// own): 236 against 305 ns a hit through `Sha256` clones and `finalize`
/// (BENCHMARKS.md 2026-11-25, night).
pub fn hit_ids_after_salt(s: &Salted, i: &HashInput<'_>) -> HitIds {
    let mut date = [0u8; 10];
    i.date.fmt_into(&mut date);
    let mut ms = itoa::Buffer::new();
    let ms = ms.format(i.event_ms).as_bytes();
    let parts: [&[u8]; 7] = [
        &s.rest,
        i.ip.as_bytes(),
        i.ua.as_bytes(),
        &date,
        i.domain.as_bytes(),
        i.path.as_bytes(),
        ms,
    ];
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let visitor = len - i.path.len() - ms.len();
    let tail = len - visitor / 64 * 64 + 9;
    if len <= MSG && tail <= TAIL {
        ids_in(
            s,
            &parts,
            &mut [0; MSG],
            [&mut [0; TAIL], &mut [0; TAIL], &mut [0; TAIL]],
        )
    } else {
        // Long user agents or paths: the same, in heap buffers.
        let t = tail.div_ceil(64) * 64;
        ids_in(
            s,
            &parts,
            &mut vec![0; len],
            [&mut vec![0; t], &mut vec![0; t], &mut vec![0; t]],
        )
    }
}

/// See [`hit_ids_after_salt`]: `msg` holds the message, each of `pads` a padded tail.
fn ids_in(s: &Salted, parts: &[&[u8]; 7], msg: &mut [u8], mut pads: [&mut [u8]; 3]) -> HitIds {
    let mut n = 0;
    let mut ends = [0; 7];
    for (p, end) in parts.iter().zip(&mut ends) {
        msg[n..n + p.len()].copy_from_slice(p);
        n += p.len();
        *end = n;
    }
    // Ends of the visitor, page-view and hit messages: after the domain, the path, the time.
    let lens = [ends[4], ends[5], ends[6]];
    let whole = lens[0] / 64 * 64;
    let mut state = s.state;
    for b in msg[..whole].chunks_exact(64) {
        compress(&mut state, b);
    }
    let mut padded = [0; 3];
    for ((len, pad), size) in lens.iter().zip(pads.iter_mut()).zip(&mut padded) {
        let tail = &msg[whole..*len];
        *size = (tail.len() + 9).div_ceil(64) * 64;
        pad[..tail.len()].copy_from_slice(tail);
        pad[tail.len()] = 0x80;
        let bits = (s.done + *len as u64) * 8;
        pad[*size - 8..*size].copy_from_slice(&bits.to_be_bytes());
    }
    let mut out = [state; 3];
    for ((st, pad), size) in out.iter_mut().zip(&pads).zip(padded) {
        for b in pad[..size].chunks_exact(64) {
            compress(st, b);
        }
    }
    let [visitor, page, hit] = out.map(|st| {
        let mut d = [0u8; 32];
        for (w, o) in st.iter().zip(d.chunks_exact_mut(4)) {
            o.copy_from_slice(&w.to_be_bytes());
        }
        d
    });
    HitIds {
        daily_visitor_id: visitor,
        daily_page_view_id: page,
        page_view_id: hit,
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

    fn reference(i: &HashInput<'_>, tail: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        let date = i.date.to_string();
        for p in [i.salt, i.ip, i.ua, &date, i.domain, tail] {
            h.update(p.as_bytes());
        }
        h.finalize().into()
    }

    proptest::proptest! {
        /// Every block boundary of salt, message and padding, on the stack and in the heap
        /// path, against the streaming `Sha256` over the concatenation.
        #[test]
        fn ids_match_plain_sha256(
            salt in "[0-9a-f]{0,130}",
            ip in "[0-9.:a-f]{0,45}",
            ua in "\\PC{0,700}",
            domain in "[a-z.]{0,70}",
            path in "\\PC{0,300}",
            event_ms in 0i64..=253_402_300_799_999,
            day in 0i64..40_000,
        ) {
            let i = HashInput {
                salt: &salt, ip: &ip, ua: &ua,
                date: Date::from_epoch_ms(day * 86_400_000),
                domain: &domain, path: &path, event_ms,
            };
            let ids = hit_ids(&i);
            proptest::prop_assert_eq!(ids.daily_visitor_id, reference(&i, ""));
            proptest::prop_assert_eq!(ids.daily_page_view_id, reference(&i, &path));
            let hit = format!("{path}{event_ms}");
            proptest::prop_assert_eq!(ids.page_view_id, reference(&i, &hit));
        }
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
