//! Query-string splitting and percent-decoding.
//!
//! CloudFront real-time logs percent-encode the (already encoded) query string once more, so a
//! tracker value is decoded twice ("decode2" in seeds-spec): first as a URL query parser does
//! (`+` is a space, `%XX` a byte, a malformed `%` stays literal), then strictly
//! (`decodeURIComponent`: a malformed `%` or invalid UTF-8 is an error). Values without `%` or
//! `+` are borrowed, so the common case allocates nothing; the others are written into the
//! engine's per-line arena ([`decode_value_in`]), not into a `String` each.

use bumpalo::Bump;
use std::borrow::Cow;

pub use super::params::{Params, MAX_PARAMS};

/// How many times query values were encoded on top of the browser's `encodeURIComponent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// A query as the browser sent it (our collector): decode once.
    Once,
    /// A CloudFront real-time log query: decode twice.
    Twice,
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// First `%` or `+`. Most values are a few bytes long (`24`, `en-US`), where a plain loop beats
/// memchr's call and set-up.
fn find_escape(s: &[u8]) -> Option<usize> {
    if s.len() < 16 {
        s.iter().position(|&b| b == b'%' || b == b'+')
    } else {
        memchr::memchr2(b'%', b'+', s)
    }
}

const MALFORMED: &str = "malformed percent-escape";

/// Writes the decoding of `s` into `out` and returns how many bytes it wrote: the query-parser
/// level (`+` → space, `%XX` → byte, malformed `%` kept), then, when `twice`, the strict level
/// fused into the same pass (each first-level byte goes through a small `%XX` state machine),
/// so a doubly encoded value is read once and written once. `Err` only from the strict level.
///
/// Every step reads at least one byte of `s` and writes at most one, so `out` needs no more
/// than `s.len()` bytes (a shorter `out` panics on the index, it is never overrun). The output
/// is a slice and a local count, not a growing `Vec`: with `Vec::push` the length lived on the
/// stack, and its load-increment-store was the loop's critical path (`perf annotate`).
fn decode_into(s: &[u8], twice: bool, out: &mut [u8]) -> Result<usize, &'static str> {
    // Strict-level state: 0 = plain, 1 = after '%', 2 = after '%' and one hex digit (`hi`).
    let (mut state, mut hi) = (0u8, 0u8);
    let (mut i, mut n) = (0, 0);
    while let Some(&c) = s.get(i) {
        if state == 0 {
            // Fast paths with no strict-level escape pending: a plain byte, and (twice) a
            // doubly encoded byte `%25XX`. Hex digits are never `%` or `+`, so the first level
            // passes X and X through and the strict level turns `%XX` into one byte.
            if c != b'%' && c != b'+' {
                out[n] = c;
                n += 1;
                i += 1;
                continue;
            }
            if let (true, Some(&[b'2', b'5', h, l])) = (twice, s.get(i + 1..i + 5)) {
                if let (Some(h), Some(l)) = (hex(h), hex(l)) {
                    out[n] = h << 4 | l;
                    n += 1;
                    i += 5;
                    continue;
                }
            }
        }
        let b = match c {
            b'+' => {
                i += 1;
                b' '
            }
            b'%' => match (
                s.get(i + 1).copied().and_then(hex),
                s.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => {
                    i += 3;
                    h << 4 | l
                }
                _ => {
                    i += 1;
                    b'%'
                }
            },
            c => {
                i += 1;
                c
            }
        };
        match state {
            0 if twice && b == b'%' => state = 1,
            0 => {
                out[n] = b;
                n += 1;
            }
            1 => {
                hi = hex(b).ok_or(MALFORMED)?;
                state = 2;
            }
            _ => {
                out[n] = hi << 4 | hex(b).ok_or(MALFORMED)?;
                n += 1;
                state = 0;
            }
        }
    }
    if state == 0 {
        Ok(n)
    } else {
        Err(MALFORMED)
    }
}

/// Writes `s` decoded into `out` (at least `s.len()` bytes) and returns the decoded length:
/// the bytes before `first` (the first `%` or `+`) copied as they are, the rest by
/// [`decode_into`].
fn decode_after(
    s: &[u8],
    first: usize,
    twice: bool,
    out: &mut [u8],
) -> Result<usize, &'static str> {
    out[..first].copy_from_slice(&s[..first]);
    Ok(first + decode_into(&s[first..], twice, &mut out[first..])?)
}

/// [`decode_after`] into a new `Vec`.
fn decode_to_vec(s: &[u8], first: usize, twice: bool) -> Result<Vec<u8>, &'static str> {
    let mut out = vec![0; s.len()];
    let n = decode_after(s, first, twice, &mut out)?;
    out.truncate(n);
    Ok(out)
}

/// Appends the strict percent-decoding of `s` to `out`; `None` on a malformed `%`.
fn strict_decode_into(s: &[u8], out: &mut Vec<u8>) -> Option<()> {
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        if c == b'%' {
            let h = hex(*s.get(i + 1)?)?;
            let l = hex(*s.get(i + 2)?)?;
            out.push(h << 4 | l);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    Some(())
}

/// Query-parser decoding: `+` → space, `%XX` → byte, malformed `%` kept. Never fails.
pub fn form_decode(s: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = find_escape(s) else {
        return Cow::Borrowed(s);
    };
    // The first level cannot fail.
    Cow::Owned(decode_to_vec(s, first, false).unwrap_or_default())
}

/// Strict percent-decoding (`decodeURIComponent`): `None` on a malformed `%`.
pub fn strict_decode(s: &[u8]) -> Option<Cow<'_, [u8]>> {
    let Some(first) = memchr::memchr(b'%', s) else {
        return Some(Cow::Borrowed(s));
    };
    let mut out = Vec::with_capacity(s.len());
    out.extend_from_slice(&s[..first]);
    strict_decode_into(&s[first..], &mut out)?;
    Some(Cow::Owned(out))
}

fn into_str(b: Cow<'_, [u8]>) -> Option<Cow<'_, str>> {
    match b {
        Cow::Borrowed(b) => std::str::from_utf8(b).ok().map(Cow::Borrowed),
        Cow::Owned(v) => String::from_utf8(v).ok().map(Cow::Owned),
    }
}

/// Decodes one raw query value; `Err` carries why (malformed escape or invalid UTF-8).
pub fn decode_value(raw: &str, enc: Encoding) -> Result<Cow<'_, str>, &'static str> {
    let bytes = raw.as_bytes();
    let Some(first) = find_escape(bytes) else {
        return Ok(Cow::Borrowed(raw));
    };
    String::from_utf8(decode_to_vec(bytes, first, enc == Encoding::Twice)?)
        .map(Cow::Owned)
        .map_err(|_| "invalid UTF-8 after percent-decoding")
}

/// [`decode_value`] with the decoded bytes in `arena` (one bump allocation, freed with the
/// line) instead of a `String` of their own.
pub fn decode_value_in<'a>(
    raw: &'a str,
    enc: Encoding,
    arena: &'a Bump,
) -> Result<&'a str, &'static str> {
    let bytes = raw.as_bytes();
    let Some(first) = find_escape(bytes) else {
        return Ok(raw);
    };
    let out = arena.alloc_slice_fill_copy(bytes.len(), 0u8);
    let n = decode_after(bytes, first, enc == Encoding::Twice, out)?;
    let out = &out[..n];
    // simdutf8: decoded URLs and referrers are long enough for its SIMD check to beat std's
    // (it passes short inputs to std itself).
    simdutf8::basic::from_utf8(out).map_err(|_| "invalid UTF-8 after percent-decoding")
}

/// One more strict decode if it works, else the value unchanged (UTM values arrive encoded
/// once more than other parameters; a value that does not decode is kept as sent).
pub fn decode_extra_lenient(v: Cow<'_, str>) -> Cow<'_, str> {
    match strict_decode(v.as_bytes()) {
        Some(Cow::Owned(b)) => match String::from_utf8(b) {
            Ok(s) => Cow::Owned(s),
            Err(_) => v,
        },
        _ => v,
    }
}

/// Strict single percent-decode of a whole field (CloudFront's `cs-user-agent`); the raw text
/// when it does not decode.
pub fn percent_decode_field(raw: &str) -> Cow<'_, str> {
    match strict_decode(raw.as_bytes()).and_then(into_str) {
        Some(s) => s,
        None => Cow::Borrowed(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decode_twice_table() {
        let cases = [
            (
                "http%253A%252F%252Flocalhost%253A3000%252Fazure",
                Ok("http://localhost:3000/azure"),
            ),
            (
                "Map%2520the%2520Cloud%2520-%2520Azure%2520Services%2520%2526%2520Regions",
                Ok("Map the Cloud - Azure Services & Regions"),
            ),
            ("%257B%257D", Ok("{}")),
            ("plain", Ok("plain")),
            ("a+b", Ok("a b")),
            ("%252", Err("malformed percent-escape")),
            ("%25zz", Err("malformed percent-escape")),
            ("%25ff", Err("invalid UTF-8 after percent-decoding")),
            ("%25C3%25BC", Ok("ü")),
        ];
        for (raw, want) in cases {
            assert_eq!(
                decode_value(raw, Encoding::Twice)
                    .as_deref()
                    .map_err(|e| *e),
                want,
                "{raw}"
            );
        }
        assert_eq!(decode_value("a%2Fb+c", Encoding::Once).unwrap(), "a/b c");
        assert_eq!(decode_value("100%", Encoding::Once).unwrap(), "100%");
    }

    #[test]
    fn params_lookup() {
        let p = Params::parse("t=pv&ts=1&empty=&novalue&u=x%2Fy&t=second");
        assert_eq!(p.raw("t"), Some("pv"));
        assert_eq!(p.raw("empty"), None);
        assert_eq!(p.raw("novalue"), None);
        assert_eq!(p.get("u", Encoding::Once).unwrap().as_deref(), Some("x/y"));
        assert_eq!(p.get("missing", Encoding::Once).unwrap(), None);
    }

    proptest! {
        #[test]
        fn never_panics(s in any::<String>(), b in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_value(&s, Encoding::Twice);
            let _ = decode_value(&s, Encoding::Once);
            let _ = form_decode(&b);
            let _ = strict_decode(&b);
            let p = Params::parse(&s);
            let _ = p.get("t", Encoding::Twice);
        }

        /// The arena decoder is the heap decoder with another output: same values, same errors.
        #[test]
        fn arena_decoding_equals_heap_decoding(s in "(t=)?[a-z%+25A-F0-9&=\\x{e9}]{0,40}") {
            let arena = Bump::new();
            for enc in [Encoding::Once, Encoding::Twice] {
                let heap = decode_value(&s, enc);
                let bump = decode_value_in(&s, enc, &arena);
                prop_assert_eq!(heap.as_deref().map_err(|e| *e), bump);
                let (p, q) = (Params::parse(&s), Params::parse_in(&s, &arena));
                prop_assert_eq!(p.get("t", enc), q.get("t", enc));
            }
        }

        #[test]
        fn twice_undoes_double_encoding(s in any::<String>()) {
            let enc1: String = s.bytes().map(|b| format!("%{b:02X}")).collect();
            let enc2 = enc1.replace('%', "%25");
            prop_assert_eq!(decode_value(&enc2, Encoding::Twice).unwrap(), s);
        }
    }
}
