//! Tiny scanning helpers for the naming layer.
//!
//! ua-parser-js reads names and versions with case-insensitive patterns such
//! as `/firefox\/([\w\.]+)/i`. Running a regex per rule would double the
//! cost of a cache miss, and using the `regex` crate directly would add a
//! dependency, so the few shapes needed ("token, optional separator, run of
//! word characters") are hand-written here over one ASCII-lowercased copy of
//! the UA. ASCII lowercasing keeps byte offsets, so positions found in the
//! copy index the original string, and every needle is ASCII, so slices
//! always fall on char boundaries.

/// JavaScript `\w` (ASCII only, like JS regexes without the `u` flag).
#[inline]
pub(super) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The byte pairs that occur in a haystack, as a 4,096-bit set keyed by a hash of the pair.
///
/// A parse runs a few hundred needle searches over one UA (every rule of ua-parser-js's
/// browser and OS lists), and nearly all of them fail. A needle containing a pair the UA
/// lacks cannot occur, so a few bit tests settle most searches instead of a scan of the UA.
/// Hash collisions only let a search run: results are those of the plain scan.
pub(super) struct Pairs([u64; 64]);

impl Pairs {
    #[inline]
    fn key(a: u8, b: u8) -> usize {
        (usize::from(a) * 131 + usize::from(b)) & 4095
    }

    /// The pairs of `hay`.
    pub fn of(hay: &[u8]) -> Self {
        let mut bits = [0u64; 64];
        for w in hay.windows(2) {
            let k = Self::key(w[0], w[1]);
            bits[k >> 6] |= 1 << (k & 63);
        }
        Pairs(bits)
    }

    #[inline]
    fn has(&self, a: u8, b: u8) -> bool {
        let k = Self::key(a, b);
        self.0[k >> 6] >> (k & 63) & 1 == 1
    }

    /// False when `needle` cannot occur in the haystack (one of its pairs is absent).
    #[inline]
    fn may_contain(&self, needle: &[u8]) -> bool {
        needle.windows(2).all(|w| self.has(w[0], w[1]))
    }
}

/// A user agent and its ASCII-lowercased copy (same length).
#[derive(Clone, Copy)]
pub(super) struct Hay<'a> {
    pub ua: &'a str,
    pub lower: &'a str,
    /// The pairs of `lower`, when the caller built them (see [`Pairs`]).
    pairs: Option<&'a Pairs>,
}

impl<'a> Hay<'a> {
    /// `lower` must be `ua.to_ascii_lowercase()` (or a prefix-aligned slice of it).
    pub fn new(ua: &'a str, lower: &'a str) -> Self {
        debug_assert_eq!(ua.len(), lower.len());
        Self {
            ua,
            lower,
            pairs: None,
        }
    }

    /// [`Hay::new`] whose searches first consult `pairs`, which must be `Pairs::of(lower)`.
    pub fn with_pairs(ua: &'a str, lower: &'a str, pairs: &'a Pairs) -> Self {
        Self {
            pairs: Some(pairs),
            ..Self::new(ua, lower)
        }
    }

    pub fn len(&self) -> usize {
        self.lower.len()
    }

    /// First occurrence of `needle` (lowercase ASCII) at or after `from`.
    ///
    /// With [`Pairs`], a needle one of whose byte pairs the UA lacks returns at once. Else a
    /// memchr for the first byte plus a slice compare: haystacks are a few hundred bytes and
    /// needles a few bytes, where `str::find`'s two-way searcher spends more time being set up
    /// than searching.
    pub fn find_from(&self, needle: &str, from: usize) -> Option<usize> {
        let hay = self.lower.as_bytes();
        let needle = needle.as_bytes();
        if self.pairs.is_some_and(|p| !p.may_contain(needle)) {
            return None;
        }
        let (&first, rest) = needle.split_first()?;
        let last_start = hay.len().checked_sub(needle.len())?;
        let mut i = from;
        while i <= last_start {
            i += memchr::memchr(first, &hay[i..=last_start])?;
            if hay[i + 1..i + needle.len()] == *rest {
                return Some(i);
            }
            i += 1;
        }
        None
    }

    pub fn find(&self, needle: &str) -> Option<usize> {
        self.find_from(needle, 0)
    }

    pub fn contains(&self, needle: &str) -> bool {
        self.find(needle).is_some()
    }

    /// Every (possibly overlapping) occurrence of `needle`, in order.
    pub fn occurrences(self, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
        let mut from = 0;
        std::iter::from_fn(move || {
            let at = self.find_from(needle, from)?;
            from = at + 1;
            Some(at)
        })
    }

    /// Lowercase byte at `i`.
    pub fn byte(&self, i: usize) -> Option<u8> {
        self.lower.as_bytes().get(i).copied()
    }

    /// Whether the lowercase text at `at` starts with `s`.
    pub fn at(&self, at: usize, s: &str) -> bool {
        self.lower
            .as_bytes()
            .get(at..)
            .is_some_and(|b| b.starts_with(s.as_bytes()))
    }

    /// Whether the lowercase text before `at` ends with `s`.
    pub fn before(&self, at: usize, s: &str) -> bool {
        self.lower
            .as_bytes()
            .get(..at)
            .is_some_and(|b| b.ends_with(s.as_bytes()))
    }

    /// Original text between two offsets produced by this module.
    pub fn slice(&self, from: usize, to: usize) -> &'a str {
        self.ua.get(from..to).unwrap_or("")
    }

    /// Longest run at `start` of JS `\w`, `.` and the bytes in `extra`
    /// (`[\w\.]*`, or `[-\w\.]*` with `extra = b"-"`), in original case.
    pub fn run(&self, start: usize, extra: &[u8]) -> &'a str {
        let b = self.lower.as_bytes();
        let mut end = start.min(b.len());
        while end < b.len() && (is_word(b[end]) || b[end] == b'.' || extra.contains(&b[end])) {
            end += 1;
        }
        self.slice(start.min(b.len()), end)
    }

    /// Offset just past one optional separator from `seps` at `at`.
    pub fn skip_one(&self, at: usize, seps: &[u8]) -> usize {
        match self.byte(at) {
            Some(c) if seps.contains(&c) => at + 1,
            _ => at,
        }
    }

    /// Like `/needle([\w.]+)/i`: the first occurrence followed by a
    /// non-empty run wins, as a regex would keep scanning.
    pub fn version_after(&self, needle: &'a str, extra: &[u8]) -> Option<&'a str> {
        self.occurrences(needle).find_map(|at| {
            let run = self.run(at + needle.len(), extra);
            (!run.is_empty()).then_some(run)
        })
    }

    /// Same with a `\b` required before the needle.
    pub fn version_after_b(&self, needle: &'a str, extra: &[u8]) -> Option<&'a str> {
        self.occurrences(needle).find_map(|at| {
            if at > 0 && self.byte(at - 1).is_some_and(is_word) {
                return None;
            }
            let run = self.run(at + needle.len(), extra);
            (!run.is_empty()).then_some(run)
        })
    }

    /// Leading `[\d\.]*` at `start`.
    pub fn digits(&self, start: usize) -> &'a str {
        let b = self.lower.as_bytes();
        let mut end = start.min(b.len());
        while end < b.len() && (b[end].is_ascii_digit() || b[end] == b'.') {
            end += 1;
        }
        self.slice(start.min(b.len()), end)
    }
}

/// Truncates to at most `max` bytes on a char boundary (ua-parser-js caps
/// user agents at 500 UTF-16 units; for the ASCII strings that matter the
/// two limits agree).
pub(super) fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<R>(ua: &str, f: impl FnOnce(Hay<'_>) -> R) -> R {
        let lower = ua.to_ascii_lowercase();
        f(Hay::new(ua, &lower))
    }

    #[test]
    fn finds_case_insensitively() {
        with("Mozilla Chrome/1", |h| {
            assert_eq!(h.find("chrome/"), Some(8))
        });
        with("aXaxa", |h| assert_eq!(h.occurrences("a").count(), 3));
        with("é€x", |h| assert_eq!(h.find_from("x", 1), Some(5)));
        with("ab", |h| assert_eq!(h.find_from("b", 10), None));
    }

    #[test]
    fn versions_follow_js_semantics() {
        with("Foo Chrome/ x Chrome/120.0.6099.109 Safari", |h| {
            assert_eq!(h.version_after("chrome/", b""), Some("120.0.6099.109"));
        });
        with("xopr/1", |h| {
            assert_eq!(h.version_after_b("opr/", b""), None)
        });
        with("x OPR/1", |h| {
            assert_eq!(h.version_after_b("opr/", b""), Some("1"))
        });
        with("Tesla/2023.44-1", |h| {
            assert_eq!(h.version_after("tesla/", b"-"), Some("2023.44-1"))
        });
    }

    #[test]
    fn pairs_reject_needles_whose_pairs_are_absent() {
        let pairs = Pairs::of(b"mozilla/5.0");
        assert!(pairs.may_contain(b"zil") && pairs.may_contain(b"a/5") && pairs.may_contain(b"x"));
        // Not every absent needle is rejected (pairs hash into 4,096 bits), but these are.
        assert!(!pairs.may_contain(b"chrome/"));
        assert!(!pairs.may_contain(b"qq"));
    }

    proptest::proptest! {
        /// The filter only skips searches that cannot succeed: every result is the plain
        /// scan's (a small alphabet gives many partial matches).
        #[test]
        fn pairs_never_change_a_search(
            hay in "[abc/ .]{0,40}",
            needle in "[abc/]{1,5}",
            from in 0usize..45,
        ) {
            let pairs = Pairs::of(hay.as_bytes());
            let plain = Hay::new(&hay, &hay);
            let filtered = Hay::with_pairs(&hay, &hay, &pairs);
            proptest::prop_assert_eq!(plain.find_from(&needle, from), filtered.find_from(&needle, from));
            proptest::prop_assert_eq!(
                plain.occurrences(&needle).collect::<Vec<_>>(),
                filtered.occurrences(&needle).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn truncates_on_char_boundary() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
