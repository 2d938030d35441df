//! Streaming sessionization (seeds-spec A.10.1, REC): hits arrive in time order; per key a new
//! session starts at the first hit and whenever the gap to the key's previous hit is greater
//! than [`SESSION_GAP_MS`]. Equal timestamps never split a session (ownstats' tie branches
//! inflated visits and bounces with double-fired pageviews).

use super::SESSION_GAP_MS;
use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};
use std::hash::Hash;

/// One session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session<K> {
    /// The sessionization key (daily visitor id, client key…).
    pub key: K,
    /// First hit, epoch ms.
    pub start_ms: i64,
    /// Last hit, epoch ms.
    pub end_ms: i64,
    /// Number of hits.
    pub hits: u32,
    /// Caller's id of the first (landing) hit.
    pub first: u64,
    /// Caller's id of the last (exit) hit.
    pub last: u64,
}

impl<K> Session<K> {
    /// Whole seconds between the first and the last hit.
    pub fn duration_sec(&self) -> i64 {
        (self.end_ms - self.start_ms) / 1000
    }

    /// A bounce: every hit shares one timestamp (normally a lone pageview; a double-fired
    /// pageview is still one bounce).
    pub fn is_bounce(&self) -> bool {
        self.start_ms == self.end_ms
    }
}

/// Assigns hits (in non-decreasing time order) to sessions.
#[derive(Debug)]
pub struct Sessionizer<K> {
    open: FxHashMap<K, u32>,
    sessions: Vec<Session<K>>,
}

impl<K: Hash + Eq + Clone> Default for Sessionizer<K> {
    fn default() -> Self {
        Sessionizer {
            open: FxHashMap::default(),
            sessions: Vec::new(),
        }
    }
}

impl<K: Hash + Eq + Clone> Sessionizer<K> {
    /// Adds a hit; returns its session's index and whether the hit started it.
    pub fn push(&mut self, key: &K, ts: i64, id: u64) -> (u32, bool) {
        if let Some(&s) = self.open.get(key) {
            let session = &mut self.sessions[s as usize];
            // Time order is the caller's invariant; a hit "before" the last one (impossible
            // after sorting) is treated as a zero gap rather than a negative one.
            if ts - session.end_ms <= SESSION_GAP_MS {
                session.end_ms = session.end_ms.max(ts);
                session.hits += 1;
                session.last = id;
                return (s, false);
            }
        }
        let s = self.sessions.len() as u32;
        self.sessions.push(Session {
            key: key.clone(),
            start_ms: ts,
            end_ms: ts,
            hits: 1,
            first: id,
            last: id,
        });
        self.open.insert(key.clone(), s);
        (s, true)
    }

    /// Sessions so far, in order of their first hit.
    pub fn sessions(&self) -> &[Session<K>] {
        &self.sessions
    }

    /// All sessions, in order of their first hit.
    pub fn finish(self) -> Vec<Session<K>> {
        self.sessions
    }
}

/// Deterministic session id: lower-case hex SHA-256 of `key|start_ms` (the same text DuckDB
/// builds with `sha256(daily_visitor_id || '|' || epoch_ms(session_start))`).
pub fn session_id(key: &str, start_ms: i64) -> String {
    let mut h = Sha256::new();
    h.update(key.as_bytes());
    h.update(b"|");
    h.update(start_ms.to_string().as_bytes());
    let d = h.finalize();
    let mut out = String::with_capacity(64);
    for b in d {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1000;

    #[test]
    fn table() {
        // (comment, hits as (key, ts), expected sessions as (key, start, end, hits, bounce))
        type Case = (
            &'static str,
            Vec<(&'static str, i64)>,
            Vec<(&'static str, i64, i64, u32, bool)>,
        );
        let cases: Vec<Case> = vec![
            (
                "lone pageview bounces",
                vec![("a", 0)],
                vec![("a", 0, 0, 1, true)],
            ),
            (
                "gap of exactly 1800 s keeps the session",
                vec![("a", 0), ("a", 1800 * S)],
                vec![("a", 0, 1800 * S, 2, false)],
            ),
            (
                "gap of 1800.001 s splits",
                vec![("a", 0), ("a", 1800 * S + 1)],
                vec![
                    ("a", 0, 0, 1, true),
                    ("a", 1800 * S + 1, 1800 * S + 1, 1, true),
                ],
            ),
            (
                "ties never split; a double-fired lone pageview is one bounce",
                vec![("a", 5), ("a", 5)],
                vec![("a", 5, 5, 2, true)],
            ),
            (
                "tie in the middle stays one session",
                vec![("a", 0), ("a", 10 * S), ("a", 10 * S), ("a", 20 * S)],
                vec![("a", 0, 20 * S, 4, false)],
            ),
            (
                "keys are independent",
                vec![("a", 0), ("b", S), ("a", 2 * S), ("b", 4000 * S)],
                vec![
                    ("a", 0, 2 * S, 2, false),
                    ("b", S, S, 1, true),
                    ("b", 4000 * S, 4000 * S, 1, true),
                ],
            ),
            (
                "a chain of short gaps spans more than 30 minutes",
                vec![("a", 0), ("a", 1000 * S), ("a", 2000 * S), ("a", 3000 * S)],
                vec![("a", 0, 3000 * S, 4, false)],
            ),
        ];
        for (name, hits, want) in cases {
            let mut s = Sessionizer::default();
            for (i, (k, ts)) in hits.iter().enumerate() {
                s.push(&k.to_string(), *ts, i as u64);
            }
            let got: Vec<_> = s
                .finish()
                .into_iter()
                .map(|x| (x.key.clone(), x.start_ms, x.end_ms, x.hits, x.is_bounce()))
                .collect();
            let want: Vec<_> = want
                .into_iter()
                .map(|(k, a, b, n, bo)| (k.to_string(), a, b, n, bo))
                .collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn first_and_last_ids_and_duration() {
        let mut s = Sessionizer::default();
        assert_eq!(s.push(&1u32, 0, 7), (0, true));
        assert_eq!(s.push(&1u32, 61_999, 9), (0, false));
        let x = &s.finish()[0];
        assert_eq!((x.first, x.last, x.duration_sec()), (7, 9, 61));
    }

    #[test]
    fn session_id_is_stable() {
        assert_eq!(session_id("v", 1), session_id("v", 1));
        assert_ne!(session_id("v", 1), session_id("v", 2));
        assert_eq!(session_id("v", 1).len(), 64);
    }
}
