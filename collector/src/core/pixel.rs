//! Validation of ownstats pixel requests (`GET /hello.gif?t=pv&ts=…&hn=…`, seeds-spec A.2).
//! The collector checks only what makes a hit unusable downstream; everything else is the
//! enricher's job (it dead-letters what it cannot map, so nothing accepted is ever lost).

use super::Rejection;

/// What the collector needs from a valid pixel query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PixelHit<'q> {
    /// `hn`, decoded (absent on identify hits): part of the per-visitor partition key.
    pub domain: Option<Cow<'q, str>>,
}

use shared::percent::decode_strict as percent_decode;
use std::borrow::Cow;

/// True when `s` percent-decodes to valid UTF-8 (same rule as [`percent_decode`]).
///
/// Jumps from escape to escape (`memchr`): the literal bytes between are whole characters of a
/// `&str`, valid on their own; they only matter when they cut a multi-byte character that the
/// escapes before them started. Only escaped non-ASCII bytes go through a 4-byte window.
fn valid_encoding(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(mut i) = memchr::memchr(b'%', b) else {
        return true;
    };
    let mut buf = [0u8; 4];
    let mut pending = 0usize;
    loop {
        // b[i] is a '%'.
        let Some(hex) = b.get(i + 1..i + 3) else {
            return false;
        };
        let (Some(hi), Some(lo)) = (
            char::from(hex[0]).to_digit(16),
            char::from(hex[1]).to_digit(16),
        ) else {
            return false;
        };
        i += 3;
        let byte = (hi * 16 + lo) as u8;
        if pending > 0 || byte >= 0x80 {
            buf[pending] = byte;
            pending += 1;
            match std::str::from_utf8(&buf[..pending]) {
                Ok(_) => pending = 0,
                Err(e) if e.error_len().is_some() || pending == 4 => return false,
                Err(_) => {}
            }
        }
        match memchr::memchr(b'%', &b[i..]) {
            Some(0) => {}
            // A literal character right after an unfinished escaped one: not UTF-8.
            Some(_) | None if pending > 0 && i < b.len() => return false,
            Some(n) => i += n,
            None => return pending == 0,
        }
    }
}

/// Checks a pixel query string (without the `?`).
pub fn check_pixel(query: &str) -> Result<PixelHit<'_>, Rejection> {
    if query.is_empty() {
        return Err(Rejection::new(400, "missing query string"));
    }
    let (mut t, mut ts, mut hn) = (None, None, None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
        if !matches!(key, "t" | "ts" | "hn") {
            // Only validated (escapes well-formed, UTF-8): nothing is kept, nothing allocated.
            if !valid_encoding(raw) {
                return Err(Rejection::new(
                    400,
                    format!("parameter {key:.32}: bad percent-encoding or not UTF-8"),
                ));
            }
            continue;
        }
        let value = percent_decode(raw).ok_or_else(|| {
            Rejection::new(
                400,
                format!("parameter {key:.32}: bad percent-encoding or not UTF-8"),
            )
        })?;
        match key {
            "t" => t = Some(value),
            "ts" => ts = Some(value),
            "hn" => hn = Some(value),
            _ => {}
        }
    }
    let t = t
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Rejection::new(400, "missing t (hit type)"))?;
    if t.len() > 16 {
        return Err(Rejection::new(400, "t longer than 16 bytes"));
    }
    match ts.as_deref().map(str::parse::<i64>) {
        Some(Ok(ms)) if (0..=253_402_300_799_999).contains(&ms) => {}
        Some(_) => {
            return Err(Rejection::new(
                400,
                "ts is not an epoch-milliseconds integer",
            ))
        }
        None => return Err(Rejection::new(400, "missing ts (event time)")),
    }
    let domain = hn.filter(|h| !h.is_empty());
    match &domain {
        Some(h) if h.len() > 200 => Err(Rejection::new(400, "hn longer than 200 bytes")),
        // Identify hits carry no hostname; everything else must say which site it is from.
        None if t != "id" => Err(Rejection::new(400, "missing hn (hostname)")),
        _ => Ok(PixelHit { domain }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_hits_and_names_what_is_wrong_with_bad_ones() {
        let ok = "t=pv&ts=1668968526289&u=http%3A%2F%2Flocalhost%3A3000%2Fazure&hn=localhost&ua=Mozilla%2F5.0";
        // (query, expected: Ok(domain) or Err(status, reason prefix))
        let cases: &[(&str, Result<Option<&str>, (u16, &str)>)] = &[
            (ok, Ok(Some("localhost"))),
            (
                "t=tr&ts=1&hn=a.example&en=click&pr=%7B%7D",
                Ok(Some("a.example")),
            ),
            ("t=id&ts=1", Ok(None)),
            ("hn=x%C3%A9.example&t=pv&ts=5", Ok(Some("xé.example"))),
            ("", Err((400, "missing query"))),
            ("ts=1&hn=a", Err((400, "missing t"))),
            ("t=&ts=1&hn=a", Err((400, "missing t"))),
            ("t=pv&hn=a", Err((400, "missing ts"))),
            ("t=pv&ts=soon&hn=a", Err((400, "ts is not"))),
            ("t=pv&ts=-5&hn=a", Err((400, "ts is not"))),
            ("t=pv&ts=1", Err((400, "missing hn"))),
            ("t=pv&ts=1&hn=%ZZ", Err((400, "parameter hn: bad percent"))),
            (
                "t=pv&ts=1&hn=%FF%FE",
                Err((400, "parameter hn: bad percent")),
            ),
            (
                "t=pv&ts=1&hn=a&u=%E2%82",
                Err((400, "parameter u: bad percent")),
            ),
            ("t=pvpvpvpvpvpvpvpvpv&ts=1&hn=a", Err((400, "t longer"))),
        ];
        for (q, want) in cases {
            match (check_pixel(q), want) {
                (Ok(hit), Ok(domain)) => assert_eq!(hit.domain.as_deref(), *domain, "{q}"),
                (Err(r), Err((status, prefix))) => {
                    assert_eq!(r.status, *status, "{q}");
                    assert!(r.reason.starts_with(prefix), "{q}: {}", r.reason);
                }
                (got, _) => panic!("{q}: unexpected {got:?}"),
            }
        }
        let long = format!("t=pv&ts=1&hn={}", "a".repeat(201));
        assert!(check_pixel(&long).is_err());
    }

    proptest::proptest! {
        /// The allocation-free check agrees with decoding on every input.
        #[test]
        fn validation_matches_decoding(
            s in r"([a-z]|%[0-9A-Fa-f]{2}|%|%[G-Z]|\x{e9}|%C3%A9|%E2%82%AC|%F0%9F%98%80|%C3|%E2%82|%A9){0,12}"
        ) {
            proptest::prop_assert_eq!(valid_encoding(&s), percent_decode(&s).is_some(), "{}", s);
        }
    }
}
