//! Strict percent-decoding, as browsers' `encodeURIComponent` output needs it: `%XX` escapes
//! only (`+` stays a plus), and the result must be UTF-8. Used by the collector's validation
//! and by the tests that check what loadgen encodes.

/// Decodes `%XX` escapes; `None` on a malformed escape or when the result is not UTF-8.
/// Borrows when there is nothing to decode (the collector's hot path: `t`, `ts`, `hn`).
pub fn decode_strict(s: &str) -> Option<std::borrow::Cow<'_, str>> {
    if !s.contains('%') {
        return Some(std::borrow::Cow::Borrowed(s));
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3)?;
            let hi = char::from(hex[0]).to_digit(16)?;
            let lo = char::from(hex[1]).to_digit(16)?;
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().map(std::borrow::Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::decode_strict;

    #[test]
    fn escapes_plus_and_malformed_input() {
        let cases: &[(&str, Option<&str>)] = &[
            ("a%20b+c", Some("a b+c")),
            ("%e2%82%ac", Some("€")),
            ("%E2%82%AC", Some("€")),
            ("%", None),
            ("%4", None),
            ("%ZZ", None),
            ("%+1", None),
            ("%FF", None),
            ("plain", Some("plain")),
        ];
        for (input, want) in cases {
            assert_eq!(decode_strict(input).as_deref(), *want, "{input}");
        }
    }
}
