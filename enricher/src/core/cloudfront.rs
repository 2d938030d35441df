//! CloudFront real-time log lines (seeds-spec A.3): 12 TAB-separated fields.

use super::outcome::Reason;
use std::borrow::Cow;

/// Field indexes of the configured real-time log format.
pub mod field {
    /// `timestamp`: epoch seconds with milliseconds.
    pub const TIMESTAMP: usize = 0;
    /// `c-ip`.
    pub const CLIENT_IP: usize = 1;
    /// `sc-status`.
    pub const STATUS: usize = 2;
    /// `cs-uri-stem` (in the fixtures it carries the query too).
    pub const URI_STEM: usize = 3;
    /// `cs-bytes`.
    pub const BYTES: usize = 4;
    /// `x-edge-location`, e.g. `HAM50-C2`.
    pub const EDGE_LOCATION: usize = 5;
    /// `time-taken`, seconds.
    pub const TIME_TAKEN: usize = 6;
    /// `cs-user-agent`, percent-encoded once.
    pub const USER_AGENT: usize = 7;
    /// `cs-referer`.
    pub const REFERER: usize = 8;
    /// `cs-uri-query`, `-` when empty.
    pub const QUERY: usize = 9;
    /// `x-edge-result-type`.
    pub const RESULT_TYPE: usize = 10;
    /// `asn`.
    pub const ASN: usize = 11;
}

/// Number of fields in a line.
pub const FIELD_COUNT: usize = 12;

/// Splits a line (trailing `\r\n`/`\n` removed) into its 12 fields.
pub fn split_fields(line: &[u8]) -> Result<[&str; FIELD_COUNT], Reason> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    // A whole ~700-byte line is validated per hit: simdutf8 checks it several times faster
    // than `std::str::from_utf8` (same result; `basic` reports no error position, not needed).
    let text = simdutf8::basic::from_utf8(line)
        .map_err(|_| Cow::Borrowed("cloudfront: line is not valid UTF-8"))?;
    let mut out = [""; FIELD_COUNT];
    let mut n = 0;
    let mut start = 0;
    // TAB is ASCII, so every split point is a char boundary of the validated text.
    for tab in memchr::memchr_iter(b'\t', line).chain(std::iter::once(line.len())) {
        if n == FIELD_COUNT {
            return Err(Cow::Borrowed(
                "cloudfront: more than 12 TAB-separated fields",
            ));
        }
        out[n] = text.get(start..tab).unwrap_or_default();
        n += 1;
        start = tab + 1;
    }
    if n != FIELD_COUNT {
        return Err(Cow::Owned(format!(
            "cloudfront: {n} TAB-separated fields, expected 12"
        )));
    }
    Ok(out)
}

/// `1668968526.477` → 1668968526477 ms (the fraction is kept; ownstats truncated it).
pub fn parse_epoch_seconds(s: &str) -> Option<i64> {
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    if secs.is_empty() || secs.len() > 12 || !secs.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut ms: i64 = 0;
    for i in 0..3 {
        ms = ms * 10 + frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
    }
    Some(secs.parse::<i64>().ok()? * 1000 + ms)
}

/// `0.421` seconds → 421 ms, rounded like `Math.round(x * 1000)`.
pub fn parse_seconds_to_ms(s: &str) -> Option<i32> {
    let v: f64 = s.parse().ok()?;
    let ms = (v * 1000.0).round();
    (ms.is_finite() && (0.0..=f64::from(i32::MAX)).contains(&ms)).then_some(ms as i32)
}

/// The route filter: only the tracking pixels are analytics hits.
pub fn is_pixel_path(stem: &str) -> bool {
    stem.starts_with("/hello.gif") || stem.starts_with("/noscript.gif")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn timestamps() {
        let cases = [
            ("1668968526.477", Some(1_668_968_526_477)),
            ("1668968526.4", Some(1_668_968_526_400)),
            ("1668968526", Some(1_668_968_526_000)),
            ("1668968526.4779", Some(1_668_968_526_477)),
            ("-1.0", None),
            ("abc", None),
            ("", None),
            ("1.2.3", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_epoch_seconds(s), want, "{s}");
        }
        assert_eq!(parse_seconds_to_ms("0.000"), Some(0));
        assert_eq!(parse_seconds_to_ms("0.0016"), Some(2));
        assert_eq!(parse_seconds_to_ms("NaN"), None);
        assert_eq!(parse_seconds_to_ms("-1"), None);
    }

    #[test]
    fn field_counts() {
        assert!(split_fields(b"a\tb").is_err());
        assert!(split_fields("1\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11\t12\n".as_bytes()).is_ok());
        assert!(split_fields("1\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11\t12\t13".as_bytes()).is_err());
        assert!(split_fields(b"\xff\t2\t3\t4\t5\t6\t7\t8\t9\t10\t11\t12").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(b in proptest::collection::vec(any::<u8>(), 0..300), s in ".*") {
            let _ = split_fields(&b);
            let _ = parse_epoch_seconds(&s);
            let _ = parse_seconds_to_ms(&s);
        }
    }
}
