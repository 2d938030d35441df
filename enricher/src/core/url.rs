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
