//! Bounded cache of parsed user agents.
//!
//! Real traffic is extremely skewed: a few thousand distinct UA strings
//! cover almost every hit, while a full parse costs 10-20 µs (uap-core's
//! device regexes, the ported device table, the bot patterns and the token
//! scans). The cache turns the common case into one hash of the string and
//! a pointer copy (about 20 ns).
//!
//! Design: two generations instead of a true LRU. Lookups go to `hot`,
//! then `old`; a hit in `old` is promoted into `hot`. When `hot` holds
//! `capacity / 2` entries, `old` is dropped, `hot` becomes `old`, and a new
//! empty `hot` starts. Hence:
//! * memory is bounded by `capacity` entries (two maps of at most half each);
//! * anything used at least once per generation survives, which is the
//!   useful part of LRU, without per-hit bookkeeping (no linked list, no
//!   timestamps: a hit in `hot` is a read-only hash lookup);
//! * eviction is O(1) amortised: a generation is dropped wholesale.
//!
//! User agents longer than [`MAX_KEY_LEN`] are parsed but not stored, so
//! the memory bound is about `capacity` x 1 KiB plus the parsed values even
//! when a client sends megabyte-long headers.
//!
//! CloudFront logs the User-Agent percent-encoded; [`UaCache::get_encoded`] keys those entries
//! by the field as logged and keeps the decoded text (the visitor-id hash input) beside the
//! parse, so a hit skips decoding as well as parsing.
//!
//! Keys are `Box<str>` so a lookup by `&str` needs no allocation, hashed
//! with FxHash, several times faster than SipHash on 100-300 byte strings.
//! FxHash is not collision resistant; a client crafting colliding UAs can
//! at worst turn lookups into a scan of one bounded generation, which only
//! costs CPU in that client's batch and cannot grow memory.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::UaParser;
use shared::record::UaFields;

/// Longest user agent kept in the cache (real ones are 100-300 bytes).
pub const MAX_KEY_LEN: usize = 1024;

/// A cached parse, and the decoded text when the key is a percent-encoded log field.
/// The parse is stored in the record's form, so a hit hands rows one shared pointer.
type Entry = (Arc<UaFields>, Option<Arc<str>>);

/// Bounded, approximately-LRU cache keyed by the full user-agent string.
pub struct UaCache {
    hot: FxHashMap<Box<str>, Entry>,
    old: FxHashMap<Box<str>, Entry>,
    /// Entries per generation (`capacity / 2`, at least 1).
    generation: usize,
    hits: u64,
    misses: u64,
}

impl UaCache {
    /// A cache holding at most `capacity` user agents (minimum 2).
    pub fn new(capacity: usize) -> Self {
        let generation = (capacity / 2).max(1);
        Self {
            hot: FxHashMap::with_capacity_and_hasher(generation, Default::default()),
            old: FxHashMap::default(),
            generation,
            hits: 0,
            misses: 0,
        }
    }

    /// Parsed form of `ua`. A hit costs one hash and an `Arc` clone; a miss
    /// runs [`UaParser::parse`] and stores the result.
    pub fn get(&mut self, parser: &UaParser, ua: &str) -> Arc<UaFields> {
        match self.lookup(ua) {
            Some((info, _)) => info,
            None => {
                let info = Arc::new(UaFields::from(parser.parse(ua)));
                self.store(ua, (Arc::clone(&info), None));
                info
            }
        }
    }

    /// Parsed form and decoded text of a percent-encoded User-Agent field, keyed by the field
    /// as logged. `decode` runs only on a miss (or for an entry stored by [`UaCache::get`]).
    pub fn get_encoded(
        &mut self,
        parser: &UaParser,
        field: &str,
        decode: impl FnOnce(&str) -> Arc<str>,
    ) -> (Arc<UaFields>, Arc<str>) {
        match self.lookup(field) {
            Some((info, Some(text))) => (info, text),
            Some((info, None)) => (info, decode(field)),
            None => {
                let text = decode(field);
                let info = Arc::new(UaFields::from(parser.parse(&text)));
                self.store(field, (Arc::clone(&info), Some(Arc::clone(&text))));
                (info, text)
            }
        }
    }

    /// A hit (counted, promoted from the old generation); `None` counts a miss.
    fn lookup(&mut self, key: &str) -> Option<Entry> {
        if let Some(entry) = self.hot.get(key) {
            self.hits += 1;
            return Some(entry.clone());
        }
        if let Some((key, entry)) = self.old.remove_entry(key) {
            // Promotion reuses the key allocation from the old generation.
            self.hits += 1;
            let out = entry.clone();
            self.insert(key, entry);
            return Some(out);
        }
        self.misses += 1;
        None
    }

    fn store(&mut self, key: &str, entry: Entry) {
        if key.len() <= MAX_KEY_LEN {
            self.insert(key.into(), entry);
        }
    }

    fn insert(&mut self, key: Box<str>, entry: Entry) {
        if self.hot.len() >= self.generation {
            // Rotate: the previous `old` generation is dropped wholesale.
            let fresh = FxHashMap::with_capacity_and_hasher(self.generation, Default::default());
            self.old = std::mem::replace(&mut self.hot, fresh);
        }
        self.hot.insert(key, entry);
    }

    /// Lookups answered from the cache.
    pub fn hits(&self) -> u64 {
        self.hits
    }

    /// Lookups that needed a full parse.
    pub fn misses(&self) -> u64 {
        self.misses
    }

    /// Entries currently held (never more than the capacity).
    pub fn len(&self) -> usize {
        self.hot.len() + self.old.len()
    }

    /// Whether the cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
