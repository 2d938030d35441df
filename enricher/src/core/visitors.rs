//! The hash states of recent daily visitors, so a visitor's later hits skip most of SHA-256.
//!
//! All three privacy ids of a hit start with `salt ‖ ip ‖ user agent ‖ date ‖ domain` (~170
//! bytes, 3–4 of the ~8 SHA-256 blocks a hit compresses, counting the visitor id's final block).
//! A visitor sends several hits a day, close together, so a small direct-mapped table of those
//! states answers most hits: 77 % of cf1m.log's lines with 4,096 slots (BENCHMARKS.md,
//! 2026-11-25). A slot is reused only when its whole key matches, byte for byte; a lookup that
//! misses or collides hashes from scratch, so the ids are the same either way (property-tested).

use super::ids::{page_ids, visitor_state, HashInput, HitIds};
use rustc_hash::FxHasher;
use sha2::{Digest, Sha256};
use shared::time::Date;
use std::hash::Hasher;

/// Slots of the table (a power of two). ~200 bytes each.
pub const SLOTS: usize = 4096;

struct Slot {
    date: Date,
    /// `ip ‖ ua ‖ domain`, split by the two lengths.
    key: Vec<u8>,
    ip_len: usize,
    ua_len: usize,
    /// [`visitor_state`] of the key.
    state: Sha256,
    daily_visitor_id: [u8; 32],
}

impl Slot {
    fn matches(&self, i: &HashInput<'_>) -> bool {
        self.date == i.date
            && self.ip_len == i.ip.len()
            && self.ua_len == i.ua.len()
            && self.key.len() == i.ip.len() + i.ua.len() + i.domain.len()
            && self.key[..self.ip_len] == *i.ip.as_bytes()
            && self.key[self.ip_len..self.ip_len + self.ua_len] == *i.ua.as_bytes()
            && self.key[self.ip_len + self.ua_len..] == *i.domain.as_bytes()
    }
}

/// Direct-mapped table of visitor hash states (one per engine, like the UA cache).
pub struct VisitorCache {
    slots: Vec<Option<Slot>>,
    /// Slots once in use (a power of two; allocated on the first hit).
    size: usize,
    hits: u64,
    misses: u64,
}

impl Default for VisitorCache {
    fn default() -> Self {
        Self::with_slots(SLOTS)
    }
}

impl VisitorCache {
    /// A table of `slots` entries, rounded up to a power of two (tests use tiny tables to force
    /// collisions).
    pub fn with_slots(slots: usize) -> Self {
        VisitorCache {
            slots: Vec::new(),
            size: slots.max(1).next_power_of_two(),
            hits: 0,
            misses: 0,
        }
    }

    /// The three ids of `i`; `salted` is the hash state after the salt of `i.date`
    /// ([`super::ids::salted`]), used on a miss.
    pub fn hit_ids(&mut self, salted: &Sha256, i: &HashInput<'_>) -> HitIds {
        if self.slots.is_empty() {
            self.slots.resize_with(self.size, || None);
        }
        let mut h = FxHasher::default();
        h.write(i.ip.as_bytes());
        h.write(i.ua.as_bytes());
        h.write(i.domain.as_bytes());
        h.write_i64(i.date.to_days());
        let slot = &mut self.slots[h.finish() as usize & (self.size - 1)];
        if let Some(s) = slot.as_ref().filter(|s| s.matches(i)) {
            self.hits += 1;
            return page_ids(s.state.clone(), s.daily_visitor_id, i);
        }
        self.misses += 1;
        let state = visitor_state(salted.clone(), i);
        let daily_visitor_id: [u8; 32] = state.clone().finalize().into();
        let s = slot.get_or_insert_with(|| Slot {
            date: i.date,
            key: Vec::new(),
            ip_len: 0,
            ua_len: 0,
            state: Sha256::new(),
            daily_visitor_id,
        });
        s.key.clear();
        s.key.extend_from_slice(i.ip.as_bytes());
        s.key.extend_from_slice(i.ua.as_bytes());
        s.key.extend_from_slice(i.domain.as_bytes());
        (s.date, s.ip_len, s.ua_len) = (i.date, i.ip.len(), i.ua.len());
        s.daily_visitor_id = daily_visitor_id;
        s.state = state.clone();
        page_ids(state, daily_visitor_id, i)
    }

    /// Lookups answered from the table, and lookups that hashed from scratch.
    pub fn stats(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ids::{hit_ids, salted};
    use proptest::prelude::*;

    fn input<'x>(
        ip: &'x str,
        ua: &'x str,
        domain: &'x str,
        path: &'x str,
        day: i32,
    ) -> HashInput<'x> {
        HashInput {
            salt: "salt-of-the-day",
            ip,
            ua,
            date: Date::from_epoch_ms(i64::from(day) * 86_400_000),
            domain,
            path,
            event_ms: i64::from(day) * 86_400_000 + 1234,
        }
    }

    #[test]
    fn a_repeat_visitor_hits_and_gets_the_same_ids() {
        let mut cache = VisitorCache::default();
        let state = salted("salt-of-the-day");
        let a = input("1.2.3.4", "Mozilla/5.0", "a.example", "/x", 20_000);
        let b = input("1.2.3.4", "Mozilla/5.0", "a.example", "/y", 20_000);
        assert_eq!(cache.hit_ids(&state, &a), hit_ids(&a));
        assert_eq!(cache.hit_ids(&state, &b), hit_ids(&b));
        assert_eq!(cache.stats(), (1, 1));
        // Same bytes split differently between ip and ua: another key (it hashes from scratch).
        let c = input("1.2.3.4M", "ozilla/5.0", "a.example", "/y", 20_000);
        assert_eq!(cache.hit_ids(&state, &c), hit_ids(&c));
        assert_eq!(cache.stats(), (1, 2));
    }

    proptest! {
        /// Whatever the sequence (repeats, collisions, neighbours differing in one field), the
        /// cached ids equal the ids hashed from scratch.
        #[test]
        fn cached_ids_equal_direct_ids(
            hits in proptest::collection::vec(
                (0u8..4, 0u8..3, 0u8..3, 0u8..3, 0i32..2), 1..300),
            slots in prop_oneof![Just(1usize), Just(2), Just(SLOTS)],
        ) {
            let ips = ["10.0.0.1", "10.0.0.2", "10.0.0.10", ""];
            let uas = ["curl/8", "curl/9", "Mozilla/5.0 (X11)"];
            let domains = ["a.example", "b.example", "a.exampl"];
            let paths = ["/", "/p", ""];
            let mut cache = VisitorCache::with_slots(slots);
            let state = salted("salt-of-the-day");
            for (ip, ua, d, p, day) in hits {
                let i = input(ips[ip as usize], uas[ua as usize], domains[d as usize],
                    paths[p as usize], 20_000 + day);
                prop_assert_eq!(cache.hit_ids(&state, &i), hit_ids(&i));
            }
        }
    }
}
