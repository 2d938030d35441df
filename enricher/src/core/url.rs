//! Just enough URL parsing for analytics: the host, path and query of an absolute URL.
//!
//! A full WHATWG parser (the `url` crate) would normalise more, but the fields we store are the
//! URL as the browser sent it plus its lower-cased hostname, and this runs for every hit.

use std::borrow::Cow;

/// Parts of an absolute URL (`scheme://authority/path?query#fragment`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts<'a> {
    /// Lower-cased hostname without port or userinfo (IPv6 literals keep their brackets).
    pub host: Cow<'a, str>,
    /// Path, `/` when empty.
    pub path: &'a str,
    /// Query without `?`, if any.
    pub query: Option<&'a str>,
}

/// Splits an absolute URL; `None` if it has no `scheme://host`.
pub fn parse_url(url: &str) -> Option<UrlParts<'_>> {
    let b = url.as_bytes();
    // The scheme runs to the first ':', which must start "://". Equivalent to splitting at the
    // first "://" and validating the scheme: any later "://" would put this ':' (not a scheme
    // character) inside the scheme.
    let colon = b.iter().position(|&c| !is_scheme_byte(c))?;
    if colon == 0 || !b[0].is_ascii_alphabetic() || !b[colon..].starts_with(b"://") {
        return None;
    }
    let rest = url.get(colon + 3..)?;
    let rb = rest.as_bytes();
    let auth_end = rb
        .iter()
        .position(|&c| matches!(c, b'/' | b'?' | b'#'))
        .unwrap_or(rb.len());
    let authority = &rb[..auth_end];
    let hp_start = memchr::memrchr(b'@', authority).map_or(0, |i| i + 1);
    let hostport = &authority[hp_start..];
    let host_len = if hostport.first() == Some(&b'[') {
        memchr::memchr(b']', hostport)? + 1
    } else {
        memchr::memchr(b':', hostport).unwrap_or(hostport.len())
    };
    let host = rest.get(hp_start..hp_start + host_len)?;
    if host.is_empty() || host.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return None;
    }
    let after = &rest[auth_end..];
    let after = match memchr::memchr(b'#', after.as_bytes()) {
        Some(i) => &after[..i],
        None => after,
    };
    let (path, query) = match memchr::memchr(b'?', after.as_bytes()) {
        Some(i) => (&after[..i], Some(&after[i + 1..])),
        None => (after, None),
    };
    let host = if host.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(host.to_ascii_lowercase())
    } else {
        Cow::Borrowed(host)
    };
    Some(UrlParts {
        host,
        path: if path.is_empty() { "/" } else { path },
        query,
    })
}

fn is_scheme_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        type Want<'a> = Option<(&'a str, &'a str, Option<&'a str>)>;
        let cases: [(&str, Want); 9] = [
            (
                "https://cloudsecdocs.com/",
                Some(("cloudsecdocs.com", "/", None)),
            ),
            (
                "http://localhost:3000/azure",
                Some(("localhost", "/azure", None)),
            ),
            (
                "https://WWW.Example.COM",
                Some(("www.example.com", "/", None)),
            ),
            (
                "https://u:p@h.io:8080/a/b?x=1&y=2#frag",
                Some(("h.io", "/a/b", Some("x=1&y=2"))),
            ),
            (
                "http://[2001:db8::1]:80/p",
                Some(("[2001:db8::1]", "/p", None)),
            ),
            (
                "android-app://com.google.android.gm/",
                Some(("com.google.android.gm", "/", None)),
            ),
            ("/relative/path", None),
            ("https://", None),
            ("1http://x/", None),
        ];
        for (url, want) in cases {
            let got = parse_url(url);
            let got = got.as_ref().map(|p| (p.host.as_ref(), p.path, p.query));
            assert_eq!(got, want, "{url}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = parse_url(&s);
        }
    }
}
