//! Query-string splitting and percent-decoding.
//!
//! CloudFront real-time logs percent-encode the (already encoded) query string once more, so a
//! tracker value is decoded twice ("decode2" in seeds-spec): first as a URL query parser does
//! (`+` is a space, `%XX` a byte, a malformed `%` stays literal), then strictly
//! (`decodeURIComponent`: a malformed `%` or invalid UTF-8 is an error). Values without `%` or
//! `+` are borrowed, so the common case allocates nothing.

use std::borrow::Cow;

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

/// Query-parser decoding: `+` → space, `%XX` → byte, malformed `%` kept. Never fails.
pub fn form_decode(s: &[u8]) -> Cow<'_, [u8]> {
    if !s.iter().any(|&b| b == b'%' || b == b'+') {
        return Cow::Borrowed(s);
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => match (
                s.get(i + 1).copied().and_then(hex),
                s.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// Strict percent-decoding (`decodeURIComponent`): `None` on a malformed `%`.
pub fn strict_decode(s: &[u8]) -> Option<Cow<'_, [u8]>> {
    if !s.contains(&b'%') {
        return Some(Cow::Borrowed(s));
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            let h = hex(*s.get(i + 1)?)?;
            let l = hex(*s.get(i + 2)?)?;
            out.push(h << 4 | l);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
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
    if !bytes.iter().any(|&b| b == b'%' || b == b'+') {
        return Ok(Cow::Borrowed(raw));
    }
    let once = form_decode(bytes).into_owned();
    let out = match enc {
        Encoding::Once => once,
        // Decode the second level straight from the first level's buffer: one allocation
        // for the result, none for an intermediate string.
        Encoding::Twice if once.contains(&b'%') => strict_decode(&once)
            .ok_or("malformed percent-escape")?
            .into_owned(),
        Encoding::Twice => once,
    };
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| "invalid UTF-8 after percent-decoding")
}

/// One more strict decode if it works, else the value unchanged (UTM values arrive encoded
/// once more than other parameters; a value that does not decode is kept as sent).
pub fn decode_extra_lenient(v: Cow<'_, str>) -> Cow<'_, str> {
    if !v.contains('%') {
        return v;
    }
    match strict_decode(v.as_bytes())
        .map(|b| b.into_owned())
        .and_then(|b| String::from_utf8(b).ok())
    {
        Some(s) => Cow::Owned(s),
        None => v,
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

/// Maximum parameters looked at in one query; the tracker sends at most ~25.
pub const MAX_PARAMS: usize = 64;

/// Packs a key of up to 7 bytes into an integer (length in the top byte), so the ~25 lookups
/// per hit compare integers instead of calling `memcmp`; longer keys get `u64::MAX` and are
/// compared as strings.
fn key_code(k: &str) -> u64 {
    let b = k.as_bytes();
    if b.len() > 7 {
        return u64::MAX;
    }
    let mut code = (b.len() as u64) << 56;
    for (i, &c) in b.iter().enumerate() {
        code |= u64::from(c) << (8 * i);
    }
    code
}

/// The `key=value` pairs of a query string, split once, values still encoded.
pub struct Params<'a> {
    pairs: Vec<(u64, &'a str, &'a str)>,
}

impl<'a> Params<'a> {
    /// Splits `query` (without the leading `?`). Extra pairs beyond [`MAX_PARAMS`] are ignored.
    pub fn parse(query: &'a str) -> Params<'a> {
        let mut pairs = Vec::with_capacity(24);
        for part in query.split('&').filter(|p| !p.is_empty()).take(MAX_PARAMS) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            pairs.push((key_code(k), k, v));
        }
        Params { pairs }
    }

    /// Raw (still encoded) value of the first `key`; empty values count as absent, as in the
    /// tracker, which omits falsy values.
    pub fn raw(&self, key: &str) -> Option<&'a str> {
        let code = key_code(key);
        self.pairs
            .iter()
            .find(|(c, k, _)| *c == code && (code != u64::MAX || *k == key))
            .map(|(_, _, v)| *v)
            .filter(|v| !v.is_empty())
    }

    /// Decoded value of `key`; `Err` names the parameter when it does not decode.
    pub fn get(&self, key: &str, enc: Encoding) -> Result<Option<Cow<'a, str>>, String> {
        match self.raw(key) {
            None => Ok(None),
            Some(raw) => decode_value(raw, enc)
                .map(|v| if v.is_empty() { None } else { Some(v) })
                .map_err(|why| format!("parameter {key}: {why}")),
        }
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

        #[test]
        fn twice_undoes_double_encoding(s in any::<String>()) {
            let enc1: String = s.bytes().map(|b| format!("%{b:02X}")).collect();
            let enc2 = enc1.replace('%', "%25");
            prop_assert_eq!(decode_value(&enc2, Encoding::Twice).unwrap(), s);
        }
    }
}
