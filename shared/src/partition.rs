//! Hive partition paths and object keys.
//!
//! Layout (ownstats order): `<prefix>/domain_name=<d>/event_type=<t>/event_date=<YYYY-MM-DD>/<file>`.
//! Partition values come from the client (a hostname, an event name), so they are escaped: every
//! byte outside `[A-Za-z0-9._-]` becomes `%XX`, the escaping Hive and pyarrow's `uri` segment
//! encoding undo. A value can therefore never contain `/`, `=`, `%`-ambiguity or control
//! characters, and cannot step out of its `name=value` segment. The empty value is written as
//! Hive's `__HIVE_DEFAULT_PARTITION__`.

use crate::record::EventType;
use crate::time::Date;

/// Hive's marker for a null/empty partition value.
pub const HIVE_DEFAULT_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// Longest partition value (in bytes, before escaping) the pipeline accepts. S3 keys are limited
/// to 1024 bytes; escaping can triple a value, so 200 keeps a full key well inside the limit.
pub const MAX_PARTITION_VALUE_BYTES: usize = 200;

fn is_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')
}

/// Appends the escaped form of `value` to `out`.
pub fn escape_value_into(value: &str, out: &mut String) {
    if value.is_empty() {
        out.push_str(HIVE_DEFAULT_PARTITION);
        return;
    }
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in value.as_bytes() {
        if is_plain(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

/// The escaped form of `value`.
pub fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    escape_value_into(value, &mut out);
    out
}

/// Inverse of [`escape_value`]; `None` when `s` is not something `escape_value` can produce.
pub fn unescape_value(s: &str) -> Option<String> {
    if s == HIVE_DEFAULT_PARTITION {
        return Some(String::new());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = |c: u8| char::from(c).to_digit(16);
                let hi = hex(*b.get(i + 1)?)?;
                let lo = hex(*b.get(i + 2)?)?;
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            c if is_plain(c) => {
                out.push(c);
                i += 1;
            }
            _ => return None,
        }
    }
    String::from_utf8(out).ok()
}

/// One `(domain_name, event_type, event_date)` partition of the enriched table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartitionKey {
    /// Site hostname, unescaped.
    pub domain_name: String,
    /// pageview / event / na.
    pub event_type: EventType,
    /// UTC event date.
    pub event_date: Date,
}

impl PartitionKey {
    /// `domain_name=…/event_type=…/event_date=…` (no leading or trailing slash).
    pub fn path(&self) -> String {
        let mut out = String::with_capacity(64 + self.domain_name.len());
        out.push_str("domain_name=");
        escape_value_into(&self.domain_name, &mut out);
        out.push_str("/event_type=");
        out.push_str(self.event_type.as_str());
        out.push_str("/event_date=");
        out.push_str(&self.event_date.to_string());
        out
    }

    /// Parses the partition part of an object key (`…/domain_name=…/event_type=…/event_date=…/…`):
    /// the three segments must appear consecutively, in order.
    pub fn from_key(key: &str) -> Option<PartitionKey> {
        let segs: Vec<&str> = key.split('/').collect();
        segs.windows(3).find_map(|w| {
            let domain = unescape_value(w[0].strip_prefix("domain_name=")?)?;
            let event_type = EventType::parse(w[1].strip_prefix("event_type=")?)?;
            let event_date = Date::parse(w[2].strip_prefix("event_date=")?)?;
            Some(PartitionKey {
                domain_name: domain,
                event_type,
                event_date,
            })
        })
    }
}

/// Joins a prefix (may be empty, may end in `/`), a partition and a file name into an object key.
pub fn object_key(prefix: &str, partition: &PartitionKey, file_name: &str) -> String {
    let prefix = prefix.trim_end_matches('/');
    let mut key = String::with_capacity(prefix.len() + 96 + file_name.len());
    if !prefix.is_empty() {
        key.push_str(prefix);
        key.push('/');
    }
    key.push_str(&partition.path());
    key.push('/');
    key.push_str(file_name);
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(domain: &str) -> PartitionKey {
        PartitionKey {
            domain_name: domain.into(),
            event_type: EventType::Pageview,
            event_date: Date {
                year: 2022,
                month: 11,
                day: 20,
            },
        }
    }

    #[test]
    fn plain_domain_is_readable() {
        assert_eq!(
            object_key("incoming/", &key("mapthe.cloud"), "f.parquet"),
            "incoming/domain_name=mapthe.cloud/event_type=pageview/event_date=2022-11-20/f.parquet"
        );
    }

    #[test]
    fn hostile_values_stay_inside_their_segment() {
        let cases = [
            ("../../etc", "domain_name=..%2F..%2Fetc"),
            ("a/b", "domain_name=a%2Fb"),
            ("x=1", "domain_name=x%3D1"),
            ("tab\there", "domain_name=tab%09here"),
            ("nl\nx", "domain_name=nl%0Ax"),
            ("100%", "domain_name=100%25"),
            ("", "domain_name=__HIVE_DEFAULT_PARTITION__"),
            ("ü.de", "domain_name=%C3%BC.de"),
        ];
        for (domain, want) in cases {
            let k = object_key("p", &key(domain), "f.parquet");
            assert!(
                k.starts_with(&format!("p/{want}/event_type=pageview/")),
                "{domain:?} -> {k}"
            );
            assert_eq!(k.matches('/').count(), 4, "{domain:?} -> {k}");
            assert_eq!(PartitionKey::from_key(&k), Some(key(domain)), "{k}");
        }
    }

    proptest! {
        #[test]
        fn any_value_round_trips_and_never_escapes(v in any::<String>()) {
            let escaped = escape_value(&v);
            prop_assert!(escaped.bytes().all(|b| is_plain(b) || b == b'%'));
            prop_assert!(!escaped.contains('/') && !escaped.contains('='));
            prop_assert_eq!(unescape_value(&escaped), Some(v.clone()));
            let k = object_key("incoming", &key(&v), "x.parquet");
            prop_assert_eq!(k.matches('/').count(), 4);
            prop_assert_eq!(PartitionKey::from_key(&k), Some(key(&v)));
        }

        #[test]
        fn unescape_never_panics(s in any::<String>()) {
            let _ = unescape_value(&s);
            let _ = PartitionKey::from_key(&s);
        }
    }
}
