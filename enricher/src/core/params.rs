//! The `key=value` pairs of a query string: one memchr pass over the query fills a fixed slot
//! per parameter the mappers read, so each of the ~25 lookups per hit is an array index instead
//! of a scan. Other keys are still found, by re-scanning the query.

use super::decode::{decode_value, decode_value_in, Encoding};
use bumpalo::Bump;
use std::borrow::Cow;

/// Maximum parameters looked at in one query; the tracker sends at most ~25.
pub const MAX_PARAMS: usize = 64;

/// The parameters the mappers read, each with a fixed slot so a lookup is an array index.
#[rustfmt::skip]
const KNOWN: [&str; 29] = [
    "t", "hn", "dk", "ts", "pa", "u", "r", "uso", "uca", "ume", "uco", "ute", "en", "pr", "tz",
    "l", "w", "h", "iw", "ih", "d", "p", "m", "c",
    "utm_source", "utm_campaign", "utm_medium", "utm_content", "utm_term",
];

/// Slot of a known key (position in [`KNOWN`]). Always inlined: the mappers' keys are
/// literals, so a lookup folds to a constant slot.
#[inline(always)]
fn slot(key: &[u8]) -> Option<usize> {
    // Match on length first: most keys are one or two bytes.
    let i = match key {
        [b] => match b {
            b't' => 0,
            b'u' => 5,
            b'r' => 6,
            b'l' => 15,
            b'w' => 16,
            b'h' => 17,
            b'd' => 20,
            b'p' => 21,
            b'm' => 22,
            b'c' => 23,
            _ => return None,
        },
        [a, b] => match (a, b) {
            (b'h', b'n') => 1,
            (b'd', b'k') => 2,
            (b't', b's') => 3,
            (b'p', b'a') => 4,
            (b'e', b'n') => 12,
            (b'p', b'r') => 13,
            (b't', b'z') => 14,
            (b'i', b'w') => 18,
            (b'i', b'h') => 19,
            _ => return None,
        },
        b"uso" => 7,
        b"uca" => 8,
        b"ume" => 9,
        b"uco" => 10,
        b"ute" => 11,
        b"utm_source" => 24,
        b"utm_campaign" => 25,
        b"utm_medium" => 26,
        b"utm_content" => 27,
        b"utm_term" => 28,
        _ => return None,
    };
    Some(i)
}

/// Calls `f(key, value)` for the first [`MAX_PARAMS`] non-empty `&`-separated parts, in order.
/// memchr finds each `&`; the `=` is searched from the part's start by a plain loop, since keys
/// are a few bytes long (one memchr call per part, instead of one per separator of either kind).
fn for_each_pair<'a>(query: &'a str, mut f: impl FnMut(&'a str, &'a str)) {
    let b = query.as_bytes();
    let (mut start, mut n) = (0usize, 0usize);
    while start <= b.len() {
        let end = memchr::memchr(b'&', &b[start..]).map_or(b.len(), |i| start + i);
        let part = &b[start..end];
        if !part.is_empty() {
            // Separators are ASCII, so these are char boundaries; `get` keeps it panic-free.
            let (k, v) = match part.iter().position(|&c| c == b'=') {
                Some(e) => (query.get(start..start + e), query.get(start + e + 1..end)),
                None => (query.get(start..end), Some("")),
            };
            if let (Some(k), Some(v)) = (k, v) {
                f(k, v);
            }
            n += 1;
            if n == MAX_PARAMS {
                return;
            }
        }
        start = end + 1;
    }
}

/// The reason text of a parameter that does not decode. Cold and out of line so that the
/// inlined lookups stay small (building it in `Params::get` kept `get` out of line: BENCHMARKS.md
/// 2026-11-25, late morning).
#[cold]
#[inline(never)]
fn bad_param(key: &str, why: &str) -> String {
    format!("parameter {key}: {why}")
}

/// The `key=value` pairs of a query string, split once, values still encoded.
pub struct Params<'a> {
    query: &'a str,
    /// First value of each [`KNOWN`] key (possibly empty).
    known: [Option<&'a str>; KNOWN.len()],
    /// Where decoded values go (the engine's per-line arena); `None`: each its own `String`.
    arena: Option<&'a Bump>,
}

impl<'a> Params<'a> {
    /// Splits `query` (without the leading `?`). Extra pairs beyond [`MAX_PARAMS`] are ignored.
    pub fn parse(query: &'a str) -> Params<'a> {
        let mut known = [None; KNOWN.len()];
        for_each_pair(query, |k, v| {
            if let Some(i) = slot(k.as_bytes()) {
                known[i] = known[i].or(Some(v));
            }
        });
        Params {
            query,
            known,
            arena: None,
        }
    }

    /// [`Params::parse`], decoding values into `arena` (borrowed by the record, so a line's
    /// decoded values cost one bump allocation each instead of a `malloc` and a `free`).
    pub fn parse_in(query: &'a str, arena: &'a Bump) -> Params<'a> {
        Params {
            arena: Some(arena),
            ..Params::parse(query)
        }
    }

    /// The arena values are decoded into, if any.
    pub fn arena(&self) -> Option<&'a Bump> {
        self.arena
    }

    /// Raw (still encoded) value of the first `key`; empty values count as absent, as in the
    /// tracker, which omits falsy values.
    #[inline(always)]
    pub fn raw(&self, key: &str) -> Option<&'a str> {
        let v = match slot(key.as_bytes()) {
            Some(i) => self.known[i],
            None => self.scan(key),
        };
        v.filter(|v| !v.is_empty())
    }

    /// First value of a key without a slot, by re-scanning the query.
    #[inline(never)]
    fn scan(&self, key: &str) -> Option<&'a str> {
        let mut found = None;
        for_each_pair(self.query, |k, v| {
            if found.is_none() && k == key {
                found = Some(v);
            }
        });
        found
    }

    /// Decoded value of `key`; `Err` names the parameter when it does not decode.
    /// Inlined into the mappers (the key then folds to its slot); the error text is built
    /// out of line.
    #[inline(always)]
    pub fn get(&self, key: &str, enc: Encoding) -> Result<Option<Cow<'a, str>>, String> {
        match self.raw(key) {
            None => Ok(None),
            Some(raw) => match self.arena {
                Some(arena) => match decode_value_in(raw, enc, arena) {
                    Ok(v) => Ok((!v.is_empty()).then_some(Cow::Borrowed(v))),
                    Err(why) => Err(bad_param(key, why)),
                },
                None => match decode_value(raw, enc) {
                    Ok(v) => Ok(if v.is_empty() { None } else { Some(v) }),
                    Err(why) => Err(bad_param(key, why)),
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_key_has_its_own_slot() {
        for (i, k) in KNOWN.iter().enumerate() {
            assert_eq!(slot(k.as_bytes()), Some(i), "{k}");
        }
        for k in ["", "x", "tt", "utm_", "utm_sourc", "hN", "T"] {
            assert_eq!(slot(k.as_bytes()), None, "{k}");
        }
    }
}
