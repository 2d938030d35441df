//! Equivalence tests: the hot-path parsers (memchr scans, fixed parameter slots, fused
//! two-level decoding) against the straightforward implementations they replaced, kept here
//! verbatim as the reference. Inputs are drawn from small alphabets dense in separators and
//! escapes, so the edge cases (malformed `%`, empty parts, repeated keys, `://` placement) come
//! up constantly rather than by luck.

use super::cloudfront::split_fields;
use super::decode::{
    decode_extra_lenient, decode_value, form_decode, percent_decode_field, strict_decode, Encoding,
    Params, MAX_PARAMS,
};
use super::url::parse_url;
use proptest::prelude::*;
use std::borrow::Cow;

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn ref_form_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
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
    out
}

fn ref_strict_decode(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
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
    Some(out)
}

fn ref_decode_value(raw: &str, enc: Encoding) -> Result<String, &'static str> {
    let once = ref_form_decode(raw.as_bytes());
    let out = match enc {
        Encoding::Once => once,
        Encoding::Twice => ref_strict_decode(&once).ok_or("malformed percent-escape")?,
    };
    String::from_utf8(out).map_err(|_| "invalid UTF-8 after percent-decoding")
}

fn ref_raw<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .take(MAX_PARAMS)
        .map(|part| part.split_once('=').unwrap_or((part, "")))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

type RefUrl<'a> = Option<(String, &'a str, Option<&'a str>)>;

fn ref_parse_url(url: &str) -> RefUrl<'_> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme_ok = !scheme.is_empty()
        && scheme.as_bytes()[0].is_ascii_alphabetic()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return None;
    }
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..auth_end];
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if hostport.starts_with('[') {
        &hostport[..hostport.find(']').map(|i| i + 1)?]
    } else {
        hostport.split_once(':').map_or(hostport, |(h, _)| h)
    };
    if host.is_empty() || host.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return None;
    }
    let after = &rest[auth_end..];
    let after = after.split_once('#').map_or(after, |(a, _)| a);
    let (path, query) = match after.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (after, None),
    };
    let path = if path.is_empty() { "/" } else { path };
    Some((host.to_ascii_lowercase(), path, query))
}

fn ref_split_fields(line: &[u8]) -> Option<Vec<&str>> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let fields: Vec<&str> = std::str::from_utf8(line).ok()?.split('\t').collect();
    (fields.len() == 12).then_some(fields)
}

const KEYS: [&str; 14] = [
    "t",
    "u",
    "hn",
    "pa",
    "ts",
    "uso",
    "utm_source",
    "utm_term",
    "x",
    "",
    "tt",
    "t=",
    "utm_",
    "ab",
];

#[test]
fn tables() {
    let cases: [(&str, Encoding); 6] = [
        ("%2525", Encoding::Twice),
        ("%25%", Encoding::Twice),
        ("+%2B%252B%25+", Encoding::Twice),
        ("%%2541", Encoding::Twice),
        ("%C3%BC+%", Encoding::Once),
        ("a%2", Encoding::Once),
    ];
    for (raw, enc) in cases {
        assert_eq!(
            decode_value(raw, enc).map(Cow::into_owned),
            ref_decode_value(raw, enc),
            "{raw}"
        );
    }
    let p = Params::parse("t=&t=pv&&u=&=x&utm_source=a&utm_source=b&q");
    for (k, want) in [
        ("t", None),
        ("utm_source", Some("a")),
        ("", Some("x")),
        ("q", None),
    ] {
        assert_eq!(p.raw(k), want, "{k}");
    }
    // Only the first MAX_PARAMS non-empty parts count, for slotted and other keys alike.
    for (parts_before, want) in [(MAX_PARAMS - 1, Some("1")), (MAX_PARAMS, None)] {
        let q = format!("{}t=1&zz=1", "a=1&&".repeat(parts_before));
        assert_eq!(Params::parse(&q).raw("t"), want, "{parts_before}");
        assert_eq!(ref_raw(&q, "t"), want, "{parts_before}");
    }
    let filler = "a=1&&".repeat(MAX_PARAMS - 1);
    assert_eq!(Params::parse(&format!("{filler}zz=1")).raw("zz"), Some("1"));
}

proptest! {
    #[test]
    fn decoding_matches_reference(
        raw in "[%+25aAfFgG0-9ü&=]{0,24}",
        s in any::<String>(),
        // Escapes between plain runs of 1–12 bytes: the decoder copies runs 8 bytes at a time.
        runs in "(%25[2-7][0-9A-F]|%[2-7][0-9a-f]|[+%]|[a-z./-]{1,12}){0,12}",
    ) {
        for v in [&raw, &s, &runs] {
            for enc in [Encoding::Once, Encoding::Twice] {
                prop_assert_eq!(
                    decode_value(v, enc).map(Cow::into_owned),
                    ref_decode_value(v, enc)
                );
            }
            prop_assert_eq!(form_decode(v.as_bytes()).into_owned(), ref_form_decode(v.as_bytes()));
            prop_assert_eq!(
                strict_decode(v.as_bytes()).map(Cow::into_owned),
                ref_strict_decode(v.as_bytes())
            );
            let want = match ref_strict_decode(v.as_bytes()).map(String::from_utf8) {
                Some(Ok(d)) => d,
                _ => v.to_string(),
            };
            prop_assert_eq!(percent_decode_field(v).into_owned(), want.clone());
            prop_assert_eq!(decode_extra_lenient(Cow::Borrowed(v.as_str())), want);
        }
    }

    #[test]
    fn params_match_reference(
        q in "(t|u|hn|ts|utm_source|utm_term|x|=|&|&&|pv|%25|a){0,40}",
        many in proptest::collection::vec("(t|u|x)=[a-c]{0,2}", 60..70),
    ) {
        let long = many.join("&");
        for query in [q.as_str(), long.as_str()] {
            let p = Params::parse(query);
            for k in KEYS {
                prop_assert_eq!(p.raw(k), ref_raw(query, k), "key {:?} in {:?}", k, query);
            }
        }
    }

    #[test]
    fn urls_match_reference(u in "[a:/?#@\\[\\]A1.+ %-]{0,24}", s in any::<String>()) {
        for v in [&u, &s] {
            let got = parse_url(v).map(|p| (p.host.into_owned(), p.path, p.query));
            prop_assert_eq!(got, ref_parse_url(v));
        }
    }

    #[test]
    fn fields_match_reference(
        parts in proptest::collection::vec("[aé\r\n]{0,3}", 10..14),
        b in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let line = parts.join("\t");
        for v in [line.as_bytes(), &b] {
            let got = split_fields(v).ok().map(|f| f.to_vec());
            prop_assert_eq!(got, ref_split_fields(v));
        }
    }
}
