//! The three percent-encodings that shape the input data.
//!
//! 1. The browser tracker encodes every parameter value with `encodeURIComponent`.
//! 2. CloudFront real-time logs percent-encode a field once more when writing the log line. For the
//!    query that only ever touches `%` (everything else `encodeURIComponent` emits is safe), which
//!    is why `%3A` appears as `%253A`. For the user agent and referer it turns spaces into `%20`
//!    and leaves `;`, `,`, `(`, `/` and `+` alone (see the ownstats fixtures and real CloudFront
//!    logs, e.g. `Slackbot%201.0%20(+https://api.slack.com/robots)`).
//!
//! Writing into `String` keeps every output ASCII-safe by construction, so the envelope encoder
//! can borrow it as `&str` without a UTF-8 check.

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Bytes `encodeURIComponent` leaves alone: `A-Z a-z 0-9 - _ . ! ~ * ' ( )`.
fn uri_component_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
        )
}

/// Bytes CloudFront escapes in log fields: controls, space, non-ASCII and a few delimiters.
fn cloudfront_unsafe(b: u8) -> bool {
    b <= 0x20
        || b >= 0x7F
        || matches!(
            b,
            b'"' | b'%' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
        )
}

fn push_escape(out: &mut String, prefix: &str, b: u8) {
    out.push_str(prefix);
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0xF)]));
}

/// Copies runs of safe bytes with one `push_str` each and escapes the rest as `prefix` + hex.
/// Safe bytes are ASCII, so every run starts and ends on a char boundary.
fn escape(value: &str, out: &mut String, prefix: &str, safe: impl Fn(u8) -> bool) {
    let bytes = value.as_bytes();
    let mut run = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !safe(b) {
            out.push_str(value.get(run..i).unwrap_or_default());
            push_escape(out, prefix, b);
            run = i + 1;
        }
    }
    out.push_str(value.get(run..).unwrap_or_default());
}

/// JavaScript's `encodeURIComponent(value)`, appended to `out` (UTF-8 bytes, upper-case hex).
pub fn uri_component(value: &str, out: &mut String) {
    escape(value, out, "%", uri_component_safe);
}

/// `encodeURIComponent` followed by CloudFront's log encoding, in one pass: every byte the
/// browser escapes as `%XX` ends up as `%25XX` in the log line.
pub fn uri_component_twice(value: &str, out: &mut String) {
    escape(value, out, "%25", uri_component_safe);
}

/// CloudFront's encoding of a free-text log field (user agent, referer).
pub fn cloudfront_field(value: &str, out: &mut String) {
    escape(value, out, "%", |b| !cloudfront_unsafe(b));
}

/// Appends a decimal integer without going through `core::fmt` (hot path: several per line).
pub fn push_int(out: &mut String, value: i64) {
    out.push_str(itoa::Buffer::new().format(value));
}

/// Appends `value` as a JSON string literal (quotes included).
pub fn json_string(value: &str, out: &mut String) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                let b = c as u8;
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xF)]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) use shared::percent::decode_strict as percent_decode;

    fn enc(f: fn(&str, &mut String), s: &str) -> String {
        let mut out = String::new();
        f(s, &mut out);
        out
    }

    #[test]
    fn matches_the_ownstats_fixture() {
        // Values from rawPageViewData.txt.
        assert_eq!(
            enc(uri_component_twice, "http://localhost:3000/azure"),
            "http%253A%252F%252Flocalhost%253A3000%252Fazure"
        );
        assert_eq!(
            enc(
                uri_component_twice,
                "Map the Cloud - Azure Services & Regions"
            ),
            "Map%2520the%2520Cloud%2520-%2520Azure%2520Services%2520%2526%2520Regions"
        );
        assert_eq!(enc(uri_component_twice, "{}"), "%257B%257D");
        let ua = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0.0.0 Safari/537.36";
        assert_eq!(
            enc(cloudfront_field, ua),
            "Mozilla/5.0%20(Macintosh;%20Intel%20Mac%20OS%20X%2010_15_7)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/107.0.0.0%20Safari/537.36"
        );
        assert!(enc(uri_component_twice, ua)
            .starts_with("Mozilla%252F5.0%2520(Macintosh%253B%2520Intel"));
    }

    #[test]
    fn twice_is_once_then_cloudfront() {
        for s in [
            "spring%20sale",
            "Über uns & mehr",
            "a+b=c?d#e",
            "日本語",
            "{\"plan\":\"pro\"}",
            "~*'()!",
        ] {
            let once = enc(uri_component, s);
            let mut twice = String::new();
            cloudfront_field(&once, &mut twice);
            assert_eq!(twice, enc(uri_component_twice, s));
            assert_eq!(percent_decode(&percent_decode(&twice).unwrap()).unwrap(), s);
        }
        assert_eq!(enc(cloudfront_field, "curl/8.5.0 +x"), "curl/8.5.0%20+x");
    }

    #[test]
    fn integers() {
        for v in [0, 7, -7, 1_795_132_800_000, i64::MIN, i64::MAX] {
            let mut s = String::new();
            push_int(&mut s, v);
            assert_eq!(s, v.to_string());
        }
    }

    #[test]
    fn json_strings_parse() {
        for s in [
            "plain",
            "quote \" and \\ backslash",
            "tab\tnew\nline\u{1}",
            "Café – 日本",
        ] {
            let lit = enc(json_string, s);
            assert_eq!(serde_json::from_str::<String>(&lit).unwrap(), s);
        }
    }
}
